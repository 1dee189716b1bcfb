"""The central server's side of the citizen's phone page: the same page as the office hub's,
served from the ticket records the hub uploads, for citizens on mobile data. No HTTP here
(the routes are in ``sync/server/citizen_page.py``).

* A ticket is found by the SHA-256 of the token the phone brings (``tickets.token_hash``);
  a short code by its hash, the token then read from the record's seal with that code
  (``sync.citizen.tokens``). The centre never holds an office key.
* Its place: the office's tickets of the same day and service still waiting and issued
  before it, as uploaded; the estimate from today's service times there. The page says how
  fresh this is: the last time the office's hub or kiosk reached the centre.
* A rating sent here becomes a ``rating`` record (``channel: "phone"``, device
  ``citizen-page``) stored through ``ingest_records``, so it follows exactly the upload
  rules, including one rating per ticket (``rated_tickets``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from sync import records
from sync.citizen.rating import PhoneRating
from sync.citizen.tokens import secret_hash, unseal_token
from sync.citizen.view import TicketFacts, rating_refusal
from sync.config.schema import STANDARD_LEVELS, Label, Level, Reason
from sync.server.ingest import ACCEPTED, DUPLICATE, ingest_records, load_office_facts
from sync.server.models import Clerk, Counter, Device, Office, RatedTicket, Service, Ticket

__all__ = ["PAGE_DEVICE_ID", "OfficePage", "find_ticket", "office_page", "store_phone_rating", "ticket_facts",
           "token_for_code"]

PAGE_DEVICE_ID = "citizen-page"  # the device_id of ratings given on the centre's page
_DEFAULT_SERVICE_MIN = 8.0


@dataclass(frozen=True)
class OfficePage:
    """What the page needs from an office's uploaded configuration."""

    id: str
    name: str
    timezone: str
    language: str
    levels: list
    reasons: list
    window: timedelta
    default_service_min: float
    counters_for: dict  # service id -> number of counters serving it


def office_page(conn: Connection, office_id: str) -> OfficePage | None:
    office = conn.execute(select(Office.__table__).where(Office.id == office_id)).first()
    if office is None:
        return None
    cfg = json.loads(office.config_json or "{}")
    levels = [Level(Label(lv["label"]["vi"], lv["label"]["en"]), lv["satisfied"]) for lv in cfg.get("levels", [])]
    if not levels:
        levels = STANDARD_LEVELS[3]
    reasons = [Reason(r["code"], Label(r["label"]["vi"], r["label"]["en"])) for r in cfg.get("reasons", [])]
    counters_for: dict[str, int] = {}
    for counter in cfg.get("counters", []):
        for service in counter.get("services", []):
            counters_for[service] = counters_for.get(service, 0) + 1
    return OfficePage(
        id=office.id, name=office.name, timezone=office.timezone,
        language=(cfg.get("office") or {}).get("language", "vi"), levels=levels, reasons=reasons,
        window=timedelta(days=(cfg.get("citizen_page") or {}).get("rating_days", 3)),
        default_service_min=float((cfg.get("hub") or {}).get("default_service_min", _DEFAULT_SERVICE_MIN)),
        counters_for=counters_for)


def find_ticket(conn: Connection, token: str):
    """The ``tickets`` row (latest state) whose page token is ``token``, else None."""
    return conn.execute(select(Ticket.__table__).where(Ticket.token_hash == secret_hash(token))).first()


def token_for_code(conn: Connection, code: str) -> str | None:
    """The token of the newest ticket whose short code is ``code`` (codes are 50 bits: two
    live tickets sharing one is very unlikely, and the newest is the one being looked for)."""
    rows = conn.execute(select(Ticket.token_hash, Ticket.token_seal).where(Ticket.code_hash == secret_hash(code))
                        .order_by(Ticket.issued_at.desc()).limit(3)).all()
    for token_hash, seal in rows:
        token = unseal_token(seal or "", code)
        if token and secret_hash(token) == token_hash:
            return token
    return None


