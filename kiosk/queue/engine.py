"""``QueueEngine``: the queue of one office and its operations (issue, call, finish…).

The rules the operations apply are in ``kiosk.queue.rules`` (numbering, priority, people
ahead) and ``kiosk.queue.estimates`` (waits); how a change is saved, archived and sent to the
outbox is ``kiosk.queue.state``. The rest of the rules (DESIGN.md §2):

* Numbers restart every day at ``hub.daily_reset_hour`` local time, when the day's tickets
  are archived (still waiting ones as cancelled).
* A counter serves the services it is configured for. A clerk logs in with the clerk PIN; a
  counter without a clerk, or paused, cannot call.
* Recall is counted; a no-show may be put back in the queue (at its original place) within
  ``hub.no_show_requeue_min`` minutes; transfer sends the ticket to another service and/or a
  named counter; finish records the service time used for the wait estimates.
"""

from __future__ import annotations

import dataclasses
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from kiosk.queue import rules, views
from kiosk.queue.errors import QueueError
from kiosk.queue.state import Listener, QueueState
from kiosk.queue.ticket import CounterState, Ticket, iso, issue_order

__all__ = ["Listener", "QueueEngine"]

_RECENT_CALLS = 12  # calls kept for the lobby display's history


class QueueEngine(QueueState):
    """The queue of one office. Thread-safe; every public operation is durable on return
    (construction as for ``QueueState``: config, state folder, outbox, clock)."""

    # -- reading -------------------------------------------------------------------------

    def ticket_view(self, ticket: Ticket) -> dict:
        return views.ticket_view(self.config, ticket)

    def counter_view(self, counter_id: int) -> dict:
        """What a counter's tablet and console need: clerk, current ticket, last finished."""
        with self._lock:
            self._counter_config(counter_id)
            state = self._counters[counter_id]
            current = self._tickets.get(state.ticket_id) if state.ticket_id else None
            return views.counter_view(self.config, counter_id, state, current)

    def waiting_count(self, service_id: str) -> int:
        """Tickets of ``service_id`` waiting to be called."""
        with self._lock:
            self._service_config(service_id)
            return len(self._waiting_for(service_id))

    def average_service_min(self, service_id: str) -> float:
        """Moving average of recent service times (minutes), or the configured default."""
        return self._times.average(service_id)

    def estimated_wait_min(self, service_id: str) -> float:
        """Minutes a ticket issued now for ``service_id`` would probably wait."""
        with self._lock:
            return self._wait_for(service_id, self.waiting_count(service_id))

    def place(self, ticket_id: str) -> tuple[int, float]:
        """(people ahead, estimated minutes) of a waiting ticket now; (0, 0) once it is not
        waiting. Raises ``QueueError`` for a ticket not in the live queue."""
        with self._lock:
            ticket = self._find(ticket_id)
            if ticket.status != "waiting":
                return 0, 0.0
            others = [t for t in self._waiting_for(ticket.service_id) if t.id != ticket.id]
            ahead = rules.place(ticket, others, self.config.hub.priority_every)
            return ahead, self._wait_for(ticket.service_id, ahead)

    def waiting(self) -> list[Ticket]:
        """Waiting tickets, oldest first."""
        with self._lock:
            return [dataclasses.replace(t) for t in self._waiting()]

    def tickets(self) -> list[Ticket]:
        """Every ticket still in the live queue (waiting, called, recent no-shows)."""
        with self._lock:
            return [dataclasses.replace(t) for t in sorted(self._tickets.values(), key=issue_order)]

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
                "now": iso(now),
                "notice": self.config.hub.notice,
                "services": [
                    {
                        "id": s.id,
                        "name": {"vi": s.name.vi, "en": s.name.en},
                        "waiting": sum(1 for t in waiting if t.service_id == s.id),
                        "estimated_wait_min": self._wait_for(
                            s.id, sum(1 for t in waiting if t.service_id == s.id)),
                        "average_service_min": round(self._times.average(s.id), 2),
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

    def _waiting(self) -> list[Ticket]:
        return sorted((t for t in self._tickets.values() if t.status == "waiting"), key=issue_order)

    def _waiting_for(self, service_id: str) -> list[Ticket]:
        return [t for t in self._tickets.values() if t.status == "waiting" and t.service_id == service_id]

    def _wait_for(self, service_id: str, people_ahead: int) -> float:
        return self._times.wait_for(service_id, people_ahead, self._counters)

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

    def _call_view(self, ticket: Ticket, counter_id: int) -> dict:
        return views.call_view(self.config, ticket, counter_id)

    def _clerk_view(self, clerk_id: str | None) -> dict | None:
        return views.clerk_view(self.config, clerk_id)

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

    def _staffed(self, counter_id: int) -> CounterState:
        self._counter_config(counter_id)
        state = self._counters[counter_id]
        if state.clerk_id is None:
            raise QueueError(f"no clerk is logged in at counter {counter_id}", "not_logged_in")
        return state

    def _current(self, counter_id: int, action: str) -> tuple[CounterState, Ticket]:
        state = self._staffed(counter_id)
        if state.ticket_id is None or state.ticket_id not in self._tickets:
            raise QueueError(f"cannot {action}: counter {counter_id} has no called ticket", "no_current_ticket")
        return state, self._tickets[state.ticket_id]

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
                ticket.finished_at = iso(now)
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
            self._counters[cid] = CounterState()
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
            number = rules.next_number(service, self._next_number.get(service.id, service.numbers.first),
                                       self._tickets.values())
            ahead = rules.people_ahead(self._waiting_for(service.id), priority, self.config.hub.priority_every)
            self._issue_seq += 1
            ticket = Ticket(
                id=str(uuid.uuid4()), number=number, service_id=service.id, priority=priority,
                status="waiting", issued_at=iso(now), people_ahead=ahead,
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
            candidates = rules.eligible(self._tickets.values(), counter_id, counter.services)
            if not candidates:
                raise QueueError(f"nobody is waiting for counter {counter_id}", "queue_empty")
            ticket = rules.pick_next(candidates, state, self.config.hub.priority_every)
            now = self._now()
            ticket.status = "called"
            ticket.counter_id = counter_id
            ticket.clerk_id = state.clerk_id
            ticket.called_at = ticket.served_at = iso(now)
            ticket.for_counter_id = None
            state.ticket_id = ticket.id
            self._bump(ticket, now)
            call = self._call_view(ticket, counter_id)
            self._recent_calls = ([call] + self._recent_calls)[:_RECENT_CALLS]
            self._commit([("called", call), self._queue_event(), self._counter_event(counter_id)])
            return dataclasses.replace(ticket)

    def recall(self, counter_id: int) -> Ticket:
        """Call the counter's current ticket again (counted in ``recalls``)."""
        with self._changing():
            _, ticket = self._current(counter_id, "recall")
            now = self._now()
            ticket.recalls += 1
            ticket.called_at = ticket.served_at = iso(now)
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
            ticket.no_show_at = iso(now)
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
            ticket.finished_at = iso(now)
            self._bump(ticket, now)
            self._times.record(ticket.service_id,
                               (now - datetime.fromisoformat(ticket.served_at)).total_seconds() / 60)
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
