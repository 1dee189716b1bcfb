"""The citizen's phone page on the central server, from uploaded ticket records: found by the
token's hash, a changed token is 404, a short code leads there, the place and how fresh it
is, and one rating per ticket across the phone and the tablet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync.citizen.tokens import OfficeKey, format_code, page_fields
from sync.server.models import Rating
from tests.server.serverkit import batch, enroll, rating, statuses, ticket

JSON = {"Accept": "application/json"}
KEY = OfficeKey(b"k" * 32)


@pytest.fixture
def hub_device(client):
    return enroll(client, kind="hub", name="Office hub")


def upload(client, device, *recs):
    assert statuses(client.post("/api/v1/batches", json=batch(list(recs)), headers=device["headers"])) == \
        ["accepted"] * len(recs)


def hub_ticket(number: int, issued: datetime, status="waiting", version=1, ticket_id=None, **changes) -> dict:
    ticket_id = ticket_id or str(uuid.uuid4())
    fields = page_fields(KEY.token(ticket_id), KEY.code(ticket_id))
    return ticket(ticket_id=ticket_id, number=number, status=status, version=version,
                  issued_at=issued.isoformat(timespec="milliseconds"), **fields, **changes)


def finished(record: dict, at: datetime) -> dict:
    return {**record, "id": str(uuid.uuid4()), "version": record["version"] + 1, "status": "finished",
            "counter_id": 1, "clerk_id": "nguyen-van-an", "called_at": (at - timedelta(minutes=6)).isoformat(),
            "served_at": (at - timedelta(minutes=6)).isoformat(), "finished_at": at.isoformat()}


def test_the_centre_serves_the_tickets_page_from_uploaded_records(client, hub_device):
    now = datetime.now(UTC)
    first, second = hub_ticket(1001, now - timedelta(minutes=20)), hub_ticket(1002, now - timedelta(minutes=10))
    upload(client, hub_device, first, second)
    token = KEY.token(second["ticket_id"])
    view = client.get(f"/t/{token}", headers=JSON).json()
    assert {k: view[k] for k in ("number", "status", "ahead", "estimated_wait_min", "counter", "rate_url")} == {
        "number": 1002, "status": "waiting", "ahead": 1, "estimated_wait_min": 4, "counter": None, "rate_url": None}
    assert view["source"] == "centre" and view["events_url"] is None
    assert abs(datetime.fromisoformat(view["as_of"]) - now) < timedelta(minutes=1)  # the hub's upload just now
    page = client.get(f"/t/{token}")
    assert page.status_code == 200 and "Thông tin từ máy chủ tỉnh" in page.text and "1002" in page.text
    assert client.get(f"/t/{token[:-1]}{'b' if token[-1] == 'a' else 'a'}", headers=JSON).status_code == 404
    assert client.get("/t/" + "a" * 24).status_code == 404


def test_the_short_code_typed_at_the_centre_leads_to_the_page(client, hub_device):
    record = hub_ticket(1001, datetime.now(UTC))
    upload(client, hub_device, record)
    code = format_code(KEY.code(record["ticket_id"]))
    found = client.get("/t", params={"code": code.lower()}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"].startswith(f"/t/{KEY.token(record['ticket_id'])}")
    assert client.get("/t", params={"code": "ZZZZZ-ZZZZZ"}).status_code == 404


def test_one_rating_per_ticket_across_phone_and_tablet(client, hub_device, server_app):
    now = datetime.now(UTC)
    waiting = hub_ticket(1001, now - timedelta(minutes=30))
    upload(client, hub_device, waiting)
    token = KEY.token(waiting["ticket_id"])
    early = client.post(f"/t/{token}/rating", json={"score": 3}, headers=JSON)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_served")
    upload(client, hub_device, finished(waiting, now - timedelta(minutes=5)))
    view = client.get(f"/t/{token}", headers=JSON).json()
    assert view["status"] == "finished" and view["rate_url"].endswith(f"/t/{token}/rating")
    assert view["clerk"] == "Nguyễn Văn An" and view["counter"]["id"] == 1

    sent = client.post(f"/t/{token}/rating", json={"score": 1, "reasons": ["thai-do"], "comment": "Cán bộ gắt"},
                       headers=JSON)
    assert sent.status_code == 201, sent.text
    with server_app.state.db.begin() as conn:
        row = conn.execute(select(Rating).where(Rating.ticket_id == waiting["ticket_id"])).scalars().one()
    assert (row.channel, row.clerk_id, row.counter_id, row.score, row.ticket_number) == \
        ("phone", "nguyen-van-an", 1, 1, 1001)
    again = client.post(f"/t/{token}/rating", json={"score": 3}, headers=JSON)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_rated")
    assert "already been rated" in again.json()["error"]["message"]

    tablet = enroll(client)
    late = client.post("/api/v1/batches", headers=tablet["headers"],
                       json=batch([rating(ticket_id=waiting["ticket_id"], score=3)]))
    result = late.json()["results"][0]
    assert result["status"] == "rejected" and result["error"].startswith("ticket_already_rated")
    assert "from the phone" in result["error"]


def test_a_tablet_rating_first_closes_the_phone_rating_but_not_rated_does_not(client, hub_device):
    now = datetime.now(UTC)
    rated_there, skipped_there = (hub_ticket(n, now - timedelta(minutes=40)) for n in (1001, 1002))
    upload(client, hub_device, finished(rated_there, now - timedelta(minutes=9)),
           finished(skipped_there, now - timedelta(minutes=8)))
    tablet = enroll(client)
    unanswered = rating(ticket_id=skipped_there["ticket_id"], score=None, satisfied=None)
    upload(client, tablet, rating(ticket_id=rated_there["ticket_id"]), unanswered)
    token = KEY.token(rated_there["ticket_id"])
    assert client.get(f"/t/{token}", headers=JSON).json()["rate_url"] is None
    refused = client.post(f"/t/{token}/rating", json={"score": 3}, headers=JSON)
    assert refused.status_code == 409
    html = client.post(f"/t/{token}/rating", content="score=3",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert html.status_code == 409 and "Mỗi phiếu chỉ đánh giá một lần" in html.text
    other = KEY.token(skipped_there["ticket_id"])
    assert client.post(f"/t/{other}/rating", json={"score": 3}, headers=JSON).status_code == 201


def test_a_second_rating_in_one_batch_is_refused_and_a_resent_one_is_a_duplicate(client):
    tablet = enroll(client)
    ticket_id = str(uuid.uuid4())
    first, second = rating(ticket_id=ticket_id), rating(ticket_id=ticket_id, created_at="2025-07-01T09:20:00+07:00")
    answer = client.post("/api/v1/batches", headers=tablet["headers"], json=batch([second, first])).json()["results"]
    assert [r["status"] for r in answer] == ["rejected", "accepted"]
    assert statuses(client.post("/api/v1/batches", headers=tablet["headers"], json=batch([first]))) == ["duplicate"]


def test_the_rating_window_closes(client, hub_device):
    long_ago = datetime.now(UTC) - timedelta(days=4)
    record = hub_ticket(1001, long_ago)
    upload(client, hub_device, finished(record, long_ago + timedelta(minutes=20)))
    token = KEY.token(record["ticket_id"])
    assert client.get(f"/t/{token}", headers=JSON).json()["rate_url"] is None
    closed = client.post(f"/t/{token}/rating", json={"score": 3}, headers=JSON)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "rating_closed")
