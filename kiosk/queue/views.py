"""The JSON shapes of the queue that others read: the hub's API and events, the kiosk's
ticket screen, the counter tablets. Built from the office configuration and the live state;
nothing here changes the queue.

``photo_url`` is a path on the hub (``/api/v1/clerks/<id>/photo``): join it to the hub's address.
"""

from __future__ import annotations

from kiosk.queue.ticket import CounterState, Ticket

__all__ = ["call_view", "clerk_view", "counter_view", "ticket_view"]


def clerk_view(config, clerk_id: str | None) -> dict | None:
    if clerk_id is None:
        return None
    try:
        clerk = config.clerk(clerk_id)
    except KeyError:
        return {"id": clerk_id, "name": clerk_id, "photo_url": None}
    photo = f"/api/v1/clerks/{clerk.id}/photo" if clerk.photo else None
    return {"id": clerk.id, "name": clerk.name, "photo_url": photo}


def ticket_view(config, ticket: Ticket) -> dict:
    view = ticket.to_dict()
    service = config.service(ticket.service_id)
    view["service_name"] = {"vi": service.name.vi, "en": service.name.en}
    return view


def call_view(config, ticket: Ticket, counter_id: int) -> dict:
    """One call as the lobby display shows it (and keeps in its recent calls)."""
    counter = config.counter(counter_id)
    return {
        "counter_id": counter_id,
        "counter_name": {"vi": counter.name.vi, "en": counter.name.en},
        "ticket": ticket_view(config, ticket),
        "clerk": clerk_view(config, ticket.clerk_id),
        "at": ticket.called_at,
    }


def counter_view(config, counter_id: int, state: CounterState, current: Ticket | None) -> dict:
    """What a counter's tablet and console need: clerk, current ticket, last finished."""
    counter = config.counter(counter_id)
    last = None
    if state.last_finished:
        last = dict(state.last_finished)
        last["clerk"] = clerk_view(config, last.pop("clerk_id", None))
    return {
        "counter_id": counter.id,
        "name": {"vi": counter.name.vi, "en": counter.name.en},
        "services": list(counter.services),
        "clerk": clerk_view(config, state.clerk_id),
        "current": ticket_view(config, current) if current else None,
        "last_finished": last,
        "paused": state.paused,
    }
