"""Where reads go: a PostgreSQL streaming replica when it answers and keeps up, else the primary.

Dashboards, exports and reports only read, so with ``server.replica_url`` set they read from a
hot-standby replica and leave the primary to ingest and logins (which always write to the
primary). A replica may be down or behind; the dashboard must still answer, and say how fresh
its figures are. ``ReadRouter.source()`` decides, at most once every ``CHECK_EVERY_S``:

* **how far behind**: the primary's WAL flush position is read (every commit is flushed
  there) and remembered with the time, then the replica's replay position is polled for up
  to ``CATCH_UP_WAIT_S``. If the replica reaches it, its lag is that wait (milliseconds on a
  healthy LAN). If not, it holds at least every change made before the newest remembered
  position it has replayed, so its lag is the time since that position was seen (before
  any is known: the time since the last transaction it replayed). Both are upper bounds, so a
  replica cut off from the primary is seen falling further behind even while the primary is
  idle. No table and no writes are needed, and it works the same for any number of servers.
* **which one answers**: the replica when it answered and its lag is within ``max_lag_s``;
  otherwise the primary, with the reason (unreachable, or behind by how much).

A replica that does not answer is asked again only every ``DOWN_CHECK_FACTOR`` checks, so
pages do not keep paying its connect timeout. ``ReadSource`` carries that answer to the page footer. Without a replica every read source is
the primary with no note, and nothing is checked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

__all__ = ["CATCH_UP_WAIT_S", "CHECK_EVERY_S", "ReadRouter", "ReadSource"]

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
DOWN_CHECK_FACTOR = 6  # an unreachable replica is asked again after 6 times CHECK_EVERY_S
CATCH_UP_WAIT_S = 1.0
_POLL_S = 0.01
_POSITIONS_KEPT = 120


@dataclass(frozen=True)
class ReadSource:
    """Which database answers a read, and why.

    ``role`` is ``"primary"`` or ``"replica"``; ``lag_s`` is the replica's measured lag (None
    when there is no replica or it did not answer); ``fallback`` names why the primary answers
    although a replica is configured: ``"unreachable"`` or ``"lagging"``.
    """

    role: str
    engine: Engine
    lag_s: float | None = None
    fallback: str | None = None
    replica_configured: bool = False


class ReadRouter:
    """Chooses the read engine between ``primary`` and an optional ``replica``."""

    def __init__(self, primary: Engine, replica: Engine | None, max_lag_s: float,
                 check_every_s: float = CHECK_EVERY_S, clock=time.monotonic):
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._current = ReadSource("primary", primary)
        self._positions: deque[tuple[str, float]] = deque(maxlen=_POSITIONS_KEPT)  # (primary WAL position, when)

    def source(self) -> ReadSource:
        """The read source to use now (re-checked at most every ``check_every_s``)."""
        if self.replica is None:
            return self._current
        with self._lock:
            now = self._clock()
            # a replica that does not answer costs a connect timeout to ask: ask it less often
            every = self.check_every_s * (DOWN_CHECK_FACTOR if self._current.fallback == "unreachable" else 1)
            if self._checked_at is None or now - self._checked_at >= every:
                self._current = self._check()
                self._checked_at = self._clock()
            return self._current

    def mark_unreachable(self) -> ReadSource:
        """A read on the replica just failed to connect: use the primary until the next check."""
        with self._lock:
            self._current = ReadSource("primary", self.primary, None, "unreachable", True)
            self._checked_at = self._clock()
            return self._current

    @contextmanager
    def connect(self, primary: bool = False):
        """``with router.connect() as (conn, source):`` a read connection and where it goes.

        A replica that fails to connect is marked unreachable and the primary answers instead,
        within the same request. ``primary=True`` reads from the primary whatever the replica
        does: a page shown right after a change must show that change.
        """
        source = ReadSource("primary", self.primary, None, None, self.replica is not None) if primary \
            else self.source()
        try:
            conn = source.engine.connect()
        except DBAPIError as exc:
            if source.role != "replica":
                raise
            source = self._unreachable_now(exc)
            conn = source.engine.connect()
        with conn:
            yield conn, source

    def answering(self) -> ReadSource:
        """The read source, its engine just seen to accept a connection (for readers such as
        exports that open their own connections)."""
        with self.connect() as (_conn, source):
            return source

    def _unreachable_now(self, exc: Exception) -> ReadSource:
        log.warning("read replica unreachable (%s); reading from the primary", str(exc).splitlines()[0])
        return self.mark_unreachable()

    def _check(self) -> ReadSource:
        try:
            lag = self.measure_lag()
        except SQLAlchemyError as exc:
            log.warning("read replica unreachable (%s); reading from the primary", str(exc).splitlines()[0])
            return ReadSource("primary", self.primary, None, "unreachable", True)
        if lag is None or lag > self.max_lag_s:
            return ReadSource("primary", self.primary, lag, "lagging", True)
        return ReadSource("replica", self.replica, lag, None, True)

    def measure_lag(self) -> float | None:
        """Seconds the replica is behind the primary now (None: it is behind and no earlier
        position tells by how much). Raises SQLAlchemyError when the replica is down."""
        with self.primary.connect() as conn:
            target, system = conn.execute(text(_POSITION)).one()
        started = time.monotonic()
        self._positions.append((target, started))
        with self.replica.connect() as conn:
            if conn.execute(text("SELECT system_identifier FROM pg_control_system()")).scalar_one() != system:
                raise NotAReplica("server.replica_url is not a copy of the primary database cluster")
            while True:
                if _replayed(conn, target):
                    return round(time.monotonic() - started, 3)
                if time.monotonic() - started >= CATCH_UP_WAIT_S:
                    break
                time.sleep(_POLL_S)
            # Behind: it holds every change made before the newest earlier position it replayed.
            for position, seen_at in reversed(list(self._positions)[:-1]):
                if _replayed(conn, position):
                    return round(time.monotonic() - seen_at, 3)
            age = conn.execute(text(
                "SELECT extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())")).scalar()
        return None if age is None else max(float(age), CATCH_UP_WAIT_S)


_POSITION = "SELECT pg_current_wal_flush_lsn()::text, (SELECT system_identifier FROM pg_control_system())"


class NotAReplica(SQLAlchemyError):
    """``server.replica_url`` points at a cluster that is not a streaming copy of the primary."""


def _replayed(conn: Connection, target: str) -> bool:
    row = conn.execute(text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"),
                       {"t": target}).one()
    in_recovery, caught_up = row
    if not in_recovery:  # promoted after a fail-over: as fresh as it gets
        return True
    return bool(caught_up)
