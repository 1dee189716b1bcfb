"""The citizen's phone page on the office hub: the ticket's own address, its live place, one
rating per ticket across tablet and phone, abuse limits, and a token no other answer shows."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from kiosk.hub import OfficeHub
from tests.kiosk.conftest import PINS, auth
from tests.kiosk.hub.sse import EventReader

JSON = {"Accept": "application/json"}


@pytest.fixture
def clocked_hub(office_config, tmp_path, outbox, clock):
    office_hub = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0, ping_interval_s=0.5,
                           clock=clock)
    office_hub.start()
    yield office_hub
    office_hub.close()


@pytest.fixture
def phone(clocked_hub):
    with httpx.Client(base_url=clocked_hub.base_url, timeout=10) as client:
        yield client


def issue(client, service="ho-tich") -> dict:
    response = client.post("/api/v1/tickets", json={"service_id": service})
    assert response.status_code == 201, response.text
    return response.json()


def serve(client, counter_id=1, clerk="nguyen-van-an", finish=True) -> None:
    client.post(f"/api/v1/counters/{counter_id}/login", json={"clerk_id": clerk, "pin": PINS[clerk]},
                headers=auth(counter_id)).raise_for_status()
    client.post(f"/api/v1/counters/{counter_id}/call-next", headers=auth(counter_id)).raise_for_status()
    if finish:
        client.post(f"/api/v1/counters/{counter_id}/finish", headers=auth(counter_id)).raise_for_status()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_issuing_answers_the_absolute_address_of_the_tickets_page_and_it_says_where_the_ticket_is(phone,
                                                                                                clocked_hub):
    first, second = issue(phone), issue(phone)
    url = second["citizen_url"]
    assert url.startswith(clocked_hub.config.citizen_base_url + "/t/") and len(url.rsplit("/", 1)[1]) == 24
    assert first["citizen_url"] != url
    view = phone.get(path_of(url), headers=JSON).json()
    assert {k: view[k] for k in ("number", "status", "ahead", "estimated_wait_min", "counter", "rate_url")} == {
        "number": 1002, "status": "waiting", "ahead": 1, "estimated_wait_min": 4, "counter": None, "rate_url": None}
    assert view["service"]["vi"] == "Hộ tịch" and view["source"] == "hub"
    serve(phone, finish=False)  # 1001 is called: 1002 is next
    view = phone.get(path_of(url), headers=JSON).json()
    assert (view["status"], view["ahead"]) == ("waiting", 0)
    assert phone.get(path_of(first["citizen_url"]), headers=JSON).json()["counter"] == {
        "id": 1, "name": {"vi": "Quầy 1", "en": "Counter 1"}}


def test_a_changed_token_is_not_found(phone):
    url = path_of(issue(phone)["citizen_url"])
    changed = url[:-1] + ("a" if url[-1] != "a" else "b")
    for target in (changed, url + "x", url[:-1], "/t/" + "a" * 24):
        response = phone.get(target, headers=JSON)
        assert response.status_code == 404, target
    html = phone.get(changed)
    assert html.status_code == 404 and "Không tìm thấy phiếu này" in html.text


def test_the_token_appears_in_no_other_answer_of_the_hub(phone, clocked_hub):
    events = EventReader(clocked_hub.base_url)
    try:
        events.next("state")
        ticket = issue(phone)
        token = ticket["citizen_url"].rsplit("/", 1)[1]
        code = ticket["citizen_code"].replace("-", "")
        serve(phone)
        events.next("finished")
        seen = [phone.get(p).text for p in ("/api/v1/state", "/api/v1/counters/1", "/display", "/console",
                                            "/static/display.js", "/static/console.js")]
        while not events.events.empty():
            seen.append(json.dumps(events.events.get()[1]))
    finally:
        events.close()
    for text in seen:
        assert token not in text and code not in text


def test_a_finished_ticket_is_rated_once_from_the_phone_naming_the_clerk(phone, clocked_hub, outbox):
    url = path_of(issue(phone)["citizen_url"])
    early = phone.post(url + "/rating", json={"score": 3}, headers=JSON)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_served")
    serve(phone)
    view = phone.get(url, headers=JSON).json()
    assert view["status"] == "finished" and view["rate_url"].endswith(url + "/rating")
    assert view["clerk"] == "Nguyễn Văn An"
    answer = phone.post(path_of(view["rate_url"]), headers=JSON,
                        json={"score": 1, "reasons": ["cho-lau"], "comment": "Chờ lâu quá", "lang": "vi"})
    assert answer.status_code == 201, answer.text
    rating = [r for r in outbox.pending() if r["kind"] == "rating"]
    assert len(rating) == 1
    assert {k: rating[0][k] for k in ("channel", "clerk_id", "counter_id", "ticket_number", "score", "scale",
                                      "satisfied", "reasons", "comment", "service_id")} == {
        "channel": "phone", "clerk_id": "nguyen-van-an", "counter_id": 1, "ticket_number": 1001, "score": 1,
        "scale": 3, "satisfied": False, "reasons": ["cho-lau"], "comment": "Chờ lâu quá", "service_id": "ho-tich"}
    again = phone.post(url + "/rating", json={"score": 3}, headers=JSON)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    assert "already been rated" in again.json()["error"]["message"]
    assert phone.get(url, headers=JSON).json()["rate_url"] is None


def test_a_ticket_the_tablet_rated_cannot_be_rated_from_the_phone_and_the_tablet_hears_of_a_phone_rating(
        phone, clocked_hub):
    events = EventReader(clocked_hub.base_url)
    try:
        first, second = issue(phone), issue(phone)
        serve(phone)
        ticket_id = first["id"]
        told = phone.post("/api/v1/counters/1/rated", json={"ticket_id": ticket_id}, headers=auth(1))
        assert told.json() == {"ticket_id": ticket_id, "first": True}
        assert events.next("rated")[0] == {"counter_id": 1, "ticket_id": ticket_id, "channel": "tablet"}
        refused = phone.post(path_of(first["citizen_url"]) + "/rating", json={"score": 2}, headers=JSON)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "already_rated")
        assert phone.post("/api/v1/counters/1/rated", json={"ticket_id": ticket_id}).status_code == 401
        assert phone.post("/api/v1/counters/1/rated", json={"ticket_id": "junk"}, headers=auth(1)).status_code == 400

        phone.post("/api/v1/counters/1/call-next", headers=auth(1)).raise_for_status()
        phone.post("/api/v1/counters/1/finish", headers=auth(1)).raise_for_status()
        assert phone.post(path_of(second["citizen_url"]) + "/rating", json={"score": 3},
                          headers=JSON).status_code == 201
        assert events.next("rated", where=lambda d: d["channel"] == "phone")[0]["ticket_id"] == second["id"]
    finally:
        events.close()


def test_no_show_and_cancelled_tickets_cannot_be_rated_and_the_window_closes(phone, clocked_hub, clock):
    gone = issue(phone)
    serve(phone, finish=False)
    phone.post("/api/v1/counters/1/no-show", headers=auth(1)).raise_for_status()
    view = phone.get(path_of(gone["citizen_url"]), headers=JSON).json()
    assert (view["status"], view["rate_url"]) == ("no_show", None)
    assert phone.post(path_of(gone["citizen_url"]) + "/rating", json={"score": 3}, headers=JSON).status_code == 409

    served, never = issue(phone), issue(phone)
    phone.post("/api/v1/counters/1/call-next", headers=auth(1)).raise_for_status()
    phone.post("/api/v1/counters/1/finish", headers=auth(1)).raise_for_status()
    clock.advance(days=1)  # the day closes: the ticket never called is cancelled
    clocked_hub.engine.tick()
    view = phone.get(path_of(never["citizen_url"]), headers=JSON).json()
    assert (view["status"], view["rate_url"]) == ("no_show", None)
    assert phone.get(path_of(served["citizen_url"]), headers=JSON).json()["rate_url"]  # still in the window
    clock.advance(days=2, minutes=1)
    late = phone.post(path_of(served["citizen_url"]) + "/rating", json={"score": 3}, headers=JSON)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "rating_closed")


def test_a_bad_rating_is_refused_with_the_field_named(phone):
    url = path_of(issue(phone)["citizen_url"])
    serve(phone)
    for body, words in [({"score": 9}, "score must be a whole number 1..3"),
                        ({"score": 1, "reasons": ["made-up"]}, "reasons must be a list of these codes"),
                        ({"score": 1, "comment": "x" * 501}, "longer than 500"),
                        ({"score": 3, "clerk_id": "someone-else"}, "unknown field 'clerk_id'")]:
        response = phone.post(url + "/rating", json=body, headers=JSON)
        assert response.status_code == 400 and words in response.json()["error"]["message"], (body, response.text)
    assert phone.post(url + "/rating", content=b"{nope", headers={**JSON, "Content-Type": "application/json"}
                      ).status_code == 400


def test_without_javascript_the_plain_form_rates_and_the_page_reads_in_both_languages(phone):
    url = path_of(issue(phone)["citizen_url"])
    page = phone.get(url)
    assert page.status_code == 200 and "Bạn là người tiếp theo" in page.text
    assert '<meta http-equiv="refresh" content="30">' in page.text  # inside <noscript>
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "You are next" in phone.get(url + "?lang=en").text
    assert "Bạn là người tiếp theo" in phone.get(url, headers={"Accept-Language": "en-US"}).text  # office's first
    serve(phone)
    sent = phone.post(url + "/rating", content="score=1&reason=thai-do&reason=cho-lau&comment=T%E1%BB%87&lang=vi",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 201 and "Cảm ơn bạn đã đánh giá!" in sent.text
    twice = phone.post(url + "/rating", content="score=3", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert twice.status_code == 409 and "Mỗi phiếu chỉ đánh giá một lần" in twice.text


def test_the_short_code_leads_to_the_page_and_guessing_is_limited(phone):
    ticket = issue(phone)
    code = ticket["citizen_code"]
    assert len(code) == 11 and code[5] == "-"
    form = phone.get("/t")
    assert form.status_code == 200 and 'name="code"' in form.text
    typed = code.lower().replace("-", " ").replace("0", "o")
    found = phone.get("/t", params={"code": typed})
    assert found.status_code == 303 and found.headers["location"].startswith(path_of(ticket["citizen_url"]))
    miss = phone.get("/t", params={"code": "ZZZZZ-ZZZZZ"})
    assert miss.status_code == 404 and "Không tìm thấy phiếu với mã này" in miss.text
    misses = [phone.get("/t", params={"code": "ZZZZZ-ZZZZZ"}).status_code for _ in range(10)]
    assert misses[:8] == [404] * 8 and misses[-1] == 429  # 10 tries per 10 minutes from one address


def test_ratings_are_limited_per_token(phone):
    url = path_of(issue(phone)["citizen_url"])
    codes = [phone.post(url + "/rating", json={"score": 3}, headers=JSON).status_code for _ in range(7)]
    assert codes[:5] == [409] * 5 and codes[5:] == [429, 429]


def test_the_page_follows_the_ticket_over_server_sent_events(phone, clocked_hub):
    ticket = issue(phone)
    got: list[dict] = []
    done = threading.Event()

    def follow():
        with httpx.Client(base_url=clocked_hub.base_url, timeout=httpx.Timeout(10, read=None)) as client:
            with client.stream("GET", path_of(ticket["citizen_url"]) + "/events") as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        got.append(json.loads(line[6:]))
                        if got[-1]["status"] == "finished":
                            done.set()
                            return

    threading.Thread(target=follow, daemon=True).start()
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    issue(phone)  # someone behind: nothing changes for this ticket, no event
    serve(phone)
    assert done.wait(5)
    assert [v["status"] for v in got] == ["waiting", "called", "finished"]
    assert got[1]["counter"]["id"] == 1 and got[2]["rate_url"]


def test_after_a_restart_the_page_and_the_rating_record_survive(office_config, tmp_path, outbox):
    hub = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0)
    hub.start()
    with httpx.Client(base_url=hub.base_url, timeout=10) as client:
        url = path_of(issue(client)["citizen_url"])
        serve(client)
        assert client.post(url + "/rating", json={"score": 2}, headers=JSON).status_code == 201
    hub.close()
    again = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0)
    again.start()
    try:
        with httpx.Client(base_url=again.base_url, timeout=10) as client:
            view = client.get(url, headers=JSON).json()
            assert (view["status"], view["rated"], view["rate_url"]) == ("finished", True, None)
            assert client.post(url + "/rating", json={"score": 1}, headers=JSON).status_code == 409
    finally:
        again.close()
    tickets = [r for r in outbox.pending() if r["kind"] == "ticket"]
    assert tickets and all(len(r["token_hash"]) == 64 and len(r["code_hash"]) == 64 for r in tickets)
