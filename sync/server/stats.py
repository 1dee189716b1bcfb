"""The figures admins read: satisfaction rates, level counts, rankings, ticket times, device health.

One definition of every figure, shared by the dashboard, the monthly report and the tests:

* **satisfaction rate** = satisfied ÷ rated, where *rated* excludes prompts that closed without
  an answer (``score`` null) and presses flagged as misuse; it is always shown with its n.
  Shares are computed from exact integer counts, never from rounded percentages.
* **clerk ranking** orders clerks by the Wilson score lower bound of their satisfaction rate
  (95 %), so a clerk with 3 of 3 satisfied does not outrank one with 480 of 500; clerks
  with fewer than ``min_n`` ratings are flagged as too few to compare.
* **ticket times**: waiting time (issued → called) and service time (served → finished),
  p50 and p90 with linear interpolation (PostgreSQL's ``percentile_cont``; the same formula in
  Python on SQLite), and the no-show rate = no-shows ÷ (finished + no-shows).

Queries group by plain indexed columns (``local_date``, ``office_id`` …) computed at ingest in
the office's time zone, and most pages use a single grouped scan (``tally_by`` with several
dimensions) whose small result is rolled up in Python — one pass over a million ratings
instead of one per table on the page.
"""

from __future__ import annotations

import json
import math
from collections import Counter as Bag
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, false, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Connection

from sync.server.models import Device, ExportAudit, Rating, Ticket

__all__ = [
    "MIN_N_DEFAULT",
    "Ranked",
    "Scope",
    "Tally",
    "TicketStats",
    "TimeStats",
    "audit_log",
    "choose_granularity",
    "counts_by",
    "device_health",
    "percentile",
    "ranking",
    "reason_counts",
    "recent_comments",
    "rollup",
    "satisfied_for",
    "share",
    "stale",
    "tally_by",
    "ticket_stats",
    "trend",
    "wilson_lower_bound",
]

MIN_N_DEFAULT = 30


@dataclass(frozen=True)
class Scope:
    """What a page or export looks at: local dates ``date_from``..``date_to`` (inclusive) and
    the offices allowed (``None`` = every office; only a province admin gets that)."""

    date_from: date
    date_to: date
    office_ids: tuple[str, ...] | None = None

    def conditions(self, table) -> list:
        conds = [table.local_date >= self.date_from, table.local_date <= self.date_to]
        if self.office_ids is not None:
            conds.append(table.office_id.in_(self.office_ids) if len(self.office_ids) != 1
                         else table.office_id == self.office_ids[0])
        return conds


# --- satisfaction ------------------------------------------------------------------------------


def satisfied_for(score: int, scale: int) -> bool:
    """THE definition of a satisfied answer: one of the top two levels of its scale ("Rất hài
    lòng", "Hài lòng"), the top one on a two-level scale. Ingest stores this, whatever flag the
    device sent (``sync.config.STANDARD_LEVELS`` follow the same rule)."""
    return score >= max(2, scale - 1)


