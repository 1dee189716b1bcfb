"""The follow-up case of every alert: states, assignment, due time, notes, escalation, audit.

States: ``open`` → ``acknowledged`` → ``resolved`` | ``dismissed`` (an open case may also be
dismissed — a false alarm needs no acknowledgement first). Every change is a ``case_events``
row (who, when, what), and so are notes, letters, contact views, escalations and erasures:
the trail a province inspector reads.

A new case is assigned to the office's first office manager (the one created first) and due
``due_working_hours`` working hours after it opened (``rules.due_time``). A case still open or
acknowledged after its due time escalates once to the province admins (``escalate_overdue``).

Who may act: a province admin on every case, an office manager on their office's cases. The
citizen's contact number is shown to the *assigned* manager and province admins only, and
each view is logged (``view_contacts``).

All functions run inside the caller's transaction on a SQLAlchemy ``Connection``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.config import Alerts
from sync.server.alerts.rules import due_time
from sync.server.db import among
from sync.server.models import Admin, Alert, AlertRating, CaseEvent, Notification, Office, RatingContact

__all__ = [
    "ACTIVE",
    "CLOSED",
    "Actor",
    "CaseError",
    "NewAlert",
    "OfficeContacts",
    "acknowledge",
    "add_note",
    "close",
    "erase_expired_contacts",
    "escalate_overdue",
    "log_event",
    "open_alert",
    "open_alerts",
    "view_contacts",
]

OPEN, ACKNOWLEDGED, RESOLVED, DISMISSED = "open", "acknowledged", "resolved", "dismissed"
ACTIVE = (OPEN, ACKNOWLEDGED)
CLOSED = (RESOLVED, DISMISSED)
SYSTEM = "system"
# Keys that stay unique only while the case is active (one open burst per office, one open
# trend alert per clerk); on closing they become closed-<id> so the condition may alert again.
_KEY_WHILE_ACTIVE = ("burst", "trend")
MAX_NOTE_CHARS = 4000


class CaseError(ValueError):
    """A case action that is not allowed: ``status`` 403 (not yours), 404 (no such case) or
    409 (not in this state); the message says what to do instead."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Actor:
    """Who acts on a case (built from the dashboard's ``Principal``)."""

    def __init__(self, admin_id: int | None, username: str, role: str, office_id: str | None):
        self.admin_id, self.username, self.role, self.office_id = admin_id, username, role, office_id

    @classmethod
    def of(cls, principal) -> Actor:
        return cls(principal.admin_id, principal.username, principal.role, principal.office_id)

    @property
    def is_province_admin(self) -> bool:
        return self.role == "province_admin"


class NewAlert:
    """What a rule found, ready to become an alert and its case."""

    def __init__(self, office_id: str, rule: str, dedup_key: str, first_at: datetime, last_at: datetime,
                 summary: str, details: dict, *, late: bool = False, counter_id: int | None = None,
                 clerk_id: str | None = None, rating_ids: tuple[str, ...] = ()):
        self.office_id, self.rule, self.dedup_key = office_id, rule, dedup_key
        self.first_at, self.last_at, self.summary, self.details = first_at, last_at, summary, details
        self.late, self.counter_id, self.clerk_id, self.rating_ids = late, counter_id, clerk_id, rating_ids


def _insert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def log_event(conn: Connection, alert_id: int, actor: str, action: str, text: str = "",
              at: datetime | None = None) -> None:
    conn.execute(insert(CaseEvent), [{"alert_id": alert_id, "at": at or datetime.now(UTC), "actor": actor,
                                      "action": action, "text": text}])


def _emails(conn: Connection, *conditions) -> list[str]:
    return sorted({e for e in conn.scalars(select(Admin.email).where(*conditions)) if e})


def enqueue(conn: Connection, alert_id: int | None, event: str, emails: list[str], *, webhook: bool = True,
            body: str = "", now: datetime | None = None) -> None:
    """Queue the messages of one event in this transaction (the delivery worker sends them)."""
    rows = _notification_rows(alert_id, event, emails, webhook, body, now or datetime.now(UTC))
    if rows:
        conn.execute(insert(Notification), rows)


