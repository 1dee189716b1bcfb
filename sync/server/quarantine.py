"""The server's quarantine: true conflicts waiting for an admin to accept or discard them.

Ingest quarantines a record only when its identity (record id, or ticket + version) is
already stored with a different meaning (``sync.server.ingest``). An admin sees each open
entry on the devices page with the record, the reason and the stored record it conflicts
with, and decides:

* **accept** — the quarantined record replaces the stored one (a ticket row that showed the
  replaced version shows the accepted one);
* **discard** — the stored record stays as it is.

Either way the decision is written on the entry (who, when, which), so it is audited and
never offered again. A service with no HTTP in it; the dashboard's routes call it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from sync.server.ingest import ingest_records, load_office_facts
from sync.server.models import Quarantine, Rating, RatingId, Ticket, TicketRecord

__all__ = ["DECISIONS", "OpenEntry", "QuarantineError", "open_counts", "open_entries", "resolve"]

DECISIONS = ("accept", "discard")


class QuarantineError(ValueError):
    """The entry cannot be decided (unknown, already decided, or not the admin's office)."""


@dataclass(frozen=True)
class OpenEntry:
    id: int
    record_id: str
    office_id: str
    device_id: str
    received_at: datetime
    reason: str
    record: dict


def open_entries(conn: Connection, office_ids: tuple[str, ...] | None, limit: int = 100) -> list[OpenEntry]:
    """Undecided entries, newest first (at most ``limit``)."""
    stmt = (select(Quarantine.__table__).where(Quarantine.resolution.is_(None))
            .order_by(Quarantine.received_at.desc(), Quarantine.id.desc()).limit(limit))
    if office_ids is not None:
        stmt = stmt.where(Quarantine.office_id.in_(office_ids))
    out = []
    for row in conn.execute(stmt):
        try:
            record = json.loads(row.payload)
        except ValueError:
            record = {"payload": row.payload}
        out.append(OpenEntry(row.id, row.record_id, row.office_id, row.device_id, row.received_at, row.reason,
                             record if isinstance(record, dict) else {"payload": record}))
    return out


def open_counts(conn: Connection, office_ids: tuple[str, ...] | None) -> dict[str, int]:
    """Undecided entries per device id."""
    stmt = (select(Quarantine.device_id, func.count()).where(Quarantine.resolution.is_(None))
            .group_by(Quarantine.device_id))
    if office_ids is not None:
        stmt = stmt.where(Quarantine.office_id.in_(office_ids))
    return dict(conn.execute(stmt).all())


def resolve(conn: Connection, entry_id: int, decision: str, username: str,
            office_ids: tuple[str, ...] | None) -> str:
    """Apply ``decision`` ('accept' or 'discard') to an open entry; return its record id."""
    if decision not in DECISIONS:
        raise QuarantineError(f"decision must be one of {', '.join(DECISIONS)}")
    row = conn.execute(select(Quarantine.__table__).where(Quarantine.id == entry_id)).first()
    if row is None or (office_ids is not None and row.office_id not in office_ids):
        raise QuarantineError(f"no quarantined record #{entry_id} you can decide")
    if row.resolution is not None:
        raise QuarantineError(f"quarantined record #{entry_id} was already {row.resolution} by {row.resolved_by}")
    if decision == "accept":
        _replace_stored(conn, row)
    conn.execute(Quarantine.__table__.update().where(Quarantine.id == entry_id).values(
        resolution="accepted" if decision == "accept" else "discarded", resolved_by=username,
        resolved_at=datetime.now(UTC)))
    return row.record_id


def _replace_stored(conn: Connection, row) -> None:
    """Put the quarantined record in place of the stored one with the same identity."""
    record = json.loads(row.payload)
    office = load_office_facts(conn, row.office_id)
    if office is None:
        raise QuarantineError(f"office {row.office_id!r} is no longer registered")
    if record.get("kind") == "ticket":
        stored = conn.execute(select(TicketRecord.id).where(
            (TicketRecord.id == row.record_id)
            | ((TicketRecord.ticket_id == record.get("ticket_id")) & (TicketRecord.version == record.get("version"))))
        ).scalars().all()
        conn.execute(delete(TicketRecord).where(TicketRecord.id.in_(stored)))
        # the ticket row shows the highest version; if that is the one replaced, rebuild it
        conn.execute(delete(Ticket).where(Ticket.ticket_id == record.get("ticket_id"),
                                          Ticket.version == record.get("version")))
    else:
        conn.execute(delete(Rating).where(Rating.id == row.record_id))
        conn.execute(delete(RatingId).where(RatingId.id == row.record_id))  # the id table that keeps it once
    outcome = ingest_records(conn, office, row.device_id, [record])
    if outcome.results[0]["status"] != "accepted":
        raise QuarantineError(f"the record cannot be stored: {outcome.results[0].get('error')}")
