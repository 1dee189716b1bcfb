"""The tablet's rules, without a window: one rating per ticket, timeouts, reasons, misuse, debounce.

The session runs on a fake clock and writes into a real outbox, so each test reads back
exactly what would be uploaded.
"""

from __future__ import annotations

import uuid

import pytest

from sync.outbox import Outbox
from tablet_rating.session import IDLE, OFFLINE, PENDING, PROMPT, REASONS, SYNCED, THANKS, RatingSession
from tablet_rating.settings import SettingsError, TabletSettings


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def outbox(tmp_path):
    with Outbox(tmp_path / "outbox") as box:
        yield box


def make_session(config, outbox, clock, **kwargs):
    kwargs.setdefault("counter_id", 1)
    return RatingSession(config, outbox, clock=clock, **kwargs)


def finished(number=1001, service="ho-tich", ticket_id=None):
    return {"id": ticket_id or str(uuid.uuid4()), "number": number, "service_id": service}


CLERK = {"id": "nguyen-van-an", "name": "Nguyễn Văn An", "photo_url": None}


def test_a_finished_ticket_opens_the_prompt_and_a_tap_stores_one_complete_rating(tablet_config, outbox, clock):
    session = make_session(tablet_config(), outbox, clock)
    assert session.state == IDLE
    ticket = finished()
    assert session.ticket_finished(ticket, CLERK)
    assert session.state == PROMPT and session.rated_clerk.name == "Nguyễn Văn An"
    assert session.tap_level(3)
    assert session.state == THANKS
    (record,) = outbox.pending()
    assert record["ticket_id"] == ticket["id"] and record["ticket_number"] == 1001
    assert (record["counter_id"], record["clerk_id"], record["service_id"]) == (1, "nguyen-van-an", "ho-tich")
    assert (record["score"], record["scale"], record["satisfied"], record["misuse"]) == (3, 3, True, False)
    assert record["lang"] == "vi" and record["office_id"] == "phuong-ben-thanh"


def test_the_rating_is_in_the_outbox_before_the_thank_you_screen_is_announced(tablet_config, outbox, clock):
    seen = []
    session = make_session(tablet_config(), outbox, clock)
    session.listener = lambda s: seen.append((s.state, len(outbox)))
    session.ticket_finished(finished(), CLERK)
    session.tap_level(2)
    assert (THANKS, 1) in seen and (THANKS, 0) not in seen


def test_a_ticket_is_rated_once_even_when_the_hub_repeats_it_or_the_tablet_restarts(tablet_config, tmp_path, clock):
    config = tablet_config()
    ticket = finished()
    with Outbox(tmp_path / "box") as box:
        session = make_session(config, box, clock)
        session.ticket_finished(ticket, CLERK)
        session.tap_level(3)
        assert not session.ticket_finished(ticket, CLERK)
    with Outbox(tmp_path / "box") as box:
        again = make_session(config, box, clock)
        assert not again.ticket_finished(ticket, CLERK)
        assert again.state == IDLE and len(box) == 1


def test_a_ticket_rated_and_already_uploaded_does_not_prompt_again_after_a_restart(tablet_config, tmp_path, clock):
    config = tablet_config()
    ticket = finished()
    with Outbox(tmp_path / "box") as box:
        session = make_session(config, box, clock)
        session.ticket_finished(ticket, CLERK)
        session.tap_level(3)
        box.ack([r["id"] for r in box.pending()])  # the server has it: it leaves the outbox
    with Outbox(tmp_path / "box") as box:
        again = make_session(config, box, clock)
        assert not again.ticket_finished(ticket, CLERK)  # the hub still reports it as last finished
        assert again.state == IDLE and len(box) == 0


def test_an_unanswered_prompt_becomes_a_not_rated_record(tablet_config, outbox, clock):
    session = make_session(tablet_config(prompt_timeout_s=30), outbox, clock)
    ticket = finished(number=1002)
    session.ticket_finished(ticket, CLERK)
    assert session.next_deadline() == clock.now + 30
    clock.advance(29.9)
    session.tick()
    assert session.state == PROMPT and len(outbox) == 0
    clock.advance(0.2)
    session.tick()
    assert session.state == IDLE
    (record,) = outbox.pending()
    assert record["score"] is None and record["satisfied"] is None
    assert record["ticket_number"] == 1002 and record["clerk_id"] == "nguyen-van-an"


