"""Each office's alert settings: its config.yaml ``alerts:`` section, overridden from the dashboard.

The office's config arrives at the centre with ``sync-server import-office`` (stored in
``offices.config_json``); a province admin may then change the alert settings of one office on
the dashboard (``office_alert_settings``, whole keys replaced). The effective settings are the
config's, with the dashboard's keys on top — one ``sync.config.Alerts`` value, validated by
the same rules as the file (``sync.config.build_alerts``).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.config import Alerts, build_alerts
from sync.server.models import Office, OfficeAlertSettings

__all__ = ["SettingsError", "office_settings", "save_override", "settings_as_data"]


class SettingsError(ValueError):
    """Alert settings that do not pass validation; ``problems`` names each key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def settings_as_data(alerts: Alerts) -> dict:
    return dataclasses.asdict(alerts)


def _file_section(config_json: str | None) -> dict:
    try:
        section = json.loads(config_json or "{}").get("alerts")
    except (ValueError, AttributeError):
        section = None
    return section if isinstance(section, dict) else {}


def office_settings(conn: Connection, office_id: str) -> tuple[Alerts, dict]:
    """(effective settings, the dashboard override as data — empty when none)."""
    row = conn.execute(select(Office.config_json, OfficeAlertSettings.settings)
                       .outerjoin(OfficeAlertSettings, OfficeAlertSettings.office_id == Office.id)
                       .where(Office.id == office_id)).first()
    base = _file_section(row.config_json) if row else {}
    override = json.loads(row.settings) if row and row.settings else {}
    merged = {**base, **override}
    alerts, problems = build_alerts(merged)
    if alerts is None:  # an imported config that no longer validates: fall back key by key
        alerts, problems = build_alerts(override)
        alerts = alerts or Alerts()
    return alerts, override


# Printed in the consent sentence on the tablets (which read config.yaml): never overridden here.
FILE_ONLY = ("contact_retention_days",)


def save_override(conn: Connection, office_id: str, changes: dict, username: str) -> Alerts:
    """Validate and store a province admin's settings for one office; raise ``SettingsError``."""
    fixed = [k for k in changes if k in FILE_ONLY]
    if fixed:
        raise SettingsError([f"alerts.{k}: set in the office's config.yaml only (the tablets show it to citizens)"
                             for k in fixed])
    alerts, problems = build_alerts({**_file_section(conn.scalar(
        select(Office.config_json).where(Office.id == office_id))), **changes})
    if alerts is None:
        raise SettingsError(problems)
    row = {"office_id": office_id, "settings": json.dumps(changes, ensure_ascii=False, sort_keys=True),
           "updated_at": datetime.now(UTC), "updated_by": username}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(OfficeAlertSettings).values(row)
    conn.execute(stmt.on_conflict_do_update(index_elements=["office_id"],
                                            set_={k: stmt.excluded[k] for k in row if k != "office_id"}))
    return alerts
