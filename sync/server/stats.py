"""The figures admins read: satisfaction rates, level counts, rankings, ticket times, device health.

One definition of every figure, shared by the dashboard, the monthly report and the tests:

* **satisfaction rate** = satisfied ÷ rated, where *rated* excludes prompts that closed without
  an answer (``score`` null) and presses flagged as misuse; it is always shown with its n.
  Shares are computed from exact integer counts, never from rounded percentages.
* **clerk ranking** orders clerks by the Wilson score lower bound of their satisfaction rate
  (95 %), so a clerk with 3 of 3 satisfied does not outrank one with 480 of 500; clerks
  with fewer than ``min_n`` ratings are flagged as too few to compare.
* **ticket times**: waiting time (issued → called) and service time (served → finished),
  p50 and p90 as ``percentile_cont`` would give them, read from the summaries' histograms
  (within one bucket width: under a minute for times below 2 hours), and the no-show rate
  = no-shows ÷ (finished + no-shows), of each ticket's latest version.

Every figure is read from the summary tables ingest keeps (``summaries.py``): their rows
are counts per group and local day or month, so a page's cost grows with the groups it
shows, not with the ratings behind them. Only drill-down lists (``recent_comments``) read raw
rows, with a LIMIT. Most pages use one grouped query (``tally_by`` with several dimensions)
whose small result is rolled up in Python.
"""

from __future__ import annotations

import math
from collections import Counter as Bag
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, and_, cast, false, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from sync.server import summaries
from sync.server.models import (
    LEVELS,
    Device,
    ExportAudit,
    Rating,
    RatingCount,
    RatingDay,
    RatingReason,
    TicketCount,
    TicketTime,
)