def wilson_lower_bound(successes: int, n: int, z: float = 1.959964) -> float | None:
    """Lower end of the Wilson score interval for ``successes`` out of ``n`` (None when n = 0)."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


@dataclass
class Tally:
    """Exact counts for one group of ratings. ``levels`` maps ``(scale, score)`` → count of
    rated, non-misuse answers."""

    total: int = 0
    misuse: int = 0
    unrated: int = 0
    rated: int = 0
    satisfied: int = 0
    levels: Bag = field(default_factory=Bag)

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def wilson(self) -> float | None:
        return wilson_lower_bound(self.satisfied, self.rated)

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.misuse += other.misuse
        self.unrated += other.unrated
        self.rated += other.rated
        self.satisfied += other.satisfied
        self.levels.update(other.levels)

    def add_ratings(self, scale: int, score: int | None, satisfied: bool | None, misuse: bool, n: int) -> None:
        """Count ``n`` ratings of one kind (used to build tallies by hand, e.g. in tests)."""
        self.total += n
        if misuse:
            self.misuse += n
        elif score is None:
            self.unrated += n
        else:
            self.rated += n
            self.levels[(scale, score)] += n
            if satisfied:
                self.satisfied += n


MAX_SCALE = 10  # the record schema allows scales of 2..10 levels


def tally_by(conn: Connection, scope: Scope, *dims: str, where: Iterable = ()) -> dict[tuple, Tally]:
    """Counts per combination of the rating columns ``dims`` (e.g. ``"clerk_id"``,
    ``"local_hour"``) in one grouped query; ``tally_by(conn, scope)`` gives one overall tally
    under the key ``()``.

    Groups are ``dims`` + scale, with one filtered count per level as columns — a few times
    fewer result rows than grouping by level too, which is most of the cost on big ranges."""
    cols = [getattr(Rating, d) for d in dims]
    answered = and_(Rating.misuse == false(), Rating.score.is_not(None))
    stmt = (select(*cols, Rating.scale, func.count(), func.count().filter(Rating.misuse == true()),
                   func.count().filter(and_(Rating.misuse == false(), Rating.score.is_(None))),
                   func.count().filter(and_(answered, Rating.satisfied == true())),
                   *[func.count().filter(and_(Rating.misuse == false(), Rating.score == level))
                     for level in range(1, MAX_SCALE + 1)])
            .where(*scope.conditions(Rating), *where).group_by(*cols, Rating.scale))
    out: dict[tuple, Tally] = {}
    width = len(dims)
    for row in conn.execute(stmt).all():  # one fetchall: row-by-row fetching costs more than the loop
        key = tuple(row[:width])
        scale, total, misuse, unrated, satisfied = row[width:width + 5]
        tally = out.get(key)
        if tally is None:
            tally = out[key] = Tally()
        tally.total += total
        tally.misuse += misuse
        tally.unrated += unrated
        tally.satisfied += satisfied
        for level, n in enumerate(row[width + 5:], start=1):
            if n:
                tally.rated += n
                tally.levels[(scale, level)] += n
    if not dims and not out:
        out[()] = Tally()
    return out


def counts_by(conn: Connection, scope: Scope, *dims: str) -> dict[tuple, Tally]:
    """Like ``tally_by`` but without per-level counts: one row per combination of ``dims``
    with filtered counts, so a page needing several breakdowns (counter, clerk, service,
    hour) gets them all from one scan and rolls them up with ``rollup``."""
    cols = [getattr(Rating, d) for d in dims]
    answered = and_(Rating.misuse == false(), Rating.score.is_not(None))
    stmt = (select(*cols, func.count(), func.count().filter(Rating.misuse == true()),
                   func.count().filter(and_(Rating.misuse == false(), Rating.score.is_(None))),
                   func.count().filter(answered), func.count().filter(and_(answered, Rating.satisfied == true())))
            .where(*scope.conditions(Rating)).group_by(*cols))
    out: dict[tuple, Tally] = {}
    width = len(dims)
    for row in conn.execute(stmt).all():
        total, misuse, unrated, rated, satisfied = row[width:]
        out[tuple(row[:width])] = Tally(total, misuse, unrated, rated, satisfied)
    return out


def rollup(tallies: dict[tuple, Tally], key: Callable[[tuple], Hashable]) -> dict:
    """Merge fine-grained tallies into coarser groups: ``rollup(t, lambda k: k[0])``."""
    out: dict = {}
    for k, tally in tallies.items():
        group = key(k)
        if group not in out:
            out[group] = Tally()
        out[group].add(tally)
    return out


def choose_granularity(date_from: date, date_to: date) -> str:
    days = (date_to - date_from).days + 1
    return "day" if days <= 62 else "week" if days <= 370 else "month"


def _period_start(d: date, granularity: str) -> date:
    if granularity == "week":
        return d - timedelta(days=d.weekday())
    if granularity == "month":
        return d.replace(day=1)
    return d


def _next_period(d: date, granularity: str) -> date:
    if granularity == "week":
        return d + timedelta(days=7)
    if granularity == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return d + timedelta(days=1)


def trend(daily: dict[date, Tally], date_from: date, date_to: date, granularity: str) -> list[tuple[date, Tally]]:
    """Per-period tallies from per-day ones, every period of the range present (empty ones
    too, so a quiet week shows as a gap rather than disappearing)."""
    periods: dict[date, Tally] = {}
    start = _period_start(date_from, granularity)
    while start <= date_to:
        periods[start] = Tally()
        start = _next_period(start, granularity)
    for day, tally in daily.items():
        bucket = periods.get(_period_start(day, granularity))
        if bucket is not None:
            bucket.add(tally)
    return list(periods.items())


@dataclass
class Ranked:
    key: Hashable
    tally: Tally
    enough: bool  # n ≥ min_n: comparable


def ranking(tallies: dict, min_n: int = MIN_N_DEFAULT) -> list[Ranked]:
    """Groups ordered by Wilson lower bound (best first); those under ``min_n`` rated answers
    come after all comparable ones, flagged."""
    rows = [Ranked(k, t, t.rated >= min_n) for k, t in tallies.items() if t.total]
    rows.sort(key=lambda r: (not r.enough, -(r.tally.wilson or 0.0), -r.tally.rated, str(r.key)))
    return rows


def reason_counts(conn: Connection, scope: Scope) -> tuple[Bag, int]:
    """How often each reason code was given with a non-satisfied answer, and the number of
    non-satisfied answers (the denominator of "share of low scores citing this reason")."""
    low = and_(Rating.misuse == false(), Rating.score.is_not(None), Rating.satisfied == false())
    stmt = (select(Rating.reasons, func.count()).where(*scope.conditions(Rating), low)
            .group_by(Rating.reasons))
    counts: Bag = Bag()
    low_total = 0
    for reasons, n in conn.execute(stmt):
        low_total += n
        try:
            codes = json.loads(reasons or "[]")
        except ValueError:
            codes = []
        for code in set(codes if isinstance(codes, list) else []):
            counts[code] += n
    return counts, low_total


def recent_comments(conn: Connection, scope: Scope, limit: int = 20) -> list:
    stmt = (select(Rating.id, Rating.office_id, Rating.created_at, Rating.local_date, Rating.counter_id,
                   Rating.clerk_id, Rating.service_id, Rating.scale, Rating.score, Rating.satisfied,
                   Rating.reasons, Rating.comment)
            .where(*scope.conditions(Rating), Rating.comment.is_not(None), Rating.comment != "",
                   Rating.misuse == false())
            # local_date first: walks the (office_id, local_date) / local_date index backwards
            # and stops after ``limit`` comments instead of sorting every rating
            .order_by(Rating.local_date.desc(), Rating.created_at.desc()).limit(limit))
    return list(conn.execute(stmt))


# --- tickets -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """``percentile_cont`` of sorted ``values``: linear interpolation between closest ranks."""
    if not values:
        return None
    pos = q * (len(values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


@dataclass
class TimeStats:
    n: int = 0
    p50: float | None = None
    p90: float | None = None


@dataclass
class TicketStats:
    statuses: Bag
    wait: dict  # group key → TimeStats; key ("all",), ("service", id), ("hour", h)
    service: dict

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def no_show_rate(self) -> float | None:
        called = self.statuses["finished"] + self.statuses["no_show"]
        return self.statuses["no_show"] / called if called else None


def _time_stats_pg(conn: Connection, scope: Scope, result: TicketStats) -> None:
    """PostgreSQL: every percentile in one scan — ``GROUPING SETS`` over (all, service, hour),
    both percentiles of a column from one sort (``percentile_cont(ARRAY[0.5, 0.9])``; NULL
    times are ignored by the aggregate, and ``count(column)`` counts the non-NULL ones)."""
    quantiles = array([0.5, 0.9])
    stmt = (select(func.grouping(Ticket.service_id, Ticket.local_hour), Ticket.service_id, Ticket.local_hour,
                   func.count(Ticket.wait_s), func.percentile_cont(quantiles).within_group(Ticket.wait_s),
                   func.count(Ticket.service_s), func.percentile_cont(quantiles).within_group(Ticket.service_s))
            .where(*scope.conditions(Ticket))
            .group_by(func.grouping_sets(tuple_(), tuple_(Ticket.service_id), tuple_(Ticket.local_hour))))
    for g, service_id, hour, n_wait, wait, n_service, service in conn.execute(stmt):
        # grouping() bits: 2 = service_id aggregated away, 1 = local_hour aggregated away
        key = ("all",) if g == 3 else ("service", service_id) if g == 1 else ("hour", hour)
        if n_wait:
            result.wait[key] = TimeStats(n_wait, wait[0], wait[1])
        if n_service:
            result.service[key] = TimeStats(n_service, service[0], service[1])


def _time_stats_python(conn: Connection, scope: Scope, result: TicketStats) -> None:
    """Other databases (SQLite: one office's data): the same formula over the sorted values."""
    for target, column in ((result.wait, Ticket.wait_s), (result.service, Ticket.service_s)):
        for name, group in (("all", None), ("service", Ticket.service_id), ("hour", Ticket.local_hour)):
            keys = [] if group is None else [group]
            stmt = select(*keys, column).where(*scope.conditions(Ticket), column.is_not(None)).order_by(*keys, column)
            values: dict = {}
            for row in conn.execute(stmt):
                values.setdefault(row[0] if keys else None, []).append(row[-1])
            for key, v in values.items():
                target[(name,) if group is None else (name, key)] = TimeStats(len(v), percentile(v, 0.5),
                                                                              percentile(v, 0.9))


def ticket_stats(conn: Connection, scope: Scope) -> TicketStats:
    """Ticket counts by status and waiting/service time percentiles overall, per service and
    per hour of issue."""
    statuses = Bag(dict(conn.execute(select(Ticket.status, func.count()).where(*scope.conditions(Ticket))
                                     .group_by(Ticket.status)).all()))
    result = TicketStats(statuses, {}, {})
    if conn.dialect.name == "postgresql":
        _time_stats_pg(conn, scope, result)
    else:
        _time_stats_python(conn, scope, result)
    return result


# --- devices and audit -------------------------------------------------------------------------


def device_health(conn: Connection, office_ids: tuple[str, ...] | None) -> list:
    stmt = select(Device.__table__).order_by(Device.office_id, Device.kind, Device.name)
    if office_ids is not None:
        stmt = stmt.where(Device.office_id.in_(office_ids))
    return list(conn.execute(stmt))


def stale(last_seen: datetime | None, now: datetime | None = None, hours: float = 1.0) -> bool:
    """A device not heard from for ``hours`` needs a look."""
    now = now or datetime.now(UTC)
    return last_seen is None or (now - last_seen) > timedelta(hours=hours)


def audit_log(conn: Connection, limit: int = 200) -> list:
    stmt = select(ExportAudit.__table__).order_by(ExportAudit.at.desc(), ExportAudit.id.desc()).limit(limit)
    return list(conn.execute(stmt))


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None

