"""Batch upload: what devices send is stored once, bad records are refused one by one, and
nothing a device sends can make the server lose data or count a rating twice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import func, select

from sync.server.models import Device, Quarantine, Rating, Ticket, TicketRecord
from tests.server.serverkit import batch, rating, statuses, ticket


def _count(app, model) -> int:
    with app.state.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_good_ratings_are_stored_with_the_office_local_date_and_the_uploading_device(client, device):
    recs = [rating(), rating(score=1, satisfied=False, reasons=["thai-do"], comment="Chờ quá lâu"),
            rating(score=None, satisfied=None, created_at="2025-07-01T23:30:00+00:00")]
    answer = client.post("/api/v1/batches", json=batch(recs), headers=device["headers"])
    assert statuses(answer) == ["accepted"] * 3
    assert [r["id"] for r in answer.json()["results"]] == [r["id"] for r in recs]
    with client.app.state.db.session() as s:
        stored = {r.id: r for r in s.scalars(select(Rating))}
    first, low, unrated = (stored[r["id"]] for r in recs)
    assert first.device_id == device["device_id"] and first.source_device_id == "tablet-local-1"
    assert first.local_date == date(2025, 7, 1) and first.local_hour == 9
    assert first.created_at == datetime(2025, 7, 1, 2, 15, tzinfo=UTC)
    assert json.loads(low.reasons) == ["thai-do"] and low.comment == "Chờ quá lâu" and low.satisfied is False
    # 23:30 UTC is 06:30 the next morning in Hanoi: the office's day, not the server's.
    assert unrated.local_date == date(2025, 7, 2) and unrated.local_hour == 6
    assert unrated.score is None and unrated.satisfied is None


def test_a_batch_sent_twice_is_answered_duplicate_and_counted_once(client, device):
    body = batch([rating() for _ in range(5)])
    assert statuses(client.post("/api/v1/batches", json=body, headers=device["headers"])) == ["accepted"] * 5
    again = dict(body, batch_id=str(uuid.uuid4()))
    assert statuses(client.post("/api/v1/batches", json=again, headers=device["headers"])) == ["duplicate"] * 5
    assert _count(client.app, Rating) == 5


def test_two_ratings_of_one_ticket_in_a_batch_keep_the_earlier_and_a_resent_winner_stays_a_duplicate(client, device):
    ticket_id = str(uuid.uuid4())
    later = rating(ticket_id=ticket_id, created_at="2025-07-01T09:20:00+07:00")
    earlier = rating(ticket_id=ticket_id, created_at="2025-07-01T09:15:00+07:00")
    answer = client.post("/api/v1/batches", json=batch([later, earlier]), headers=device["headers"])
    assert statuses(answer) == ["rejected", "accepted"]
    assert "ticket_already_rated" in answer.json()["results"][0]["error"]
    assert "from the tablet" in answer.json()["results"][0]["error"]
    again = client.post("/api/v1/batches", json=batch([earlier, rating(ticket_id=ticket_id)]), headers=device["headers"])
    assert statuses(again) == ["duplicate", "rejected"]
    assert _count(client.app, Rating) == 1


def test_each_bad_record_is_rejected_with_its_reason_while_the_good_ones_are_stored(client, device):
    good = [rating(), rating()]
    bad = [
        rating(colour="blue"),                      # unknown field
        rating(score="3"),                          # wrong type
        rating(score=0),                            # impossible value
        rating(counter_id=9),                       # no such counter in this office
        rating(service_id="thue"),                  # no such service
        rating(office_id="xa-khac"),                # another office
        {"kind": "rating"},                         # nothing else
        "not a record",
    ]
    answer = client.post("/api/v1/batches", json=batch([good[0], *bad, good[1]]), headers=device["headers"])
    results = answer.json()["results"]
    assert statuses(answer) == ["accepted"] + ["rejected"] * len(bad) + ["accepted"]
    errors = [r["error"] for r in results[1:-1]]
    assert "colour: unknown field" in errors[0]
    assert errors[1].startswith("score: expected an integer")
    assert "score: expected an integer 1..10, found 0" in errors[2]
    assert "counter_id: office 'phuong-ben-thanh' has no counter 9 (known: 1, 2, 3, 4)" in errors[3]
    assert "service_id: office 'phuong-ben-thanh' has no service 'thue'" in errors[4]
    assert "office_id: this device belongs to office 'phuong-ben-thanh', the record claims 'xa-khac'" in errors[5]
    assert "id: missing" in errors[6]
    assert results[7]["id"] is None and "expected a JSON object" in errors[7]
    assert _count(client.app, Rating) == 2


def test_the_same_id_with_different_content_is_a_conflict_kept_in_quarantine(client, device):
    original = rating(score=3)
    assert statuses(client.post("/api/v1/batches", json=batch([original]), headers=device["headers"])) == ["accepted"]
    tampered = dict(original, score=1, satisfied=False)
    answer = client.post("/api/v1/batches", json=batch([tampered]), headers=device["headers"])
    assert statuses(answer) == ["rejected"]
    assert "conflict" in answer.json()["results"][0]["error"]
    with client.app.state.db.session() as s:
        assert s.scalars(select(Rating).where(Rating.id == original["id"])).one().score == 3
        kept = s.scalars(select(Quarantine)).one()
    assert kept.record_id == original["id"] and kept.device_id == device["device_id"]
    assert json.loads(kept.payload)["score"] == 1


def test_repeats_inside_one_batch_are_duplicates_or_conflicts(client, device):
    rec = rating()
    answer = client.post("/api/v1/batches", json=batch([rec, dict(rec), dict(rec, score=2)]),
                         headers=device["headers"])
    assert statuses(answer) == ["accepted", "duplicate", "rejected"]
    assert _count(client.app, Rating) == 1 and _count(client.app, Quarantine) == 1


def test_ticket_snapshots_in_any_order_leave_the_latest_state_with_wait_and_service_times(client, device):
    tid = str(uuid.uuid4())
    waiting = ticket(ticket_id=tid, version=1)
    called = ticket(ticket_id=tid, version=2, status="called", counter_id=2, called_at="2025-07-01T08:12:00+07:00")
    finished = ticket(ticket_id=tid, version=4, status="finished", counter_id=2, clerk_id="tran-thi-binh",
                      called_at="2025-07-01T08:12:00+07:00", served_at="2025-07-01T08:13:00+07:00",
                      finished_at="2025-07-01T08:21:30+07:00")
    serving = ticket(ticket_id=tid, version=3, status="serving", counter_id=2,
                     called_at="2025-07-01T08:12:00+07:00", served_at="2025-07-01T08:13:00+07:00")
    assert statuses(client.post("/api/v1/batches", json=batch([finished, waiting]),
                                headers=device["headers"])) == ["accepted"] * 2
    assert statuses(client.post("/api/v1/batches", json=batch([serving, called, finished]),
                                headers=device["headers"])) == ["accepted", "accepted", "duplicate"]
    with client.app.state.db.session() as s:
        row = s.scalars(select(Ticket).where(Ticket.ticket_id == tid)).one()
        assert s.scalar(select(func.count()).select_from(TicketRecord)) == 4
    assert (row.version, row.status, row.clerk_id, row.counter_id) == (4, "finished", "tran-thi-binh", 2)
    assert row.wait_s == 12 * 60 and row.service_s == 8 * 60 + 30
    assert row.local_date == date(2025, 7, 1) and row.local_hour == 8


def test_a_ticket_for_an_unknown_service_is_rejected(client, device):
    answer = client.post("/api/v1/batches", json=batch([ticket(service_id="khong-co")]), headers=device["headers"])
    assert statuses(answer) == ["rejected"]
    assert "service_id" in answer.json()["results"][0]["error"]


def test_a_heartbeat_records_last_seen_backlog_version_and_clock_skew(client, device):
    sent = (datetime.now(UTC) - timedelta(seconds=90)).astimezone(timezone(timedelta(hours=7)))
    answer = client.post("/api/v1/batches", headers=device["headers"], json={
        "batch_id": str(uuid.uuid4()), "sent_at": sent.isoformat(), "records": [], "pending": 17,
        "app_version": "tablet 0.1.0"})
    assert answer.status_code == 200 and answer.json() == {"results": []}
    with client.app.state.db.session() as s:
        row = s.get(Device, device["device_id"])
    assert row.pending == 17 and row.app_version == "tablet 0.1.0"
    assert 89 <= row.clock_skew_s <= 120
    assert (datetime.now(UTC) - row.last_seen_at).total_seconds() < 60
