"""The queue's rules (issue #5, DESIGN.md §2), as functions of the live tickets.

* Each service has its own block of ticket numbers (``services[].numbers``); a number still
  in the live queue is skipped, and a used-up block starts again at its first number.
* "Call next" takes the oldest waiting ticket the counter may serve (by *original* issue
  time, so a transferred ticket keeps its place). Priority tickets (elderly, disabled,
  pregnant, small children) follow ``hub.priority_every``: 0 = always first; N = one priority
  ticket after every N normal ones at that counter (or sooner when no normal one waits).
* People ahead of a new ticket follow the same rule, and so does the place of a waiting one
  (shown on the citizen's phone page).

The engine (``kiosk.queue.engine``) applies them under its lock and saves the result.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.queue.errors import QueueError
from kiosk.queue.ticket import CounterState, Ticket, issue_order

__all__ = ["eligible", "next_number", "people_ahead", "pick_next", "place"]


def next_number(service, start: int, tickets: Iterable[Ticket]) -> int:
    """The number a new ticket of ``service`` gets, from ``start`` on (the one after the last
    issued), skipping numbers still in the live queue."""
    number = start
    in_use = {t.number for t in tickets if t.service_id == service.id}
    for _ in range(service.numbers.last - service.numbers.first + 1):
        if number > service.numbers.last:
            number = service.numbers.first  # block used up today: start again
        if number not in in_use:
            return number
        number += 1
    raise QueueError(f"every number of service {service.id!r} is in use", "numbers_exhausted")


def eligible(tickets: Iterable[Ticket], counter_id: int, service_ids: list[str]) -> list[Ticket]:
    """Waiting tickets a counter may call, oldest first: sent to it by name, or of a service
    it serves and not sent to another counter."""
    return sorted((t for t in tickets if t.status == "waiting" and (
        t.for_counter_id == counter_id or (t.for_counter_id is None and t.service_id in service_ids))),
        key=issue_order)


def pick_next(candidates: list[Ticket], state: CounterState, priority_every: int) -> Ticket:
    """The ticket a counter calls among ``candidates`` (oldest first, not empty); moves the
    counter's place in the priority rule."""
    normals = [t for t in candidates if not t.priority]
    priorities = [t for t in candidates if t.priority]
    if priorities and (priority_every == 0 or not normals or state.normals_since_priority >= priority_every):
        state.normals_since_priority = 0
        return priorities[0]
    state.normals_since_priority += 1
    return normals[0]


def people_ahead(waiting: list[Ticket], priority: bool, priority_every: int) -> int:
    """How many of ``waiting`` (tickets of one service) a new ticket would wait behind."""
    if not priority:
        return len(waiting)
    priorities = sum(1 for t in waiting if t.priority)
    normals = len(waiting) - priorities
    if priority_every == 0:
        return priorities
    return priorities + min(normals, (priorities + 1) * priority_every)


def place(ticket: Ticket, waiting: list[Ticket], priority_every: int) -> int:
    """How many of ``waiting`` (the other waiting tickets of its service) a waiting ticket is
    behind now: those issued before it, by the rule above, and — when priority tickets always
    go first — the priority tickets issued after a normal one."""
    mine = issue_order(ticket)
    ahead = people_ahead([t for t in waiting if issue_order(t) < mine], ticket.priority, priority_every)
    if priority_every == 0 and not ticket.priority:
        ahead += sum(1 for t in waiting if t.priority and issue_order(t) > mine)
    return ahead
