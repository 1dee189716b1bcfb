"""The hub's HTTP API on a real server (loopback, free port): issuing, counter operations
with their tokens, clear 400/401/403/404/409 answers, the event stream, voice files."""

from __future__ import annotations

import io
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import wave

import httpx
import pytest

from tests.kiosk.conftest import PINS, TOKENS, auth
from tests.kiosk.hub.sse import EventReader


def login(api, counter_id, clerk_id):
    response = api.post(f"/api/v1/counters/{counter_id}/login", json={"clerk_id": clerk_id, "pin": PINS[clerk_id]},
                        headers=auth(counter_id))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_ticket_is_issued_over_http_with_people_ahead_and_an_estimate(api):
    first = api.post("/api/v1/tickets", json={"service_id": "ho-tich"})
    second = api.post("/api/v1/tickets", json={"service_id": "ho-tich", "priority": False})
    assert first.status_code == 201 and second.status_code == 201
    body = second.json()
    assert (body["number"], body["people_ahead"], body["status"], body["service_name"]["vi"]) == \
        (1002, 1, "waiting", "Hộ tịch")
    assert body["estimated_wait_min"] == 4.0  # 1 × 8 min default ÷ 2 counters serving ho-tich
    assert api.get("/api/v1/state").json()["services"][0]["waiting"] == 2


def test_counter_operations_need_that_counters_token(api):
    api.post("/api/v1/tickets", json={"service_id": "ho-tich"})
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, auth(2),
                    {"Authorization": TOKENS[1]}):
        for action in ("login", "call-next", "recall", "no-show", "transfer", "finish", "pause", "resume",
                       "logout", "requeue"):
            response = api.post(f"/api/v1/counters/1/{action}", json={}, headers=headers)
            assert response.status_code == 401, (action, headers, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
    assert api.get("/api/v1/state").json()["waiting"][0]["status"] == "waiting"  # nothing happened


@pytest.mark.parametrize("path, body, reason", [
    ("/api/v1/tickets", b"{not json", "not valid JSON"),
    ("/api/v1/tickets", b"[1, 2]", "must be a JSON object"),
    ("/api/v1/tickets", b"{}", "'service_id' is required"),
    ("/api/v1/tickets", b'{"service_id": 5}', "must be text"),
    ("/api/v1/tickets", b'{"service_id": "ho-tich", "priority": "yes"}', "must be true or false"),
    ("/api/v1/tickets", b'{"service_id": "ho-tich", "prio": true}', "unknown field 'prio'"),
    ("/api/v1/tickets", b'{"service_id": "khong-co"}', "unknown service 'khong-co'"),
    ("/api/v1/counters/1/login", b'{"clerk_id": "nguyen-van-an"}', "'pin' is required"),
    ("/api/v1/counters/1/login", b'{"clerk_id": "nguyen-van-an", "pin": 1111}', "must be text"),
    ("/api/v1/counters/1/transfer", b'{"to_counter_id": "3"}', "must be a whole number or null"),
    ("/api/v1/counters/1/transfer", b'{"to_counter_id": true}', "must be a whole number or null"),
    ("/api/v1/counters/1/requeue", b'{"ticket_id": ["x"]}', "must be text"),
    ("/api/v1/tickets", "{\"service_id\": \"" + "x" * 20000 + "\"}", "larger than"),
])
def test_bad_bodies_get_a_400_with_the_reason(api, path, body, reason):
    response = api.post(path, content=body, headers=auth(1))
    assert response.status_code in (400, 413), response.text
    assert reason in response.json()["error"]["message"]


def test_wrong_pin_unknown_counter_and_impossible_operations_are_told_apart(api):
    response = api.post("/api/v1/counters/1/login", json={"clerk_id": "nguyen-van-an", "pin": "0000"},
                        headers=auth(1))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "bad_login")
    assert api.get("/api/v1/counters/9").status_code == 404
    assert api.post("/api/v1/counters/9/call-next", headers=auth(1)).status_code == 404
    assert api.get("/api/v1/counters/abc").status_code == 404
    login(api, 1, "nguyen-van-an")
    response = api.post("/api/v1/counters/1/finish", headers=auth(1))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "no_current_ticket")
    response = api.post("/api/v1/counters/1/call-next", headers=auth(1))
    assert (response.status_code, response.json()["error"]["message"]) == (409, "nobody is waiting for counter 1")
    response = api.post("/api/v1/counters/1/requeue", json={"ticket_id": "nope"}, headers=auth(1))
    assert response.status_code == 404
    response = api.post("/api/v1/counters/1/transfer", json={"to_counter_id": 77}, headers=auth(1))
    assert response.status_code == 409  # nothing to transfer yet
    assert api.get("/api/v1/nothing-here").status_code == 404


