"""The central server's tables: one SQLAlchemy declaration shared by ingest, dashboard and exports.

Why these shapes:

* ``ratings`` and ``tickets`` are partitioned by month of ``local_date`` on PostgreSQL
  (``sync.server.partitions``). A partitioned table's keys must include the partition key,
  so ``ratings`` is keyed by (``id``, ``local_date``) and cannot itself refuse a second row
  with the same id in another month. Idempotency therefore sits in two small unpartitioned
  tables of record ids: ``rating_ids`` and ``ticket_records`` hold every record id ever
  accepted, keyed by that id alone, so a record uploaded twice hits their primary key and is
  recognised as a duplicate — under concurrency too, because ingest inserts there first with
  ``ON CONFLICT DO NOTHING`` and stores the fact only for the ids that went in. Their
  ``content_hash`` (SHA-256 of the validated record) tells a true re-send from a conflicting
  record that reuses an id (even with another date); conflicts go to ``quarantine``. Why not
  (id, month) with the month taken from the record: a record reusing an id with another date
  would slip in as a second row, and an office changing time zone could move a re-send into
  another month.
* ``tickets`` holds one row per queue ticket with the highest ``version`` seen, so ticket
  snapshots may arrive in any order; its key is (``ticket_id``, ``local_date`` of issue), and
  ``ticket_records.local_date`` (the issue date each snapshot claimed) lets ingest refuse a
  snapshot that would move a ticket to another day, which would otherwise make a second row.
* Every fact carries ``local_date``/``local_hour`` computed in the office's time zone at
  ingest, so dashboards group by day and hour with plain indexed columns on both SQLite and
  PostgreSQL (no time-zone functions in queries).
* All timestamps are stored in UTC (``UTCDateTime``) and come back timezone-aware.
* Secrets (device tokens, admin API tokens, sessions, enrollment codes) are stored only as
  SHA-256 hashes; admin passwords as Argon2 hashes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "DEVICE_KINDS",
    "ROLES",
    "Admin",
    "Alert",
    "AlertRating",
    "ApiToken",
    "Base",
    "CaseEvent",
    "Clerk",
    "Counter",
    "Device",
    "EnrollmentCode",
    "ExportAudit",
    "Letter",
    "Notification",
    "Office",
    "OfficeAlertSettings",
    "Quarantine",
    "RateLimitState",
    "RatedTicket",
    "Rating",
    "RatingContact",
    "RatingCount",
    "RatingDay",
    "RatingId",
    "RatingReason",
    "Service",
    "Session",
    "Sweep",
    "Ticket",
    "TicketCount",
    "TicketRecord",
    "TicketTime",
    "UTCDateTime",
]

ROLES = ("province_admin", "office_manager")
DEVICE_KINDS = ("tablet", "kiosk", "hub")

# Stable constraint names, so Alembic migrations can refer to them on every database.
_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones, so the value is stored
    as naive UTC text and the UTC zone is put back on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


# --- offices and what they are made of ------------------------------------------------------


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    # The office configuration without secrets (counter tokens, clerk PINs, admin PIN),
    # served to devices by GET /api/v1/devices/config; the ETag is a hash of this text.
    config_json: Mapped[str] = mapped_column(Text, default="{}")
    config_etag: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Service(Base):
    __tablename__ = "services"

    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))


class Counter(Base):
    __tablename__ = "counters"

    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))


class Clerk(Base):
    __tablename__ = "clerks"

    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))


# --- devices ----------------------------------------------------------------------------------


class Device(Base):
    """An enrolled tablet, kiosk or hub; ``token_hash`` is SHA-256 of its bearer token."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending: Mapped[int | None] = mapped_column(Integer, nullable=True)
    app_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Server receipt time minus the batch's sent_at (device clock), seconds, at the last upload:
    # positive = the device clock is behind (plus network delay), negative = ahead.
    clock_skew_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    # What the device itself reported with its last upload or heartbeat (at last_seen_at):
    # records refused and kept on the device.
    quarantined: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Ratings whose ``satisfied`` flag disagreed with score and scale (the server's wins).
    satisfied_disagreements: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EnrollmentCode(Base):
    """A one-time, short-lived code an admin gives to a device to enroll it."""

    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


# --- facts uploaded by devices ----------------------------------------------------------------


_BY_MONTH = {"postgresql_partition_by": "RANGE (local_date)"}  # ignored by SQLite


class RatingId(Base):
    """Every rating record id ever accepted, with its content hash: makes rating uploads
    idempotent (``ratings`` is partitioned, so its own key cannot)."""

    __tablename__ = "rating_ids"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)  # where the rating is: its partition
    content_hash: Mapped[str] = mapped_column(String(64))


_HAS_COMMENT = text("comment IS NOT NULL AND comment <> ''")
# A rated answer (a score, not a misuse press) that was not satisfied: the burst rule's
# "unhappy answer". Queries that want the partial index below use this very clause.
UNHAPPY_ANSWER = text("score IS NOT NULL AND misuse = false AND satisfied IS NOT true")