def _notification_rows(alert_id: int | None, event: str, emails: list[str], webhook: bool, body: str,
                       now: datetime) -> list[dict]:
    rows = [{"alert_id": alert_id, "channel": "email", "target": e, "event": event, "body": body,
             "created_at": now, "next_attempt_at": now, "attempts": 0} for e in emails]
    if webhook:
        rows.append({"alert_id": alert_id, "channel": "webhook", "target": "", "event": event, "body": body,
                     "created_at": now, "next_attempt_at": now, "attempts": 0})
    return rows


class OfficeContacts:
    """Who hears of one office's new alerts, looked up once per batch: its time zone, the
    manager new cases are assigned to, and the managers' addresses."""

    def __init__(self, conn: Connection, office_id: str, timezone: str | None = None):
        """``timezone``: the office's, when the caller has it already (ingest does)."""
        timezone = timezone or conn.scalar(select(Office.timezone).where(Office.id == office_id))
        self.zone = ZoneInfo(timezone or "Asia/Ho_Chi_Minh")
        admins = conn.execute(select(Admin.id, Admin.role, Admin.email).where(Admin.office_id == office_id)).all()
        self.manager_id = min((a.id for a in admins if a.role == "office_manager"), default=None)  # the first one
        self.emails = sorted({a.email for a in admins if a.email})


def open_alert(conn: Connection, new: NewAlert, settings: Alerts, now: datetime | None = None,
               contacts: OfficeContacts | None = None) -> int | None:
    """Raise ``new`` as an alert with its case, audit and notifications; ``None`` when an alert
    with the same (office, rule, key) exists already (the database decides, race-free)."""
    return open_alerts(conn, [new], settings, now, contacts)[0]


def open_alerts(conn: Connection, news: list[NewAlert], settings: Alerts, now: datetime | None = None,
                contacts: OfficeContacts | None = None) -> list[int | None]:
    """``open_alert`` for several alerts of one office at once (a batch may complete many),
    one statement per table; their ids in order, ``None`` for each that exists already."""
    if not news:
        return []
    office_id = news[0].office_id
    if any(new.office_id != office_id for new in news):
        raise ValueError("open_alerts: every alert must be of the same office")
    now = now or datetime.now(UTC)
    contacts = contacts or OfficeContacts(conn, office_id)
    due_at = due_time(now, settings.due_working_hours, settings.periods(), settings.working_days, contacts.zone)
    rows = [{
        "office_id": office_id, "rule": new.rule, "dedup_key": new.dedup_key, "status": OPEN, "opened_at": now,
        "first_at": new.first_at, "last_at": new.last_at, "late": new.late, "counter_id": new.counter_id,
        "clerk_id": new.clerk_id, "summary": new.summary,
        "details": json.dumps(new.details, ensure_ascii=False, sort_keys=True),
        "assigned_admin_id": contacts.manager_id, "due_at": due_at,
    } for new in news]
    stmt = _insert(conn)(Alert).on_conflict_do_nothing(index_elements=["office_id", "rule", "dedup_key"]).returning(
        Alert.id, Alert.rule, Alert.dedup_key)
    made = {(rule, key): alert_id for alert_id, rule, key in conn.execute(stmt, rows)}
    ids = [made.pop((new.rule, new.dedup_key), None) for new in news]  # a key twice in ``news``: the first wins
    links, events, notes = [], [], []
    for new, alert_id in zip(news, ids):
        if alert_id is None:
            continue
        links += [{"alert_id": alert_id, "rating_id": r, "rule": new.rule} for r in sorted(set(new.rating_ids))]
        events.append({"alert_id": alert_id, "at": now, "actor": SYSTEM, "action": "opened",
                       "text": new.summary + (" (tải lên muộn)" if new.late else "")})
        notes += _notification_rows(alert_id, "opened", contacts.emails, True, "", now)
    for model, values in ((AlertRating, links), (CaseEvent, events), (Notification, notes)):
        if values:
            conn.execute(insert(model), values)
    return ids


