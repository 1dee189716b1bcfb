"""What the citizen's page says about one ticket: the JSON contract both hub and centre answer.

``GET <base>/t/<token>`` with ``Accept: application/json`` answers ``ticket_view(...)``::

    {"number": 2015, "status": "waiting", "ahead": 3, "estimated_wait_min": 24,
     "counter": {"id": 3, "name": {"vi": "Quầy 3", "en": "Counter 3"}} | null,
     "rate_url": "<base>/t/<token>/rating" | null,
     "service": {"vi", "en"}, "office": "…", "clerk": "Nguyễn Văn A" | null,
     "rated": false, "rate_until": ISO | null, "as_of": ISO, "source": "hub" | "centre",
     "events_url": "<base>/t/<token>/events" | null, "page_url": "<base>/t/<token>"}

``status`` is one of ``STATUSES``. The queue's own states map onto them: a transferred
ticket is waiting again; a ticket still waiting or called when the day closed (cancelled)
reads as ``no_show``. ``serving`` appears when a ticket record says so; the office hub has
no "citizen arrived" step, so from the hub a called ticket stays ``called`` until finished.
``rate_url`` is there only while the ticket can be rated: finished, not rated yet (on the
tablet or a phone), within the rating window. The page shows no personal data: a number,
a service, a counter and the clerk's name (the one the rating is about).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["STATUSES", "TicketFacts", "page_status", "rating_refusal", "ticket_view"]

STATUSES = ("waiting", "called", "serving", "finished", "no_show")
_FROM_QUEUE = {"waiting": "waiting", "transferred": "waiting", "called": "called", "serving": "serving",
               "finished": "finished", "no_show": "no_show", "cancelled": "no_show"}


def page_status(queue_status: str) -> str:
    """The page's status for a queue/record status (see the module docstring)."""
    return _FROM_QUEUE[queue_status]


@dataclass(frozen=True)
class TicketFacts:
    """What hub or centre knows about the ticket, in the shape the page needs."""

    number: int
    queue_status: str
    service_name: dict  # {"vi", "en"}
    office_name: str
    ahead: int
    wait_min: float
    counter_id: int | None
    counter_name: dict | None  # {"vi", "en"}
    clerk_name: str | None
    finished_at: datetime | None
    rated: bool
    as_of: datetime  # when this information was true (the centre: the hub's last upload)


def rating_refusal(facts: TicketFacts, now: datetime, window: timedelta) -> str | None:
    """Why this ticket cannot be rated now (a code), or None when it can.

    ``already_rated``: one rating per ticket, tablet or phone. ``not_served``: still in the
    queue, cancelled or a no-show — only a citizen who was served rates the clerk.
    ``rating_closed``: finished longer ago than the rating window."""
    if facts.rated:
        return "already_rated"
    if facts.queue_status != "finished" or facts.finished_at is None:
        return "not_served"
    if now - facts.finished_at > window:
        return "rating_closed"
    return None


def ticket_view(facts: TicketFacts, *, page_url: str, now: datetime, window: timedelta, source: str,
                events_url: str | None) -> dict:
    """The JSON answer for the ticket's page (contract in the module docstring)."""
    status = page_status(facts.queue_status)
    waiting = status == "waiting"
    counter = ({"id": facts.counter_id, "name": facts.counter_name or {"vi": f"Quầy {facts.counter_id}",
                                                                       "en": f"Counter {facts.counter_id}"}}
               if facts.counter_id is not None and status in ("called", "serving", "finished") else None)
    can_rate = rating_refusal(facts, now, window) is None
    return {
        "number": facts.number,
        "status": status,
        "ahead": facts.ahead if waiting else 0,
        "estimated_wait_min": math.ceil(facts.wait_min) if waiting else 0,
        "counter": counter,
        "rate_url": f"{page_url}/rating" if can_rate else None,
        "service": facts.service_name,
        "office": facts.office_name,
        "clerk": facts.clerk_name if status in ("called", "serving", "finished") else None,
        "rated": facts.rated,
        "rate_until": ((facts.finished_at + window).isoformat(timespec="seconds")
                       if status == "finished" and facts.finished_at else None),
        "as_of": facts.as_of.isoformat(timespec="seconds"),
        "source": source,
        "events_url": events_url,
        "page_url": page_url,
    }