__all__ = [
    "MIN_N_DEFAULT",
    "Ranked",
    "Scope",
    "Tally",
    "TicketStats",
    "TimeStats",
    "audit_log",
    "choose_granularity",
    "device_health",
    "ranking",
    "reason_counts",
    "recent_comments",
    "rollup",
    "satisfied_for",
    "share",
    "stale",
    "tally_by",
    "tally_groupings",
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

    def conditions(self, table, date_column=None) -> list:
        """Conditions on a table (or its ``.c``) with ``local_date`` and ``office_id`` columns."""
        day = table.local_date if date_column is None else date_column
        conds = [day >= self.date_from, day <= self.date_to]
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


# rating dimensions a tally can be grouped by, and how the summaries store them
RATING_DIMS = ("local_date", "office_id", "counter_id", "clerk_id", "service_id", "local_hour", "channel")
_EMPTY_KEY = {"clerk_id": "", "service_id": ""}  # "none" is '' in a summary key


def _in_range(table, scope: Scope, period=None) -> list:
    """Rows of the scope's offices whose ``grain``/``period`` cover the scope's days exactly
    once: its whole months from month rows, the days at its edges from day rows."""
    period = table.c.period if period is None else period
    months, edges = summaries.spans(scope.date_from, scope.date_to)
    parts = [and_(table.c.grain == "d", period >= lo, period <= hi) for lo, hi in edges]
    if months:
        parts.append(and_(table.c.grain == "m", period.in_(months)))
    conds = [or_(*parts)]
    if scope.office_ids is not None:
        conds.append(table.c.office_id.in_(scope.office_ids) if len(scope.office_ids) != 1
                     else table.c.office_id == scope.office_ids[0])
    return conds


def tally_by(conn: Connection, scope: Scope, *dims: str) -> dict[tuple, Tally]:
    """Counts per combination of the rating dimensions ``dims`` (``RATING_DIMS``, e.g.
    ``"clerk_id"``, ``"local_hour"``), read from the summaries; ``tally_by(conn, scope)``
    gives one overall tally under the key ``()``. A missing clerk or service is ``None``.

    By day and office only (the overview), the small per-day table answers; otherwise the
    per-group table, by whole months plus edge days (by day when ``local_date`` is asked)."""
    unknown = set(dims) - set(RATING_DIMS)
    if unknown:
        raise ValueError(f"cannot group ratings by {sorted(unknown)}; known: {', '.join(RATING_DIMS)}")
    if set(dims) <= {"local_date", "office_id"}:
        table = RatingDay.__table__
        conds = scope.conditions(table.c)
        cols = [table.c[d] for d in dims]
    else:
        table = RatingCount.__table__
        cols = [table.c.period if d == "local_date" else table.c[d] for d in dims]
        if "local_date" in dims:
            conds = [table.c.grain == "d", *Scope(scope.date_from, scope.date_to, scope.office_ids)
                     .conditions(table.c, date_column=table.c.period)]
        else:
            conds = _in_range(table, scope)
    stmt = select(*cols, table.c.scale, *_sums(table)).where(*conds).group_by(*cols, table.c.scale)
    out: dict[tuple, Tally] = {}
    for row in conn.execute(stmt).all():  # one fetchall: row-by-row fetching costs more than the loop
        _add_row(out, dims, row)
    if not dims and not out:
        out[()] = Tally()
    return out


def tally_groupings(conn: Connection, scope: Scope, groupings: list[tuple[str, ...]]) -> list[dict[tuple, Tally]]:
    """``[tally_by(conn, scope, *dims) for dims in groupings]`` (no ``local_date`` among them),
    read in one pass over the summaries on PostgreSQL: ``GROUP BY GROUPING SETS`` hashes each
    month row into every grouping at once, where one query per grouping reads the same rows
    again each time (the breakdown's five over a province's year: 5 × 70 ms). SQLite, the
    small embedded database, runs ``tally_by`` for each."""
    if conn.dialect.name != "postgresql" or any("local_date" in dims for dims in groupings):
        return [tally_by(conn, scope, *dims) for dims in groupings]
    table = RatingCount.__table__
    every = sorted({d for dims in groupings for d in dims}, key=RATING_DIMS.index)
    # GROUPING(...) has a 1 bit for each column left out of the row's grouping set, first column highest
    masks = {sum(1 << (len(every) - 1 - i) for i, d in enumerate(every) if d not in dims): n
             for n, dims in enumerate(groupings)}
    # the months merged first (a twelfth of the rows), then each merged row into every grouping
    merged = (select(*(table.c[d] for d in every), table.c.scale, *(total.label(c) for c, total in zip(
        _COUNT_COLUMNS, _sums(table), strict=True))).where(*_in_range(table, scope))
        .group_by(*(table.c[d] for d in every), table.c.scale).subquery())
    stmt = (select(func.grouping(*(merged.c[d] for d in every)), *(merged.c[d] for d in every), merged.c.scale,
                   *(cast(total, BigInteger) for total in _sums(merged))).group_by(func.grouping_sets(
                       *(tuple_(*(merged.c[d] for d in dims), merged.c.scale) for dims in groupings))))
    outs: list[dict[tuple, Tally]] = [{} for _ in groupings]
    for row in conn.execute(stmt).all():
        n = masks[row[0]]
        dims = groupings[n]
        _add_row(outs[n], dims, [row[1 + every.index(d)] for d in dims] + list(row[1 + len(every):]))
    return outs


_COUNT_COLUMNS = ("n", "misuse", "unrated", "satisfied", *(f"l{k}" for k in LEVELS))


def _sums(table) -> list:
    return [func.sum(table.c[c]) for c in _COUNT_COLUMNS]


def _add_row(out: dict[tuple, Tally], dims: tuple[str, ...], row) -> None:
    """Add one summary row ``(*dims values, scale, n, misuse, unrated, satisfied, l1…)`` to ``out``."""
    width = len(dims)
    key = tuple(None if v is not None and v == _EMPTY_KEY.get(d) else v for v, d in zip(row[:width], dims, strict=True))
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
    table = RatingReason.__table__
    stmt = select(table.c.reason, func.sum(table.c.n)).where(*_in_range(table, scope)).group_by(table.c.reason)
    counts = Bag({reason: n for reason, n in conn.execute(stmt) if n})
    overall = tally_by(conn, scope)[()]
    return counts, overall.rated - overall.satisfied


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


def ticket_stats(conn: Connection, scope: Scope) -> TicketStats:
    """Ticket counts by status and waiting/service time percentiles overall, per service and
    per hour of issue, of each ticket's latest version: whole months from the summaries'
    counts and histograms, the days at the range's edges from the tickets of those days
    (``summaries.raw_ticket_figures``). Percentiles are read from the merged histograms
    (``summaries.percentile_of``: within one bucket width of the exact percentile)."""
    months, edges = summaries.spans(scope.date_from, scope.date_to)
    statuses: Bag = Bag()
    rows: list[tuple] = []
    if months:
        counts, times = TicketCount.__table__, TicketTime.__table__
        last = (months[-1] + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        # every office together: their sum, kept in the summaries as one more office
        whole = Scope(months[0], last, (summaries.ALL_OFFICES,) if scope.office_ids is None else scope.office_ids)
        statuses.update({status: n for status, n in conn.execute(
            select(counts.c.status, func.sum(counts.c.n)).where(*_in_range(counts, whole))
            .group_by(counts.c.status))})
        rows += conn.execute(select(times.c.dim, times.c.dim_key, times.c.bucket, func.sum(times.c.wait),
                                    func.sum(times.c.service)).where(*_in_range(times, whole))
                             .group_by(times.c.dim, times.c.dim_key, times.c.bucket)).all()
    edge_statuses, edge_rows = summaries.raw_ticket_figures(conn, edges, scope.office_ids)
    statuses.update(dict(edge_statuses))
    rows += edge_rows
    result = TicketStats(Bag({k: n for k, n in statuses.items() if n}), {}, {})
    histograms: dict[tuple, Bag] = {}
    for dim, dim_key, bucket, wait, service in rows:
        key = ("service", dim_key) if dim == "service" else ("hour", int(dim_key))
        for kind, n in (("wait", wait), ("service", service)):
            if not n:
                continue
            for group in ((kind, key), (kind, ("all",))) if dim == "service" else ((kind, key),):
                histograms.setdefault(group, Bag())[bucket] += n
    for (kind, key), histogram in histograms.items():
        target = result.wait if kind == "wait" else result.service
        target[key] = TimeStats(sum(histogram.values()), summaries.percentile_of(histogram, 0.5),
                                summaries.percentile_of(histogram, 0.9))
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