class Rating(Base):
    """One citizen's rating (record kind ``rating``); ``score``/``satisfied`` null = not rated."""

    __tablename__ = "ratings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))  # server device (from the token)
    source_device_id: Mapped[str] = mapped_column(String(64))  # the record's own device_id
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    local_hour: Mapped[int] = mapped_column(Integer)
    counter_id: Mapped[int] = mapped_column(Integer)
    clerk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ticket_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scale: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reason codes
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    misuse: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8), default="tablet", server_default="tablet")  # tablet | phone
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # An office's ratings by day, and within a day by time: the burst rule reads the
        # ratings of a few minutes around a batch's new ones from it, not their whole days.
        Index("ix_ratings_office_time", "office_id", "local_date", "created_at"),
        Index("ix_ratings_office_clerk", "office_id", "clerk_id"),
        Index("ix_ratings_office_counter", "office_id", "counter_id"),
        Index("ix_ratings_local_date", "local_date"),
        # The feedback page's latest comments: a small index of the ratings that carry one
        # (a few per cent), walked newest first until the page has its thirty.
        Index("ix_ratings_comments", "local_date", "created_at", postgresql_where=_HAS_COMMENT,
              sqlite_where=_HAS_COMMENT),
        Index("ix_ratings_office_comments", "office_id", "local_date", "created_at", postgresql_where=_HAS_COMMENT,
              sqlite_where=_HAS_COMMENT),
        # The burst rule's unhappy answers near a batch's new ratings (a few per cent of all):
        # without it each batch reads every rating of the days it touches.
        Index("ix_ratings_office_unhappy", "office_id", "created_at", postgresql_where=UNHAPPY_ANSWER,
              sqlite_where=UNHAPPY_ANSWER),
        _BY_MONTH,
    )


class Ticket(Base):
    """The latest known state of one queue ticket (highest ``version`` of its snapshots)."""

    __tablename__ = "tickets"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[str] = mapped_column(String(64))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clerk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # called_at - issued_at
    service_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # finished_at - served_at
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)  # of issued_at, office time zone
    local_hour: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The ticket's page on the citizen's phone (sync/citizen/tokens.py): SHA-256 of its token
    # and short code, and the token sealed with the code; null for tickets from older hubs.
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    token_seal: Mapped[str | None] = mapped_column(String(30), nullable=True)

    __table_args__ = (Index("ix_tickets_office_date", "office_id", "local_date"), _BY_MONTH)


class RatedTicket(Base):
    """The one rating a ticket may have (tablet or phone): the first answer stored claims the
    ticket, a later one for the same ticket is refused at ingest. Ratings that record "not
    rated" (no score) claim nothing, so a citizen who left before the tablet asked can still
    rate from the phone."""

    __tablename__ = "rated_tickets"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rating_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(8))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketRecord(Base):
    """Every ticket snapshot record id ever accepted: makes ticket uploads idempotent."""

    __tablename__ = "ticket_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(36), index=True)
    office_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    source_device_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    local_date: Mapped[date] = mapped_column(Date)  # the ticket's issue date this snapshot claims
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))


class Quarantine(Base):
    """A record that reused a stored id with different content, kept for an admin to decide."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # the record as received, JSON
    # An admin's decision (audited here): None = waiting, "accepted" (the record replaced the
    # stored one) or "discarded"; who decided and when.
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- admins ----------------------------------------------------------------------------------


class Admin(Base):
    """A person who uses the dashboard: a province admin (all offices) or an office manager."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("offices.id"), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)  # alerts, digests, escalations
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A short-lived bearer token for scripts (POST /api/v1/auth/token); hash only."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[int] = mapped_column(Integer, ForeignKey("admins.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Session(Base):
    """A dashboard login (cookie); hash of the cookie value and the session's CSRF secret."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[int] = mapped_column(Integer, ForeignKey("admins.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExportAudit(Base):
    """Who exported what and when (every export, CLI and web)."""

    __tablename__ = "export_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filters: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    rows: Mapped[int] = mapped_column(Integer, default=0)


# --- alerts and follow-up cases (sync/server/alerts/) ------------------------------------------


class Alert(Base):
    """An alert raised by a rule, and the follow-up case it opens (one row is both).

    ``dedup_key`` makes "one alert per condition" a database guarantee, race-free across server
    processes: unique per (office, rule, key). A burst alert holds key ``open`` while it is open
    (so an office has at most one open burst) and takes ``closed-<id>`` when it closes; a
    severe alert's key is its rating id; a trend alert's ``clerk:<id>`` while open; a silent
    device's ``<counter>:<local date>``.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"))
    rule: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))  # open, acknowledged, resolved, dismissed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)  # server time the alert was raised
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)  # recorded time of the first rating (or day) involved
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)   # … and of the last
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    counter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clerk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str] = mapped_column(Text)  # one Vietnamese sentence: what happened
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: counters, clerks, figures
    assigned_admin_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("admins.id"), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)  # what was done / why dismissed

    __table_args__ = (
        Index("uq_alerts_office_rule_key", "office_id", "rule", "dedup_key", unique=True),
        Index("ix_alerts_status_opened", "status", "opened_at"),
        Index("ix_alerts_office_opened", "office_id", "opened_at"),
    )


