"""The hub's side of the citizen's phone page: find a ticket by its token, say where it is,
take one rating per ticket. No HTTP here (the routes are in ``kiosk/hub/citizen_routes.py``).

* Tokens and short codes are derived from the ticket id with the office key
  (``sync.citizen.tokens``); this object keeps them in memory for the tickets of the rating
  window (live queue plus the archives of the last days, rebuilt at start) and adds their
  hashes to every ticket record (``QueueEngine.page_fields``), so the central server can
  serve the same page from uploads.
* One rating per ticket across tablet and phone: ``RatedTickets`` is the hub's durable list
  of tickets rated on a phone here *or* reported by their counter's tablet
  (``POST /api/v1/counters/{id}/rated``, sent by the tablet right after it stores a real
  answer). A phone rating for a ticket in the list is refused (409); a phone rating stored
  here is announced to the counter's tablet as a ``rated`` event, which closes its prompt.
  When the two cannot talk (hub down, tablet offline) the central server is the last word:
  it keeps the first rating it receives per ticket and refuses the second at upload.
* A phone rating becomes a ``rating`` record (``channel: "phone"``) in the hub's outbox,
  like any device record: stored durably before the citizen is thanked, uploaded with the
  hub's tickets, and working with the internet down.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.queue import QueueEngine, QueueError
from sync import records
from sync.api.errors import ApiError
from sync.citizen.rating import read_rating
from sync.citizen.tokens import OfficeKey, format_code, page_fields
from sync.citizen.view import TicketFacts, rating_refusal, ticket_view
from sync.config import Config
from sync.store import StoreWriteError, write_atomically

__all__ = ["CitizenTickets", "RatedTickets"]

log = logging.getLogger(__name__)


class RatedTickets:
    """Tickets already rated (ticket id → channel), one JSON line each, fsynced on add.
    Lines older than ``keep`` are dropped when the file is read at start."""

    def __init__(self, path: Path, keep: timedelta, now: datetime):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._rated: dict[str, dict] = {}
        kept = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    item = json.loads(line)
                    at = datetime.fromisoformat(item["at"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a power cut
                if now - at <= keep:
                    self._rated[item["ticket_id"]] = item
                    kept.append(line)
            write_atomically(self.path, "".join(line + "\n" for line in kept).encode())

    def channel(self, ticket_id: str) -> str | None:
        with self._lock:
            item = self._rated.get(ticket_id)
            return item["channel"] if item else None

    def add(self, ticket_id: str, channel: str, at: datetime) -> bool:
        """Note ``ticket_id`` as rated; False when it already was (nothing written)."""
        with self._lock:
            if ticket_id in self._rated:
                return False
            item = {"ticket_id": ticket_id, "channel": channel, "at": at.isoformat(timespec="seconds")}
            line = json.dumps(item) + "\n"
            try:
                with open(self.path, "ab") as handle:
                    handle.write(line.encode())
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise StoreWriteError(f"could not note ticket {ticket_id} as rated: {exc}") from exc
            self._rated[ticket_id] = item
            return True


class CitizenTickets:
    """Tokens, views and phone ratings for the tickets of one hub."""

    def __init__(self, config: Config, engine: QueueEngine, *, publish: Callable[[str, dict], None],
                 clock: Callable[[], datetime] | None = None):
        self.config = config
        self.engine = engine
        self.window = timedelta(days=config.citizen_page.rating_days)
        self.base_url = config.citizen_base_url
        self._publish = publish
        self._clock = clock or (lambda: datetime.now().astimezone())
        self.key = OfficeKey.load_or_create(engine.state_dir / "citizen-page.key")
        self.rated = RatedTickets(engine.state_dir / "rated-tickets.jsonl", self.window + timedelta(days=2),
                                  self._clock())
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # token -> ticket id
        self._codes: dict[str, str] = {}  # short code -> token
        self._archives: dict[str, tuple[int, dict[str, dict]]] = {}  # day file -> (size, tickets by id)
        engine.page_fields = self.record_fields
        engine.subscribe(self._on_event)
        self._build_index()

    def _build_index(self) -> None:
        """Tokens and codes of the live queue and of the archives still in the rating window
        (at start, and again after each daily reset so older days drop out of memory)."""
        self._rebuild_due = False
        ids = [t.id for t in self.engine.tickets()]
        for day_file in self._recent_archives():
            ids.extend(self._archive(day_file))
        tokens = {self.key.token(i): i for i in ids}
        codes = {self.key.code(i): token for token, i in tokens.items()}
        with self._lock:
            self._tokens, self._codes = tokens, codes
            kept = {f.name for f in self._recent_archives()}
            self._archives = {name: v for name, v in self._archives.items() if name in kept}
        for ticket in self.engine.tickets():  # one issued while this ran
            self._index(ticket.id)

    # -- addresses -------------------------------------------------------------------------

    def token(self, ticket_id: str) -> str:
        return self.key.token(ticket_id)

    def page_url(self, ticket_id: str) -> str:
        """The ticket's page, absolute (``citizen_url`` in the issue answer, the QR code)."""
        return f"{self.base_url}/t/{self.key.token(ticket_id)}"

    def code(self, ticket_id: str) -> str:
        """The short code as printed (``K7QX9-MZ4P2``)."""
        return format_code(self.key.code(ticket_id))

    @property
    def code_url(self) -> str:
        """Where a short code is typed."""
        return f"{self.base_url}/t"

    def record_fields(self, ticket_id: str) -> dict[str, str]:
        """What the ticket's records say about its page (``sync.citizen.tokens.page_fields``)."""
        return page_fields(self.key.token(ticket_id), self.key.code(ticket_id))

    # -- finding tickets -------------------------------------------------------------------

    def _index(self, ticket_id: str) -> None:
        token = self.key.token(ticket_id)
        with self._lock:
            self._tokens[token] = ticket_id
            self._codes[self.key.code(ticket_id)] = token

    def _on_event(self, event: dict) -> None:
        if event["type"] == "issued":
            self._index(event["data"]["ticket"]["id"])
        elif event["type"] == "reset":
            # rebuilt at the next lookup: the day's archive is written after this event
            self._rebuild_due = True

    def _recent_archives(self) -> list[Path]:
        if not self.engine.archive.folder.is_dir():
            return []
        days = sorted(self.engine.archive.folder.glob("*.jsonl"), reverse=True)
        return days[: self.window.days + 2]

    def _archive(self, day_file: Path) -> dict[str, dict]:
        """The tickets of one archive file by id (parsed again only when the file grew)."""
        size = day_file.stat().st_size
        cached = self._archives.get(day_file.name)
        if cached and cached[0] == size:
            return cached[1]
        tickets = {t["id"]: t for t in self.engine.archived(day_file.stem)}
        self._archives[day_file.name] = (size, tickets)
        return tickets

    def token_for_code(self, code: str) -> str | None:
        if self._rebuild_due:
            self._build_index()
        with self._lock:
            return self._codes.get(code)

    def find(self, token: str) -> dict | None:
        """The ticket (latest state, as a dict) whose page token is ``token``, else None."""
        if self._rebuild_due:
            self._build_index()
        with self._lock:
            ticket_id = self._tokens.get(token)
        if ticket_id is None:
            return None
        try:
            return self.engine.ticket(ticket_id).to_dict()
        except QueueError:
            pass  # ended: in an archive
        for day_file in self._recent_archives():
            ticket = self._archive(day_file).get(ticket_id)
            if ticket is not None:
                return ticket
        return None

    # -- what the page shows ---------------------------------------------------------------

    def facts(self, ticket: dict) -> TicketFacts:
        ahead, wait = 0, 0.0
        if ticket["status"] == "waiting":
            ahead, wait = self.engine.place(ticket["id"])
        service = self.config.service(ticket["service_id"])
        counter_name = None
        if ticket.get("counter_id") is not None:
            try:
                name = self.config.counter(ticket["counter_id"]).name
                counter_name = {"vi": name.vi, "en": name.en}
            except KeyError:
                pass
        clerk = None
        if ticket.get("clerk_id"):
            try:
                clerk = self.config.clerk(ticket["clerk_id"]).name
            except KeyError:
                clerk = None
        finished = ticket.get("finished_at") if ticket["status"] == "finished" else None
        return TicketFacts(
            number=ticket["number"], queue_status=ticket["status"],
            service_name={"vi": service.name.vi, "en": service.name.en}, office_name=self.config.office.name,
            ahead=ahead, wait_min=wait, counter_id=ticket.get("counter_id"), counter_name=counter_name,
            clerk_name=clerk, finished_at=datetime.fromisoformat(finished) if finished else None,
            rated=self.rated.channel(ticket["id"]) is not None, as_of=self._clock())

    def view(self, token: str, served_at: str | None = None) -> dict | None:
        """The page's JSON for ``token`` (``sync.citizen.view``), or None: no such ticket.
        ``served_at`` is the address the phone reached this hub by (its links stay on it, so a
        rating sent from the hub's page lands in the hub's outbox); default ``base_url``."""
        ticket = self.find(token)
        if ticket is None:
            return None
        page = f"{(served_at or self.base_url).rstrip('/')}/t/{token}"
        return ticket_view(self.facts(ticket), page_url=page, now=self._clock(), window=self.window,
                           source="hub", events_url=f"/t/{token}/events")

    # -- ratings ---------------------------------------------------------------------------

    def rate(self, token: str, body: bytes, content_type: str) -> dict:
        """Store the phone's rating of the ticket; returns the record. Raises ``ApiError``:
        ``not_found``, ``already_rated`` / ``not_served`` / ``rating_closed`` (409),
        ``storage_failed`` / ``unavailable`` (503), or a ``RatingInputError`` (400)."""
        ticket = self.find(token)
        if ticket is None:
            raise ApiError("not_found", "no ticket has this address")
        self._refuse_if_needed(ticket)
        answer = read_rating(body, content_type, levels=self.config.levels, reasons=self.config.reasons)
        outbox = self.engine.outbox
        if outbox is None:
            raise ApiError("unavailable", "this hub keeps no records, so it cannot take ratings")
        with self._lock:  # one rating at a time: two phones cannot both pass the check
            self._refuse_if_needed(ticket)

            def make(seq: int) -> dict:
                return records.new_rating(
                    office_id=self.config.office.id, device_id=outbox.device_id, seq=seq,
                    counter_id=ticket["counter_id"], clerk_id=ticket.get("clerk_id"), ticket_id=ticket["id"],
                    ticket_number=ticket["number"], service_id=ticket["service_id"], score=answer.score,
                    scale=answer.scale, satisfied=answer.satisfied, reasons=answer.reasons,
                    comment=answer.comment, lang=answer.lang, channel="phone")

            try:
                record = outbox.append_new(make)
            except Exception as exc:  # OutboxWriteError, a full disk: nothing was stored
                log.error("phone rating of ticket %s not stored: %s", ticket["number"], exc)
                raise ApiError("storage_failed", "the rating could not be saved; please try again") from exc
            try:
                self.rated.add(ticket["id"], "phone", self._clock())
            except StoreWriteError:
                log.exception("phone rating stored but not noted; the central server refuses a second one")
        self._publish("rated", {"counter_id": ticket["counter_id"], "ticket_id": ticket["id"], "channel": "phone"})
        return record

    def _refuse_if_needed(self, ticket: dict) -> None:
        refusal = rating_refusal(self.facts(ticket), self._clock(), self.window)
        if refusal is not None:
            raise ApiError(refusal, _REFUSALS[refusal])

    def tablet_rated(self, counter_id: int, ticket_id: str) -> bool:
        """The counter's tablet stored a rating of ``ticket_id``; False if it was rated already."""
        added = self.rated.add(ticket_id, "tablet", self._clock())
        if added:
            self._publish("rated", {"counter_id": counter_id, "ticket_id": ticket_id, "channel": "tablet"})
        return added


_REFUSALS = {
    "already_rated": "this ticket has already been rated (one rating per ticket, on the tablet or a phone)",
    "not_served": "this ticket was not served (still waiting, cancelled or a no-show), so it cannot be rated",
    "rating_closed": "the time to rate this ticket has passed",
}
