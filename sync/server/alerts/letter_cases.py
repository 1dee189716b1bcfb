"""Letters on cases: fill the office's template from the case, store PDF and DOCX, audit.

``letters`` knows the layout and the file formats; this module knows where the words come
from (the office, its settings, the case, the manager's form) and keeps what was made on the
case (``letters`` table, a ``letter`` case event; marking it sent is a ``letter_sent`` event,
counted by the monthly report).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from sync.config import Config
from sync.server.alerts import cases, letters
from sync.server.alerts.settings import office_settings
from sync.server.models import Alert, Letter, Office

__all__ = ["create_letter", "letter_text", "mark_sent"]

MAX_FIELD_CHARS = 2000


def _clean(text: str, what: str) -> str:
    text = " ".join((text or "").split()).rstrip(" .;")
    if not text:
        raise cases.CaseError(409, f"the letter needs {what}")
    if len(text) > MAX_FIELD_CHARS:
        raise cases.CaseError(409, f"{what}: at most {MAX_FIELD_CHARS} characters")
    return text


def letter_text(conn: Connection, alert_id: int, recipient: str, matter: str, actions: str,
                config: Config | None = None, today=None) -> letters.LetterText:
    alert = conn.execute(select(Alert).where(Alert.id == alert_id)).first()
    office = conn.execute(select(Office).where(Office.id == alert.office_id)).first()
    settings, _ = office_settings(conn, office.id)
    zone = ZoneInfo(office.timezone)
    template_path = None
    if settings.letter_template:
        template_path = config.path(settings.letter_template) if config else None
    recipient = _clean(recipient, "a recipient (Ông/Bà …)")
    values = {"office_name": office.name, "citizen": recipient,
              "visit_date": alert.first_at.astimezone(zone).strftime("%d/%m/%Y"),
              "matter": _clean(matter, "the matter"), "actions": _clean(actions, "what was done"),
              "signer_title": settings.letter_signer_title}
    paragraphs = letters.fill(letters.read_template(template_path), values)
    province = json.loads(office.config_json or "{}").get("office", {}).get("province", "") or office.province
    place = settings.letter_place or province or office.name
    return letters.LetterText(settings.letter_authority, office.name, place,
                              today or datetime.now(UTC).astimezone(zone).date(), recipient, paragraphs,
                              settings.letter_signer_title, settings.letter_signer_name)


def create_letter(conn: Connection, alert_id: int, actor: cases.Actor, recipient: str, matter: str, actions: str,
                  config: Config | None = None, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    alert = cases.load_case(conn, alert_id, actor)
    text = letter_text(conn, alert_id, recipient, matter, actions, config)
    letter_id = conn.execute(insert(Letter).values(
        alert_id=alert_id, office_id=alert.office_id, created_at=now, created_by=actor.username,
        recipient=text.citizen, matter=_clean(matter, "the matter"), actions=_clean(actions, "what was done"),
        pdf=letters.pdf_bytes(text), docx=letters.docx_bytes(text)).returning(Letter.id)).scalar()
    cases.log_event(conn, alert_id, actor.username, "letter", f"thư xin lỗi số {letter_id} gửi {text.citizen}", now)
    return letter_id


def mark_sent(conn: Connection, alert_id: int, letter_id: int, actor: cases.Actor, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    cases.load_case(conn, alert_id, actor)
    done = conn.execute(update(Letter).where(Letter.id == letter_id, Letter.alert_id == alert_id,
                                             Letter.sent_at.is_(None)).values(sent_at=now)).rowcount
    if not done:
        raise cases.CaseError(409, f"letter {letter_id} is not on case #{alert_id} or was already marked sent")
    cases.log_event(conn, alert_id, actor.username, "letter_sent", f"đã gửi thư xin lỗi số {letter_id}", now)