class AlertRating(Base):
    """Which ratings an alert is about (the burst's window, the severe rating)."""

    __tablename__ = "alert_ratings"

    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alerts.id"), primary_key=True)
    rating_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_alert_ratings_rating", "rating_id", "rule"),)


class CaseEvent(Base):
    """The case's audit trail and notes: who did what, when (``action`` note carries the text)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))  # username, or "system"
    action: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")


class RatingContact(Base):
    """A phone number a citizen left on the tablet with consent, for the case only.

    Kept apart from ``ratings`` so no export, report or dashboard query can ever read it;
    shown only on a case page to the assigned manager and province admins (every view is a
    ``contact_viewed`` case event) and erased ``contact_retention_days`` after the case closes.
    """

    __tablename__ = "rating_contacts"

    rating_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # null once erased
    consent: Mapped[str] = mapped_column(Text)  # the consent sentence the citizen agreed to
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Notification(Base):
    """A message to deliver (email, webhook), written in the transaction that caused it.

    The delivery worker sends due rows and marks them sent; a crash between commit and send
    leaves the row due, so it is sent after restart (at least once, never lost). A channel
    the server has no setting for (no ``server.smtp_url``) is marked sent with the reason.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("alerts.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email, webhook
    target: Mapped[str] = mapped_column(String(300), default="")  # email address; "" = the configured webhook
    event: Mapped[str] = mapped_column(String(32))  # opened, escalated, digest
    body: Mapped[str] = mapped_column(Text, default="")  # digest text (alert messages are rendered when sent)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_notifications_due", "sent_at", "next_attempt_at"),)


class Letter(Base):
    """An apology letter ("Thư xin lỗi") generated from a case: the PDF and DOCX as made."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alerts.id"), index=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(200))
    matter: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    docx: Mapped[bytes] = mapped_column(LargeBinary)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OfficeAlertSettings(Base):
    """Alert settings a province admin changed on the dashboard; they override config.yaml's."""

    __tablename__ = "office_alert_settings"

    office_id: Mapped[str] = mapped_column(String(64), ForeignKey("offices.id"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)  # JSON, the keys of config.yaml's `alerts:`
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class Sweep(Base):
    """When a periodic job last ran for an office (daily digest, silent-device check), so that
    several server processes run it once."""

    __tablename__ = "sweeps"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_day: Mapped[date] = mapped_column(Date)


# --- state shared by every server process -------------------------------------------------------


class RateLimitState(Base):
    """One rate-limit bucket (device uploads, logins, enrollments): see ``sync.server.limits``."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)  # when the bucket is full again, epoch seconds (database clock)


# --- summaries (kept at ingest, rebuilt by ``sync-server rebuild-summaries``; see summaries.py) ---
#
# Keys never hold NULL (a primary key cannot): no clerk / no service is '' and an unrated
# prompt is score 0. ``grain`` is 'd' (``period`` = the local day) or 'm' (``period`` = the
# first day of the local month): a page reads whole months from 'm' rows and only the days
# at the edges of its range from 'd' rows, so its cost does not grow with the range
# (tickets are summarised by month only; see summaries.py).

LEVELS = range(1, 11)  # the record schema allows scales of 2..10 levels


def _counts(cls):
    """The counts of one group of ratings: all prompts, misuse, unrated, satisfied, per level."""
    for name in ("n", "misuse", "unrated", "satisfied", *(f"l{k}" for k in LEVELS)):
        setattr(cls, name, mapped_column(Integer, default=0, nullable=False))
        cls.__annotations__[name] = Mapped[int]
    return cls


@_counts
class RatingCount(Base):
    """Ratings counted per (grain, period, office, counter, clerk, service, hour, channel, scale)."""

    __tablename__ = "rating_counts"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clerk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    scale: Mapped[int] = mapped_column(Integer, primary_key=True)


@_counts
class RatingDay(Base):
    """Ratings counted per (local day, office, scale): the overview's trend and totals."""

    __tablename__ = "rating_days"

    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scale: Mapped[int] = mapped_column(Integer, primary_key=True)


class RatingReason(Base):
    """How many low answers (rated, not satisfied, not misuse) cited each reason."""

    __tablename__ = "rating_reasons"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class TicketCount(Base):
    """Tickets (their latest version) counted per (grain, period, office, service, hour, status)."""

    __tablename__ = "ticket_counts"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class TicketTime(Base):
    """Histograms of waiting (``wait``) and service (``service``) times: how many tickets fell in
    each ``bucket`` (``summaries.bucket_of``), by service (``dim`` 'service', ``dim_key`` = its
    id) and by hour of issue (``dim`` 'hour', ``dim_key`` = the hour)."""

    __tablename__ = "ticket_times"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[str] = mapped_column(String(8), primary_key=True)
    dim_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    wait: Mapped[int] = mapped_column(Integer, default=0)
    service: Mapped[int] = mapped_column(Integer, default=0)