def test_no_input_produces_a_server_error(api):
    api.post("/api/v1/tickets", json={"service_id": "ho-tich"})
    login(api, 2, "tran-thi-binh")
    api.post("/api/v1/counters/2/call-next", headers=auth(2))
    garbage = [b"", b"null", b"0", b'"x"', b"{}", b'{"a": {}}', b"\xff\xfe", b'{"to_service_id": null}',
               b'{"to_service_id": "khong-co"}', b'{"to_counter_id": 99}', b'{"to_counter_id": -1}',
               b'{"ticket_id": ""}', b'{"clerk_id": "", "pin": ""}', b'{"service_id": "", "priority": null}']
    for action in ("login", "transfer", "requeue", "recall", "pause", "resume", "no-show", "finish", "call-next"):
        for body in garbage:
            response = api.post(f"/api/v1/counters/2/{action}", content=body, headers=auth(2))
            assert response.status_code < 500, (action, body, response.text)
    for body in garbage:
        assert api.post("/api/v1/tickets", content=body).status_code < 500
    for path in ("/api/v1/announcements/1/5.wav", "/api/v1/announcements/99/1001.wav",
                 "/api/v1/clerks/ai-do/photo", "/api/v1/clerks/nguyen-van-an/photo", "/static/../queue.py"):
        assert api.get(path).status_code == 404, path


def test_the_counter_view_gives_the_tablet_its_clerk_ticket_and_last_finished(api):
    login(api, 3, "le-hoang-cuong")
    ticket = api.post("/api/v1/tickets", json={"service_id": "lao-dong-xa-hoi", "priority": True}).json()
    called = api.post("/api/v1/counters/3/call-next", headers=auth(3)).json()
    assert called["ticket"]["id"] == ticket["id"]
    view = api.get("/api/v1/counters/3").json()
    assert view["counter_id"] == 3 and view["name"] == {"vi": "Quầy 3", "en": "Counter 3"}
    assert view["clerk"] == {"id": "le-hoang-cuong", "name": "Lê Hoàng Cường", "photo_url": None}
    assert view["current"]["number"] == 3001 and view["current"]["priority"] is True
    assert view["last_finished"] is None and view["paused"] is False
    api.post("/api/v1/counters/3/finish", headers=auth(3))
    view = api.get("/api/v1/counters/3").json()
    assert view["current"] is None
    assert view["last_finished"]["ticket"]["id"] == ticket["id"]
    assert view["last_finished"]["ticket"]["status"] == "finished"
    assert view["last_finished"]["clerk"]["name"] == "Lê Hoàng Cường"
    assert view["last_finished"]["finished_at"]
    paused = api.post("/api/v1/counters/3/pause", headers=auth(3)).json()
    assert paused["counter"]["paused"] is True