def attach_ratings(conn: Connection, alert_id: int, rule: str, rating_ids: set[str], last_at: datetime) -> int:
    """Add ratings to an open alert (a burst that goes on); returns how many were new to it."""
    wanted = sorted(rating_ids)
    known: set[str] = set()
    for start in range(0, len(wanted), 500):  # only these ids: an alert that goes on for days links thousands
        known.update(conn.scalars(select(AlertRating.rating_id).where(
            AlertRating.alert_id == alert_id, among(conn, AlertRating.rating_id, wanted[start:start + 500]))))
    fresh = [r for r in wanted if r not in known]
    if not fresh:
        return 0
    # Two batches of one office may attach the same rating at once: the database keeps one link.
    added = conn.execute(_insert(conn)(AlertRating).on_conflict_do_nothing(),
                         [{"alert_id": alert_id, "rating_id": r, "rule": rule} for r in fresh]).rowcount
    if added:
        conn.execute(update(Alert).where(Alert.id == alert_id, Alert.last_at < last_at).values(last_at=last_at))
        log_event(conn, alert_id, SYSTEM, "ratings_added", f"thêm {added} đánh giá vào cảnh báo đang mở")
    return added


def load_case(conn: Connection, alert_id: int, actor: Actor):
    alert = conn.execute(select(Alert).where(Alert.id == alert_id)).first()
    if alert is None:
        raise CaseError(404, f"no case #{alert_id}")
    if not actor.is_province_admin and alert.office_id != actor.office_id:
        raise CaseError(403, f"case #{alert_id} belongs to another office")
    return alert


def acknowledge(conn: Connection, alert_id: int, actor: Actor, now: datetime | None = None) -> None:
    """The manager has seen the case and takes it on (an unassigned case becomes theirs)."""
    now = now or datetime.now(UTC)
    alert = load_case(conn, alert_id, actor)
    if alert.status != OPEN:
        raise CaseError(409, f"case #{alert_id} is {alert.status}, only an open case can be acknowledged")
    values = {"status": ACKNOWLEDGED, "acknowledged_at": now}
    if alert.assigned_admin_id is None and actor.role == "office_manager":
        values["assigned_admin_id"] = actor.admin_id
    conn.execute(update(Alert).where(Alert.id == alert_id).values(**values))
    log_event(conn, alert_id, actor.username, "acknowledged", "", now)


