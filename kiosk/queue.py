"""The office queue engine: tickets, counters and the rules that decide who is called next.

Plain Python with no UI or web imports, so the kiosk app issues tickets in-process, the hub
serves the same engine over the LAN, and tests drive it directly with a fake clock.

The rules (issue #5, DESIGN.md §2):

* Each service has its own block of ticket numbers (``services[].numbers``); numbers restart
  every day at ``hub.daily_reset_hour`` local time, when the day's tickets are archived.
* A counter serves the services it is configured for. A clerk logs in with the clerk PIN; a
  counter without a clerk, or paused, cannot call.
* "Call next" takes the oldest waiting ticket the counter may serve (by *original* issue
  time, so a transferred ticket keeps its place). Priority tickets (elderly, disabled,
  pregnant, small children) follow ``hub.priority_every``: 0 = always first; N = one priority
  ticket after every N normal ones at that counter (or sooner when no normal one waits).
* Recall is counted; a no-show may be put back in the queue (at its original place) within
  ``hub.no_show_requeue_min`` minutes; transfer sends the ticket to another service and/or a
  named counter; finish records the service time used for the wait estimates.
* Estimated wait = people ahead × moving average of recent service times for the service ÷
  open counters serving it (``hub.default_service_min`` before there is history).

Durability: the live state (waiting and called tickets, counters, numbers) is saved before
an operation returns, as one journal line per change on top of a checkpoint
(``kiosk/queue_store.py``), so a SIGKILL at any instant leaves either the state before or
after an operation. Tickets that reach an end (finished, cancelled, expired no-show) leave
the live state and are appended to the day's archive ``archive/<day>.jsonl`` (they ride in
the saved state until that append is done, so a crash in between cannot lose them). Every
ticket change also becomes a versioned ``ticket`` record for the outbox; the records to
append are saved with the state *before* they go to the outbox, and each record's id is
derived from (ticket id, version), so a crash between the two writes is repaired at the
next start without losing or doubling a snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.queue_store import QueueStore
from sync import records
from sync.config import Config
from sync.store import StoreWriteError

__all__ = ["Listener", "QueueEngine", "QueueError", "Ticket"]

_RECENT_DURATIONS = 20  # service times kept per service for the moving average
_RECENT_CALLS = 12  # calls kept for the lobby display's history
_RECORD_NAMESPACE = uuid.UUID("5b0f3a8e-8a43-4f0c-9d1e-6c1f0b7c2a11")

Listener = Callable[[dict], None]
_log = logging.getLogger(__name__)


class QueueError(Exception):
    """An operation that is not possible now (e.g. finish with nothing called); the message
    says why in words a clerk understands. ``code`` is a stable machine-readable reason."""

    def __init__(self, message: str, code: str = "invalid"):
        self.code = code
        super().__init__(message)


@dataclass
class Ticket:
    """One citizen's place in the queue (times are ISO-8601 with offset)."""

    id: str
    number: int
    service_id: str
    priority: bool
    status: str  # waiting | called | finished | no_show | cancelled
    issued_at: str
    people_ahead: int = 0
    estimated_wait_min: float = 0.0
    counter_id: int | None = None
    clerk_id: str | None = None
    called_at: str | None = None  # the latest call (a recall moves it)
    served_at: str | None = None  # service is counted from the latest call: the hub has no "arrived" step
    finished_at: str | None = None
    no_show_at: str | None = None
    transfers: int = 0
    recalls: int = 0
    version: int = 1
    issue_seq: int = 0  # tie-break for tickets issued in the same millisecond
    for_counter_id: int | None = None  # set by a transfer to a named counter

    def to_dict(self) -> dict:
        # Every field is a plain value, so a flat copy is enough (dataclasses.asdict deep-copies
        # and was the engine's main CPU cost when saving a long queue).
        return {name: getattr(self, name) for name in _TICKET_FIELDS}

    @classmethod
    def from_dict(cls, data: dict) -> Ticket:
        return cls(**{k: v for k, v in data.items() if k in _TICKET_FIELDS})


