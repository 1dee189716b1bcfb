"""Monthly partitions of ``ratings`` and ``tickets`` on PostgreSQL.

A province stores tens of millions of ratings and tickets a year. On PostgreSQL both tables
are declared ``PARTITION BY RANGE (local_date)`` (see ``models``) with one partition per
month, named ``ratings_p2025_07`` etc., and a ``ratings_default`` partition that catches any
date no month partition covers (a device whose clock says 1970 loses nothing). What that buys:
a page or export of one month reads one month's table and indexes (partition pruning on
``local_date``, the column every query filters on); old months can be archived or dropped
one table at a time; vacuum and index builds work on one month.

Partitions must exist before their rows arrive, so the server creates them ahead:
``ensure_partitions`` makes sure every month from last month to ``AHEAD_MONTHS`` ahead exists;
it runs at server start and every ``MAINTENANCE_EVERY_S`` (``maintenance_loop``), under an
advisory lock so several server processes never race each other. When a month is created
while ``*_default`` already holds rows of it (a device clock months ahead), those rows are
moved into the new partition in the same transaction.

SQLite has no partitions: there these functions do nothing and the tables are plain — the
same columns, keys and code paths.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

__all__ = ["AHEAD_MONTHS", "MAINTENANCE_EVERY_S", "PARTITIONED", "add_months", "ensure_ahead", "ensure_partitions",
           "is_partition", "maintenance_loop", "month_partition", "partitions_of"]

log = logging.getLogger(__name__)

PARTITIONED = ("ratings", "tickets")
AHEAD_MONTHS = 3
MAINTENANCE_EVERY_S = 6 * 3600
_LOCK_KEY = 0x7468756F63  # pg_advisory_xact_lock key for partition maintenance ("thuoc")
_NAME = re.compile(r"^(ratings|tickets)_(p\d{4}_\d{2}|default)$")


def is_partition(name: str) -> bool:
    """Whether ``name`` is one of the month (or default) partitions made here."""
    return bool(_NAME.match(name))


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_partition(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def partitions_of(conn: Connection, table: str) -> set[str]:
    return set(conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t"), {"t": table}).scalars())


def ensure_partitions(conn: Connection, first: date, last: date, tables: tuple[str, ...] = PARTITIONED) -> list[str]:
    """Create the month partitions of ``tables`` from ``first``'s month to ``last``'s month
    (and the default partitions) where missing; return the names created. Runs in the
    caller's transaction; does nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    created = []
    for table in tables:
        existing = partitions_of(conn, table)
        if f"{table}_default" not in existing:
            conn.execute(text(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT"))
            created.append(f"{table}_default")
        month = first.replace(day=1)
        while month <= last:
            name = month_partition(table, month)
            if name not in existing:
                _create_month(conn, table, name, month, add_months(month, 1))
                created.append(name)
            month = add_months(month, 1)
    return created


def _create_month(conn: Connection, table: str, name: str, start: date, end: date) -> None:
    bounds = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    strays = conn.execute(text(f"SELECT count(*) FROM {table}_default WHERE local_date >= :a AND local_date < :b"),
                          {"a": start, "b": end}).scalar()
    if not strays:
        conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} {bounds}"))
        return
    # Rows of this month already sit in the default partition: take the default out, move
    # them into the new month, put the default back — one transaction, nothing lost.
    log.info("moving %d rows of %s from %s_default into %s", strays, start.isoformat()[:7], table, name)
    conn.execute(text(f"ALTER TABLE {table} DETACH PARTITION {table}_default"))
    conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} {bounds}"))
    conn.execute(text(f"INSERT INTO {table} SELECT * FROM {table}_default WHERE local_date >= :a AND local_date < :b"),
                 {"a": start, "b": end})
    conn.execute(text(f"DELETE FROM {table}_default WHERE local_date >= :a AND local_date < :b"),
                 {"a": start, "b": end})
    conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {table}_default DEFAULT"))


def ensure_ahead(conn: Connection, today: date | None = None) -> list[str]:
    """The months the server keeps ready: last month to ``AHEAD_MONTHS`` ahead."""
    today = today or date.today()
    return ensure_partitions(conn, add_months(today.replace(day=1), -1), add_months(today.replace(day=1),
                                                                                      AHEAD_MONTHS))


def maintenance_loop(engine: Engine, stop: threading.Event, every_s: float = MAINTENANCE_EVERY_S) -> None:
    """Every ``every_s`` until ``stop`` is set: partitions ahead, idle rate-limit rows forgotten
    (``create_app`` has done both once at start)."""
    from sync.server.limits import forget_idle

    while not stop.wait(every_s):
        try:
            with engine.begin() as conn:
                created = ensure_ahead(conn)
                forget_idle(conn)
            if created:
                log.info("created partitions %s", ", ".join(created))
        except Exception:  # keep serving; the next round tries again
            log.exception("database maintenance failed; retrying in %d s", every_s)
