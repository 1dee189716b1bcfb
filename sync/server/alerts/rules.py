"""The alert rules as pure functions: what counts, which window qualifies, when a case is due.

No database here: ``detect`` loads the facts and calls these, so every edge case (window
edges, ties, misuse, late uploads, due times across lunch and weekends) is a plain unit test.

What counts: a *rated answer* is a rating with a score that is not flagged as misuse (rapid
repeated presses are kept for audit but never count, the same rule as the satisfaction rate).

Burst — "within any 15-minute window an office gets ≥ 4 rated answers of which ≥ 50 % are
unsatisfied". A window is half-open, ``[start, start + window)``, on the ratings' *recorded*
times (``created_at``), so ratings 14 min 59.999 s apart share a window and ratings exactly
15 min apart do not. Any window is allowed, not only ones starting on a rating: the candidate
memberships are the runs of consecutive ratings (sorted by time) that some window holds
exactly, which ``burst_windows`` enumerates. Only windows holding at least one *new* rating are
considered, so ratings judged before never raise an alert again.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from sync.server.stats import MIN_N_DEFAULT, wilson_lower_bound

__all__ = [
    "RULES",
    "RULE_NAMES",
    "BurstRun",
    "RatingFact",
    "burst_regions",
    "burst_runs",
    "burst_windows",
    "counts",
    "due_time",
    "fewest_unhappy",
    "is_late",
    "is_severe",
    "silent_counters",
    "trend_breached",
]


RULES = ("burst", "severe", "trend", "silent")
RULE_NAMES = {  # rule -> (Vietnamese, English), as managers read them
    "burst": ("Nhiều đánh giá không hài lòng", "Burst of unhappy ratings"),
    "severe": ("Đánh giá rất không hài lòng", "Severe rating"),
    "trend": ("Mức hài lòng của cán bộ giảm", "Clerk satisfaction below target"),
    "silent": ("Máy đánh giá không ghi nhận", "Silent rating tablet"),
}


@dataclass(frozen=True)
class RatingFact:
    """What the rules need to know about one stored rating."""

    id: str
    created_at: datetime  # recorded time (device clock), timezone-aware
    counter_id: int
    clerk_id: str | None
    score: int | None
    satisfied: bool | None
    misuse: bool = False
    reasons: tuple[str, ...] = ()
    comment: str | None = None

    @property
    def counts(self) -> bool:
        """A rated answer: has a score and is not a misuse-flagged press."""
        return self.score is not None and not self.misuse


def counts(facts: Iterable[RatingFact]) -> list[RatingFact]:
    return [f for f in facts if f.counts]


def burst_windows(answers: Sequence, new_ids: set[str], window: timedelta, min_answers: int,
                  unsatisfied_share: float, read: Sequence[tuple[datetime, datetime]] | None = None) -> list[list]:
    """For each start, the smallest qualifying window holding a new rating (time order).

    ``answers`` are the office's stored rated answers around the new ones (any order; rated
    ones only — ``counts(facts)`` — each with ``id``, ``created_at`` and ``satisfied``, as
    ``RatingFact`` or as the rows ingest reads). A run ``i..j`` of time-sorted ratings is
    exactly some window's content when a start ``s`` exists with ``t[i-1] < s <= t[i]`` and
    ``t[j] < s + window <= t[j+1]``. When ``answers`` are only those inside the open ranges
    ``read`` (``burst_regions``), a window must lie inside one of them too: between two ranges
    answers were not read, so a window reaching across would be judged on a part of its content.
    Counts run along ``j``. A window from start ``i`` reaches the ratings ``i..reach-1``; if
    they hold ``u`` unhappy answers, a qualifying window holds at most ``u ÷ share`` ratings,
    so each start costs at most that many steps, however busy the office; a start whose reach
    holds no new rating, or fewer unhappy answers than any qualifying window needs
    (``fewest_unhappy``), costs none (at a busy office, with unhappy answers rare, that is
    nearly every start).
    """
    rated = sorted(answers, key=attrgetter("created_at", "id"))
    times = [f.created_at for f in rated]
    ends = [t + window for t in times]  # a window from t[i] reaches the ratings before ends[i]
    unhappy_at = [not f.satisfied for f in rated]
    fresh_at = [f.id in new_ids for f in rated]
    unhappy_before, fresh_before = [0], [0]  # prefix counts: unhappy / new ratings before index i
    for bad, new in zip(unhappy_at, fresh_at):
        unhappy_before.append(unhappy_before[-1] + bad)
        fresh_before.append(fresh_before[-1] + new)
    needed = max(fewest_unhappy(min_answers, unsatisfied_share), 0)
    range_starts = [start for start, _ in read] if read is not None else []
    found: list[list] = []
    reach = 0
    for i in range(len(rated)):
        reach = max(reach, i)
        while reach < len(rated) and times[reach] < ends[i]:
            reach += 1
        in_reach = unhappy_before[reach] - unhappy_before[i]
        if fresh_before[reach] == fresh_before[i] or in_reach < needed:
            continue
        longest = int(in_reach / unsatisfied_share) + 1 if unsatisfied_share > 0 else reach - i
        unhappy = fresh = 0
        for j in range(i, min(reach, i + longest)):
            unhappy += unhappy_at[j]
            fresh += fresh_at[j]
            size = j - i + 1
            if size < min_answers or not fresh or unhappy < unsatisfied_share * size:
                continue
            # s in (t[i-1], t[i]] and s in (t[j] - window, t[j+1] - window]
            upper = times[i] if j + 1 == len(rated) else min(times[i], times[j + 1] - window)
            lower = max([times[j] - window] + ([times[i - 1]] if i > 0 else []))
            if read is not None:  # the window [s, s + window) inside the range holding t[i]
                start, end = read[bisect_left(range_starts, times[i]) - 1]
                lower, upper = max(lower, start), min(upper, end - window)
            if lower < upper:
                found.append(rated[i:j + 1])
                break
    return found


def fewest_unhappy(min_answers: int, unsatisfied_share: float) -> int:
    """The fewest unhappy answers a qualifying window holds: ``⌈share × min_answers⌉`` (an
    integer count below it is below ``share × size`` for every size ≥ ``min_answers``)."""
    return math.ceil(unsatisfied_share * min_answers - 1e-9)


@dataclass(frozen=True)
class BurstRun:
    """``k = ⌈share × min_answers⌉`` consecutive unhappy answers that could begin a qualifying
    window holding a new answer: ``unhappy`` holds their times and those of the unhappy
    answers after them within a window of the first (what such a window could hold)."""

    unhappy: tuple[datetime, ...]
    k: int

    @property
    def first(self) -> datetime:
        return self.unhappy[0]

    @property
    def kth(self) -> datetime:
        return self.unhappy[self.k - 1]

    @property
    def last(self) -> datetime:
        return self.unhappy[-1]


def burst_runs(new_times: Sequence[datetime], unhappy_times: Sequence[datetime], window: timedelta,
               min_answers: int, unsatisfied_share: float) -> list[BurstRun] | None:
    """The runs where a qualifying window holding a new answer may begin, or None when every
    rating around the new ones matters (a share so low that no unhappy answer is needed).

    A qualifying window holds at least ``k`` unhappy answers and a new one. Take its first
    unhappy answer ``u[a]``: the k-th from there, ``u[a+k-1]``, lies in the window too, so the
    run spans less than a window and a new answer lies in ``(u[a+k-1] − window, u[a] + window)``.
    ``unhappy_times`` is every unhappy rated answer around the new ones, stored or new.
    """
    k = fewest_unhappy(min_answers, unsatisfied_share)
    if k <= 0:
        return None
    news, unhappy = sorted(new_times), sorted(unhappy_times)
    runs: list[BurstRun] = []
    for a in range(len(unhappy) - k + 1):
        first, kth = unhappy[a], unhappy[a + k - 1]
        if kth - first >= window:
            continue
        after_start = bisect_right(news, kth - window)
        if after_start == len(news) or news[after_start] >= first + window:
            continue  # no new answer in the range
        runs.append(BurstRun(tuple(unhappy[a:bisect_left(unhappy, first + window)]), k))
    return runs


def burst_regions(runs: Sequence[BurstRun], rated_at: Sequence[tuple[datetime, int]], window: timedelta,
                  unsatisfied_share: float) -> list[tuple[datetime, datetime]]:
    """The open time ranges ``(start, end)`` outside which no rating can change what
    ``burst_windows`` finds; sorted and merged.

    ``rated_at`` holds (recorded time, rated answers at that time) for every time inside the
    runs' spans ``[first, last]``. Take a qualifying window whose first unhappy answer begins
    a run, and its last unhappy answer ``t`` (the k-th of the run or a later one): it holds
    the ``n`` unhappy answers of the run up to ``t`` and every satisfied answer between
    ``first`` and ``t`` (``S``), so ``n ≥ share × (n + S)``. A run where no ``t`` passes begins
    no qualifying window and is dropped; each run kept adds ``(kth − window, first +
    window)``, where its windows lie. Bursts are rare, and at a busy office the satisfied
    answers between unhappy ones rule nearly every run out, so the rated answers are read
    only around real bursts, not around every pair of unhappy answers.
    """
    times = sorted(rated_at)
    at = [t for t, _ in times]
    before = [0]  # rated answers before index i
    for _, n in times:
        before.append(before[-1] + n)
    ranges: list[tuple[datetime, datetime]] = []
    for run in runs:
        since = before[bisect_left(at, run.first)]
        if not any(n >= unsatisfied_share * (before[bisect_right(at, t)] - since) - 1e-9
                   for n, t in enumerate(run.unhappy[run.k - 1:], start=run.k)):
            continue
        start, end = run.kth - window, run.first + window
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    return ranges


def is_severe(fact: RatingFact, attitude_reasons: Iterable[str]) -> bool:
    """A lowest-level rated answer (score 1) citing the clerk's attitude, or with a comment."""
    if not fact.counts or fact.score != 1:
        return False
    return bool(set(fact.reasons) & set(attitude_reasons)) or bool(fact.comment and fact.comment.strip())


