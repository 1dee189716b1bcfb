"""The alert rules' edge cases, as pure functions: window edges, ties, misuse, late, due times."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.config import parse_working_hours
from sync.server.alerts.rules import (
    RatingFact,
    burst_regions,
    burst_runs,
    burst_windows,
    counts,
    due_time,
    is_late,
    is_severe,
    silent_counters,
    trend_breached,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hanoi
W = timedelta(minutes=15)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = parse_working_hours("07:30-11:30,13:30-17:00")
WEEKDAYS = [1, 2, 3, 4, 5]


def fact(i: int, at: timedelta, happy: bool, *, score=None, misuse=False, reasons=(), comment=None, counter=1):
    if score is None:
        score = 3 if happy else 1
    return RatingFact(f"r{i}", T0 + at, counter, "an", score, happy, misuse, tuple(reasons), comment)


def windows(facts, new=None):
    return burst_windows(counts(facts), {f.id for f in facts} if new is None else new, W, 4, 0.5)


def test_four_unhappy_within_the_window_qualify():
    facts = [fact(i, timedelta(minutes=3 * i), False) for i in range(4)]
    assert [f.id for f in windows(facts)[0]] == ["r0", "r1", "r2", "r3"]


def test_the_window_is_half_open_fifteen_minutes_apart_is_outside():
    inside = [fact(0, timedelta(0), False)] + [fact(i, timedelta(minutes=5), False) for i in (1, 2)] + \
        [fact(3, W - timedelta(milliseconds=1), False)]
    assert windows(inside)
    edge = inside[:3] + [fact(3, W, False)]
    assert not windows(edge)


def test_half_unhappy_is_enough_and_less_is_not():
    half = [fact(0, timedelta(0), False), fact(1, timedelta(minutes=1), False),
            fact(2, timedelta(minutes=2), True), fact(3, timedelta(minutes=3), True)]
    assert windows(half)
    less = half[:1] + [fact(1, timedelta(minutes=1), True)] + half[2:] + [fact(4, timedelta(minutes=4), True)]
    assert not windows(less)


def test_three_answers_are_too_few_even_all_unhappy():
    assert not windows([fact(i, timedelta(minutes=i), False) for i in range(3)])


def test_a_window_not_starting_on_a_rating_counts_too():
    # 3 unhappy then 2 happy 10 minutes later: [t0, t0+15) holds all five (3/5 unhappy) and qualifies;
    # add a happy one at 00:00 just before: every window holding the three unhappy now holds it too or not —
    # the window starting right after it still qualifies.
    facts = [fact(0, -timedelta(minutes=1), True)] + [fact(i, timedelta(minutes=i), False) for i in (1, 2, 3)] + \
        [fact(4, timedelta(minutes=14), True)]
    found = windows(facts)
    assert any([f.id for f in w] == ["r1", "r2", "r3", "r4"] for w in found)


def test_misuse_and_unrated_presses_never_count():
    facts = [fact(i, timedelta(minutes=i), False) for i in range(3)]
    facts.append(fact(3, timedelta(minutes=4), False, misuse=True))
    assert not windows(facts)
    unrated = RatingFact("u", T0 + timedelta(minutes=5), 1, "an", None, None)
    assert not windows(facts + [unrated])


def test_only_windows_holding_a_new_rating_are_reported():
    old = [fact(i, timedelta(minutes=i), False) for i in range(4)]
    assert not windows(old, new=set())
    later = old + [fact(9, timedelta(hours=2), False)]
    assert not windows(later, new={"r9"})  # the new one is alone in its window
    assert windows(old + [fact(9, timedelta(minutes=5), True)], new={"r9"})


def test_equal_times_are_never_split_by_a_window():
    same = [fact(i, timedelta(0), False) for i in range(4)]
    assert len(windows(same)) == 1


def test_severe_is_the_lowest_level_about_attitude_or_with_a_comment():
    attitude = ["thai-do", "nhung-nhieu"]
    assert is_severe(fact(1, timedelta(0), False, reasons=["thai-do"]), attitude)
    assert is_severe(fact(1, timedelta(0), False, comment="Cán bộ quát"), attitude)
    assert not is_severe(fact(1, timedelta(0), False, reasons=["cho-lau"]), attitude)
    assert not is_severe(fact(1, timedelta(0), False, score=2, reasons=["thai-do"]), attitude)
    assert not is_severe(fact(1, timedelta(0), False, reasons=["thai-do"], misuse=True), attitude)
    assert not is_severe(fact(1, timedelta(0), False, comment="   "), attitude)


def test_trend_needs_the_ranking_minimum_and_uses_the_wilson_bound():
    assert not trend_breached(0, 29, 0.8)  # too few to judge
    assert trend_breached(20, 30, 0.8)
    assert not trend_breached(29, 30, 0.8)  # 96.7 %: bound 0.83
    assert trend_breached(27, 30, 0.8)  # 90 % but the bound is 0.74


def test_silent_counters_need_enough_tickets_and_no_rating_at_all():
    assert silent_counters({1: 12, 2: 12, 3: 2}, {2}, 5) == [1]


def test_late_is_measured_from_recording_to_receipt():
    assert is_late(T0, T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert not is_late(T0, T0 + timedelta(minutes=14), timedelta(minutes=15))


def local(y, m, d, hh, mm):
    return datetime(y, m, d, hh, mm, tzinfo=HANOI)


def test_due_time_counts_working_hours_only():
    # Monday 10:00 + 8 working hours: 1.5 h before lunch, 3.5 h after, 3 h on Tuesday morning
    assert due_time(local(2026, 3, 2, 10, 0), 8, PERIODS, WEEKDAYS, HANOI) == local(2026, 3, 3, 10, 30)
    # opened at lunch: counting starts at 13:30
    assert due_time(local(2026, 3, 2, 12, 0), 2, PERIODS, WEEKDAYS, HANOI) == local(2026, 3, 2, 15, 30)
    # Friday evening: Monday
    assert due_time(local(2026, 3, 6, 18, 0), 1, PERIODS, WEEKDAYS, HANOI) == local(2026, 3, 9, 8, 30)
    # ends exactly at a period's end
    assert due_time(local(2026, 3, 2, 7, 30), 4, PERIODS, WEEKDAYS, HANOI) == local(2026, 3, 2, 11, 30)


def regions(rated, new, min_answers=4, share=0.5):
    """burst_regions as detect calls it: runs first, then the rated answers counted in their spans."""
    runs = burst_runs([f.created_at for f in rated if f.id in new], [f.created_at for f in rated if not f.satisfied],
                      W, min_answers, share)
    if runs is None:
        return None
    at = Counter(f.created_at for f in rated if any(run.first <= f.created_at <= run.last for run in runs))
    return burst_regions(runs, list(at.items()), W, share)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 240), st.booleans(), st.booleans(), st.sampled_from([None, 1, 3])),
                min_size=1, max_size=60),
       st.integers(1, 6), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
def test_reading_only_the_burst_regions_finds_the_same_windows(rows, min_answers, share):
    """burst_regions may leave out ratings only where they cannot change what burst_windows finds."""
    facts = [fact(i, timedelta(minutes=minute / 2), happy, score=score if score is None else (3 if happy else 1))
             for i, (minute, happy, _new, score) in enumerate(rows)]
    new = {f.id for f, (_m, _h, is_new, _s) in zip(facts, rows, strict=True) if is_new}
    rated = [f for f in facts if f.counts]
    kept = regions(rated, new, min_answers, share)
    read = facts if kept is None else [f for f in facts if any(a < f.created_at < b for a, b in kept)]
    everything = burst_windows(rated, new, W, min_answers, share)
    assert burst_windows(counts(read), new, W, min_answers, share, kept) == everything


def test_burst_regions_skip_new_answers_with_no_unhappy_run_near_them():
    new = [fact(0, timedelta(0), True), fact(1, timedelta(minutes=60), True)]
    unhappy = [fact(2, timedelta(minutes=58), False), fact(3, timedelta(minutes=61), False)]
    ids = {"r0", "r1"}
    assert regions(new + unhappy, ids) == [(T0 + timedelta(minutes=61) - W, T0 + timedelta(minutes=58) + W)]
    assert regions(new + unhappy[:1], ids) == []
    assert regions(new + unhappy, ids, share=0.0) is None


def test_burst_regions_skip_runs_crowded_by_satisfied_answers():
    """Two unhappy answers a minute apart with five satisfied between them: any window holding
    both holds at least seven answers, two of them unhappy, so none reaches half."""
    unhappy = [fact(0, timedelta(0), False), fact(1, timedelta(minutes=1), False)]
    crowd = [fact(2 + i, timedelta(seconds=30), True) for i in range(5)]
    new = {"r1"}
    assert regions(unhappy + crowd, new) == []
    assert regions(unhappy + crowd[:2], new) == [(T0 + timedelta(minutes=1) - W, T0 + W)]


def test_a_run_is_judged_on_all_the_unhappy_answers_its_window_could_add():
    """Three unhappy answers at 0, 1 and 10 min: with three satisfied ones at 30 s a window
    holding all six is half unhappy, so the run from 0 min is kept; with four it never reaches
    half and only the run from 1 min (no satisfied answer between 1 and 10 min) stays."""
    unhappy = [fact(0, timedelta(0), False), fact(1, timedelta(minutes=1), False),
               fact(2, timedelta(minutes=10), False)]
    crowd = [fact(3 + i, timedelta(seconds=30), True) for i in range(4)]
    new = {"r2"}
    assert regions(unhappy + crowd[:3], new) == [(T0 + timedelta(minutes=1) - W, T0 + timedelta(minutes=1) + W)]
    assert regions(unhappy + crowd, new) == [(T0 + timedelta(minutes=10) - W, T0 + timedelta(minutes=1) + W)]
    everything = unhappy + crowd[:3]
    assert [len(w) for w in burst_windows(counts(everything), new, W, 4, 0.5)] == [6]


def _every_window(facts, new, window, min_answers, share):
    """burst_windows by its definition alone: every start, every run (the oracle for its shortcuts)."""
    rated = sorted((f for f in facts if f.counts), key=lambda f: (f.created_at, f.id))
    times = [f.created_at for f in rated]
    found = []
    for i in range(len(rated)):
        for j in range(i, len(rated)):
            if times[j] - times[i] >= window:
                break
            run = rated[i:j + 1]
            unhappy = sum(not f.satisfied for f in run)
            if len(run) < min_answers or not any(f.id in new for f in run) or unhappy < share * len(run):
                continue
            upper = times[i] if j + 1 == len(rated) else min(times[i], times[j + 1] - window)
            lower = max([times[j] - window] + ([times[i - 1]] if i > 0 else []))
            if lower < upper:
                found.append(run)
                break
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 240), st.booleans(), st.booleans(), st.sampled_from([None, 1, 3])),
                min_size=1, max_size=60),
       st.integers(1, 6), st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.75, 1.0]))
def test_burst_windows_shortcuts_find_what_the_definition_finds(rows, min_answers, share):
    """Passing over starts with no new rating or too few unhappy answers in reach changes nothing."""
    facts = [fact(i, timedelta(minutes=minute / 2), happy, score=score if score is None else (3 if happy else 1))
             for i, (minute, happy, _new, score) in enumerate(rows)]
    new = {f.id for f, (_m, _h, is_new, _s) in zip(facts, rows, strict=True) if is_new}
    assert burst_windows(counts(facts), new, W, min_answers, share) == _every_window(facts, new, W, min_answers, share)
