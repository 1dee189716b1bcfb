"""The office queue engine: who is called next, what each counter operation does, the daily
reset, the wait estimates, and the ticket records it leaves in the outbox."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kiosk.queue import QueueEngine, QueueError
from sync import records
from tests.kiosk.conftest import PINS


def with_hub(config, **changes):
    return dataclasses.replace(config, hub=dataclasses.replace(config.hub, **changes))


def open_counter(engine, counter_id, clerk_id):
    engine.login(counter_id, clerk_id, PINS[clerk_id])


def test_numbers_start_at_each_service_block_and_count_up(engine):
    assert [engine.issue("ho-tich").number for _ in range(3)] == [1001, 1002, 1003]
    assert engine.issue("chung-thuc").number == 2001
    assert engine.issue("ho-tich").number == 1004
    assert engine.waiting_count("ho-tich") == 4
    assert engine.waiting_count("chung-thuc") == 1


def test_a_counter_calls_the_oldest_ticket_of_the_services_it_serves(engine, clock):
    first = engine.issue("chung-thuc")
    clock.advance(minutes=1)
    second = engine.issue("ho-tich")
    clock.advance(minutes=1)
    engine.issue("dat-dai-xay-dung")
    open_counter(engine, 1, "nguyen-van-an")  # counter 1 serves ho-tich only
    open_counter(engine, 2, "tran-thi-binh")  # counter 2 serves ho-tich and chung-thuc
    assert engine.call_next(1).id == second.id
    called = engine.call_next(2)
    assert (called.id, called.status, called.counter_id, called.clerk_id) == (first.id, "called", 2, "tran-thi-binh")
    engine.finish(1)
    with pytest.raises(QueueError, match="nobody is waiting for counter 1"):
        engine.call_next(1)


def test_priority_tickets_go_first_when_the_rule_is_zero(engine, clock):
    normal = [engine.issue("ho-tich") for _ in range(3)]
    clock.advance(minutes=5)
    elderly = engine.issue("ho-tich", priority=True)
    assert elderly.people_ahead == 0
    open_counter(engine, 1, "nguyen-van-an")
    order = []
    for _ in range(4):
        order.append(engine.call_next(1).id)
        engine.finish(1)
    assert order == [elderly.id] + [t.id for t in normal]


def test_one_priority_ticket_after_every_n_normal_ones(office_config, tmp_path, clock):
    engine = QueueEngine(with_hub(office_config, priority_every=2), tmp_path / "q", clock=clock)
    tickets = []
    for i in range(6):
        tickets.append(engine.issue("ho-tich"))
        clock.advance(seconds=10)
    for i in range(3):
        tickets.append(engine.issue("ho-tich", priority=True))
        clock.advance(seconds=10)
    open_counter(engine, 1, "nguyen-van-an")
    served = []
    for _ in range(9):
        served.append(engine.call_next(1))
        engine.finish(1)
    assert ["P" if t.priority else "N" for t in served] == list("NNPNNPNNP")
    assert [t.number for t in served if not t.priority] == [1001, 1002, 1003, 1004, 1005, 1006]


def test_a_priority_ticket_is_called_when_no_normal_one_waits(office_config, tmp_path, clock):
    engine = QueueEngine(with_hub(office_config, priority_every=3), tmp_path / "q", clock=clock)
    engine.issue("ho-tich", priority=True)
    open_counter(engine, 1, "nguyen-van-an")
    assert engine.call_next(1).priority is True


def test_a_transferred_ticket_keeps_its_number_and_its_place_by_original_issue_time(engine, clock):
    early = engine.issue("ho-tich")  # 08:00
    clock.advance(minutes=5)
    later = engine.issue("chung-thuc")  # 08:05, already waiting for chung-thuc
    open_counter(engine, 1, "nguyen-van-an")
    open_counter(engine, 2, "tran-thi-binh")
    engine.pause(2)
    assert engine.call_next(1).id == early.id
    clock.advance(minutes=3)
    moved = engine.transfer(1, to_service_id="chung-thuc")
    assert (moved.status, moved.service_id, moved.number, moved.transfers) == ("waiting", "chung-thuc", 1001, 1)
    engine.resume(2)
    assert engine.call_next(2).id == early.id  # ahead of the 08:05 ticket
    engine.finish(2)
    assert engine.call_next(2).id == later.id


def test_a_ticket_transferred_to_a_named_counter_is_called_only_there(engine):
    ticket = engine.issue("ho-tich")
    for counter, clerk in ((1, "nguyen-van-an"), (2, "tran-thi-binh"), (4, "pham-thu-dung")):
        open_counter(engine, counter, clerk)
    engine.call_next(1)
    engine.transfer(1, to_counter_id=4)  # counter 4 does not serve ho-tich, but it was sent there
    with pytest.raises(QueueError, match="nobody is waiting"):
        engine.call_next(2)
    called = engine.call_next(4)
    assert (called.id, called.service_id, called.counter_id) == (ticket.id, "ho-tich", 4)


def test_transfer_refuses_nonsense_destinations(engine):
    engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    for kwargs, message in (({}, "say where"), ({"to_counter_id": 1}, "counter it is at"),
                            ({"to_service_id": "ho-tich"}, "already for service"),
                            ({"to_service_id": "nope"}, "unknown service"), ({"to_counter_id": 99}, "unknown counter")):
        with pytest.raises(QueueError, match=message):
            engine.transfer(1, **kwargs)
    assert engine.counter_view(1)["current"]["status"] == "called"  # nothing changed


def test_recall_is_counted_and_needs_a_called_ticket(engine):
    engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    with pytest.raises(QueueError, match="cannot recall: counter 1 has no called ticket"):
        engine.recall(1)
    engine.call_next(1)
    engine.recall(1)
    assert engine.recall(1).recalls == 2
    assert engine.finish(1).recalls == 2


def test_a_no_show_can_be_requeued_at_its_place_within_the_window(engine, clock):
    missed = engine.issue("ho-tich")
    clock.advance(minutes=1)
    engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    gone = engine.no_show(1)
    assert gone.status == "no_show" and engine.counter_view(1)["current"] is None
    assert [t["number"] for t in engine.snapshot()["no_shows"]] == [1001]
    clock.advance(minutes=29)
    back = engine.requeue(missed.id)
    assert back.status == "waiting"
    assert engine.waiting()[0].id == missed.id  # its original place, ahead of 1002
    with pytest.raises(QueueError, match="not a no-show"):
        engine.requeue(missed.id)


def test_a_no_show_cannot_be_requeued_after_the_window(engine, clock):
    ticket = engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    engine.no_show(1)
    clock.advance(minutes=31)
    with pytest.raises(QueueError, match="more than 30 minutes ago"):
        engine.requeue(ticket.id)
    engine.tick()  # housekeeping moves it to the day's archive
    assert engine.snapshot()["no_shows"] == []
    assert [t["status"] for t in engine.archived("2026-03-02")] == ["no_show"]
    with pytest.raises(QueueError, match="unknown ticket"):
        engine.requeue(ticket.id)


def test_invalid_operations_say_what_is_wrong(engine):
    with pytest.raises(QueueError, match="no clerk is logged in at counter 1"):
        engine.call_next(1)
    with pytest.raises(QueueError, match="unknown clerk or wrong PIN"):
        engine.login(1, "nguyen-van-an", "9999")
    open_counter(engine, 1, "nguyen-van-an")
    with pytest.raises(QueueError, match="cannot finish: counter 1 has no called ticket"):
        engine.finish(1)
    engine.pause(1)
    engine.issue("ho-tich")
    with pytest.raises(QueueError, match="counter 1 is paused"):
        engine.call_next(1)
    engine.resume(1)
    engine.call_next(1)
    engine.issue("ho-tich")
    with pytest.raises(QueueError, match="still serving a ticket"):
        engine.call_next(1)
    with pytest.raises(QueueError, match="unknown service 'khong-co'"):
        engine.issue("khong-co")
    with pytest.raises(QueueError, match="unknown counter 42"):
        engine.pause(42)
    with pytest.raises(QueueError, match="unknown ticket"):
        engine.requeue("not-a-ticket")


def test_a_clerk_logging_in_elsewhere_leaves_the_first_counter(engine):
    open_counter(engine, 1, "tran-thi-binh")
    open_counter(engine, 2, "tran-thi-binh")
    assert engine.counter_view(1)["clerk"] is None
    assert engine.counter_view(2)["clerk"]["name"] == "Trần Thị Bình"


def test_numbers_restart_at_the_reset_hour_and_the_day_is_archived(engine, clock, outbox):
    served = engine.issue("ho-tich")
    left = engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    engine.finish(1)
    clock.advance(hours=18, minutes=59)  # 02:59 next morning: still the same office day
    assert engine.issue("ho-tich").number == 1003
    clock.advance(minutes=1)  # 03:00: hub.daily_reset_hour
    fresh = engine.issue("ho-tich")
    assert fresh.number == 1001
    assert engine.waiting() == [fresh]
    archived = {t["id"]: t["status"] for t in engine.archived("2026-03-02")}
    assert archived[served.id] == "finished" and archived[left.id] == "cancelled" and len(archived) == 3
    assert engine.counter_view(1)["clerk"] is None  # clerks log in again each day
    snapshot = engine.snapshot()
    assert snapshot["day"] == "2026-03-03" and snapshot["totals"]["issued"] == 1
    statuses = [r["status"] for r in outbox.pending() if r["ticket_id"] == left.id]
    assert statuses == ["waiting", "cancelled"]


def test_the_reset_happens_by_itself_when_the_office_is_quiet(engine, clock):
    engine.issue("ho-tich")
    clock.advance(days=1)
    engine.tick()
    assert engine.snapshot()["waiting"] == []
    assert len(engine.archived("2026-03-02")) == 1


def test_wait_estimate_uses_the_default_then_the_moving_average_over_open_counters(engine, clock):
    for _ in range(4):
        engine.issue("ho-tich")
    # No history, no counter open: 4 people × 8 min (default) ÷ 2 counters serving ho-tich.
    assert engine.estimated_wait_min("ho-tich") == 16.0
    open_counter(engine, 1, "nguyen-van-an")
    assert engine.estimated_wait_min("ho-tich") == 32.0  # only counter 1 is open now
    for minutes in (4, 6):
        engine.call_next(1)
        clock.advance(minutes=minutes)
        engine.finish(1)
    assert engine.average_service_min("ho-tich") == 5.0
    open_counter(engine, 2, "tran-thi-binh")
    assert engine.estimated_wait_min("ho-tich") == 5.0  # 2 people × 5 min ÷ 2 open counters
    ticket = engine.issue("ho-tich")
    assert (ticket.people_ahead, ticket.estimated_wait_min) == (2, 5.0)


def test_every_change_leaves_a_versioned_ticket_record_in_the_outbox(engine, outbox, office_config):
    ticket = engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    engine.recall(1)
    engine.finish(1)
    mine = [r for r in outbox.pending() if r["ticket_id"] == ticket.id]
    assert [(r["version"], r["status"]) for r in mine] == [(1, "waiting"), (2, "called"), (3, "called"), (4, "finished")]
    last = mine[-1]
    assert records.validate(last) == last
    assert (last["office_id"], last["device_id"], last["counter_id"], last["clerk_id"], last["recalls"]) == \
        (office_config.office.id, outbox.device_id, 1, "nguyen-van-an", 1)
    assert last["called_at"] and last["finished_at"] and last["issued_at"] == ticket.issued_at
    assert len({r["id"] for r in mine}) == 4 and [r["seq"] for r in mine] == sorted(r["seq"] for r in mine)


def test_a_restarted_engine_resumes_exactly(engine, office_config, tmp_path, clock, outbox):
    for service in ("ho-tich", "ho-tich", "chung-thuc"):
        engine.issue(service)
    open_counter(engine, 2, "tran-thi-binh")
    engine.call_next(2)
    engine.pause(2)
    before = engine.snapshot()
    again = QueueEngine(office_config, tmp_path / "queue", outbox=outbox, clock=clock)
    assert again.snapshot() == before
    assert again.issue("ho-tich").number == 1003
    assert len(outbox) == 5  # no record sent twice by the restart


def test_listeners_hear_each_change_with_its_counter(engine):
    heard = []
    unsubscribe = engine.subscribe(heard.append)
    engine.issue("ho-tich")
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    engine.finish(1)
    unsubscribe()
    engine.issue("ho-tich")
    kinds = [e["type"] for e in heard]
    assert kinds == ["issued", "queue", "counter", "called", "queue", "counter", "finished", "queue", "counter"]
    finished = heard[6]["data"]
    assert finished["counter_id"] == 1 and finished["ticket"]["number"] == 1001
    assert finished["clerk"] == {"id": "nguyen-van-an", "name": "Nguyễn Văn An", "photo_url": None}
    assert [e["seq"] for e in heard] == sorted(e["seq"] for e in heard)
    json.dumps(engine.snapshot())  # the snapshot is JSON-able as it is


def test_a_used_up_number_block_starts_again_skipping_numbers_still_in_the_queue(office_config, tmp_path, clock):
    from sync.config import NumberBlock

    services = [dataclasses.replace(office_config.services[0], numbers=NumberBlock(1001, 1003)),
                *office_config.services[1:]]
    engine = QueueEngine(dataclasses.replace(office_config, services=services), tmp_path / "q", clock=clock)
    assert [engine.issue("ho-tich").number for _ in range(3)] == [1001, 1002, 1003]
    open_counter(engine, 1, "nguyen-van-an")
    engine.call_next(1)
    engine.finish(1)  # 1001 is free again
    assert engine.issue("ho-tich").number == 1001
    with pytest.raises(QueueError, match="every number of service 'ho-tich' is in use"):
        engine.issue("ho-tich")


def test_clicks_at_three_counters_at_once_leave_exactly_one_record_per_ticket_version(engine, outbox):
    import threading
    from collections import Counter

    services = {1: "ho-tich", 3: "lao-dong-xa-hoi", 4: "kinh-te"}  # no service shared
    for counter, clerk in zip(services, PINS):
        open_counter(engine, counter, clerk)
    failures = []

    def work(counter_id: int) -> None:
        try:
            for _ in range(15):
                engine.issue(services[counter_id])
                engine.call_next(counter_id)
                engine.recall(counter_id)
                engine.finish(counter_id)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    engine.tick()  # sends whatever a busy moment left for the next change
    versions = Counter((r["ticket_id"], r["version"]) for r in outbox.pending())
    assert len(versions) == 45 * 4 and set(versions.values()) == {1}
    assert {v for _, v in versions} == {1, 2, 3, 4}


def test_a_change_the_disk_refuses_is_undone_and_reported(engine, outbox):
    import os

    kept = engine.issue("ho-tich")
    store = engine._store
    os.close(store._fd)  # the journal can no longer be written, like a failed disk:
    store._fd = os.open(store.journal_path, os.O_RDONLY)
    with pytest.raises(QueueError, match="could not be saved, nothing was changed") as refused:
        engine.issue("ho-tich")
    assert refused.value.code == "storage_failed"
    assert [t.id for t in engine.waiting()] == [kept.id]  # memory matches the disk again
    assert engine.issue("ho-tich").number == 1002  # and the queue works on
    assert len(outbox) == 2


def test_a_waiting_tickets_place_follows_the_calling_rule(engine, clock):
    first = engine.issue("ho-tich")
    clock.advance(seconds=1)
    second = engine.issue("ho-tich")
    clock.advance(seconds=1)
    engine.issue("chung-thuc")  # another service: not ahead
    urgent = engine.issue("ho-tich", priority=True)  # priority first (hub.priority_every = 0)
    assert [engine.place(t.id)[0] for t in (first, second, urgent)] == [1, 2, 0]
    assert engine.place(second.id)[1] > 0
    engine.login(1, "nguyen-van-an", PINS["nguyen-van-an"])
    engine.call_next(1)  # the priority ticket
    assert engine.place(first.id)[0] == 0 and engine.place(urgent.id) == (0, 0.0)
