"""Summary tables: the counts every dashboard page, the monthly report and the ranking read.

A page's cost must grow with what it shows, not with the rows behind it. So ingest keeps, in
the same transaction as the rows themselves, counts of ratings and tickets per group
(``models.RatingCount``, ``RatingDay``, ``RatingReason``, ``TicketCount``, ``TicketTime``).
Ratings are counted per local day ('d') and per local month ('m'); a range is read as its
whole months plus the days at its edges (``spans``), so a year costs twelve month rows per
group, not 365 days of rows. Tickets are summarised per month only: an office's ~500
tickets a day spread over services × hours × status × time buckets make per-day groups about
as many as the tickets (measured: a day-grain histogram table larger than the tickets
table), so the edge days of a range are read from the ``tickets`` rows of those days
(``raw_ticket_figures``, at most two partial months per range).

The ticket summaries also keep every office together as one more office, ``ALL_OFFICES``
(''): a ticket adds to its own office's rows and to those. A page over all offices reads
those rows, one office's worth, instead of summing 120 offices' histograms (1.1M rows for a
province's year); a page over chosen offices reads theirs.

Exactly once. Contributions are added only for what the database says it inserted: a rating
whose id was new (insert-or-ignore), a ticket whose stored version moved up. A duplicate,
a quarantined conflict or a rejected record changes no count. When a ticket's stored row
moves from version a to version b, a's contribution is subtracted and b's added, in the same
statement, so its times move from one bucket to the right one exactly once whatever order
the versions arrive in (on PostgreSQL, ticket rows are locked first, per ticket, so two
batches carrying one ticket cannot both see the same old version). Every contribution is
keyed by the local day the record happened (``local_date``), never the day it arrived.

Writes are upserts (``INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n``) of the
batch's deltas summed per key and sorted by key (concurrent batches lock rows in the same
order), on SQLite and PostgreSQL alike. A group whose count went back to 0 keeps its row.

Times are kept as histograms with fixed bucket edges (``bucket_of``): one-minute buckets up to
2 hours, ten-minute buckets from 2 to 8 hours, then one bucket for everything longer.
Histograms of any groups merge by adding counts. A percentile read from them
(``percentile_of``) places the values of a bucket evenly inside it and interpolates between
ranks like ``percentile_cont``; it is off from the exact percentile by less than one bucket
width: under 1 minute for times below 2 hours, under 10 minutes up to 8 hours; above 8 hours
it reads 8 hours.

``rebuild`` recomputes the summaries from the raw rows in SQL (``INSERT … SELECT … GROUP
BY``), for upgrades and repairs; the property test checks that incremental and rebuilt
summaries are equal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import delete, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from sync.server.db import json_rows
from sync.server.models import (
    LEVELS,
    RatingCount,
    RatingDay,
    RatingReason,
    Ticket,
    TicketCount,
    TicketTime,
)

__all__ = ["ALL_OFFICES", "BUCKETS", "SOURCES", "SUMMARY_TABLES", "add_ratings", "bucket_bounds", "bucket_of", "lock_tickets", "month_of",
           "move_tickets", "percentile_of", "raw_ticket_figures", "rebuild", "rebuild_steps", "spans", "ticket_columns"]

SUMMARY_TABLES = (RatingCount, RatingDay, RatingReason, TicketCount, TicketTime)
# The ticket summaries' office of "every office together": their month rows summed over the
# offices, kept with them, so a page over all offices reads one office's worth of rows.
ALL_OFFICES = ""
REBUILD_WORK_MEM = "256MB"  # per sort or hash of a rebuild statement, for its transaction only
_COUNTS = ("n", "misuse", "unrated", "satisfied", *(f"l{k}" for k in LEVELS))

FINE_S, FINE_UNTIL = 60, 2 * 3600          # 1-minute buckets up to 2 h …
COARSE_S, COARSE_UNTIL = 600, 8 * 3600     # … 10-minute buckets up to 8 h, then one more
_FINE = FINE_UNTIL // FINE_S                # 120
BUCKETS = _FINE + (COARSE_UNTIL - FINE_UNTIL) // COARSE_S + 1  # 157: 0..155 bounded, 156 = 8 h and more


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration (negative clock skew counts as 0)."""
    if seconds < FINE_UNTIL:
        return int(max(seconds, 0.0) // FINE_S)
    if seconds < COARSE_UNTIL:
        return _FINE + int((seconds - FINE_UNTIL) // COARSE_S)
    return BUCKETS - 1


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """``(lower, upper)`` seconds of a bucket; the last one is ``(8 h, 8 h)``."""
    if bucket < _FINE:
        return bucket * FINE_S, (bucket + 1) * FINE_S
    if bucket < BUCKETS - 1:
        lower = FINE_UNTIL + (bucket - _FINE) * COARSE_S
        return lower, lower + COARSE_S
    return COARSE_UNTIL, COARSE_UNTIL


def percentile_of(histogram: dict[int, int], q: float) -> float | None:
    """``percentile_cont(q)`` estimated from bucket counts (see the module docstring)."""
    total = sum(histogram.values())
    if not total:
        return None
    pos = q * (total - 1)
    low_rank, high_rank = int(pos), min(int(pos) + 1, total - 1)
    values = {}
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if not count:
            continue
        lower, upper = bucket_bounds(bucket)
        for rank in (low_rank, high_rank):
            if rank not in values and seen <= rank < seen + count:
                values[rank] = lower + (upper - lower) * (rank - seen + 0.5) / count
        seen += count
        if high_rank in values:
            break
    return values[low_rank] + (values[high_rank] - values[low_rank]) * (pos - low_rank)


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def spans(date_from: date, date_to: date) -> tuple[list[date], list[tuple[date, date]]]:
    """A range of local days as (whole months, [day ranges at the edges])."""
    first_whole = date_from if date_from.day == 1 else _next_month(date_from)
    after = date_to + timedelta(days=1)
    end_whole = after if after.day == 1 else month_of(after)  # first day after the whole months
    if first_whole >= end_whole:
        return [], [(date_from, date_to)]
    months, month = [], first_whole
    while month < end_whole:
        months.append(month)
        month = _next_month(month)
    edges = []
    if date_from < first_whole:
        edges.append((date_from, first_whole - timedelta(days=1)))
    if end_whole <= date_to:
        edges.append((end_whole, date_to))
    return months, edges


# --- incremental: deltas of one batch -----------------------------------------------------------


def _grains(day: date) -> tuple[tuple[str, date], tuple[str, date]]:
    return ("d", day), ("m", month_of(day))


def _codes(reasons: str) -> set[str]:
    try:
        codes = json.loads(reasons or "[]")
    except ValueError:
        return set()
    return {str(c) for c in codes} if isinstance(codes, list) else set()


def _rating_counts(row: dict) -> dict[str, int]:
    """One rating's contribution to the count columns."""
    counts = {"n": 1}
    if row["misuse"]:
        counts["misuse"] = 1
    elif row["score"] is None:
        counts["unrated"] = 1
    else:
        counts[f"l{row['score']}"] = 1
        if row["satisfied"]:
            counts["satisfied"] = 1
    return counts


def add_ratings(conn: Connection, rows: Iterable[dict]) -> None:
    """Count newly inserted ratings (rows as ``ingest`` stored them)."""
    fine: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    daily: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    reasons: dict[tuple, int] = defaultdict(int)
    for row in rows:
        counts = _rating_counts(row)
        for grain, period in _grains(row["local_date"]):
            key = (grain, period, row["office_id"], row["counter_id"], row["clerk_id"] or "",
                   row["service_id"] or "", row["local_hour"], row.get("channel") or "tablet", row["scale"])
            for name, n in counts.items():
                fine[key][name] += n
            if row["score"] is not None and not row["misuse"] and not row["satisfied"]:
                for code in _codes(row["reasons"]):
                    reasons[(grain, period, row["office_id"], code)] += 1
        for name, n in counts.items():
            daily[(row["local_date"], row["office_id"], row["scale"])][name] += n
    _upsert(conn, RatingCount, fine)
    _upsert(conn, RatingDay, daily)
    _upsert(conn, RatingReason, {k: {"n": n} for k, n in reasons.items()})


def _ticket_contribution(row, sign: int, counts: dict, times: dict) -> None:
    period = month_of(row["local_date"])
    for office in (row["office_id"], ALL_OFFICES):
        counts[("m", period, office, row["service_id"], row["local_hour"], row["status"])]["n"] += sign
        for kind, seconds in (("wait", row["wait_s"]), ("service", row["service_s"])):
            if seconds is None:
                continue
            bucket = bucket_of(seconds)
            for dim, dim_key in (("service", row["service_id"]), ("hour", str(row["local_hour"]))):
                times[("m", period, office, dim, dim_key, bucket)][kind] += sign


def move_tickets(conn: Connection, changes: Iterable[tuple[dict | None, dict]]) -> None:
    """Count tickets whose stored row changed: ``(old row or None, new row)`` pairs."""
    counts: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    times: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for old, new in changes:
        if old is not None:
            _ticket_contribution(old, -1, counts, times)
        _ticket_contribution(new, +1, counts, times)
    _upsert(conn, TicketCount, counts)
    _upsert(conn, TicketTime, times)


def _upsert(conn: Connection, model, deltas: dict[tuple, dict]) -> None:
    """Add ``deltas`` (key tuple → {column: n}) to ``model``'s rows, creating missing ones."""
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    counts = [c.name for c in table.columns if c.name not in keys]
    rows = []
    for key in sorted(deltas):
        delta = deltas[key]
        if any(delta.values()):
            rows.append({**dict(zip(keys, key, strict=True)), **{c: delta.get(c, 0) for c in counts}})
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_pg_upsert_sql(model), (json_rows(rows),))
        return
    stmt = sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=keys,
                                      set_={c: table.c[c] + stmt.excluded[c] for c in counts})
    conn.execute(stmt, rows)