_TICKET_FIELDS = tuple(f.name for f in dataclasses.fields(Ticket))


@dataclass
class _CounterState:
    clerk_id: str | None = None
    ticket_id: str | None = None
    paused: bool = False
    normals_since_priority: int = 0
    last_finished: dict | None = None  # {"ticket": {...}, "finished_at": ..., "clerk_id": ...}


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


class QueueEngine:
    """The queue of one office. Thread-safe; every public operation is durable on return.

    ``clock`` returns the current time as an aware datetime (tests pass a fake one).
    ``outbox`` (a ``sync.outbox.Outbox``) receives a ``ticket`` record for every change.
    ``compact_every``: changes journalled between two full checkpoints of the state.
    """

    def __init__(self, config: Config, state_dir: Path, outbox=None,
                 clock: Callable[[], datetime] | None = None, compact_every: int = 400):
        self.config = config
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.archive_dir = self.state_dir / "archive"
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
        self._counters: dict[int, _CounterState] = {c.id: _CounterState() for c in self.config.counters}
        for key, value in data.get("counters", {}).items():
            if int(key) in self._counters:
                self._counters[int(key)] = _CounterState(**value)
        self._durations: dict[str, list[float]] = data.get("durations", {})
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
            "durations": self._durations,
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
                self._append_archive(day, tickets)
        except OSError:
            # The tickets stay in the saved state and are appended after the next change
            # (reading the archive ignores lines written twice).
            _log.exception("could not append to the queue archive; will retry")
            return
        self._to_archive = []

    def _append_archive(self, day: str, tickets: list[dict]) -> None:
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        path = self.archive_dir / f"{day}.jsonl"
        lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets)
        with open(path, "ab") as handle:
            if handle.tell() > 0:
                with open(path, "rb") as check:
                    check.seek(-1, os.SEEK_END)
                    if check.read(1) != b"\n":
                        handle.write(b"\n")  # a write cut short by a power loss: keep lines apart
            handle.write(lines.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def archived(self, day: str) -> list[dict]:
        """The tickets archived for ``day`` (YYYY-MM-DD), latest version of each."""
        path = self.archive_dir / f"{day}.jsonl"
        latest: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    ticket = json.loads(line)
                except ValueError:
                    continue  # a line torn by a power cut; its ticket is still in the live state
                if ticket["id"] not in latest or ticket["version"] >= latest[ticket["id"]]["version"]:
                    latest[ticket["id"]] = ticket
        return sorted(latest.values(), key=lambda t: (t["issued_at"], t["issue_seq"]))

    # -- outbox --------------------------------------------------------------------------

    def _record(self, ticket: Ticket, at: datetime) -> None:
        """Queue a ticket snapshot for the outbox (saved with the state, sent after it)."""
        if self.outbox is None:
            return
        self._unsent.append({"ticket": ticket.to_dict(), "at": _iso(at)})

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
                sent = self._send(items)
                with self._lock:
                    done = {id(item) for item in sent}
                    self._unsent = [item for item in self._unsent if id(item) not in done]
                if len(sent) < len(items):
                    return  # the disk refused a write: retried after the next change
        finally:
            self._outbox_lock.release()

    def _send(self, items: list[dict]) -> list[dict]:
        from sync.outbox import OutboxWriteError

        sent = []
        for item in items:
            t = item["ticket"]

            def make(seq: int, t=t, at=item["at"]) -> dict:
                rec = records.new_ticket(
                    office_id=self.config.office.id, device_id=self.outbox.device_id, seq=seq,
                    ticket_id=t["id"], version=t["version"], number=t["number"],
                    service_id=t["service_id"], priority=t["priority"], status=t["status"],
                    issued_at=t["issued_at"], called_at=t["called_at"], served_at=t["served_at"],
                    finished_at=t["finished_at"], counter_id=t["counter_id"], clerk_id=t["clerk_id"],
                    transfers=t["transfers"], recalls=t["recalls"], created_at=at)
                rec["id"] = str(uuid.uuid5(_RECORD_NAMESPACE, f"{t['id']}:{t['version']}"))
                return rec

            try:
                self.outbox.append_new(make)
            except ValueError as exc:
                if "already in the outbox" not in str(exc):
                    raise
            except OutboxWriteError:
                _log.exception("ticket record not stored in the outbox yet; kept in the queue state")
                break  # kept in the state file; retried after the next change, in order
            sent.append(item)
        return sent

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

    # -- views ---------------------------------------------------------------------------

    def _clerk_view(self, clerk_id: str | None) -> dict | None:
        if clerk_id is None:
            return None
        try:
            clerk = self.config.clerk(clerk_id)
        except KeyError:
            return {"id": clerk_id, "name": clerk_id, "photo_url": None}
        photo = f"/api/v1/clerks/{clerk.id}/photo" if clerk.photo else None
        return {"id": clerk.id, "name": clerk.name, "photo_url": photo}

    def ticket_view(self, ticket: Ticket) -> dict:
        view = ticket.to_dict()
        service = self.config.service(ticket.service_id)
        view["service_name"] = {"vi": service.name.vi, "en": service.name.en}
        return view

    def counter_view(self, counter_id: int) -> dict:
        """What a counter's tablet and console need: clerk, current ticket, last finished."""
        with self._lock:
            counter = self._counter_config(counter_id)
            state = self._counters[counter_id]
            current = self._tickets.get(state.ticket_id) if state.ticket_id else None
            last = None
            if state.last_finished:
                last = dict(state.last_finished)
                last["clerk"] = self._clerk_view(last.pop("clerk_id", None))
            return {
                "counter_id": counter.id,
                "name": {"vi": counter.name.vi, "en": counter.name.en},
                "services": list(counter.services),
                "clerk": self._clerk_view(state.clerk_id),
                "current": self.ticket_view(current) if current else None,
                "last_finished": last,
                "paused": state.paused,
            }

    def waiting_count(self, service_id: str) -> int:
        """Tickets of ``service_id`` waiting to be called."""
        with self._lock:
            self._service_config(service_id)
            return sum(1 for t in self._tickets.values() if t.status == "waiting" and t.service_id == service_id)

    def average_service_min(self, service_id: str) -> float:
        """Moving average of recent service times (minutes), or the configured default."""
        recent = self._durations.get(service_id) or []
        return sum(recent) / len(recent) if recent else float(self.config.hub.default_service_min)

    def _open_counters(self, service_id: str) -> int:
        serving = [c for c in self.config.counters if service_id in c.services]
        open_now = [c for c in serving if self._counters[c.id].clerk_id and not self._counters[c.id].paused]
        return len(open_now) or len(serving) or 1

    def _wait_for(self, service_id: str, people_ahead: int) -> float:
        minutes = people_ahead * self.average_service_min(service_id) / self._open_counters(service_id)
        return round(minutes, 1)

    def estimated_wait_min(self, service_id: str) -> float:
        """Minutes a ticket issued now for ``service_id`` would probably wait."""
        with self._lock:
            return self._wait_for(service_id, self.waiting_count(service_id))

    def _people_ahead(self, service_id: str, priority: bool) -> int:
        waiting = [t for t in self._tickets.values() if t.status == "waiting" and t.service_id == service_id]
        if not priority:
            return len(waiting)
        priorities = sum(1 for t in waiting if t.priority)
        normals = len(waiting) - priorities
        every = self.config.hub.priority_every
        if every == 0:
            return priorities
        return priorities + min(normals, (priorities + 1) * every)

    def waiting(self) -> list[Ticket]:
        """Waiting tickets, oldest first."""
        with self._lock:
            return [dataclasses.replace(t) for t in self._waiting()]

    def _waiting(self) -> list[Ticket]:
        return sorted((t for t in self._tickets.values() if t.status == "waiting"), key=_order)

    def tickets(self) -> list[Ticket]:
        """Every ticket still in the live queue (waiting, called, recent no-shows)."""
        with self._lock:
            return [dataclasses.replace(t) for t in sorted(self._tickets.values(), key=_order)]

    def ticket(self, ticket_id: str) -> Ticket:
        with self._lock:
            return dataclasses.replace(self._find(ticket_id))

    def snapshot(self) -> dict:
        """The whole queue as a JSON-able dict (the hub's ``GET /api/v1/state``)."""
        with self._changing():
            self._roll_day_if_needed()
            now = self._now()
            waiting = self._waiting()
            window = timedelta(minutes=self.config.hub.no_show_requeue_min)
            return {
                "office": {"id": self.config.office.id, "name": self.config.office.name},
                "day": self._day,
                "now": _iso(now),
                "notice": self.config.hub.notice,
                "services": [
                    {
                        "id": s.id,
                        "name": {"vi": s.name.vi, "en": s.name.en},
                        "waiting": sum(1 for t in waiting if t.service_id == s.id),
                        "estimated_wait_min": self._wait_for(
                            s.id, sum(1 for t in waiting if t.service_id == s.id)),
                        "average_service_min": round(self.average_service_min(s.id), 2),
                    }
                    for s in self.config.services
                ],
                "counters": [self.counter_view(c.id) for c in self.config.counters],
                "waiting": [self.ticket_view(t) for t in waiting],
                "no_shows": [self.ticket_view(t) for t in self._tickets.values()
                             if t.status == "no_show"
                             and now - datetime.fromisoformat(t.no_show_at) <= window],
                "recent_calls": list(self._recent_calls),
                "totals": dict(self._totals),
                "event_seq": self._event_seq,
            }

    def _queue_event(self) -> tuple[str, dict]:
        waiting = [t for t in self._tickets.values() if t.status == "waiting"]
        return "queue", {
            "waiting": {s.id: sum(1 for t in waiting if t.service_id == s.id) for s in self.config.services},
            "estimated_wait_min": {
                s.id: self._wait_for(s.id, sum(1 for t in waiting if t.service_id == s.id))
                for s in self.config.services},
        }

    def _counter_event(self, counter_id: int) -> tuple[str, dict]:
        return "counter", self.counter_view(counter_id)

    # -- lookups -------------------------------------------------------------------------

    def _service_config(self, service_id: Any):
        try:
            return self.config.service(service_id)
        except KeyError:
            known = ", ".join(s.id for s in self.config.services)
            raise QueueError(f"unknown service {service_id!r} (known: {known})", "unknown_service") from None

    def _counter_config(self, counter_id: Any):
        try:
            return self.config.counter(counter_id)
        except KeyError:
            known = ", ".join(str(c.id) for c in self.config.counters)
            raise QueueError(f"unknown counter {counter_id!r} (known: {known})", "unknown_counter") from None

    def _find(self, ticket_id: Any) -> Ticket:
        ticket = self._tickets.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is None:
            raise QueueError(f"unknown ticket {ticket_id!r} (not in today's queue)", "unknown_ticket")
        return ticket

    def _staffed(self, counter_id: int) -> _CounterState:
        self._counter_config(counter_id)
        state = self._counters[counter_id]
        if state.clerk_id is None:
            raise QueueError(f"no clerk is logged in at counter {counter_id}", "not_logged_in")
        return state

    def _current(self, counter_id: int, action: str) -> tuple[_CounterState, Ticket]:
        state = self._staffed(counter_id)
        if state.ticket_id is None or state.ticket_id not in self._tickets:
            raise QueueError(f"cannot {action}: counter {counter_id} has no called ticket", "no_current_ticket")
        return state, self._tickets[state.ticket_id]

    def _bump(self, ticket: Ticket, now: datetime) -> None:
        ticket.version += 1
        self._dirty.add(ticket.id)
        self._record(ticket, now)

    # -- daily reset and housekeeping ----------------------------------------------------

    def _roll_day_if_needed(self) -> list[tuple[str, dict]]:
        now = self._now()
        today = self._business_day(now)
        if today == self._day:
            return []
        ended = []
        for ticket in self._tickets.values():
            if ticket.status in ("waiting", "called"):
                ticket.status = "cancelled"
                ticket.finished_at = _iso(now)
                self._bump(ticket, now)
            ended.append(ticket)
        self._archive(ended, self._day)
        previous = self._day
        self._day = today
        self._tickets = {}
        self._checkpoint_next = True  # the new day starts from a fresh checkpoint
        self._next_number = {}
        self._recent_calls = []
        self._totals = {"issued": 0, "finished": 0, "no_show": 0}
        for cid in self._counters:
            self._counters[cid] = _CounterState()
        events = [("reset", {"previous_day": previous, "day": today}), self._queue_event()]
        events += [self._counter_event(cid) for cid in self._counters]
        self._commit(events)
        return events

    def tick(self) -> None:
        """Periodic housekeeping (the hub calls it every few seconds): the daily reset when
        nobody is using the queue, and archiving no-shows whose requeue window has passed."""
        with self._changing():
            self._roll_day_if_needed()
            now = self._now()
            window = timedelta(minutes=self.config.hub.no_show_requeue_min)
            expired = [t for t in self._tickets.values()
                       if t.status == "no_show" and now - datetime.fromisoformat(t.no_show_at) > window]
            if expired:
                self._archive(expired)
                for t in expired:
                    del self._tickets[t.id]
                    self._dirty.add(t.id)
                self._commit([])

    # -- operations ----------------------------------------------------------------------

    def issue(self, service_id: str, priority: bool = False) -> Ticket:
        """Give a citizen the next number of ``service_id``; returns the new ticket."""
        if not isinstance(priority, bool):
            raise QueueError(f"priority must be true or false, not {priority!r}", "bad_priority")
        with self._changing():
            self._roll_day_if_needed()
            service = self._service_config(service_id)
            now = self._now()
            number = self._next_number.get(service.id, service.numbers.first)
            in_use = {t.number for t in self._tickets.values() if t.service_id == service.id}
            for _ in range(service.numbers.last - service.numbers.first + 1):
                if number > service.numbers.last:
                    number = service.numbers.first  # block used up today: start again
                if number not in in_use:
                    break
                number += 1
            else:
                raise QueueError(f"every number of service {service.id!r} is in use", "numbers_exhausted")
            ahead = self._people_ahead(service.id, priority)
            self._issue_seq += 1
            ticket = Ticket(
                id=str(uuid.uuid4()), number=number, service_id=service.id, priority=priority,
                status="waiting", issued_at=_iso(now), people_ahead=ahead,
                estimated_wait_min=self._wait_for(service.id, ahead), issue_seq=self._issue_seq)
            self._tickets[ticket.id] = ticket
            self._dirty.add(ticket.id)
            self._next_number[service.id] = number + 1
            self._totals["issued"] += 1
            self._record(ticket, now)
            self._commit([("issued", {"ticket": self.ticket_view(ticket)}), self._queue_event()])
            return dataclasses.replace(ticket)

    def login(self, counter_id: int, clerk_id: str, pin: str) -> dict:
        """Log a clerk in to a counter (leaving any other counter they were at)."""
        with self._changing():
            self._roll_day_if_needed()
            self._counter_config(counter_id)
            try:
                clerk = self.config.clerk(clerk_id) if isinstance(clerk_id, str) else None
            except KeyError:
                clerk = None
            if clerk is None or not isinstance(pin, str) or not hmac.compare_digest(pin.encode(), clerk.pin.encode()):
                raise QueueError("unknown clerk or wrong PIN", "bad_login")
            events = []
            for cid, state in self._counters.items():
                if state.clerk_id == clerk.id and cid != counter_id:
                    state.clerk_id = None
                    events.append(self._counter_event(cid))
            self._counters[counter_id].clerk_id = clerk.id
            events.append(self._counter_event(counter_id))
            self._commit(events)
            return self.counter_view(counter_id)

    def logout(self, counter_id: int) -> dict:
        """The clerk leaves the counter (the called ticket, if any, stays called)."""
        with self._changing():
            self._counter_config(counter_id)
            self._counters[counter_id].clerk_id = None
            self._commit([self._counter_event(counter_id)])
            return self.counter_view(counter_id)

    def _eligible(self, counter_id: int, service_ids: list[str]) -> list[Ticket]:
        return sorted((t for t in self._tickets.values() if t.status == "waiting" and (
            t.for_counter_id == counter_id or (t.for_counter_id is None and t.service_id in service_ids))),
            key=_order)

    def call_next(self, counter_id: int) -> Ticket:
        """Call the next citizen to the counter, by the priority rule, oldest first."""
        with self._changing():
            self._roll_day_if_needed()
            counter = self._counter_config(counter_id)
            state = self._staffed(counter_id)
            if state.paused:
                raise QueueError(f"counter {counter_id} is paused: resume it before calling", "paused")
            if state.ticket_id is not None:
                raise QueueError(f"counter {counter_id} is still serving a ticket: finish, transfer or mark "
                                 f"it as a no-show first", "busy")
            candidates = self._eligible(counter_id, counter.services)
            if not candidates:
                raise QueueError(f"nobody is waiting for counter {counter_id}", "queue_empty")
            normals = [t for t in candidates if not t.priority]
            priorities = [t for t in candidates if t.priority]
            every = self.config.hub.priority_every
            if priorities and (every == 0 or not normals or state.normals_since_priority >= every):
                ticket = priorities[0]
                state.normals_since_priority = 0
            else:
                ticket = normals[0]
                state.normals_since_priority += 1
            now = self._now()
            ticket.status = "called"
            ticket.counter_id = counter_id
            ticket.clerk_id = state.clerk_id
            ticket.called_at = ticket.served_at = _iso(now)
            ticket.for_counter_id = None
            state.ticket_id = ticket.id
            self._bump(ticket, now)
            call = self._call_view(ticket, counter_id)
            self._recent_calls = ([call] + self._recent_calls)[:_RECENT_CALLS]
            self._commit([("called", call), self._queue_event(), self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def _call_view(self, ticket: Ticket, counter_id: int) -> dict:
        counter = self.config.counter(counter_id)
        return {
            "counter_id": counter_id,
            "counter_name": {"vi": counter.name.vi, "en": counter.name.en},
            "ticket": self.ticket_view(ticket),
            "clerk": self._clerk_view(ticket.clerk_id),
            "at": ticket.called_at,
        }

    def recall(self, counter_id: int) -> Ticket:
        """Call the counter's current ticket again (counted in ``recalls``)."""
        with self._changing():
            _, ticket = self._current(counter_id, "recall")
            now = self._now()
            ticket.recalls += 1
            ticket.called_at = ticket.served_at = _iso(now)
            self._bump(ticket, now)
            call = self._call_view(ticket, counter_id)
            self._recent_calls = ([call] + [c for c in self._recent_calls
                                            if c["ticket"]["id"] != ticket.id])[:_RECENT_CALLS]
            self._commit([("recalled", call), self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def no_show(self, counter_id: int) -> Ticket:
        """The called citizen did not come; the counter is free again."""
        with self._changing():
            state, ticket = self._current(counter_id, "mark a no-show")
            now = self._now()
            ticket.status = "no_show"
            ticket.no_show_at = _iso(now)
            state.ticket_id = None
            self._totals["no_show"] += 1
            self._bump(ticket, now)
            self._commit([("no_show", {"counter_id": counter_id, "ticket": self.ticket_view(ticket)}),
                          self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def requeue(self, ticket_id: str) -> Ticket:
        """Put a no-show back in the queue at its original place, within the window."""
        with self._changing():
            self._roll_day_if_needed()
            ticket = self._find(ticket_id)
            if ticket.status != "no_show":
                raise QueueError(f"ticket {ticket.number} is {ticket.status}, not a no-show: "
                                 f"only no-shows can be put back in the queue", "not_no_show")
            now = self._now()
            window = self.config.hub.no_show_requeue_min
            if now - datetime.fromisoformat(ticket.no_show_at) > timedelta(minutes=window):
                raise QueueError(f"ticket {ticket.number} missed its call more than {window} minutes ago: "
                                 f"issue a new ticket", "requeue_window_passed")
            ticket.status = "waiting"
            ticket.counter_id = None
            ticket.clerk_id = None
            ticket.no_show_at = None
            self._bump(ticket, now)
            self._commit([("requeued", {"ticket": self.ticket_view(ticket)}), self._queue_event()])
            return dataclasses.replace(ticket)

    def transfer(self, counter_id: int, to_service_id: str | None = None,
                 to_counter_id: int | None = None) -> Ticket:
        """Send the current ticket to another service and/or counter; it keeps its place by
        the original issue time and its number."""
        with self._changing():
            state, ticket = self._current(counter_id, "transfer")
            if to_service_id is None and to_counter_id is None:
                raise QueueError("say where to transfer: to_service_id and/or to_counter_id", "bad_transfer")
            if to_service_id is not None:
                self._service_config(to_service_id)
            if to_counter_id is not None:
                self._counter_config(to_counter_id)
                if to_counter_id == counter_id:
                    raise QueueError("cannot transfer a ticket to the counter it is at", "bad_transfer")
            elif to_service_id == ticket.service_id:
                raise QueueError(f"ticket {ticket.number} is already for service {to_service_id!r}", "bad_transfer")
            now = self._now()
            if to_service_id is not None:
                ticket.service_id = to_service_id
            ticket.for_counter_id = to_counter_id
            ticket.status = "waiting"
            ticket.transfers += 1
            ticket.counter_id = None
            ticket.clerk_id = None
            state.ticket_id = None
            self._bump(ticket, now)
            self._commit([("transferred", {"counter_id": counter_id, "ticket": self.ticket_view(ticket),
                                           "to_service_id": to_service_id, "to_counter_id": to_counter_id}),
                          self._queue_event(), self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def finish(self, counter_id: int) -> Ticket:
        """The citizen has been served: the counter's tablet may now ask for a rating."""
        with self._changing():
            state, ticket = self._current(counter_id, "finish")
            now = self._now()
            ticket.status = "finished"
            ticket.finished_at = _iso(now)
            self._bump(ticket, now)
            minutes = (now - datetime.fromisoformat(ticket.served_at)).total_seconds() / 60
            recent = self._durations.setdefault(ticket.service_id, [])
            recent.append(round(max(minutes, 0.0), 3))
            del recent[:-_RECENT_DURATIONS]
            state.ticket_id = None
            view = self.ticket_view(ticket)
            state.last_finished = {"ticket": view, "finished_at": ticket.finished_at, "clerk_id": ticket.clerk_id}
            self._totals["finished"] += 1
            self._archive([ticket])
            del self._tickets[ticket.id]
            self._dirty.add(ticket.id)
            self._commit([("finished", {"counter_id": counter_id, "ticket": view,
                                        "clerk": self._clerk_view(ticket.clerk_id),
                                        "finished_at": ticket.finished_at}),
                          self._queue_event(), self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def pause(self, counter_id: int) -> dict:
        """Stop calling at this counter (break, meeting); the current ticket stays."""
        with self._changing():
            state = self._staffed(counter_id)
            state.paused = True
            self._commit([self._counter_event(counter_id), self._queue_event()])
            return self.counter_view(counter_id)

    def resume(self, counter_id: int) -> dict:
        with self._changing():
            state = self._staffed(counter_id)
            state.paused = False
            self._commit([self._counter_event(counter_id), self._queue_event()])
            return self.counter_view(counter_id)


def _order(ticket: Ticket) -> tuple:
    return (datetime.fromisoformat(ticket.issued_at), ticket.issue_seq)