def test_no_show_requeue_and_transfer_over_http(api):
    first = api.post("/api/v1/tickets", json={"service_id": "ho-tich"}).json()
    login(api, 1, "nguyen-van-an")
    login(api, 2, "tran-thi-binh")
    api.post("/api/v1/counters/1/call-next", headers=auth(1))
    gone = api.post("/api/v1/counters/1/no-show", headers=auth(1)).json()
    assert gone["ticket"]["status"] == "no_show" and gone["counter"]["current"] is None
    back = api.post("/api/v1/counters/2/requeue", json={"ticket_id": first["id"]}, headers=auth(2)).json()
    assert back["ticket"]["status"] == "waiting"
    api.post("/api/v1/counters/2/call-next", headers=auth(2))
    moved = api.post("/api/v1/counters/2/transfer", json={"to_service_id": "chung-thuc", "to_counter_id": None},
                     headers=auth(2)).json()
    assert (moved["ticket"]["service_id"], moved["ticket"]["transfers"], moved["ticket"]["number"]) == \
        ("chung-thuc", 1, 1001)


def test_events_stream_every_call_and_finish_with_counter_and_clerk(hub, api):
    reader = EventReader(hub.base_url)
    try:
        state, _ = reader.next("state")
        assert state["office"]["id"] == "phuong-ben-thanh" and len(state["counters"]) == 4
        api.post("/api/v1/tickets", json={"service_id": "chung-thuc"})
        queue, _ = reader.next("queue")
        assert queue["waiting"]["chung-thuc"] == 1
        login(api, 2, "tran-thi-binh")
        counter, _ = reader.next("counter", where=lambda d: d["counter_id"] == 2)
        assert counter["clerk"]["id"] == "tran-thi-binh"
        api.post("/api/v1/counters/2/call-next", headers=auth(2))
        called, _ = reader.next("called")
        assert called["counter_id"] == 2 and called["ticket"]["number"] == 2001
        assert called["announcement_url"] == "/api/v1/announcements/2/2001.wav"
        api.post("/api/v1/counters/2/recall", headers=auth(2))
        recalled, _ = reader.next("recalled")
        assert recalled["ticket"]["recalls"] == 1
        api.post("/api/v1/counters/2/finish", headers=auth(2))
        finished, _ = reader.next("finished")
        assert finished["counter_id"] == 2
        assert {k: finished["ticket"][k] for k in ("number", "service_id", "status")} == \
            {"number": 2001, "service_id": "chung-thuc", "status": "finished"}
        assert finished["clerk"] == {"id": "tran-thi-binh", "name": "Trần Thị Bình", "photo_url": None}
        hub.report_fault("printer", "Máy in vé hết giấy")
        fault, _ = reader.next("fault")
        assert fault["faults"] == [{"source": "printer", "message": "Máy in vé hết giấy", "at": fault["faults"][0]["at"]}]
        assert api.get("/api/v1/state").json()["faults"][0]["message"] == "Máy in vé hết giấy"
        hub.report_fault("printer", None)
        cleared, _ = reader.next("fault")
        assert cleared["faults"] == [] and api.get("/api/v1/state").json()["faults"] == []
        deadline = time.monotonic() + 5
        while reader.comments == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.comments > 0, "no keep-alive ping on an idle stream"
    finally:
        reader.close()


def test_tickets_issued_in_process_by_the_kiosk_reach_the_stream_too(hub):
    reader = EventReader(hub.base_url)
    try:
        reader.next("state")
        hub.engine.issue("kinh-te")  # the kiosk app calls the engine directly, from its own thread
        issued, _ = reader.next("issued")
        assert issued["ticket"]["number"] == 5001
    finally:
        reader.close()


def test_a_closed_event_stream_is_forgotten_by_the_hub(hub):
    readers = [EventReader(hub.base_url) for _ in range(3)]
    for reader in readers:
        reader.next("state")
    assert hub.broadcaster.client_count == 3
    for reader in readers:
        reader.close()
    deadline = time.monotonic() + 10
    while hub.broadcaster.client_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.broadcaster.client_count == 0


def _rms(wav_bytes: bytes) -> tuple[float, float]:
    with wave.open(io.BytesIO(wav_bytes)) as audio:
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / audio.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768, seconds


