"""The uploader counts only a well-formed acknowledgement of the batch it sent as success.

These tests talk to a scriptable local HTTP peer that answers what a bad network would
(captive portals, redirects, cut-off bodies, mismatched lists); the end-to-end proofs against
the real central server are in test_uploader_e2e.py.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.quarantine import QUARANTINE_FILE, Quarantine
from sync.schedule import STATE_FILE, backoff_delay
from sync.uploader import Uploader
from tests.sync.conftest import append_ratings


def make_uploader(outbox, peer, tmp_path, **kwargs) -> Uploader:
    kwargs.setdefault("batch_size", 50)
    kwargs.setdefault("rng", lambda: 1.0)
    return Uploader(outbox, server_url=peer.url, token="device-token", device_dir=tmp_path / "device",
                    timeouts=(2, 5), **kwargs)


def json_reply(status, body, **headers):
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


def test_a_well_formed_acknowledgement_empties_the_outbox_and_describes_the_batch(outbox, peer, tmp_path):
    sent = append_ratings(outbox, 120)
    uploader = make_uploader(outbox, peer, tmp_path)
    rounds = uploader.drain()
    assert [r.ok for r in rounds] == [True, True, True]
    assert len(outbox) == 0
    assert set(peer.stored) == {r["id"] for r in sent}
    first = peer.batches[0]
    assert [r["id"] for r in first["records"]] == [r["id"] for r in sent[:50]]  # oldest first
    assert uuid.UUID(first["batch_id"]).version == 4
    assert datetime.fromisoformat(first["sent_at"]).utcoffset() is not None
    assert isinstance(first["app_version"], str) and first["app_version"]
    # each batch reports what the device holds once it is stored (pipelined batches included)
    assert [b["pending"] for b in peer.batches] == [70, 20, 0]
    assert [b["quarantined"] for b in peer.batches] == [0, 0, 0]
    assert peer.headers[0]["Authorization"] == "Bearer device-token"
    assert uploader.status().last_success_at is not None and uploader.status().pending == 0


def test_duplicates_count_as_delivered(outbox, peer, tmp_path):
    sent = append_ratings(outbox, 5)
    peer.stored.update({r["id"]: r for r in sent[:3]})  # the server kept them, the reply was lost
    round_ = make_uploader(outbox, peer, tmp_path).sync_once()
    assert (round_.ok, round_.accepted, round_.duplicate) == (True, 2, 3)
    assert len(outbox) == 0


@pytest.mark.parametrize("name, reply, words", [
    ("captive portal page",
     lambda body: (200, {"Content-Type": "text/html"}, b"<html><body>Dang nhap Wi-Fi</body></html>"),
     "captive portal"),
    ("redirect to another host",
     lambda body: (302, {"Location": "http://login.example/portal"}, b""), "redirect"),
    ("JSON without results",
     lambda body: json_reply(200, {"ok": True}), "no list of results"),
    ("one result missing",
     lambda body: json_reply(200, {"results": [{"id": r["id"], "status": "accepted"} for r in body["records"][1:]]}),
     "acknowledged"),
    ("results in another order",
     lambda body: json_reply(200, {"results": [{"id": r["id"], "status": "accepted"}
                                               for r in reversed(body["records"])]}), "not for the record"),
    ("unknown status",
     lambda body: json_reply(200, {"results": [{"id": r["id"], "status": "ok"} for r in body["records"]]}),
     "unknown status"),
    ("server error",
     lambda body: json_reply(500, {"error": {"code": "internal", "message": "database down"}}), "database down"),
    ("revoked token",
     lambda body: json_reply(401, {"error": {"code": "bad_token", "message": "unknown token"}}), "enroll"),
])
def test_anything_but_a_matching_acknowledgement_is_a_failure_and_acks_nothing(outbox, peer, tmp_path, name, reply,
                                                                                 words):
    append_ratings(outbox, 3)
    peer.reply = lambda method, path, body, headers: reply(body)
    uploader = make_uploader(outbox, peer, tmp_path)
    round_ = uploader.sync_once()
    assert not round_.ok, name
    assert words in round_.error
    assert len(outbox) == 3
    assert uploader.status().last_error == round_.error and uploader.status().failures == 1


class _TruncatingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        full = json.dumps({"results": [{"id": r["id"], "status": "accepted"} for r in body["records"]]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(full)))
        self.end_headers()
        self.wfile.write(full[: len(full) // 2])
        self.wfile.flush()
        self.connection.shutdown(2)


def test_a_body_cut_short_is_a_failure(outbox, tmp_path):
    append_ratings(outbox, 4)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TruncatingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uploader = Uploader(outbox, server_url=f"http://127.0.0.1:{server.server_address[1]}", token="t",
                            device_dir=tmp_path / "device", timeouts=(2, 5))
        round_ = uploader.sync_once()
    finally:
        server.shutdown()
        server.server_close()
    assert not round_.ok and len(outbox) == 4
    assert "broke" in round_.error or "cut off" in round_.error


def test_rejected_records_are_quarantined_durably_and_never_sent_again(outbox, peer, tmp_path):
    sent = append_ratings(outbox, 4)
    bad = {sent[1]["id"], sent[3]["id"]}

    def reply(method, path, body, headers):
        return json_reply(200, {"results": [
            {"id": r["id"], "status": "rejected", "error": "counter_id: office has no counter 9"} if r["id"] in bad
            else {"id": r["id"], "status": "accepted"} for r in body["records"]]})

    peer.reply = reply
    uploader = make_uploader(outbox, peer, tmp_path)
    round_ = uploader.sync_once()
    assert (round_.ok, round_.accepted, round_.rejected) == (True, 2, 2)
    assert len(outbox) == 0
    assert uploader.status().quarantined == 2
    lines = (tmp_path / "device" / QUARANTINE_FILE).read_text().splitlines()
    kept = [json.loads(line) for line in lines]
    assert {k["record"]["id"] for k in kept} == bad
    assert all("no counter 9" in k["error"] for k in kept)
    assert oct(os.stat(tmp_path / "device" / QUARANTINE_FILE).st_mode & 0o777) == "0o600"
    # nothing left to send: the quarantined records are not retried
    assert uploader.drain() == [] and len(peer.batches) == 1
    # the count survives a restart
    assert len(Quarantine(tmp_path / "device" / QUARANTINE_FILE)) == 2


def test_a_quarantine_line_cut_by_a_crash_does_not_hide_later_entries(tmp_path):
    path = tmp_path / QUARANTINE_FILE
    path.write_bytes(b'{"record": {"id": "a"}, "error": "x"}\n{"record": {"id": "b"')  # crash mid-line
    quarantine = Quarantine(path)
    assert len(quarantine) == 1
    quarantine.add([{"record": {"id": "c"}, "error": "y"}])
    assert [e["record"]["id"] for e in Quarantine(path).entries()] == ["a", "c"]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_the_schedule_survives_a_restart(outbox, peer, tmp_path, status):
    append_ratings(outbox, 2)
    peer.reply = lambda *a: json_reply(status, {"error": {"code": "busy", "message": "slow down"}},
                                       **{"Retry-After": "120"})
    uploader = make_uploader(outbox, peer, tmp_path)
    before = time.time()
    round_ = uploader.sync_once()
    assert not round_.ok and round_.retry_after == 120 and "busy" in round_.error
    state = json.loads((tmp_path / "device" / STATE_FILE).read_text())
    assert state["failures"] == 1 and state["next_attempt_at"] >= before + 120
    restarted = make_uploader(outbox, peer, tmp_path)
    status = restarted.status()
    assert status.failures == 1 and status.next_attempt_at == pytest.approx(state["next_attempt_at"])
    assert status.last_error == round_.error
    assert restarted._step() > 100  # still waiting: a restart does not hammer the server
    assert len(peer.batches) == 1


def test_backoff_grows_exponentially_with_full_jitter_and_is_capped_at_five_minutes():
    ceilings = [backoff_delay(n, rng=lambda: 1.0) for n in range(1, 12)]
    assert ceilings[:5] == [1, 2, 4, 8, 16]
    assert max(ceilings) == 300 and ceilings[-1] == 300
    assert backoff_delay(5, rng=lambda: 0.0) == 0
    assert backoff_delay(5, rng=lambda: 0.5) == 8


def test_failures_back_off_then_success_resets_the_schedule(outbox, peer, tmp_path):
    append_ratings(outbox, 2)
    peer.reply = lambda *a: (200, {"Content-Type": "text/html"}, b"<html>login</html>")
    uploader = make_uploader(outbox, peer, tmp_path, rng=lambda: 0.5)
    uploader.sync_once()
    first = uploader.status().next_attempt_at - time.time()
    uploader.sync_once()
    uploader.sync_once()
    third = uploader.status().next_attempt_at - time.time()
    assert third > first and uploader.status().failures == 3
    peer.reply = peer.ideal_reply
    assert uploader.sync_once().ok
    status = uploader.status()
    assert (status.failures, status.next_attempt_at, status.pending) == (0, None, 0)
    assert status.last_error is None and status.last_error_at is None  # a success clears the last error


def test_a_batch_too_big_is_split(outbox, peer, tmp_path):
    append_ratings(outbox, 40)

    def reply(method, path, body, headers):
        if len(body["records"]) > 10:
            return json_reply(413, {"error": {"code": "too_large", "message": "batch over the limit"}})
        return peer.ideal_reply(method, path, body, headers)

    peer.reply = reply
    uploader = make_uploader(outbox, peer, tmp_path, batch_size=40)
    for _ in range(10):
        uploader.sync_once()
        if not len(outbox):
            break
    assert len(outbox) == 0 and len(peer.stored) == 40


def test_an_idle_device_sends_a_heartbeat(outbox, peer, tmp_path):
    uploader = make_uploader(outbox, peer, tmp_path, heartbeat_s=3600)
    assert uploader._step() > 0  # first contact is due at once
    assert peer.batches[0]["records"] == [] and peer.batches[0]["pending"] == 0
    assert uploader._step() > 0
    assert len(peer.batches) == 1  # the next heartbeat waits for heartbeat_s


def test_environment_proxies_and_ca_variables_cannot_redirect_uploads(outbox, peer, tmp_path, monkeypatch):
    hits = []

    class Trap(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(502)
            self.end_headers()

        do_CONNECT = do_GET = do_POST

        def log_message(self, *args):
            pass

    trap = ThreadingHTTPServer(("127.0.0.1", 0), Trap)
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    trap_url = f"http://127.0.0.1:{trap.server_address[1]}"
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(var, trap_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "attacker-ca.pem"))
    try:
        append_ratings(outbox, 3)
        assert make_uploader(outbox, peer, tmp_path).sync_once().ok
    finally:
        trap.shutdown()
        trap.server_close()
    assert hits == [] and len(peer.stored) == 3


def test_the_background_thread_uploads_soon_after_notify(outbox, peer, tmp_path):
    uploader = make_uploader(outbox, peer, tmp_path, interval_s=3600, heartbeat_s=3600).start()
    try:
        deadline = time.time() + 10
        while not peer.batches and time.time() < deadline:  # the first heartbeat
            time.sleep(0.02)
        sent = append_ratings(outbox, 3)
        uploader.notify()
        while len(outbox) and time.time() < deadline:
            time.sleep(0.02)
        assert len(outbox) == 0 and {r["id"] for r in sent} <= set(peer.stored)
        with pytest.raises(RuntimeError, match="already running"):
            make_uploader(outbox, peer, tmp_path).start()
    finally:
        uploader.stop()
    assert not uploader.running


def _self_signed(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_is_verified_against_the_configured_ca_bundle_only(outbox, peer, tmp_path, monkeypatch):
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    peer.server.socket = context.wrap_socket(peer.server.socket, server_side=True)
    https_url = peer.url.replace("http://", "https://")
    append_ratings(outbox, 2)
    # The provincial server's CA is not trusted by default, and the environment cannot add it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(cert))
    untrusted = Uploader(outbox, server_url=https_url, token="t", device_dir=tmp_path / "device", timeouts=(2, 5))
    round_ = untrusted.sync_once()
    assert not round_.ok and "could not be verified" in round_.error and len(outbox) == 2
    trusted = Uploader(outbox, server_url=https_url, token="t", device_dir=tmp_path / "device", timeouts=(2, 5),
                       ca_bundle=cert)
    assert trusted.sync_once().ok and len(outbox) == 0


def test_a_damaged_or_far_future_schedule_does_not_park_the_uploader(outbox, peer, tmp_path):
    state_file = tmp_path / "device" / STATE_FILE
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text("{garbage")
    assert make_uploader(outbox, peer, tmp_path).status().failures == 0
    # written when the clock was a year ahead, then the clock was corrected
    state_file.write_text(json.dumps({"failures": "x", "next_attempt_at": time.time() + 365 * 86400}))
    status = make_uploader(outbox, peer, tmp_path).status()
    assert status.failures == 0 and status.next_attempt_at <= time.time() + 3600


def test_a_proxy_is_used_only_when_the_config_names_one(outbox, peer, office_config, tmp_path):
    import dataclasses

    from sync.session import session_for

    paths = []
    ideal = peer.ideal_reply

    def reply(method, path, body, headers):
        paths.append(path)
        return ideal(method, path, body, headers)

    peer.reply = reply
    append_ratings(outbox, 2)
    cfg = dataclasses.replace(office_config, sync=dataclasses.replace(office_config.sync, proxy=peer.url))
    uploader = Uploader(outbox, server_url="http://central.invalid", token="t", device_dir=tmp_path / "device",
                        timeouts=(2, 5), session=session_for(cfg))
    assert uploader.sync_once().ok and len(outbox) == 0
    assert paths == ["http://central.invalid/api/v1/batches"]  # the proxy got the absolute address


def test_without_notify_the_uploader_still_looks_every_interval(outbox, peer, tmp_path):
    uploader = make_uploader(outbox, peer, tmp_path, interval_s=0.2, heartbeat_s=3600).start()
    try:
        sent = append_ratings(outbox, 2)  # an app that forgot to call notify()
        deadline = time.time() + 10
        while len(outbox) and time.time() < deadline:
            time.sleep(0.02)
    finally:
        uploader.stop()
    assert len(outbox) == 0 and {r["id"] for r in sent} <= set(peer.stored)
