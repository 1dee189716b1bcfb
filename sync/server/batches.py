"""An uploaded batch: its envelope checked, then its records stored and the device's health noted.

The batch envelope is ``{batch_id, sent_at, records, pending?, quarantined?, app_version?}``
(DESIGN.md §4); ``pending`` and ``quarantined`` are what the device holds once this batch is
stored, as of that moment (the devices page shows them with that time);
``parse_batch_envelope`` checks it (not the records — that is ``ingest``'s work) and names every
problem at once. ``store_batch`` then runs in ONE transaction: the device row first (last seen,
backlog, app version, clock skew), then the records (``ingest.ingest_records``).

Used by the device API (``sync.server.web.devices``); no HTTP here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update

from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.ingest import ingest_records, load_office_facts
from sync.server.models import Device

__all__ = ["parse_batch_envelope", "store_batch"]


def parse_batch_envelope(body, max_records: int) -> dict:
    """Check the batch envelope (not the records); raise ApiError naming what is wrong."""
    if not isinstance(body, dict):
        raise ApiError("invalid_batch", "expected a JSON object {batch_id, sent_at, records}")
    problems = []
    batch_id = body.get("batch_id")
    try:
        batch_id = str(uuid.UUID(batch_id)) if isinstance(batch_id, str) else None
    except ValueError:
        batch_id = None
    if batch_id is None:
        problems.append("batch_id: expected a UUID string")
    sent_at = body.get("sent_at")
    parsed_sent = None
    if isinstance(sent_at, str):
        try:
            parsed_sent = datetime.fromisoformat(sent_at)
        except ValueError:
            pass
    if parsed_sent is None or parsed_sent.tzinfo is None:
        problems.append("sent_at: expected an ISO-8601 timestamp with UTC offset, e.g. 2025-07-01T08:00:00+07:00")
    records = body.get("records")
    if not isinstance(records, list):
        problems.append("records: expected a list of records (empty for a heartbeat)")
    counts = {}
    for name in ("pending", "quarantined"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9):
            problems.append(f"{name}: expected a whole number >= 0")
        counts[name] = value
    app_version = body.get("app_version")
    if app_version is not None and (not isinstance(app_version, str) or len(app_version) > 64
                                    or not _encodable(app_version)):
        problems.append("app_version: expected text of at most 64 characters")
    if problems:
        raise ApiError("invalid_batch", "; ".join(problems))
    if len(records) > max_records:
        raise ApiError("too_many_records", f"{len(records)} records in one batch; at most {max_records}")
    return {"batch_id": batch_id, "sent_at": parsed_sent, "records": records, **counts, "app_version": app_version}


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def store_batch(db: Database, device: dict, batch: dict, received: datetime) -> list[dict]:
    """Store a checked batch of ``device`` (``{"id", "office_id"}``); the per-record results."""
    with db.engine.begin() as conn:
        # Device row first: concurrent batches of one device queue here, so by the time a
        # second copy of a batch inserts, the first one's rows are committed and visible.
        conn.execute(update(Device).where(Device.id == device["id"]).values(
            last_seen_at=received, clock_skew_s=(received - batch["sent_at"]).total_seconds(),
            **{k: batch[k] for k in ("pending", "quarantined") if batch[k] is not None},
            **({"app_version": batch["app_version"]} if batch["app_version"] is not None else {})))
        if not batch["records"]:
            return []
        office = load_office_facts(conn, device["office_id"])
        if office is None:
            raise ApiError("office_missing", f"office {device['office_id']!r} is not registered "
                                             "on the server (sync-server import-office)")
        outcome = ingest_records(conn, office, device["id"], batch["records"], received)
        if outcome.satisfied_disagreements:
            conn.execute(update(Device).where(Device.id == device["id"]).values(
                satisfied_disagreements=Device.satisfied_disagreements + outcome.satisfied_disagreements))
        return outcome.results
