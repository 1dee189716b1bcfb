"""Rate limits kept in the database: per-device uploads, per-client logins and enrollments.

Several ``sync-server run`` processes (on one host or behind a reverse proxy) must act as one
server, so a limit cannot live in one process's memory: a device sending to two processes
would get twice its allowance. Each limit is one row of ``rate_limits`` and one statement.

The rule is the generic cell rate algorithm (GCRA), a token bucket written as a single number:
the row keeps ``tat``, the "theoretical arrival time" when the bucket would be full again. A
request at ``now`` is allowed when ``tat - now <= (burst - 1) / rate`` and then moves ``tat``
on by ``1 / rate`` (from ``now`` if ``tat`` is in the past). ``burst`` requests may come back
to back, then ``rate`` per second. The check-and-update is ONE ``INSERT … ON CONFLICT DO
UPDATE … WHERE … RETURNING`` on SQLite and PostgreSQL alike, atomic under concurrency with no
read-modify-write in Python: a row comes back = allowed; none = refused, and then one more
read says how long to wait (``Retry-After``). Time is the database's clock, so servers on
different hosts agree on it.

Cost on the upload path: one single-row upsert per request (a batch carries up to 1,000
records), on the connection that also looks the device up, committed without waiting for
the WAL flush. Rows whose bucket is full again
mean nothing and are deleted by ``forget_idle`` (run by the server's maintenance loop).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

__all__ = ["RateLimit", "forget_idle"]

_NOW = {"postgresql": "extract(epoch FROM clock_timestamp())::float8",
        "sqlite": "((julianday('now') - 2440587.5) * 86400.0)"}
_LATER = {"postgresql": "greatest", "sqlite": "max"}


@dataclass(frozen=True)
class RateLimit:
    """``rate`` requests per second sustained, ``burst`` back to back, per key."""

    rate: float
    burst: float

    def __post_init__(self):
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")

    def take(self, conn: Connection, key: str) -> float:
        """Count one request of ``key``: 0.0 if allowed, else seconds to wait.

        Runs on the caller's connection; commits with the caller's transaction, which on
        PostgreSQL then does not wait for its WAL flush (a crash may forget the last counts,
        which only makes a limit lenient for a moment) — so call it in a transaction of its
        own or with other state of that kind (the device lookup), never with records.
        """
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        now, later = _NOW[dialect], _LATER[dialect]
        step, tolerance = 1.0 / self.rate, (self.burst - 1) / self.rate
        allowed = conn.execute(text(
            f"INSERT INTO rate_limits (key, tat) VALUES (:key, {now} + :step) "
            f"ON CONFLICT (key) DO UPDATE SET tat = {later}(rate_limits.tat, excluded.tat - :step) + :step "
            "WHERE rate_limits.tat - (excluded.tat - :step) <= :tolerance RETURNING tat"),
            {"key": key[:200], "step": step, "tolerance": tolerance}).first()
        if allowed is not None:
            return 0.0
        wait = conn.execute(text(f"SELECT tat - {now} - :tolerance FROM rate_limits WHERE key = :key"),
                            {"key": key[:200], "tolerance": tolerance}).scalar()
        return max(float(wait or 0.0), 0.001)


def forget_idle(conn: Connection) -> int:
    """Delete the rows of buckets that are full again (as if never used); returns how many."""
    return conn.execute(text(f"DELETE FROM rate_limits WHERE tat < {_NOW[conn.dialect.name]}")).rowcount