def test_a_low_score_asks_why_and_keeps_reasons_and_comment(tablet_config, outbox, clock):
    session = make_session(tablet_config(scale=5), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    session.tap_level(2)
    assert session.state == REASONS and len(outbox) == 0
    clock.advance(1)
    session.toggle_reason("cho-lau")
    clock.advance(1)
    session.toggle_reason("thai-do")
    clock.advance(1)
    session.toggle_reason("cho-lau")  # changed their mind
    session.set_comment("  Cán bộ nói chuyện điện thoại  ")
    clock.advance(1)
    assert session.send_reasons()
    (record,) = outbox.pending()
    assert (record["score"], record["scale"], record["satisfied"]) == (2, 5, False)
    assert record["reasons"] == ["thai-do"] and record["comment"] == "Cán bộ nói chuyện điện thoại"


def test_a_timeout_or_skip_on_the_reasons_screen_keeps_the_score(tablet_config, outbox, clock):
    session = make_session(tablet_config(prompt_timeout_s=20), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    session.tap_level(1)
    clock.advance(10)
    session.keep_alive()  # typing pushes the timeout back
    clock.advance(15)
    session.tick()
    assert session.state == REASONS
    clock.advance(6)
    session.tick()
    assert session.state == THANKS
    session.ticket_finished(finished(), CLERK)
    clock.advance(1)
    session.tap_level(1)
    clock.advance(1)
    session.skip_reasons()
    assert [(r["score"], r["reasons"], r["comment"]) for r in outbox.pending()] == [(1, [], None), (1, [], None)]


def test_a_double_tap_is_one_rating_and_its_second_touch_does_not_reach_the_next_screen(tablet_config, outbox, clock):
    session = make_session(tablet_config(), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    assert session.tap_level(1)
    clock.advance(0.15)
    assert not session.send_reasons()  # the second touch lands where "Send" now is
    assert session.state == REASONS and len(outbox) == 0
    session.ticket_finished(finished(), CLERK)  # the first one is kept with its score
    assert len(outbox) == 1
    clock.advance(1)
    assert session.tap_level(3)
    clock.advance(0.1)
    assert not session.tap_level(3)
    assert len(outbox) == 2


def test_standalone_ratings_within_the_cooldown_are_kept_and_flagged_misuse(tablet_config, outbox, clock):
    config = tablet_config(mode="standalone", clerk_id="tran-thi-binh", cooldown_s=20, thanks_s=2)
    session = make_session(config, outbox, clock, mode="standalone", clerk_id="tran-thi-binh")
    assert session.state == PROMPT
    session.tap_level(3)
    clock.advance(2)
    session.tick()
    assert session.state == PROMPT  # open again for the next citizen
    clock.advance(3)
    session.tap_level(2)
    clock.advance(30)
    session.tick()
    session.tap_level(3)
    flags = [(r["misuse"], r["clerk_id"], r["ticket_id"]) for r in outbox.pending()]
    assert flags == [(False, "tran-thi-binh", None), (True, "tran-thi-binh", None), (False, "tran-thi-binh", None)]


def test_a_new_finish_while_the_prompt_is_open_records_the_previous_ticket_as_not_rated(tablet_config, outbox, clock):
    session = make_session(tablet_config(), outbox, clock)
    first, second = finished(number=1001), finished(number=1002)
    session.ticket_finished(first, CLERK)
    session.ticket_finished(second, CLERK)
    assert session.ticket.number == 1002
    (record,) = outbox.pending()
    assert record["ticket_number"] == 1001 and record["score"] is None


def test_the_clerk_logging_out_does_not_change_who_the_open_prompt_is_about(tablet_config, outbox, clock):
    session = make_session(tablet_config(), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    session.counter_snapshot({"counter_id": 1, "clerk": None, "paused": False, "last_finished": None})
    session.tap_level(3)
    assert outbox.pending()[0]["clerk_id"] == "nguyen-van-an"


def test_when_the_hub_is_gone_the_tablet_rates_on_its_own_and_returns_to_linked_mode(tablet_config, outbox, clock):
    session = make_session(tablet_config(thanks_s=1), outbox, clock, offline_fallback_s=10)
    session.counter_snapshot({"counter_id": 1, "clerk": CLERK, "paused": False, "last_finished": None})
    session.set_hub_online(True)
    assert session.status() == SYNCED
    session.set_hub_online(False)
    assert session.status() == OFFLINE and session.state == IDLE
    assert session.next_deadline() == clock.now + 10
    clock.advance(10)
    session.tick()
    assert session.state == PROMPT and session.ticket is None
    session.tap_level(3)
    record = outbox.pending()[0]
    assert record["ticket_id"] is None and record["clerk_id"] == "nguyen-van-an"
    clock.advance(1)
    session.tick()
    assert session.state == PROMPT
    session.set_hub_online(True)
    assert session.state == IDLE and session.status() == PENDING


def test_a_finish_missed_while_disconnected_still_prompts_if_recent(tablet_config, outbox, clock):
    from sync.records import now_iso

    session = make_session(tablet_config(), outbox, clock)
    ticket = finished(number=1005)
    view = {"counter_id": 1, "clerk": CLERK, "paused": False,
            "last_finished": {"ticket": ticket, "finished_at": now_iso(), "clerk": CLERK}}
    session.counter_snapshot(view)
    assert session.state == PROMPT and session.ticket.number == 1005
    old = {**view, "last_finished": {"ticket": finished(), "finished_at": "2026-01-01T08:00:00+07:00",
                                     "clerk": CLERK}}
    session.tap_level(3)
    clock.advance(10)
    session.tick()
    session.counter_snapshot(old)
    assert session.state == IDLE


def test_settings_saved_on_the_tablet_win_over_the_config_and_bad_ones_are_refused(tablet_config, tmp_path):
    config = tablet_config()
    assert TabletSettings.load(tmp_path, config).counter_id == 1
    TabletSettings(counter_id=3, hub_url="http://10.0.0.5:8700/", mode="standalone", lang="en",
                   clerk_id="le-hoang-cuong").check(config).save(tmp_path)
    loaded = TabletSettings.load(tmp_path, config)
    assert (loaded.counter_id, loaded.hub_url, loaded.mode, loaded.lang) == (3, "http://10.0.0.5:8700", "standalone", "en")
    assert TabletSettings.load(tmp_path, config, counter_id=2).counter_id == 2
    with pytest.raises(SettingsError, match="counter: unknown counter 9"):
        TabletSettings(counter_id=9, hub_url="http://x:1", mode="linked", lang="vi").check(config)
    with pytest.raises(SettingsError, match="hub address"):
        TabletSettings(counter_id=1, hub_url="10.0.0.5", mode="linked", lang="vi").check(config)


def test_a_rating_the_disk_refuses_is_not_thanked_and_turns_the_status_to_error(tablet_config, outbox, clock):
    import resource
    import signal

    session = make_session(tablet_config(), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, limit[1]))  # the disk is "full" for any real write
    try:
        assert not session.tap_level(3)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, previous)
    assert session.state == PROMPT and len(outbox) == 0
    assert session.status() == "error" and "NOT stored" in session.write_error
    clock.advance(1)
    assert session.tap_level(3)  # space again: the same citizen's tap now counts
    assert session.state == THANKS and session.status() == PENDING and len(outbox) == 1


def test_a_citizen_switching_language_is_recorded_and_the_next_citizen_starts_in_the_default(
        tablet_config, outbox, clock):
    session = make_session(tablet_config(thanks_s=1), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    session.set_lang("en")
    session.tap_level(3)
    clock.advance(1.5)
    session.tick()
    assert session.state == IDLE and session.lang == "vi"
    assert outbox.pending()[0]["lang"] == "en"


def test_a_language_switch_left_on_the_standalone_prompt_returns_to_the_default(tablet_config, outbox, clock):
    config = tablet_config(mode="standalone", clerk_id="tran-thi-binh", prompt_timeout_s=30)
    session = make_session(config, outbox, clock, mode="standalone", clerk_id="tran-thi-binh")
    session.set_lang("en")
    assert session.next_deadline() == clock.now + 30
    clock.advance(31)
    session.tick()
    assert session.lang == "vi" and session.state == PROMPT and len(outbox) == 0


def test_large_text_lasts_for_one_citizen_after_a_rating_or_when_left_on_the_prompt(tablet_config, outbox,
                                                                                       clock):
    session = make_session(tablet_config(thanks_s=1), outbox, clock)
    session.ticket_finished(finished(), CLERK)
    session.set_large(True)
    session.tap_level(3)
    assert session.large, "the citizen who chose it keeps it to the thank-you"
    clock.advance(1.5)
    session.tick()
    assert session.state == IDLE and not session.large
    config = tablet_config(mode="standalone", clerk_id="tran-thi-binh", prompt_timeout_s=30)
    left = make_session(config, outbox, clock, mode="standalone", clerk_id="tran-thi-binh")
    left.set_large(True)
    assert left.next_deadline() == clock.now + 30
    clock.advance(31)
    left.tick()
    assert not left.large and left.state == PROMPT


def test_a_new_rating_scale_from_the_server_waits_for_the_citizen_then_applies(tablet_config, outbox, clock):
    session = make_session(tablet_config(scale=3), outbox, clock)
    five_levels = tablet_config(scale=5)
    session.ticket_finished(finished(), CLERK)
    session.office_changed(five_levels)
    assert len(session.levels) == 3  # never under a finger
    session.tap_level(3)
    assert session.state == THANKS
    clock.advance(10)
    session.tick()
    assert session.state == IDLE and len(session.levels) == 5
    session.ticket_finished(finished(number=1002), CLERK)
    session.tap_level(5)
    assert outbox.pending()[-1]["scale"] == 5


def test_a_ticket_rated_on_the_phone_closes_its_prompt_and_never_prompts_again(tablet_config, outbox, clock):
    session = make_session(tablet_config(), outbox, clock)
    ticket = finished()
    assert session.ticket_finished(ticket, CLERK)
    session.rated_elsewhere(ticket["id"])  # the hub: the citizen rated it on their phone
    assert session.state == IDLE and outbox.pending() == []  # no second rating, not even "not rated"
    assert not session.ticket_finished(ticket, CLERK)
    again = make_session(tablet_config(), outbox, clock)  # after a restart too
    assert not again.ticket_finished(ticket, CLERK)
    other = finished(1002)
    assert session.ticket_finished(other, CLERK) and session.tap_level(3)
    assert [r["channel"] for r in outbox.pending()] == ["tablet"]
