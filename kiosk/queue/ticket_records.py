"""The records the queue emits: one versioned ``ticket`` record (``sync.records``) per change
of a ticket, for the outbox and from there the central server.

Each record's id is derived from (ticket id, version), so a record appended again after a
crash between the queue's save and the outbox write is recognised as already there: no
snapshot is lost or doubled.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sync import records
from sync.outbox import OutboxWriteError

__all__ = ["append_ticket_records", "record_id"]

_RECORD_NAMESPACE = uuid.UUID("5b0f3a8e-8a43-4f0c-9d1e-6c1f0b7c2a11")
_log = logging.getLogger(__name__)


def record_id(ticket_id: str, version: int) -> str:
    """The id of the record of ``ticket_id`` at ``version`` (the same on every try)."""
    return str(uuid.uuid5(_RECORD_NAMESPACE, f"{ticket_id}:{version}"))


def append_ticket_records(outbox, office_id: str, items: list[dict],
                          page_fields: Callable[[str], dict[str, str]] | None = None) -> list[dict]:
    """Append one record per ``{"ticket": {...}, "at": iso}`` item to ``outbox``, in order;
    returns the items now stored (all of them, or those before the first the disk refused).
    ``page_fields(ticket_id)`` adds what the record says about the ticket's phone page."""
    sent = []
    for item in items:
        t = item["ticket"]
        page = page_fields(t["id"]) if page_fields else {}

        def make(seq: int, t=t, at=item["at"], page=page) -> dict:
            rec = records.new_ticket(
                office_id=office_id, device_id=outbox.device_id, seq=seq,
                ticket_id=t["id"], version=t["version"], number=t["number"],
                service_id=t["service_id"], priority=t["priority"], status=t["status"],
                issued_at=t["issued_at"], called_at=t["called_at"], served_at=t["served_at"],
                finished_at=t["finished_at"], counter_id=t["counter_id"], clerk_id=t["clerk_id"],
                transfers=t["transfers"], recalls=t["recalls"], created_at=at, **page)
            rec["id"] = record_id(t["id"], t["version"])
            return rec

        try:
            outbox.append_new(make)
        except ValueError as exc:
            if "already in the outbox" not in str(exc):
                raise
        except OutboxWriteError:
            _log.exception("ticket record not stored in the outbox yet; kept in the queue state")
            break  # kept in the state file; retried after the next change, in order
        sent.append(item)
    return sent
