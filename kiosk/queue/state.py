"""``QueueState``: the queue's live state and its durability, below the operations.

The live state (waiting and called tickets, counters, numbers) is saved before an operation
returns, as one journal line per change on top of a checkpoint (``kiosk.queue.store``), so a
SIGKILL at any instant leaves either the state before or after an operation. Tickets that
reach an end leave the live state and are appended to the day's archive
(``kiosk.queue.archive``; they ride in the saved state until that append is done, so a crash
in between cannot lose them). Every ticket change also becomes a versioned ``ticket`` record
for the outbox (``kiosk.queue.ticket_records``); the records to append are saved with the
state *before* they go to the outbox, so a crash between the two writes is repaired at the
next start without losing or doubling a snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.queue.archive import DayArchive
from kiosk.queue.errors import QueueError
from kiosk.queue.estimates import ServiceTimes
from kiosk.queue.store import QueueStore
from kiosk.queue.ticket import CounterState, Ticket, iso
from kiosk.queue.ticket_records import append_ticket_records
from sync.config import Config
from sync.store import StoreWriteError

__all__ = ["Listener", "QueueState"]

Listener = Callable[[dict], None]
_log = logging.getLogger(__name__)


class QueueState:
    """The live state of one office's queue and how a change of it becomes durable: saved
    (``_commit``), told to listeners, archived and sent to the outbox. ``QueueEngine`` adds the
    operations; subclasses change the state only inside ``with self._changing():`` and end
    each change with ``self._commit(events)``.

    ``clock`` returns the current time as an aware datetime (tests pass a fake one).
    ``outbox`` (a ``sync.outbox.Outbox``) receives a ``ticket`` record for every change.
    ``compact_every``: changes journalled between two full checkpoints of the state.
    """

    def __init__(self, config: Config, state_dir: Path, outbox=None,
                 clock: Callable[[], datetime] | None = None, compact_every: int = 400):
        self.config = config
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.archive = DayArchive(self.state_dir / "archive")
        self.outbox = outbox
        self._tz = ZoneInfo(config.office.timezone)
        self._clock = clock or (lambda: datetime.now(self._tz))
        self._lock = threading.RLock()
        self._outbox_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._compact_every = compact_every
        self._store = QueueStore(self.state_dir, "queue", compact_every)
        self._dirty: set[str] = set()  # tickets changed since the last commit
        self._checkpoint_next = False
        # ticket id -> what its records say about the ticket's page on the citizen's phone
        # (token hash, code hash, sealed token), so the central server can serve that page;
        # set by the hub (kiosk/hub/citizen.py) before the first change.
        self.page_fields: Callable[[str], dict[str, str]] | None = None
        self._load()
        self._flush_archive()
        self._flush_unsent()

    # -- persistence ---------------------------------------------------------------------

    def _load(self) -> None:
        saved = self._store.load()
        data, items = saved if saved else ({"day": self._business_day(self._now())}, {})
        self._day: str = data["day"]
        self._next_number: dict[str, int] = data.get("next_number", {})
        self._issue_seq: int = data.get("issue_seq", 0)
        self._tickets: dict[str, Ticket] = {tid: Ticket.from_dict(t) for tid, t in items.items()}
        self._counters: dict[int, CounterState] = {c.id: CounterState() for c in self.config.counters}
        for key, value in data.get("counters", {}).items():
            if int(key) in self._counters:
                self._counters[int(key)] = CounterState(**value)
        self._times = ServiceTimes(self.config, data.get("durations", {}))
        self._recent_calls: list[dict] = data.get("recent_calls", [])
        self._unsent: list[dict] = data.get("unsent", [])
        self._to_archive: list[dict] = data.get("to_archive", [])
        self._totals: dict[str, int] = data.get("totals", {"issued": 0, "finished": 0, "no_show": 0})
        self._event_seq: int = data.get("event_seq", 0)

    def _save(self) -> None:
        meta = {
            "day": self._day,
            "next_number": self._next_number,
            "issue_seq": self._issue_seq,
            "counters": {str(cid): dataclasses.asdict(c) for cid, c in self._counters.items()},
            "durations": self._times.durations,
            "recent_calls": self._recent_calls,
            "unsent": self._unsent,
            "to_archive": self._to_archive,
            "totals": self._totals,
            "event_seq": self._event_seq,
        }
        changed = {tid: (self._tickets[tid].to_dict() if tid in self._tickets else None) for tid in self._dirty}
        self._store.commit(meta, changed, lambda: {tid: t.to_dict() for tid, t in self._tickets.items()},
                           checkpoint=self._checkpoint_next)
        self._dirty.clear()
        self._checkpoint_next = False

    def close(self) -> None:
        """Release the state files (the state is already saved after every operation)."""
        with self._lock:
            self._store.close()

    def _archive(self, tickets: list[Ticket], day: str | None = None) -> None:
        """Mark ended tickets for the day's archive. They are saved in the state file with the
        change that ended them, and appended to the archive file right after that save
        (again at the next start if a crash came in between; reading removes repeats)."""
        self._to_archive.extend({"day": day or self._day, "ticket": t.to_dict()} for t in tickets)

    def _flush_archive(self) -> None:
        by_day: dict[str, list[dict]] = {}
        for item in self._to_archive:
            by_day.setdefault(item["day"], []).append(item["ticket"])
        try:
            for day, tickets in by_day.items():
                self.archive.append(day, tickets)
        except OSError:
            # The tickets stay in the saved state and are appended after the next change
            # (reading the archive ignores lines written twice).
            _log.exception("could not append to the queue archive; will retry")
            return
        self._to_archive = []

    def archived(self, day: str) -> list[dict]:
        """The tickets archived for ``day`` (YYYY-MM-DD), latest version of each."""
        return self.archive.read(day)

    # -- outbox --------------------------------------------------------------------------

    def _record(self, ticket: Ticket, at: datetime) -> None:
        """Queue a ticket snapshot for the outbox (saved with the state, sent after it)."""
        if self.outbox is None:
            return
        self._unsent.append({"ticket": ticket.to_dict(), "at": iso(at)})

    def _flush_unsent(self) -> None:
        """Append the saved-but-unsent ticket records to the outbox, oldest first.

        One thread sends at a time, without holding the queue's lock; a thread that finds
        another one sending leaves its records to it. The sender makes at most two passes
        (so its own clerk is not kept waiting by a busy office); anything left goes with the
        next change or the hub's next housekeeping tick. Records stay in the saved state
        until appended, so none is lost."""
        if self.outbox is None or not self._outbox_lock.acquire(blocking=False):
            return
        try:
            for _ in range(2):
                with self._lock:
                    items = list(self._unsent)
                if not items:
                    return
                sent = append_ticket_records(self.outbox, self.config.office.id, items, self.page_fields)
                with self._lock:
                    done = {id(item) for item in sent}
                    self._unsent = [item for item in self._unsent if id(item) not in done]
                    self._save_sent()
                if len(sent) < len(items):
                    return  # the disk refused a write: retried after the next change
        finally:
            self._outbox_lock.release()

    def _save_sent(self) -> None:
        """Write down at once that the records reached the outbox: a restart must not queue the
        same ticket state again (that would be a second record of one state)."""
        try:
            self._save()
        except StoreWriteError:
            _log.warning("could not note the ticket records as sent; a restart may offer them again "
                         "(the server counts them once)")

    # -- time ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the queue clock must return an aware datetime")
        return now.astimezone(self._tz)

    def _business_day(self, now: datetime) -> str:
        return (now - timedelta(hours=self.config.hub.daily_reset_hour)).date().isoformat()

    # -- events --------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` after every change; returns a function that unsubscribes.

        ``event`` is ``{"type": ..., "data": {...}, "seq": n}``. Listeners run in the thread
        that made the change, after the change is on disk; they must be quick.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _commit(self, events: list[tuple[str, dict]]) -> None:
        """Persist, tell listeners, then write the archive (lock held by caller; the outbox
        records follow once the lock is released, see ``_changing``).

        Listeners hear of the change as soon as it is saved: the archive lines and outbox
        records are already safe inside the saved state, so screens need not wait for them."""
        stamped = []
        for kind, data in events:
            self._event_seq += 1
            stamped.append({"type": kind, "data": data, "seq": self._event_seq})
        try:
            self._save()
        except StoreWriteError as exc:
            self._rollback()
            raise QueueError(f"the queue could not be saved, nothing was changed: {exc}", "storage_failed") from exc
        for event in stamped:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # noqa: BLE001 — the change is saved; a broken screen must not undo a click
                    _log.exception("queue listener %r failed on a %s event", listener, event["type"])
        self._flush_archive()

    def _rollback(self) -> None:
        """After a failed save: forget the unsaved change by reading the state back from disk."""
        self._store.close()
        self._store = QueueStore(self.state_dir, "queue", self._compact_every)
        self._dirty.clear()
        self._checkpoint_next = False
        self._load()

    @contextlib.contextmanager
    def _changing(self):
        """Hold the queue's lock for a change, then send its records to the outbox after
        letting go of the lock, so the next counter's click need not wait for that write."""
        with self._lock:
            yield
        self._flush_unsent()

    def _bump(self, ticket: Ticket, now: datetime) -> None:
        ticket.version += 1
        self._dirty.add(ticket.id)
        self._record(ticket, now)
