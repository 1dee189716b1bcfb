"""What the server says about records is true: identity on meaning, no false quarantine,
derived ``satisfied``, per-record refusal of unstorable text, and real conflicts decided by
an admin on the devices page (audited)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from sync.server.models import Device, Quarantine, Rating, Ticket, TicketRecord
from tests.server.dashkit import OFFICE_A, csrf_of, dash  # noqa: F401 - fixture
from tests.server.serverkit import batch, rating, statuses, ticket


def _post(client, headers, recs, **extra):
    return client.post("/api/v1/batches", json=batch(recs, **extra), headers=headers)


def test_a_resend_with_a_new_seq_is_a_duplicate_not_a_conflict(client, device):
    first = rating()
    assert statuses(_post(client, device["headers"], [first])) == ["accepted"]
    again = dict(first, seq=first["seq"] + 1000)  # the same state, queued again after a restart
    assert statuses(_post(client, device["headers"], [again])) == ["duplicate"]
    snapshot = ticket()
    assert statuses(_post(client, device["headers"], [snapshot])) == ["accepted"]
    assert statuses(_post(client, device["headers"], [dict(snapshot, seq=snapshot["seq"] + 7)])) == ["duplicate"]
    with client.app.state.db.session() as s:
        assert s.scalars(select(Quarantine)).all() == []


def test_ticket_identity_is_ticket_and_version(client, device):
    v1 = ticket()
    assert statuses(_post(client, device["headers"], [v1])) == ["accepted"]
    v2 = dict(v1, id=str(uuid.uuid4()), version=2, status="called", called_at="2025-07-01T08:05:00+07:00",
              counter_id=1)
    assert statuses(_post(client, device["headers"], [v2])) == ["accepted"]  # a later version: an update
    same_state_other_id = dict(v2, id=str(uuid.uuid4()), seq=v2["seq"] + 1)
    assert statuses(_post(client, device["headers"], [same_state_other_id])) == ["duplicate"]
    v3 = dict(v2, id=str(uuid.uuid4()), version=3, status="finished", served_at="2025-07-01T08:06:00+07:00",
              finished_at="2025-07-01T08:10:00+07:00", clerk_id="nguyen-van-an")
    twice_in_one_batch = [v3, dict(v3, id=str(uuid.uuid4()), seq=v3["seq"] + 1)]
    assert statuses(_post(client, device["headers"], twice_in_one_batch)) == ["accepted", "duplicate"]
    conflict = dict(v2, id=str(uuid.uuid4()), status="waiting", called_at=None, counter_id=None)
    answer = _post(client, device["headers"], [conflict])
    assert statuses(answer) == ["rejected"] and "conflict" in answer.json()["results"][0]["error"]
    with client.app.state.db.session() as s:
        assert s.scalars(select(Ticket).where(Ticket.ticket_id == v1["ticket_id"])).one_or_none().version == 3 and s.scalars(select(Ticket).where(Ticket.ticket_id == v1["ticket_id"])).one_or_none().status == "finished"
        assert s.scalar(select(func.count()).select_from(TicketRecord)) == 3
        assert len(s.scalars(select(Quarantine)).all()) == 1


def test_text_the_database_cannot_store_is_refused_per_record_and_the_rest_is_stored(client, device):
    good, broken = rating(), rating(score=1, satisfied=False, comment="Ch\ud800o")
    answer = client.post("/api/v1/batches", headers={**device["headers"], "Content-Type": "application/json"},
                         content=__import__("json").dumps(batch([good, broken])).encode())
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert "comment: contains a broken character (a lone UTF-16 surrogate, U+D800, at position 3)" in results[1]["error"]
    with client.app.state.db.session() as s:
        assert s.scalars(select(Rating).where(Rating.id == good["id"])).one_or_none() is not None and s.scalars(select(Rating).where(Rating.id == broken["id"])).one_or_none() is None


def test_the_server_derives_satisfied_from_score_and_scale_and_counts_disagreements(client, device):
    wrong = [rating(score=1, satisfied=True), rating(score=3, scale=5, satisfied=True),
             rating(score=4, scale=5, satisfied=False)]
    right = rating(score=2, satisfied=True)
    assert statuses(_post(client, device["headers"], [*wrong, right])) == ["accepted"] * 4
    with client.app.state.db.session() as s:
        assert [s.scalars(select(Rating).where(Rating.id == r["id"])).one_or_none().satisfied for r in [*wrong, right]] == [False, False, True, True]
        assert s.get(Device, device["device_id"]).satisfied_disagreements == 3
    assert statuses(_post(client, device["headers"], [dict(wrong[0], satisfied=False)])) == ["duplicate"]


def test_the_device_reports_its_backlog_and_quarantine_as_of_each_upload(client, device):
    _post(client, device["headers"], [rating()], pending=4, quarantined=1)
    with client.app.state.db.session() as s:
        row = s.get(Device, device["device_id"])
        assert (row.pending, row.quarantined) == (4, 1) and row.last_seen_at is not None
    _post(client, device["headers"], [], pending=0, quarantined=0)  # the idle heartbeat
    with client.app.state.db.session() as s:
        assert (s.get(Device, device["device_id"]).pending, s.get(Device, device["device_id"]).quarantined) == (0, 0)


def test_a_true_conflict_is_shown_on_the_devices_page_and_decided_with_an_audit(dash):  # noqa: F811
    headers = dash.devices[(OFFICE_A, "tablet")]["headers"]
    stored, other = rating(comment="rất tốt"), rating(comment="ổn")
    assert statuses(_post(dash.client, headers, [stored, other])) == ["accepted", "accepted"]
    changed = dict(stored, comment="một bình luận khác", score=1)
    answer = _post(dash.client, headers, [changed])
    assert statuses(answer) == ["rejected"] and "conflict" in answer.json()["results"][0]["error"]
    admin = dash.login("tinh")
    page = admin.get("/dashboard/devices").text
    assert "Bản ghi bị giữ lại (xung đột)" in page and stored["id"] in page and "một bình luận khác" in page
    assert "Có bản ghi bị giữ lại" in page
    with dash.app.state.db.session() as s:
        entry = s.scalars(select(Quarantine)).one()
    done = admin.post(f"/dashboard/quarantine/{entry.id}/accept", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200 and f"Đã chấp nhận bản ghi {stored['id']}" in done.text
    with dash.app.state.db.session() as s:
        assert s.scalars(select(Rating).where(Rating.id == stored["id"])).one_or_none().comment == "một bình luận khác" and s.scalars(select(Rating).where(Rating.id == stored["id"])).one_or_none().score == 1
        decided = s.get(Quarantine, entry.id)
        assert (decided.resolution, decided.resolved_by) == ("accepted", "tinh") and decided.resolved_at
    assert "Không có bản ghi nào bị giữ lại." in admin.get("/dashboard/devices").text
    again = admin.post(f"/dashboard/quarantine/{entry.id}/discard", data={"csrf_token": csrf_of(page)})
    assert "already accepted by tinh" in again.text
    # discard keeps the stored record
    second = dict(other, comment="khác nữa")
    _post(dash.client, headers, [second])
    with dash.app.state.db.session() as s:
        entry = s.scalars(select(Quarantine).where(Quarantine.resolution.is_(None))).one()
    admin.post(f"/dashboard/quarantine/{entry.id}/discard", data={"csrf_token": csrf_of(page)})
    with dash.app.state.db.session() as s:
        assert s.scalars(select(Rating).where(Rating.id == second["id"])).one_or_none().comment == "ổn"
        assert s.get(Quarantine, entry.id).resolution == "discarded"


def test_a_client_that_drops_mid_body_is_one_warning_line_not_a_traceback(office_config, tmp_path, caplog):
    import logging
    import socket

    from tests.central import Central

    from sync.enrollment import enroll

    central = Central(office_config, f"sqlite:///{tmp_path / 'central.db'}")
    try:
        token = enroll(central.url, central.code("tablet", "Quầy 1"), tmp_path / "device").token.encode()
        with caplog.at_level(logging.WARNING, logger="sync.api"):
            sock = socket.create_connection(("127.0.0.1", central.port))
            sock.sendall(b"POST /api/v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"batch_id\": ")
            sock.close()
            deadline = __import__("time").monotonic() + 10
            while not any("disconnected" in r.getMessage() for r in caplog.records):
                assert __import__("time").monotonic() < deadline, caplog.text
                __import__("time").sleep(0.05)
        server_lines = [r for r in caplog.records if r.name == "sync.api"]
        assert len(server_lines) == 1 and server_lines[0].levelno == logging.WARNING
        assert server_lines[0].exc_info is None and "unexpected" not in caplog.text
    finally:
        central.close()