def _as_of(conn: Connection, ticket) -> datetime:
    """When the office's hub (or kiosk) last reached the centre: how fresh the page is."""
    seen = conn.execute(select(func.max(Device.last_seen_at)).where(
        Device.office_id == ticket.office_id, Device.kind.in_(("hub", "kiosk")))).scalar()
    seen = seen.replace(tzinfo=UTC) if seen is not None and seen.tzinfo is None else seen
    return max(seen, ticket.received_at) if seen else ticket.received_at


def ticket_facts(conn: Connection, ticket, office: OfficePage) -> TicketFacts:
    ahead, wait = 0, 0.0
    if ticket.status in ("waiting", "transferred"):
        ahead = conn.execute(select(func.count()).select_from(Ticket).where(
            Ticket.office_id == ticket.office_id, Ticket.local_date == ticket.local_date,
            Ticket.service_id == ticket.service_id, Ticket.status.in_(("waiting", "transferred")),
            Ticket.issued_at < ticket.issued_at)).scalar()
        average_s = conn.execute(select(func.avg(Ticket.service_s)).where(
            Ticket.office_id == ticket.office_id, Ticket.local_date == ticket.local_date,
            Ticket.service_id == ticket.service_id, Ticket.service_s.is_not(None))).scalar()
        minutes = float(average_s) / 60 if average_s is not None else office.default_service_min
        wait = ahead * minutes / max(1, office.counters_for.get(ticket.service_id, 1))
    service = conn.execute(select(Service.name_vi, Service.name_en).where(
        Service.office_id == ticket.office_id, Service.id == ticket.service_id)).first()
    counter_name = None
    if ticket.counter_id is not None:
        counter = conn.execute(select(Counter.name_vi, Counter.name_en).where(
            Counter.office_id == ticket.office_id, Counter.id == ticket.counter_id)).first()
        counter_name = {"vi": counter.name_vi, "en": counter.name_en} if counter else None
    clerk = None
    if ticket.clerk_id:
        clerk = conn.execute(select(Clerk.name).where(Clerk.office_id == ticket.office_id,
                                                      Clerk.id == ticket.clerk_id)).scalar()
    rated = conn.execute(select(RatedTicket.rating_id).where(
        RatedTicket.office_id == ticket.office_id, RatedTicket.ticket_id == ticket.ticket_id)).first() is not None
    return TicketFacts(
        number=ticket.number, queue_status=ticket.status,
        service_name={"vi": service.name_vi, "en": service.name_en} if service else {"vi": ticket.service_id,
                                                                                     "en": ticket.service_id},
        office_name=office.name, ahead=ahead, wait_min=wait, counter_id=ticket.counter_id,
        counter_name=counter_name, clerk_name=clerk,
        finished_at=ticket.finished_at if ticket.status == "finished" else None, rated=rated,
        as_of=_as_of(conn, ticket))


def store_phone_rating(conn: Connection, ticket, office: OfficePage, answer: PhoneRating,
                       now: datetime) -> str | None:
    """Store the rating (inside the caller's transaction); returns None when stored, else the
    refusal code (``already_rated``, ``not_served``, ``rating_closed``)."""
    refusal = rating_refusal(ticket_facts(conn, ticket, office), now, office.window)
    if refusal is not None:
        return refusal
    record = records.new_rating(
        office_id=ticket.office_id, device_id=PAGE_DEVICE_ID, seq=max(1, int(time.time())),
        counter_id=ticket.counter_id, clerk_id=ticket.clerk_id, ticket_id=ticket.ticket_id,
        ticket_number=ticket.number, service_id=ticket.service_id, score=answer.score, scale=answer.scale,
        satisfied=answer.satisfied, reasons=answer.reasons, comment=answer.comment, lang=answer.lang,
        channel="phone")
    outcome = ingest_records(conn, load_office_facts(conn, ticket.office_id), PAGE_DEVICE_ID, [record])
    result = outcome.results[0]
    if result["status"] in (ACCEPTED, DUPLICATE):
        return None
    if "ticket_already_rated" in result.get("error", ""):
        return "already_rated"
    raise ValueError(f"the phone rating was refused at ingest: {result.get('error')}")