def test_the_voice_call_is_a_real_non_silent_wav(api, tmp_path):
    response = api.get("/api/v1/announcements/3/2015.wav")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    rms, seconds = _rms(response.content)
    assert rms > 0.02 and seconds > 3  # chime + "Mời công dân có số … đến quầy số ba"
    path = tmp_path / "call.wav"
    path.write_bytes(response.content)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True)
    sox_rms = float(next(line for line in stat.stderr.splitlines() if line.startswith("RMS     amplitude")).split()[-1])
    assert sox_rms > 0.02
    again = api.get("/api/v1/announcements/3/2015.wav")
    assert again.content == response.content  # cached per sentence


def test_kiosk_hub_command_serves_until_interrupted(config_file, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = config_file.read_text(encoding="utf-8").replace("port: 8700", f"port: {port}")
    config_file.write_text(text, encoding="utf-8")
    kiosk = shutil.which("kiosk", path=os.path.dirname(sys.executable)) or shutil.which("kiosk")
    proc = subprocess.Popen([kiosk, "--config", str(config_file), "hub"], stdout=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()
        ticket = httpx.post(f"http://127.0.0.1:{port}/api/v1/tickets", json={"service_id": "ho-tich"}).json()
        assert ticket["number"] == 1001
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    outbox_records = list((tmp_path / "data" / "outbox").glob("seg-*.json"))
    assert outbox_records, "the ticket record did not reach the kiosk's outbox"


def test_a_clerks_photo_is_served_for_the_rating_tablet(config_file, tmp_path):
    from PIL import Image

    from kiosk.hub import OfficeHub
    from sync.config import load_config

    Image.new("RGB", (60, 80), (200, 120, 40)).save(tmp_path / "an.png")
    text = config_file.read_text(encoding="utf-8").replace(
        'pin: "1111"}', 'pin: "1111", photo: an.png}')
    config_file.write_text(text, encoding="utf-8")
    with OfficeHub(load_config(config_file), state_dir=tmp_path / "queue", port=0) as hub:
        hub.start()
        with httpx.Client(base_url=hub.base_url) as api:
            view = login(api, 1, "nguyen-van-an")["counter"]
            assert view["clerk"]["photo_url"] == "/api/v1/clerks/nguyen-van-an/photo"
            photo = api.get(view["clerk"]["photo_url"])
            assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
            assert Image.open(io.BytesIO(photo.content)).size == (60, 80)


def test_the_hub_resets_the_day_by_itself_and_tells_the_screens(office_config, tmp_path, clock):
    from kiosk.hub import OfficeHub

    with OfficeHub(office_config, state_dir=tmp_path / "queue", port=0, clock=clock, housekeeping_s=0.1) as hub:
        hub.start()
        hub.engine.issue("ho-tich")
        reader = EventReader(hub.base_url)
        try:
            assert reader.next("state")[0]["day"] == "2026-03-02"
            clock.advance(hours=19)  # 03:00 the next morning
            reset, _ = reader.next("reset")
            assert reset == {"previous_day": "2026-03-02", "day": "2026-03-03"}
            queue, _ = reader.next("queue")
            assert queue["waiting"]["ho-tich"] == 0
        finally:
            reader.close()
        assert hub.engine.issue("ho-tich").number == 1001
        assert [t["status"] for t in hub.engine.archived("2026-03-02")] == ["cancelled"]


def test_kiosk_hub_refuses_to_start_beside_a_running_kiosk(config_file, tmp_path):
    from sync.outbox import Outbox

    kiosk = shutil.which("kiosk", path=os.path.dirname(sys.executable)) or shutil.which("kiosk")
    with Outbox(tmp_path / "data" / "outbox"):  # the kiosk app holds its outbox (and its own hub)
        done = subprocess.run([kiosk, "--config", str(config_file), "hub"], capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 1
    assert "already running" in done.stdout