def add_note(conn: Connection, alert_id: int, actor: Actor, text: str, now: datetime | None = None) -> None:
    text = (text or "").strip()
    if not text:
        raise CaseError(409, "a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise CaseError(409, f"a note is at most {MAX_NOTE_CHARS} characters")
    load_case(conn, alert_id, actor)
    log_event(conn, alert_id, actor.username, "note", text, now)


def close(conn: Connection, alert_id: int, actor: Actor, outcome: str, text: str, now: datetime | None = None) -> None:
    """Resolve (what was done) or dismiss (why no action) a case; ``text`` is required."""
    now = now or datetime.now(UTC)
    if outcome not in CLOSED:
        raise CaseError(409, f"outcome: expected resolved or dismissed, found {outcome!r}")
    text = (text or "").strip()
    if not text:
        raise CaseError(409, "say what was done (resolved) or why no action is needed (dismissed)")
    alert = load_case(conn, alert_id, actor)
    allowed = (ACKNOWLEDGED,) if outcome == RESOLVED else ACTIVE
    if alert.status not in allowed:
        raise CaseError(409, f"case #{alert_id} is {alert.status}: "
                             + ("acknowledge it before resolving" if alert.status == OPEN else "already closed"))
    values = {"status": outcome, "closed_at": now, "resolution": text[:MAX_NOTE_CHARS]}
    if alert.rule in _KEY_WHILE_ACTIVE:
        values["dedup_key"] = f"closed-{alert_id}"
    conn.execute(update(Alert).where(Alert.id == alert_id).values(**values))
    log_event(conn, alert_id, actor.username, outcome, text, now)


def escalate_overdue(conn: Connection, now: datetime | None = None) -> list[int]:
    """Escalate every active case past its due time, once: audit + message to province admins."""
    now = now or datetime.now(UTC)
    ids = list(conn.scalars(select(Alert.id).where(Alert.status.in_(ACTIVE), Alert.due_at < now,
                                                   Alert.escalated_at.is_(None)).order_by(Alert.id)))
    emails = _emails(conn, Admin.role == "province_admin")
    done = []
    for alert_id in ids:
        claimed = conn.execute(update(Alert).where(Alert.id == alert_id, Alert.escalated_at.is_(None))
                               .values(escalated_at=now)).rowcount
        if claimed:
            log_event(conn, alert_id, SYSTEM, "escalated", "quá hạn xử lý: đã báo lãnh đạo cấp tỉnh", now)
            enqueue(conn, alert_id, "escalated", emails, now=now)
            done.append(alert_id)
    return done


def view_contacts(conn: Connection, alert_id: int, actor: Actor, now: datetime | None = None) -> list[dict]:
    """The contact numbers citizens left on this case's ratings; logs the view. Only the
    assigned manager and province admins may look."""
    alert = load_case(conn, alert_id, actor)
    if not actor.is_province_admin and alert.assigned_admin_id != actor.admin_id:
        raise CaseError(403, "only the manager this case is assigned to and province admins see contact numbers")
    rows = conn.execute(select(RatingContact.rating_id, RatingContact.phone, RatingContact.consent,
                               RatingContact.erased_at)
                        .join(AlertRating, AlertRating.rating_id == RatingContact.rating_id)
                        .where(AlertRating.alert_id == alert_id).order_by(RatingContact.received_at)).all()
    log_event(conn, alert_id, actor.username, "contact_viewed", f"{len(rows)} số liên hệ", now)
    return [{"rating_id": r.rating_id, "phone": r.phone, "consent": r.consent, "erased_at": r.erased_at}
            for r in rows]


def open_count(conn: Connection, office_ids: list[str] | None) -> int:
    """Open cases in these offices (``None`` = all): the dashboard's badge."""
    stmt = select(func.count()).select_from(Alert).where(Alert.status == OPEN)
    if office_ids is not None:
        stmt = stmt.where(Alert.office_id.in_(office_ids))
    return conn.scalar(stmt) or 0


def contact_count(conn: Connection, alert_id: int) -> int:
    """How many contact numbers a case holds (without showing them)."""
    return conn.scalar(select(func.count()).select_from(RatingContact)
                       .join(AlertRating, AlertRating.rating_id == RatingContact.rating_id)
                       .where(AlertRating.alert_id == alert_id, RatingContact.phone.is_not(None))) or 0


def erase_expired_contacts(conn: Connection, office_id: str, retention_days: int, now: datetime | None = None) -> int:
    """Erase the numbers of this office whose cases all closed ``retention_days`` ago or more,
    and those no case ever took up, ``retention_days`` after they arrived. Returns how many."""
    now = now or datetime.now(UTC)
    limit = now - timedelta(days=retention_days)
    linked = select(AlertRating.rating_id).join(Alert, Alert.id == AlertRating.alert_id)
    still_needed = linked.where(Alert.status.in_(ACTIVE) | (Alert.closed_at > limit))
    any_case = linked
    due = select(RatingContact.rating_id).where(
        RatingContact.office_id == office_id, RatingContact.phone.is_not(None),
        RatingContact.rating_id.not_in(still_needed),
        RatingContact.rating_id.in_(any_case) | (RatingContact.received_at <= limit))
    rating_ids = list(conn.scalars(due))
    if not rating_ids:
        return 0
    conn.execute(update(RatingContact).where(RatingContact.rating_id.in_(rating_ids))
                 .values(phone=None, erased_at=now))
    for alert_id in sorted(set(conn.scalars(select(AlertRating.alert_id).where(
            and_(AlertRating.rating_id.in_(rating_ids)))))):
        log_event(conn, alert_id, SYSTEM, "contact_erased",
                  f"đã xóa số liên hệ sau {retention_days} ngày kể từ khi đóng hồ sơ", now)
    return len(rating_ids)