@lru_cache(maxsize=8)
def _pg_upsert_sql(model) -> str:
    """The whole batch as ONE JSON parameter expanded by PostgreSQL (see ``ingest._insert_new``)."""
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    sets = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in names if c not in keys)
    return (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(names)} "
            f"FROM json_populate_recordset(NULL::{table.name}, %s::json) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")


def lock_tickets(conn: Connection, ticket_ids: list[str]) -> None:
    """PostgreSQL: take a transaction lock per ticket, in sorted order, so the old version
    read next is still the stored one when the upsert replaces it (SQLite's one writer at a
    time already guarantees that)."""
    if conn.dialect.name == "postgresql" and ticket_ids:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(t, 0)) FROM unnest(CAST(:ids AS text[])) "
                          "WITH ORDINALITY AS u(t, i) ORDER BY i"), {"ids": sorted(ticket_ids)})


# --- rebuild from the raw rows ---------------------------------------------------------------------


def _sql(conn: Connection) -> dict[str, str]:
    """The few expressions that differ between SQLite and PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return {"month": "CAST(date_trunc('month', {col}) AS date)", "floor": "CAST(floor({x}) AS integer)",
                "reasons": "json_array_elements_text(CAST(r.reasons AS json)) AS e(value)",
                "true": "true"}
    return {"month": "date({col}, 'start of month')", "floor": "CAST({x} AS INTEGER)",
            "reasons": "json_each(r.reasons) AS e"}


def _bucket_sql(sql: dict, col: str) -> str:
    fine = sql["floor"].format(x=f"{col} / {FINE_S}")
    coarse = sql["floor"].format(x=f"({col} - {FINE_UNTIL}) / {COARSE_S}")
    return (f"CASE WHEN {col} < 0 THEN 0 WHEN {col} < {FINE_UNTIL} THEN {fine} "
            f"WHEN {col} < {COARSE_UNTIL} THEN {_FINE} + {coarse} ELSE {BUCKETS - 1} END")


def _count_columns(prefix: str = "") -> str:
    p = prefix
    parts = ["COUNT(*)", f"SUM(CASE WHEN {p}misuse THEN 1 ELSE 0 END)",
             f"SUM(CASE WHEN NOT {p}misuse AND {p}score IS NULL THEN 1 ELSE 0 END)",
             f"SUM(CASE WHEN NOT {p}misuse AND {p}score IS NOT NULL AND {p}satisfied THEN 1 ELSE 0 END)"]
    parts += [f"SUM(CASE WHEN NOT {p}misuse AND {p}score = {k} THEN 1 ELSE 0 END)" for k in LEVELS]
    return ", ".join(parts)


def _times_rows(sql: dict) -> str:
    """One row per ticket time and dimension: (local_date, office_id, dim, dim_key, bucket, w, s),
    w/s = 1 for a waiting/service time, over the tickets ``{where_t}`` selects. One scan of the
    tickets gives all four (service or hour × waiting or service time)."""
    wait, service = _bucket_sql(sql, "t.wait_s"), _bucket_sql(sql, "t.service_s")
    kinds = " UNION ALL ".join(f"SELECT '{dim}' AS dim, {is_wait} AS is_wait" for dim in ("service", "hour")
                               for is_wait in (1, 0))
    return (f"SELECT t.local_date, t.office_id, v.dim, CASE WHEN v.dim = 'service' THEN t.service_id "
            f"ELSE CAST(t.local_hour AS text) END AS dim_key, "
            f"CASE WHEN v.is_wait = 1 THEN {wait} ELSE {service} END AS bucket, v.is_wait AS w, 1 - v.is_wait AS s "
            f"FROM tickets t CROSS JOIN ({kinds}) AS v WHERE {{where_t}} "
            f"AND (CASE WHEN v.is_wait = 1 THEN t.wait_s ELSE t.service_s END) IS NOT NULL")


def raw_ticket_figures(conn: Connection, days: list[tuple[date, date]],
                       office_ids: tuple[str, ...] | None) -> tuple[list, list]:
    """Ticket counts by status and histogram rows ``(dim, dim_key, bucket, wait, service)`` of the
    tickets of some day ranges, read from the tickets themselves: the days at the edges of a
    range (tickets are summarised by month only — per day their groups are about as many as
    the tickets, see the module docstring)."""
    if not days:
        return [], []
    sql = _sql(conn)
    params: dict = {}
    parts = []
    for i, (lo, hi) in enumerate(days):
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
        parts.append(f"(t.local_date >= :lo{i} AND t.local_date <= :hi{i})")
    where_t = "(" + " OR ".join(parts) + ")"
    if office_ids is not None:
        names = []
        for i, office in enumerate(office_ids):
            params[f"o{i}"] = office
            names.append(f":o{i}")
        where_t += f" AND t.office_id IN ({', '.join(names)})"
    statuses = conn.execute(text(f"SELECT t.status, COUNT(*) FROM tickets t WHERE {where_t} GROUP BY t.status"),
                            params).all()
    rows = _times_rows(sql).format(where_t=where_t)
    histogram = [tuple(r) for r in conn.execute(text(
        f"SELECT x.dim, x.dim_key, x.bucket, SUM(x.w), SUM(x.s) FROM ({rows}) AS x "
        "GROUP BY x.dim, x.dim_key, x.bucket"), params)]
    return statuses, histogram


SOURCES = ("ratings", "tickets")  # the raw tables the summaries are made of, rebuilt independently
_SOURCE_TABLES = {"ratings": (RatingCount, RatingDay, RatingReason), "tickets": (TicketCount, TicketTime)}


def _statements(conn: Connection, source: str) -> list[tuple[str, str]]:
    """(table, INSERT … SELECT) in order, for the summaries of one source table. Ratings: day
    rows from the raw rows over ``:d0``..``:d1`` (and the office), then month rows and
    ``rating_days`` from those day rows (a few thousand times fewer rows, so the raw table is
    scanned only for the day grain). Tickets: month rows, then the all-offices rows from them."""
    sql = _sql(conn)
    counts = ", ".join(_COUNTS)
    sums = ", ".join(f"SUM(s.{c})" for c in _COUNTS)
    month = sql["month"].format(col="s.period")
    if source == "ratings":
        return [
            ("rating_counts",
             (f"INSERT INTO rating_counts (grain, period, office_id, counter_id, clerk_id, service_id, local_hour, "
              f"channel, scale, {counts}) SELECT 'd', r.local_date, r.office_id, r.counter_id, COALESCE(r.clerk_id, ''), "
              f"COALESCE(r.service_id, ''), r.local_hour, r.channel, r.scale, {_count_columns('r.')} FROM ratings r "
              f"WHERE {{where_r}} GROUP BY r.local_date, r.office_id, r.counter_id, COALESCE(r.clerk_id, ''), "
              f"COALESCE(r.service_id, ''), r.local_hour, r.channel, r.scale")),
            ("rating_reasons",
             (f"INSERT INTO rating_reasons (grain, period, office_id, reason, n) "
              f"SELECT 'd', x.local_date, x.office_id, x.reason, COUNT(*) FROM (SELECT DISTINCT r.id, "
              f"r.local_date, r.office_id, e.value AS reason FROM ratings r, {sql['reasons']} "
              f"WHERE {{where_r}} AND NOT r.misuse AND r.score IS NOT NULL AND NOT r.satisfied) AS x "
              f"GROUP BY x.local_date, x.office_id, x.reason")),
            ("rating_counts",
             (f"INSERT INTO rating_counts (grain, period, office_id, counter_id, clerk_id, service_id, local_hour, "
              f"channel, scale, {counts}) SELECT 'm', {month}, s.office_id, s.counter_id, s.clerk_id, s.service_id, "
              f"s.local_hour, s.channel, s.scale, {sums} FROM rating_counts s WHERE {{where_s}} GROUP BY {month}, "
              f"s.office_id, s.counter_id, s.clerk_id, s.service_id, s.local_hour, s.channel, s.scale")),
            ("rating_days",
             (f"INSERT INTO rating_days (local_date, office_id, scale, {counts}) SELECT s.period, s.office_id, s.scale, "
              f"{sums} FROM rating_counts s WHERE {{where_s}} GROUP BY s.period, s.office_id, s.scale")),
            ("rating_reasons",
             (f"INSERT INTO rating_reasons (grain, period, office_id, reason, n) SELECT 'm', {month}, s.office_id, "
              f"s.reason, SUM(s.n) FROM rating_reasons s WHERE {{where_s}} GROUP BY {month}, s.office_id, s.reason")),
        ]
    tmonth, xmonth = sql["month"].format(col="t.local_date"), sql["month"].format(col="x.local_date")
    every = f"s.grain = 'm' AND s.period >= :d0 AND s.period <= :d1 AND s.office_id <> '{ALL_OFFICES}'"
    return [
        ("ticket_counts",
         (f"INSERT INTO ticket_counts (grain, period, office_id, service_id, local_hour, status, n) "
          f"SELECT 'm', {tmonth}, t.office_id, t.service_id, t.local_hour, t.status, COUNT(*) "
          f"FROM tickets t WHERE {{where_t}} GROUP BY {tmonth}, t.office_id, t.service_id, t.local_hour, t.status")),
        ("ticket_times",
         (f"INSERT INTO ticket_times (grain, period, office_id, dim, dim_key, bucket, wait, service) "
          f"SELECT 'm', {xmonth}, x.office_id, x.dim, x.dim_key, x.bucket, SUM(x.w), SUM(x.s) "
          f"FROM ({_times_rows(sql)}) AS x GROUP BY {xmonth}, x.office_id, x.dim, x.dim_key, x.bucket")),
        ("ticket_counts",
         (f"INSERT INTO ticket_counts (grain, period, office_id, service_id, local_hour, status, n) "
          f"SELECT 'm', s.period, '{ALL_OFFICES}', s.service_id, s.local_hour, s.status, SUM(s.n) FROM ticket_counts s "
          f"WHERE {every} GROUP BY s.period, s.service_id, s.local_hour, s.status")),
        ("ticket_times",
         (f"INSERT INTO ticket_times (grain, period, office_id, dim, dim_key, bucket, wait, service) "
          f"SELECT 'm', s.period, '{ALL_OFFICES}', s.dim, s.dim_key, s.bucket, SUM(s.wait), SUM(s.service) "
          f"FROM ticket_times s WHERE {every} GROUP BY s.period, s.dim, s.dim_key, s.bucket")),
    ]


def rebuild(conn: Connection, date_from: date | None = None, date_to: date | None = None,
            office_id: str | None = None, progress: Callable[[str], None] | None = None,
            sources: Iterable[str] = SOURCES) -> dict[str, int]:
    """Recompute the summaries of ``sources`` (default both) for ``date_from``..``date_to``
    (widened to whole months; default: everything) and ``office_id`` (default: every office)
    from the raw rows, in the caller's transaction. Idempotent: the rows of that scope are
    deleted and written again (all of them at once when the scope is everything: on
    PostgreSQL a ``TRUNCATE``, which also spares the new rows a check against each deleted
    one with the same key — a third of the time of a full rebuild). Returns the number of raw
    rows read per source table."""
    sources = tuple(sources)
    everything = date_from is None and date_to is None and office_id is None
    if date_from is None or date_to is None:
        bounds = conn.execute(text("SELECT MIN(d), MAX(d) FROM (SELECT MIN(local_date) AS d FROM ratings UNION ALL "
                                   "SELECT MAX(local_date) FROM ratings UNION ALL SELECT MIN(local_date) FROM tickets "
                                   "UNION ALL SELECT MAX(local_date) FROM tickets) AS b")).one()
        if bounds[0] is None:
            date_from = date_to = date.today()
        else:
            low, high = (date.fromisoformat(b) if isinstance(b, str) else b for b in bounds)
            date_from, date_to = date_from or low, date_to or high
    d0 = month_of(date_from)
    d1 = _next_month(date_to) - timedelta(days=1)
    params: dict = {"d0": d0, "d1": d1}
    office = ""
    if office_id is not None:
        params["office"] = office_id
        office = " AND {a}.office_id = :office"
    where_r = "r.local_date >= :d0 AND r.local_date <= :d1" + office.format(a="r")
    where_t = "t.local_date >= :d0 AND t.local_date <= :d1" + office.format(a="t")
    where_s = "s.grain = 'd' AND s.period >= :d0 AND s.period <= :d1" + office.format(a="s")
    if conn.dialect.name == "postgresql":
        # the GROUP BYs over millions of rows hash in memory instead of spilling to disk
        conn.execute(text(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'"))
    for model in (model for source in sources for model in _SOURCE_TABLES[source]):
        table = model.__table__
        if everything and conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {table.name}"))
            continue
        stmt = delete(table)
        if not everything:
            column = table.c.local_date if model is RatingDay else table.c.period
            stmt = stmt.where(column >= d0, column <= d1)
        if office_id is not None:  # with the all-offices rows, summed again over every office
            stmt = stmt.where(table.c.office_id.in_((office_id, ALL_OFFICES)) if model in (TicketCount, TicketTime)
                              else table.c.office_id == office_id)
        conn.execute(stmt)
    for source in sources:
        for table, statement in _statements(conn, source):
            conn.execute(text(statement.format(where_r=where_r, where_t=where_t, where_s=where_s)), params)
            if progress:
                progress(table)
    # what was read, counted from what was written (every rating and ticket is counted once)
    read = {}
    if "ratings" in sources:
        read["ratings"] = conn.execute(text("SELECT COALESCE(SUM(n), 0) FROM rating_days s WHERE s.local_date >= :d0 "
                                            "AND s.local_date <= :d1" + office.format(a="s")), params).scalar_one()
    if "tickets" in sources:
        read["tickets"] = conn.execute(text(
            f"SELECT COALESCE(SUM(n), 0) FROM ticket_counts s WHERE s.grain = 'm' AND s.period >= :d0 "
            f"AND s.period <= :d1 AND s.office_id <> '{ALL_OFFICES}'" + office.format(a="s")), params).scalar_one()
    return read


def rebuild_steps(conn: Connection, sources: Iterable[str] = SOURCES) -> int:
    """How many statements ``rebuild`` runs (for a progress bar)."""
    return sum(len(_statements(conn, source)) for source in sources)


def ticket_columns() -> list:
    """The ``tickets`` columns a ticket's contribution depends on (read before an update)."""
    return [Ticket.ticket_id, Ticket.version, Ticket.office_id, Ticket.local_date, Ticket.local_hour,
            Ticket.service_id, Ticket.status, Ticket.wait_s, Ticket.service_s]