def trend_breached(satisfied: int, rated: int, target: float, min_n: int = MIN_N_DEFAULT) -> bool:
    """A clerk's satisfaction over the trend period falls below target: Wilson lower bound of
    ``satisfied``/``rated`` under ``target``, judged only with ``rated ≥ min_n`` (the ranking's
    minimum, so three bad answers of a new clerk do not alert)."""
    if rated < min_n:
        return False
    bound = wilson_lower_bound(satisfied, rated)
    return bound is not None and bound < target


def silent_counters(finished_tickets: dict[int, int], ratings_recorded: set[int], min_tickets: int) -> list[int]:
    """Counters that finished at least ``min_tickets`` tickets on a day and whose tablet
    recorded no rating at all (not even a "not rated" prompt) that day."""
    return sorted(c for c, n in finished_tickets.items() if n >= min_tickets and c not in ratings_recorded)


def is_late(recorded: datetime, received: datetime, late_after: timedelta) -> bool:
    """The rating that completed a condition reached the server ``late_after`` or more after it was recorded."""
    return received - recorded >= late_after


def due_time(start: datetime, working_hours: float, periods: list[tuple[int, int]], working_days: Iterable[int],
             zone: ZoneInfo) -> datetime:
    """``start`` plus ``working_hours`` counted only inside the office's working periods
    (minutes after local midnight) on its working days (ISO weekday numbers). A case opened
    outside working hours starts counting at the next period."""
    days = set(working_days)
    if not days or not periods:
        raise ValueError("due_time needs at least one working day and period")
    left = timedelta(hours=working_hours)
    local = start.astimezone(zone)
    day: date = local.date()
    for _ in range(3660):  # ten years of days: far beyond any due time
        if day.isoweekday() in days:
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            for first, last in periods:
                begin = midnight + timedelta(minutes=first)
                end = midnight + timedelta(minutes=last)
                begin = max(begin, local)
                if begin >= end:
                    continue
                if end - begin >= left:
                    return (begin + left).astimezone(start.tzinfo)
                left -= end - begin
        day += timedelta(days=1)
    raise ValueError("due time beyond ten years: check the working hours")
