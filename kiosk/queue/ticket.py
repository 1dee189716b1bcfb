"""The queue's model: one citizen's ``Ticket`` and the state of one counter.

Plain values only, so the live state saves as JSON line by line (``kiosk.queue.store``) and
every change of a ticket can become a versioned record (``kiosk.queue.ticket_records``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CounterState", "Ticket", "iso", "issue_order"]


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
class CounterState:
    """Who is at a counter, what it serves now, and where it stands in the priority rule."""

    clerk_id: str | None = None
    ticket_id: str | None = None
    paused: bool = False
    normals_since_priority: int = 0
    last_finished: dict | None = None  # {"ticket": {...}, "finished_at": ..., "clerk_id": ...}


def iso(dt: datetime) -> str:
    """The queue's way to write a time: ISO-8601 with milliseconds and the offset."""
    return dt.isoformat(timespec="milliseconds")


def issue_order(ticket: Ticket) -> tuple:
    """Sort key: original issue time (a transferred ticket keeps its place), then issue order."""
    return (datetime.fromisoformat(ticket.issued_at), ticket.issue_seq)
