"""The periodic jobs of the alert loop, run by every server process's ``AlertWorker``.

Each round: escalate overdue cases; for each office, judge recent working days for silent
tablets, send the daily digest to its managers once the digest hour has passed, and erase
contact numbers whose retention ran out. Every job is idempotent or claimed in the database
(``sweeps`` row per job and office, moved forward by a conditional UPDATE), so several
processes sharing one database do each job once.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.config import Alerts
from sync.server.alerts import cases
from sync.server.alerts.detect import check_silent_day
from sync.server.alerts.rules import RULE_NAMES
from sync.server.alerts.settings import office_settings
from sync.server.models import Admin, Alert, Office, Sweep

__all__ = ["SILENT_LOOKBACK_DAYS", "claim_day", "digest_text", "run_sweep"]

log = logging.getLogger("sync.server.alerts")
SILENT_LOOKBACK_DAYS = 7


def claim_day(conn: Connection, job: str, office_id: str, day: date) -> bool:
    """True for exactly one caller per (job, office, day) — the one that moves the mark to ``day``."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    created = conn.execute(insert(Sweep).values(job=job, office_id=office_id, last_day=day)
                           .on_conflict_do_nothing(index_elements=["job", "office_id"]).returning(Sweep.job)).first()
    if created is not None:
        return True
    return bool(conn.execute(update(Sweep).where(Sweep.job == job, Sweep.office_id == office_id,
                                                 Sweep.last_day < day).values(last_day=day)).rowcount)


def digest_text(conn: Connection, office_id: str, office_name: str, zone: ZoneInfo, now: datetime) -> str | None:
    """The digest of one office: first line the subject, then the text; None when nothing to say."""
    since = now - timedelta(days=1)
    active = conn.execute(select(Alert).where(Alert.office_id == office_id, Alert.status.in_(cases.ACTIVE))
                          .order_by(Alert.due_at)).all()
    opened = conn.scalar(select(func.count()).select_from(Alert).where(
        Alert.office_id == office_id, Alert.opened_at >= since)) or 0
    closed = conn.scalar(select(func.count()).select_from(Alert).where(
        Alert.office_id == office_id, Alert.closed_at >= since)) or 0
    if not active and not opened and not closed:
        return None
    overdue = [a for a in active if a.due_at < now]
    day = now.astimezone(zone)
    lines = [f"[Thước Đo] Tổng hợp ngày {day:%d/%m/%Y}: {len(active)} hồ sơ đang xử lý — {office_name}",
             f"Tổng hợp cảnh báo ngày {day:%d/%m/%Y} — {office_name}", "",
             f"Mới trong 24 giờ: {opened}; đã đóng: {closed}; đang xử lý: {len(active)}; quá hạn: {len(overdue)}", ""]
    for a in active:
        late = " — QUÁ HẠN" if a.due_at < now else ""
        lines.append(f"#{a.id} {RULE_NAMES[a.rule][0]}: {a.summary} (hạn {a.due_at.astimezone(zone):%H:%M %d/%m}"
                     f"{late}) {{base_url}}/dashboard/cases/{a.id}")
    return "\n".join(lines) + "\n"


def _digest(conn: Connection, office, settings: Alerts, now: datetime) -> None:
    zone = ZoneInfo(office.timezone)
    local = now.astimezone(zone)
    if local.hour < settings.digest_hour or local.isoweekday() not in settings.working_days:
        return
    if not claim_day(conn, "digest", office.id, local.date()):
        return
    text = digest_text(conn, office.id, office.name, zone, now)
    emails = sorted({e for e in conn.scalars(select(Admin.email).where(
        Admin.office_id == office.id, Admin.role == "office_manager")) if e})
    if text and emails:
        cases.enqueue(conn, None, "digest", emails, webhook=False, body=text, now=now)


def _silent(conn: Connection, office, settings: Alerts, now: datetime) -> None:
    today = now.astimezone(ZoneInfo(office.timezone)).date()
    for back in range(SILENT_LOOKBACK_DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.isoweekday() in settings.working_days:
            check_silent_day(conn, office.id, office.timezone, day, settings, now)


def run_sweep(db, now: datetime | None = None) -> None:
    """One round of every periodic job (each office in its own transaction)."""
    now = now or datetime.now(UTC)
    with db.engine.begin() as conn:
        cases.escalate_overdue(conn, now)
        offices = conn.execute(select(Office.id, Office.name, Office.timezone)).all()
    for office in offices:
        try:
            with db.engine.begin() as conn:
                settings, _ = office_settings(conn, office.id)
                _silent(conn, office, settings, now)
                _digest(conn, office, settings, now)
                cases.erase_expired_contacts(conn, office.id, settings.contact_retention_days, now)
        except Exception:  # noqa: BLE001 - one office's bad data must not stop the others
            log.exception("alert sweep failed for office %s", office.id)
