"""Registering an office on the central server from its ``config.yaml`` (``import-office``).

The server learns an office's services, counters and clerks from the same config file the
office's devices read, so ingest can refuse a rating for a counter that does not exist and
dashboards can show names instead of ids. Importing is idempotent: run it again after the
office edits its config and rows are updated, added or (for services/counters/clerks no
longer listed) removed; ratings already stored are never touched.

Devices get the office configuration back from ``GET /api/v1/devices/config``. What they get
is ``public_config``: the config without secrets — counter tokens, clerk PINs, the kiosk
admin PIN and the server section are removed — with an ETag that changes when the content does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from sync.config import Config, ConfigError, load_config
from sync.server.models import Clerk, Counter, Office, Service

__all__ = ["ImportSummary", "import_office", "import_office_file", "public_config"]

# Keys removed from what devices receive: secrets, and settings that only concern the server
# or one machine's files.
_SECRET_PATHS = (("counters", "token"), ("clerks", "pin"), ("kiosk", "admin_pin"))
_DROPPED_TOP = ("server", "data_dir", "source")


def public_config(cfg: Config) -> dict:
    """The office configuration as plain JSON data, secrets removed."""
    data = dataclasses.asdict(cfg)
    for key in _DROPPED_TOP:
        data.pop(key, None)
    for section, key in _SECRET_PATHS:
        value = data.get(section)
        if isinstance(value, list):
            for item in value:
                item.pop(key, None)
        elif isinstance(value, dict):
            value.pop(key, None)
    data["levels"] = [dataclasses.asdict(level) for level in cfg.levels]
    data["reasons"] = [dataclasses.asdict(reason) for reason in cfg.reasons]
    return data


@dataclasses.dataclass
class ImportSummary:
    office_id: str
    created: bool
    changed: bool
    services: int
    counters: int
    clerks: int


def import_office(db: DbSession, cfg: Config) -> ImportSummary:
    """Insert or update the office of ``cfg`` with its services, counters and clerks (caller commits)."""
    config_json = json.dumps(public_config(cfg), ensure_ascii=False, sort_keys=True)
    etag = '"' + hashlib.sha256(config_json.encode("utf-8")).hexdigest()[:32] + '"'
    now = datetime.now(UTC)
    office = db.get(Office, cfg.office.id)
    created = office is None
    changed = created or office.config_etag != etag or office.name != cfg.office.name \
        or office.province != cfg.office.province or office.timezone != cfg.office.timezone
    if created:
        office = Office(id=cfg.office.id)
        db.add(office)
    if changed:
        office.name = cfg.office.name
        office.province = cfg.office.province
        office.timezone = cfg.office.timezone
        office.config_json = config_json
        office.config_etag = etag
        office.updated_at = now
    db.flush()

    _sync_rows(db, Service, cfg.office.id,
               {s.id: {"name_vi": s.name.vi, "name_en": s.name.en} for s in cfg.services})
    _sync_rows(db, Counter, cfg.office.id,
               {c.id: {"name_vi": c.name.vi, "name_en": c.name.en} for c in cfg.counters})
    _sync_rows(db, Clerk, cfg.office.id, {c.id: {"name": c.name} for c in cfg.clerks})
    return ImportSummary(cfg.office.id, created, changed, len(cfg.services), len(cfg.counters), len(cfg.clerks))


def _sync_rows(db: DbSession, model, office_id: str, wanted: dict) -> None:
    existing = {row.id: row for row in db.scalars(select(model).where(model.office_id == office_id))}
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            db.add(model(office_id=office_id, id=key, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
    gone = [key for key in existing if key not in wanted]
    if gone:
        db.execute(delete(model).where(model.office_id == office_id, model.id.in_(gone)))
    db.flush()


def import_office_file(db, data: bytes) -> tuple[ImportSummary | None, list[str]]:
    """Register or update an office from the bytes of its config.yaml (the dashboard's upload);
    returns the summary, or None and every problem of a file that does not load."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_bytes(data)
        try:
            cfg = load_config(path)
        except ConfigError as err:
            return None, err.problems
        with db.begin() as s:
            return import_office(s, cfg), []
