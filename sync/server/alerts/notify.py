"""Delivering notifications: the durable ``notifications`` table, its worker, the messages.

Cases write notification rows in the same transaction as the change that causes them
(``cases.enqueue``), so a committed alert always has its messages queued and a crash loses
none. ``AlertWorker`` — one thread per server process — delivers due rows and runs the
periodic sweep. Several processes may share one database: a row is *claimed* by moving its
``next_attempt_at`` forward in a conditional UPDATE before it is sent, so only one process
sends it. Delivery is at least once (a crash after sending but before marking it sent sends
it again; the webhook's ``X-ThuocDo-Delivery`` id lets a receiver drop the repeat).

Failures retry with exponential backoff and jitter (5 s, 10 s, 20 s … capped at one hour),
forever: a mail server down for a weekend still gets Monday's messages. A channel the server
has no setting for (no ``server.smtp_url`` / ``server.webhook_url``) is marked done with that
reason, visible in the case's trail.

Messages are rendered when sent, from the alert as it is then, with a link to the case page
(``server.public_url``). They never carry a citizen's phone number.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from sync.config.schema import Server
from sync.server.alerts import mail, webhook
from sync.server.alerts.rules import RULE_NAMES
from sync.server.models import Alert, Notification, Office

__all__ = ["AlertWorker", "case_url", "deliver_due", "render"]

log = logging.getLogger("sync.server.alerts")

LEASE = timedelta(minutes=2)  # a claimed row is not taken by another process for this long
MAX_BACKOFF_S = 3600


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_S, 5 * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2))


def case_url(server: Server, alert_id: int) -> str:
    base = (server.public_url or f"http://{server.host}:{server.port}").rstrip("/")
    return f"{base}/dashboard/cases/{alert_id}"


def _local(value: datetime | None, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%H:%M %d/%m/%Y") if value else "—"


def render(conn, server: Server, note: Notification) -> tuple[str, str, bytes]:
    """(email subject, email text, webhook JSON body) for one notification row."""
    if note.event == "digest":
        subject, _, text = note.body.partition("\n")
        base = (server.public_url or f"http://{server.host}:{server.port}").rstrip("/")
        text = text.replace("{base_url}", base)
        payload = {"event": "digest", "text": text}
        return subject, text, json.dumps(payload, ensure_ascii=False).encode("utf-8")
    alert = conn.execute(select(Alert).where(Alert.id == note.alert_id)).first()
    office = conn.execute(select(Office.name, Office.timezone).where(Office.id == alert.office_id)).first()
    rule_vi = RULE_NAMES[alert.rule][0]
    url = case_url(server, alert.id)
    heading = "Quá hạn xử lý" if note.event == "escalated" else "Cảnh báo"
    subject = f"[Thước Đo] {heading} #{alert.id}: {rule_vi} — {office.name}"
    lines = [
        f"{heading} #{alert.id} — {office.name}",
        "",
        f"Loại: {rule_vi}",
        f"Nội dung: {alert.summary}",
        f"Thời điểm: {_local(alert.first_at, office.timezone)} – {_local(alert.last_at, office.timezone)}"
        + (" (dữ liệu tải lên muộn)" if alert.late else ""),
        f"Hạn xử lý: {_local(alert.due_at, office.timezone)}",
        f"Trạng thái: {alert.status}",
        "",
        f"Xem và xử lý hồ sơ: {url}",
    ]
    payload = {"event": f"alert.{note.event}", "delivery": note.id, "alert": {
        "id": alert.id, "office_id": alert.office_id, "office_name": office.name, "rule": alert.rule,
        "rule_name": rule_vi, "status": alert.status, "summary": alert.summary, "late": alert.late,
        "opened_at": alert.opened_at.isoformat(), "due_at": alert.due_at.isoformat(),
        "details": json.loads(alert.details or "{}"), "url": url}}
    return subject, "\n".join(lines) + "\n", json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _claim(db, now: datetime, limit: int) -> list:
    """Lease up to ``limit`` due notifications to this process, in one statement, and return
    them (in id order): the rows are locked as they are picked (``SKIP LOCKED`` on PostgreSQL,
    so another server process picks others) and the lease is re-checked as they are updated."""
    due = (select(Notification.id).where(Notification.sent_at.is_(None), Notification.next_attempt_at <= now)
           .order_by(Notification.next_attempt_at, Notification.id).limit(limit).with_for_update(skip_locked=True))
    with db.engine.begin() as conn:
        return sorted(conn.execute(update(Notification).where(
            Notification.id.in_(due.scalar_subquery()), Notification.sent_at.is_(None),
            Notification.next_attempt_at <= now).values(next_attempt_at=now + LEASE)
            .returning(*Notification.__table__.columns)).all(), key=lambda note: note.id)


def _unsendable(server: Server) -> dict[str, str]:
    """The channels this server has no setting for, with the reason their messages are not sent."""
    reasons = {}
    if not server.smtp_url:
        reasons["email"] = "not sent: server.smtp_url is empty"
    if not server.webhook_url:
        reasons["webhook"] = "not sent: server.webhook_url is empty"
    return reasons


def _send_one(conn, server: Server, note) -> None:
    """Send one notification on a channel the server has a setting for; raises on failure."""
    subject, text, body = render(conn, server, note)
    if note.channel == "email":
        mail.send(mail.SmtpSettings.from_url(server.smtp_url), mail.build_message(server.mail_from, note.target,
                                                                                  subject, text))
    else:
        webhook.post(server.webhook_url, server.webhook_secret, body, note.id)


def deliver_due(db, server: Server, now: datetime | None = None, limit: int = 50) -> int:
    """Send every due notification once; returns how many were delivered (or skipped).

    Messages on a channel without a setting are marked done with the reason, all in one
    statement (nothing to render); each message sent is marked as soon as it has gone, so a
    crash repeats at most that one."""
    now = now or datetime.now(UTC)
    notes = _claim(db, now, limit)
    unsendable = _unsendable(server)
    delivered = 0
    for channel, reason in unsendable.items():
        skipped = [note.id for note in notes if note.channel == channel]
        if skipped:
            with db.engine.begin() as conn:
                conn.execute(update(Notification).where(Notification.id.in_(skipped)).values(
                    attempts=Notification.attempts + 1, sent_at=now, last_error=reason))
            delivered += len(skipped)
    for note in notes:
        if note.channel in unsendable:
            continue
        with db.engine.connect() as conn:
            try:
                _send_one(conn, server, note)
            except (mail.MailError, webhook.WebhookError) as exc:
                values = {"attempts": note.attempts + 1, "last_error": str(exc)[:2000],
                          "next_attempt_at": datetime.now(UTC) + _backoff(note.attempts + 1)}
                log.warning("notification %s (%s) failed, retrying: %s", note.id, note.channel, exc)
            else:
                values = {"attempts": note.attempts + 1, "sent_at": datetime.now(UTC), "last_error": None}
                delivered += 1
        with db.engine.begin() as conn:
            conn.execute(update(Notification).where(Notification.id == note.id).values(**values))
    return delivered


class AlertWorker:
    """The server process's background thread: delivers notifications every ``interval_s``
    and runs the sweep (escalation, silent devices, digests, erasure) every ``sweep_s``."""

    def __init__(self, db, server: Server, interval_s: float = 1.0, sweep_s: float = 30.0):
        self.db, self.server, self.interval_s, self.sweep_s = db, server, interval_s, sweep_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AlertWorker:
        self._thread = threading.Thread(target=self._run, name="alert-worker", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(30)

    def _run(self) -> None:
        from sync.server.alerts.sweep import run_sweep

        last_sweep: float | None = None
        while not self._stop.is_set():
            try:
                if last_sweep is None or time.monotonic() - last_sweep >= self.sweep_s:
                    last_sweep = time.monotonic()
                    run_sweep(self.db)
                deliver_due(self.db, self.server)
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("alert worker round failed; trying again")
            self._wake.wait(self.interval_s)
            self._wake.clear()
