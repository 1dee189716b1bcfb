"""Alerts raised at ingest, through the real upload API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from sync.server.models import AlertRating, CaseEvent, Notification, RatingContact
from tests.server.alerts.conftest import HANOI, recent


def test_four_unhappy_in_fifteen_minutes_open_one_burst_alert_listing_counters_and_clerks(kit):
    t = recent(30)
    kit.upload([kit.rating(t, 1, reasons=["cho-lau"]), kit.rating(t + timedelta(minutes=2), 1, counter=2,
                                                                    clerk="tran-thi-binh", reasons=["cho-lau"])])
    assert kit.alerts() == []
    kit.upload([kit.rating(t + timedelta(minutes=5), 1, reasons=["huong-dan"]),
                kit.rating(t + timedelta(minutes=9), 1, reasons=["cho-lau"])])
    (alert,) = kit.alerts()
    assert (alert.rule, alert.status, alert.late) == ("burst", "open", True)  # recorded 21–30 min before upload
    details = json.loads(alert.details)
    assert details["counters"] == [1, 2] and details["clerks"] == ["nguyen-van-an", "tran-thi-binh"]
    assert "4 trên 4" in alert.summary and "Trần Thị Bình" in alert.summary
    # a fifth unhappy answer joins the open alert instead of opening a second one
    kit.upload([kit.rating(t + timedelta(minutes=11), 1, reasons=["cho-lau"])])
    assert len(kit.alerts()) == 1
    with kit.app.state.db.engine.connect() as conn:
        assert len(conn.execute(select(AlertRating).where(AlertRating.alert_id == alert.id)).all()) == 5


def test_a_fresh_upload_is_not_late(kit):
    t = recent(3)
    kit.upload([kit.rating(t + timedelta(seconds=i), 1, reasons=["cho-lau"]) for i in range(4)])
    assert [a.late for a in kit.alerts()] == [False]


def test_a_late_upload_opens_the_alert_on_recorded_times(kit):
    morning = recent(6 * 60)
    kit.upload([kit.rating(morning + timedelta(minutes=i), 1, reasons=["cho-lau"]) for i in range(4)])
    (alert,) = kit.alerts()
    assert alert.late and abs(alert.first_at - morning) < timedelta(seconds=1)


def test_misuse_flagged_presses_do_not_make_a_burst(kit):
    t = recent(10)
    kit.upload([kit.rating(t, 1, reasons=["cho-lau"])] +
               [kit.rating(t + timedelta(seconds=5 * i), 1, reasons=["cho-lau"], misuse=True) for i in range(1, 6)])
    assert kit.alerts() == []


def test_satisfied_answers_recorded_between_unhappy_ones_keep_the_window_below_half(kit):
    """Four unhappy answers 30 s apart with three satisfied ones recorded at one instant between
    each two (counted per recorded time by the database): no window of four or more answers
    reaches half. Two more unhappy answers at the first of those instants make one."""
    t = recent(20)
    kit.upload([kit.rating(t + timedelta(seconds=15 + 30 * (i % 3)), 3) for i in range(9)])
    kit.upload([kit.rating(t + timedelta(seconds=30 * i), 1, reasons=["cho-lau"]) for i in range(4)])
    assert kit.alerts() == []
    kit.upload([kit.rating(t + timedelta(seconds=15), 1, reasons=["cho-lau"]) for _ in range(2)])
    (alert,) = kit.alerts()
    assert "3 trên 6" in alert.summary  # from the first unhappy answer to the instant of the new ones


def test_a_resent_batch_raises_nothing_twice(kit):
    t = recent(10)
    batch = [kit.rating(t + timedelta(minutes=i), 1, reasons=["cho-lau"]) for i in range(4)]
    kit.upload(batch)
    assert [r["status"] for r in kit.upload(batch)] == ["duplicate"] * 4
    assert len(kit.alerts()) == 1


def test_severe_rating_alerts_alone_and_once(kit):
    r = kit.rating(recent(1), 1, reasons=["thai-do"])
    commented = kit.rating(recent(1), 1, comment="Chờ quá lâu")
    kit.upload([r, commented, kit.rating(recent(1), 3)])
    alerts = kit.alerts()
    assert [a.rule for a in alerts] == ["severe", "severe"]
    with kit.app.state.db.engine.connect() as conn:
        for alert, rating in zip(sorted(alerts, key=lambda a: a.dedup_key), sorted([r, commented], key=lambda x: x["id"])):
            links = conn.execute(select(AlertRating.rating_id).where(AlertRating.alert_id == alert.id)).scalars().all()
            assert alert.dedup_key == rating["id"] and links == [rating["id"]]
            assert [e.action for e in conn.execute(select(CaseEvent).where(CaseEvent.alert_id == alert.id))] == ["opened"]
            channels = conn.execute(select(Notification.channel).where(Notification.alert_id == alert.id)).scalars()
            assert sorted(channels) == ["email", "webhook"]
    kit.upload([r])
    assert len(kit.alerts()) == 2


def test_contact_number_is_kept_apart_from_the_rating(kit):
    kit.upload([kit.rating(recent(1), 1, reasons=["cho-lau"], phone="0912345678")])
    with kit.app.state.db.engine.connect() as conn:
        (contact,) = conn.execute(select(RatingContact)).all()
        assert contact.phone == "0912345678" and "đồng ý" in contact.consent
        columns = conn.exec_driver_sql("SELECT * FROM ratings").keys()
        assert not any("phone" in c or "contact" in c for c in columns)


def test_a_clerk_below_target_over_thirty_days_raises_a_trend_alert_once(kit):
    start = recent(60 * 24 * 5)
    # 30 answers, 21 satisfied (70 %): the Wilson bound ~0.52 < 0.8; spread far apart (no burst)
    recs = [kit.rating(start + timedelta(hours=3 * i), 3 if i % 10 < 7 else 2 if i % 10 < 7 else 1,
                       reasons=[] if i % 10 < 7 else ["cho-lau"]) for i in range(30)]
    kit.upload(recs[:29])
    assert kit.alerts() == []  # 29 < the ranking's minimum of 30
    kit.upload(recs[29:])
    (alert,) = kit.alerts()
    assert alert.rule == "trend" and alert.clerk_id == "nguyen-van-an"
    kit.upload([kit.rating(recent(1), 3)])
    assert len(kit.alerts()) == 1  # one open trend alert per clerk
    from sync.server.alerts import cases

    with kit.app.state.db.begin() as s:
        cases.close(s.connection(), alert.id, cases.Actor(None, "tinh", "province_admin", None), "dismissed",
                    "đã nhắc nhở")
    kit.upload([kit.rating(recent(1), 2)])
    assert len(kit.alerts()) == 1  # not again within the trend period it judged
    # a backlog from before the period, of a clerk with nothing in it: judged on nothing, stored
    old = kit.upload([kit.rating(recent(60 * 24 * 40), 3, clerk="tran-thi-binh")])
    assert [r["status"] for r in old] == ["accepted"] and len(kit.alerts()) == 1


def _finished_tickets(kit, day, counter: int, n: int):
    import uuid as _uuid

    from sync import records
    from tests.server.serverkit import enroll

    hub = enroll(kit.client, kind="hub", name="Máy chủ phường")
    recs = []
    for i in range(n):
        issued = datetime.combine(day, time(8, i), HANOI)
        recs.append(records.new_ticket(
            office_id="phuong-ben-thanh", device_id="hub-1", seq=i + 1, ticket_id=str(_uuid.uuid4()), version=4,
            number=1001 + i, service_id="ho-tich", priority=False, status="finished", issued_at=issued.isoformat(),
            called_at=(issued + timedelta(minutes=5)).isoformat(),
            served_at=(issued + timedelta(minutes=6)).isoformat(),
            finished_at=(issued + timedelta(minutes=12)).isoformat(), counter_id=counter, clerk_id="nguyen-van-an"))
    answer = kit.client.post("/api/v1/batches", headers=hub["headers"], json={
        "batch_id": str(_uuid.uuid4()), "sent_at": records.now_iso(), "records": recs})
    assert answer.status_code == 200 and {r["status"] for r in answer.json()["results"]} == {"accepted"}


def test_a_tablet_silent_on_a_served_day_alerts_once_the_day_is_judged(kit):
    from sync.server.alerts.detect import check_silent_day
    from sync.server.alerts.settings import office_settings

    day = (datetime.now(HANOI) - timedelta(days=3)).date()
    _finished_tickets(kit, day, counter=1, n=6)
    _finished_tickets(kit, day, counter=2, n=3)  # too few tickets to judge
    kit.upload([kit.rating(datetime.combine(day - timedelta(days=1), time(9), HANOI), 3)])  # the tablet's earlier day
    day_end = datetime.combine(day + timedelta(days=1), time(0), HANOI).astimezone(UTC)
    with kit.app.state.db.engine.begin() as conn:
        settings, _ = office_settings(conn, "phuong-ben-thanh")
        assert check_silent_day(conn, "phuong-ben-thanh", "Asia/Ho_Chi_Minh", day, settings,
                                day_end - timedelta(minutes=1)) == []  # the day is not over
        # the tablet uploaded after the day ended with nothing pending: it truly recorded nothing
        (alert_id,) = check_silent_day(conn, "phuong-ben-thanh", "Asia/Ho_Chi_Minh", day, settings,
                                       day_end + timedelta(minutes=5))
        assert check_silent_day(conn, "phuong-ben-thanh", "Asia/Ho_Chi_Minh", day, settings,
                                day_end + timedelta(days=2)) == []  # once per counter and day
    (alert,) = kit.alerts()
    assert alert.rule == "silent" and alert.counter_id == 1 and "6 lượt" in alert.summary


def test_a_day_with_ratings_is_not_silent(kit):
    from sync.server.alerts.detect import check_silent_day
    from sync.server.alerts.settings import office_settings

    day = (datetime.now(HANOI) - timedelta(days=3)).date()
    _finished_tickets(kit, day, counter=1, n=6)
    kit.upload([kit.rating(datetime.combine(day, time(9), HANOI), score=None)])  # even a "not rated" prompt counts
    with kit.app.state.db.engine.begin() as conn:
        settings, _ = office_settings(conn, "phuong-ben-thanh")
        assert check_silent_day(conn, "phuong-ben-thanh", "Asia/Ho_Chi_Minh", day, settings,
                                datetime.now(UTC)) == []


def test_a_quarantined_rating_keeps_no_phone_number(kit):
    from sync.server.models import Quarantine

    first = kit.rating(recent(1), 1, reasons=["cho-lau"], phone="0912345678")
    kit.upload([first])
    conflicting = {**first, "score": 2, "satisfied": True, "reasons": [], "seq": first["seq"] + 1000}
    assert kit.upload([conflicting])[0]["status"] == "rejected"
    with kit.app.state.db.engine.connect() as conn:
        (payload,) = conn.scalars(select(Quarantine.payload)).all()
    assert "0912345678" not in payload and "contact_consent" not in payload
