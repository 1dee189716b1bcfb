"""The rating session: what the counter tablet does, decided in plain Python.

The Kivy screens are a thin shell over this class. It knows the counter, the clerk and the
ticket just finished; it decides which screen the citizen sees (idle, prompt, reasons,
thanks), turns a tap into one rating record, and stores that record in the outbox *before*
it moves to the thank-you screen, so a rating the citizen saw acknowledged is on disk.

Rules it enforces (DESIGN.md §2, §6):

* Linked mode: a prompt opens when the hub reports that the clerk finished a ticket at this
  counter. One rating per ticket — a ticket already rated (also before a restart: the
  pending ratings in the outbox and a short list of tickets rated lately are remembered)
  never prompts again. A prompt nobody
  answers within ``rating.prompt_timeout_s`` becomes a *not rated* record (score and
  satisfied null), which rates leave out of their denominator.
* A level that is not ``satisfied`` asks for reasons and an optional comment; send, skip or
  a timeout on that screen all store the score (a timeout or skip without reasons).
* Standalone mode (configured, or linked but the hub unreachable for a while): the prompt
  is open at any time for the counter and the clerk set on the tablet; a rating less than
  ``rating.cooldown_s`` after the previous one is stored with ``misuse`` set.
* The citizen's choices of language and large text last for their rating: they return to the
  default after it, or ``rating.prompt_timeout_s`` after the switch on a screen with no
  timeout of its own, so the next citizen starts from the office's default.
* Debounce: a tap less than ``debounce_s`` after the previous accepted tap is ignored, so a
  double tap is one rating and its second touch does not land on the next screen.

Time is read from an injectable monotonic clock, and nothing here runs a timer: the screen
shell asks ``next_deadline()`` and calls ``tick()`` then (one ``Clock.schedule_once``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync import records
from sync.config import Config
from sync.outbox import Outbox, OutboxWriteError
from sync.store import StoreWriteError, move_aside, write_atomically
from tablet_rating.texts import tr

__all__ = [
    "DEBOUNCE_S",
    "ERROR",
    "IDLE",
    "LINKED",
    "OFFLINE",
    "OFFLINE_FALLBACK_S",
    "PENDING",
    "PROMPT",
    "REASONS",
    "STANDALONE",
    "SYNCED",
    "THANKS",
    "Clerk",
    "RatingSession",
    "Ticket",
]

log = logging.getLogger(__name__)

IDLE, PROMPT, REASONS, THANKS = "idle", "prompt", "reasons", "thanks"
LINKED, STANDALONE = "linked", "standalone"
SYNCED, PENDING, OFFLINE, ERROR = "synced", "pending", "offline", "error"

DEBOUNCE_S = 0.5
# Linked mode: how long the hub may be unreachable before the tablet opens the prompt on its
# own (standalone behaviour with the last known clerk). Short outages (a hub restart) pass
# unnoticed by citizens.
OFFLINE_FALLBACK_S = 15.0
# How many recent ticket ids are remembered to enforce one rating per ticket.
_REMEMBERED_TICKETS = 2000


@dataclass(frozen=True)
class Clerk:
    """The clerk a rating is about, as the tablet shows them."""

    id: str
    name: str
    photo: str | None = None  # a local file path or an http(s) URL, or None


@dataclass(frozen=True)
class Ticket:
    """The ticket a linked-mode prompt is about."""

    id: str | None
    number: int | None
    service_id: str | None


class RatingSession:
    """State and rules of one counter tablet; see the module docstring.

    ``listener(session)`` is called after every change the screens should show.
    """

    def __init__(self, config: Config, outbox: Outbox, *, counter_id: int, mode: str = LINKED,
                 lang: str | None = None, clerk_id: str | None = None,
                 clock: Callable[[], float] = time.monotonic, debounce_s: float = DEBOUNCE_S,
                 offline_fallback_s: float = OFFLINE_FALLBACK_S,
                 listener: Callable[[RatingSession], None] | None = None):
        if mode not in (LINKED, STANDALONE):
            raise ValueError(f"mode: expected 'linked' or 'standalone', found {mode!r}")
        config.counter(counter_id)  # KeyError for an unknown counter, before anything starts
        self.config = config
        self.outbox = outbox
        self.counter_id = counter_id
        self.mode = mode
        self.lang = self.default_lang = lang or config.office.language
        self.large = False  # the citizen's large-text choice
        self.clock = clock
        self.debounce_s = debounce_s
        self.offline_fallback_s = offline_fallback_s
        self.listener = listener
        self.on_record: Callable[[dict], None] | None = None  # told after each stored record
        self.levels = config.levels
        self.reasons = config.reasons
        self._next_config: Config | None = None

        self.state = IDLE
        self.clerk: Clerk | None = self._configured_clerk(clerk_id)
        self.paused = False
        self.ticket: Ticket | None = None
        self._ticket_clerk: Clerk | None = None
        self.score: int | None = None
        self.selected_reasons: list[str] = []
        self.comment = ""
        self.contact_phone: str | None = None  # a number the citizen left to be called back, with consent
        self.last_record: dict | None = None
        self.write_error: str | None = None  # the last refused write, until one succeeds

        self.hub_online: bool | None = None  # None: not known yet
        self._offline_since: float | None = None
        self._deadline: float | None = None
        self._choices_reset_at: float | None = None
        self._last_tap = float("-inf")
        self._last_standalone_rating = float("-inf")
        self._handled_tickets: dict[str, None] = {}
        self._rated_path = outbox.path.parent / "rated-tickets.json"
        for ticket_id in self._load_rated():
            self._remember(ticket_id)
        for record in outbox.pending():
            if record.get("kind") == "rating" and record.get("ticket_id"):
                self._remember(record["ticket_id"])
        if self.effective_mode == STANDALONE:
            self.state = PROMPT

    # -- what the screens read ------------------------------------------------------------

    @property
    def effective_mode(self) -> str:
        """'standalone' when configured so, or when linked but the hub has been gone too long."""
        if self.mode == STANDALONE:
            return STANDALONE
        if self._offline_since is not None and self.clock() - self._offline_since >= self.offline_fallback_s:
            return STANDALONE
        return LINKED

    @property
    def counter(self):
        return self.config.counter(self.counter_id)

    @property
    def rated_clerk(self) -> Clerk | None:
        """The clerk the open prompt asks about: who finished the ticket, else the counter's."""
        return self._ticket_clerk if self.ticket is not None else self.clerk

    def status(self) -> str:
        """The staff status dot: 'error' (storage refused a write), 'offline' (linked, hub
        unreachable), 'pending' or 'synced'."""
        if self.write_error:
            return ERROR
        if self.mode == LINKED and self.hub_online is False:
            return OFFLINE
        return PENDING if len(self.outbox) else SYNCED

    def next_deadline(self) -> float | None:
        """Clock time at which ``tick()`` has something to do, or None."""
        deadlines = [d for d in (self._deadline, self._fallback_at(), self._choices_reset_at) if d is not None]
        return min(deadlines) if deadlines else None

    # -- events from the hub ---------------------------------------------------------------

    def set_hub_online(self, online: bool) -> None:
        """The hub link connected (True) or lost the hub (False)."""
        if online == self.hub_online:
            return
        self.hub_online = online
        if online:
            self._offline_since = None
            if self.mode == LINKED and self.state == PROMPT and self.ticket is None:
                self._go(IDLE)  # back from the offline fallback: follow the counter again
                return
        elif self._offline_since is None:
            self._offline_since = self.clock()
        self._changed()

    def forget_hub(self) -> None:
        """Another hub or counter is about to be followed: its reachability is not known yet."""
        self.hub_online = None
        self._offline_since = None

    def counter_snapshot(self, view: dict) -> None:
        """The hub's view of this counter (at connection, and after every change there).

        Updates the clerk and the paused flag. If a ticket was finished here while the
        tablet was not listening (a hub or tablet restart) no more than the prompt timeout
        ago, and it has not been handled, the prompt opens for it now.
        """
        self.paused = bool(view.get("paused"))
        clerk = view.get("clerk")
        if self.mode == LINKED:
            self.clerk = self._clerk_from(clerk) if clerk else None
        last = view.get("last_finished") or None
        if (last and isinstance(last.get("ticket"), dict) and self._recent(last.get("finished_at"))
                and self.ticket_finished(last["ticket"], last.get("clerk"))):
            return
        self._changed()

    def ticket_finished(self, ticket: dict, clerk: dict | None) -> bool:
        """The clerk finished ``ticket`` at this counter; open the prompt. False if ignored."""
        if self.mode != LINKED:
            return False
        ticket_id = ticket.get("id")
        if ticket_id is not None and ticket_id in self._handled_tickets:
            return False
        self._close_open_prompt()
        self._ticket_clerk = self._clerk_from(clerk) if clerk else self.clerk
        number = ticket.get("number")
        self.ticket = Ticket(id=_uuid_or_none(ticket_id), number=number if isinstance(number, int) else None,
                             service_id=ticket.get("service_id"))
        if ticket_id is not None:
            self._remember(ticket_id)
        self._go(PROMPT, timeout=self.config.rating.prompt_timeout_s)
        return True

    def rated_elsewhere(self, ticket_id: str) -> None:
        """The hub says the citizen rated ``ticket_id`` on their phone: one rating per ticket,
        so no prompt for it, and an open prompt for it closes without a record."""
        self._remember(ticket_id)
        self._save_rated(ticket_id)
        if self.state in (PROMPT, REASONS) and self.ticket is not None and self.ticket.id == ticket_id:
            self._after_rating()

    # -- taps from the citizen ---------------------------------------------------------------

    def tap_level(self, score: int) -> bool:
        """The citizen touched the face for ``score``. Returns False when the tap is ignored."""
        if self.state != PROMPT or not self._accept_tap():
            return False
        if not 1 <= score <= len(self.levels):
            raise ValueError(f"score: expected 1..{len(self.levels)}, found {score}")
        self.score = score
        if self.config.level_for_score(score).satisfied:
            if self._store() is None:
                return False  # not on disk: no thank-you; the screen shows the error
            self._go(THANKS, timeout=self.config.rating.thanks_s)
        else:
            self.selected_reasons, self.comment, self.contact_phone = [], "", None
            self._go(REASONS, timeout=self.config.rating.prompt_timeout_s)
        return True

    def toggle_reason(self, code: str) -> bool:
        if self.state != REASONS or not self._accept_tap():
            return False
        if code not in {r.code for r in self.reasons}:
            raise ValueError(f"reason: unknown code {code!r}")
        if code in self.selected_reasons:
            self.selected_reasons.remove(code)
        else:
            self.selected_reasons.append(code)
        self._extend_deadline()
        self._changed()
        return True

    def set_comment(self, text: str) -> None:
        """The comment as typed so far (the keyboard limits it to MAX_COMMENT_CHARS)."""
        if self.state != REASONS:
            return
        self.comment = text[: records.MAX_COMMENT_CHARS]
        self._extend_deadline()

    def set_contact(self, phone: str | None) -> bool:
        """The citizen asks to be called back on ``phone`` (digits as typed) and agrees to the
        consent sentence (``consent_text``); ``None`` withdraws it. False for a number that is
        not a Vietnamese phone number (the screen asks again)."""
        if self.state != REASONS:
            return False
        if phone is not None and not records.PHONE_PATTERN.match(phone):
            return False
        self.contact_phone = phone
        self._extend_deadline()
        self._changed()
        return True

    def consent_text(self, lang: str | None = None) -> str:
        """The consent sentence shown beside the number field, stored with the number."""
        return tr(lang or self.lang, "contact.consent", office=self.config.office.name,
                  days=self.config.alerts.contact_retention_days)

    def keep_alive(self) -> None:
        """The citizen is still busy on the reasons screen (typing): push its timeout back."""
        if self.state == REASONS:
            self._extend_deadline()

    def send_reasons(self) -> bool:
        if self.state != REASONS or not self._accept_tap():
            return False
        if self._store(reasons=self.selected_reasons, comment=self.comment.strip() or None) is None:
            return False
        self._go(THANKS, timeout=self.config.rating.thanks_s)
        return True

    def skip_reasons(self) -> bool:
        if self.state != REASONS or not self._accept_tap():
            return False
        if self._store() is None:
            return False
        self._go(THANKS, timeout=self.config.rating.thanks_s)
        return True

    # -- settings -------------------------------------------------------------------------

    def reconfigure(self, *, counter_id: int, mode: str, lang: str, clerk_id: str | None) -> None:
        """Apply new settings from the admin screen; an open prompt is closed first."""
        if mode not in (LINKED, STANDALONE):
            raise ValueError(f"mode: expected 'linked' or 'standalone', found {mode!r}")
        self.config.counter(counter_id)
        self._close_open_prompt()
        changed_counter = counter_id != self.counter_id
        self.counter_id, self.mode, self.lang, self.default_lang = counter_id, mode, lang, lang
        if mode == STANDALONE or changed_counter:
            self.clerk = self._configured_clerk(clerk_id)
        self.ticket, self.score = None, None
        self._go(PROMPT if self.effective_mode == STANDALONE else IDLE)

    def office_changed(self, config: Config) -> None:
        """A new office configuration (clerk names, rating scale, reasons) from the server.

        Applied at once when nobody is rating, otherwise as soon as the current citizen is
        done — a scale never changes under a finger. A configuration without this tablet's
        counter is not applied (logged).
        """
        self._next_config = config
        if self.state == IDLE or (self.state == PROMPT and self.ticket is None):
            self._apply_next_config()

    def _apply_next_config(self) -> None:
        config, self._next_config = self._next_config, None
        if config is None:
            return
        try:
            config.counter(self.counter_id)
        except KeyError:
            log.warning("new office configuration has no counter %s; keeping the current one", self.counter_id)
            return
        self.config, self.levels, self.reasons = config, config.levels, config.reasons
        if self.clerk is not None:
            try:
                self.clerk = self._configured_clerk(self.clerk.id) or self.clerk
            except KeyError:
                pass
        self._changed()

    def set_lang(self, lang: str) -> None:
        """The citizen switched the language; it returns to the default after their rating."""
        if lang not in ("vi", "en"):
            raise ValueError(f"lang: expected 'vi' or 'en', found {lang!r}")
        self.lang = lang
        self._choice_made()

    def set_large(self, large: bool) -> None:
        """The citizen switched large text on or off; it returns to normal after their rating."""
        self.large = bool(large)
        self._choice_made()

    def _choice_made(self) -> None:
        # On a screen with no timeout of its own (idle, or the standalone prompt), a citizen
        # who switched language or text size and walked away must not leave it for the next one.
        chosen = self.lang != self.default_lang or self.large
        self._choices_reset_at = self.clock() + self.config.rating.prompt_timeout_s if chosen else None
        self._changed()

    # -- time -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply whatever is due now: prompt/reasons timeouts, thank-you end, offline fallback."""
        now = self.clock()
        if self._deadline is not None and now >= self._deadline:
            self._deadline = None
            if self.state == PROMPT and self.ticket is not None:
                self._store(not_rated=True)
                self._after_rating()
            elif self.state == REASONS:
                self._store()  # the score counts; no reasons were given
                self._go(THANKS, timeout=self.config.rating.thanks_s)
            elif self.state == THANKS:
                self._after_rating()
        if self._choices_reset_at is not None and now >= self._choices_reset_at:
            self._choices_reset_at = None
            if self.ticket is None and self.state in (IDLE, PROMPT):
                self.lang, self.large = self.default_lang, False
                self._changed()
        if self.state == IDLE and self.effective_mode == STANDALONE:
            self._go(PROMPT)  # the hub is gone: keep collecting ratings on our own

    # -- inside -----------------------------------------------------------------------------

    def _fallback_at(self) -> float | None:
        if self.mode == LINKED and self._offline_since is not None and self.state == IDLE:
            return self._offline_since + self.offline_fallback_s
        return None

    def _accept_tap(self) -> bool:
        now = self.clock()
        if now - self._last_tap < self.debounce_s:
            return False
        self._last_tap = now
        return True

    def _extend_deadline(self) -> None:
        self._deadline = self.clock() + self.config.rating.prompt_timeout_s

    def _go(self, state: str, timeout: float | None = None) -> None:
        self.state = state
        self._deadline = self.clock() + timeout if timeout is not None else None
        self._changed()

    def _after_rating(self) -> None:
        self._apply_next_config()
        self.ticket, self.score = None, None
        self.lang, self.large, self._choices_reset_at = self.default_lang, False, None
        self.selected_reasons, self.comment, self.contact_phone = [], "", None
        self._go(PROMPT if self.effective_mode == STANDALONE else IDLE)

    def _close_open_prompt(self) -> None:
        """A new ticket or new settings arrive while the citizen has not finished rating."""
        if self.state == PROMPT and self.ticket is not None:
            self._store(not_rated=True)
        elif self.state == REASONS:
            self._store()

    def _store(self, *, reasons: list[str] | tuple = (), comment: str | None = None,
               not_rated: bool = False) -> dict | None:
        """Build the rating record and append it durably; return it, or None if the disk refused.

        A refused write (disk full, storage failing) leaves every stored record intact; it is
        logged, kept in ``write_error`` for the screens and the status dot, and the caller
        does not thank the citizen for a rating that is not on disk.
        """
        standalone = self.ticket is None
        misuse = False
        if not_rated:
            score = satisfied = None
        else:
            score = self.score
            satisfied = self.config.level_for_score(score).satisfied
            if standalone:
                now = self.clock()
                misuse = now - self._last_standalone_rating < self.config.rating.cooldown_s
                self._last_standalone_rating = now
        ticket = self.ticket or Ticket(None, None, None)
        clerk_id = self.rated_clerk.id if self.rated_clerk else None
        contact = self.contact_phone if not not_rated else None

        def make(seq: int) -> dict:
            return records.new_rating(
                office_id=self.config.office.id, device_id=self.outbox.device_id, seq=seq,
                counter_id=self.counter_id, clerk_id=clerk_id, ticket_id=ticket.id,
                ticket_number=ticket.number, service_id=ticket.service_id, score=score,
                scale=len(self.levels), satisfied=satisfied, lang=self.lang,
                reasons=list(reasons) if not not_rated else [], comment=comment if not not_rated else None,
                misuse=misuse, contact_phone=contact, contact_consent=self.consent_text() if contact else None)

        try:
            self.last_record = self.outbox.append_new(make)
        except (OutboxWriteError, StoreWriteError) as exc:
            log.error("a rating could not be stored: %s", exc)
            self.write_error = str(exc)
            self._changed()
            return None
        self.write_error = None
        if ticket.id is not None:
            self._save_rated(ticket.id)
        if self.on_record is not None:
            self.on_record(self.last_record)
        return self.last_record

    # Tickets rated lately, kept beside the outbox: a rating leaves the outbox once the
    # server has it, but after a restart the hub still reports the last finished ticket,
    # which must not prompt a second time. The outbox is the record of truth; this list only
    # bridges what was already uploaded.
    _RATED_KEPT = 50

    def _load_rated(self) -> list[str]:
        try:
            data = json.loads(self._rated_path.read_text(encoding="utf-8"))
            if isinstance(data, list) and all(isinstance(i, str) for i in data):
                return data
            raise ValueError("not a list of ticket ids")
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            moved = move_aside(self._rated_path)
            log.warning("list of rated tickets unreadable (%s); moved to %s", exc, moved)
            return []

    def _save_rated(self, ticket_id: str) -> None:
        recent = [t for t in self._handled_tickets if t != ticket_id][-(self._RATED_KEPT - 1):] + [ticket_id]
        try:
            write_atomically(self._rated_path, json.dumps(recent).encode())
        except StoreWriteError as exc:  # the rating itself is stored; only the reminder is lost
            log.error("could not note ticket %s as rated: %s", ticket_id, exc)

    def _recent(self, finished_at: Any) -> bool:
        age = _seconds_ago(finished_at)
        return age is not None and -5 <= age <= self.config.rating.prompt_timeout_s

    def _remember(self, ticket_id: str) -> None:
        self._handled_tickets[ticket_id] = None
        if len(self._handled_tickets) > _REMEMBERED_TICKETS:
            del self._handled_tickets[next(iter(self._handled_tickets))]

    def _configured_clerk(self, clerk_id: str | None) -> Clerk | None:
        if not clerk_id:
            return None
        clerk = self.config.clerk(clerk_id)
        photo = str(self.config.path(clerk.photo)) if clerk.photo else None
        return Clerk(clerk.id, clerk.name, photo)

    def _clerk_from(self, data: dict[str, Any]) -> Clerk:
        clerk_id = data.get("id")
        name = data.get("name") or clerk_id or ""
        photo = data.get("photo") or data.get("photo_url")
        return Clerk(str(clerk_id), str(name), photo)

    def _changed(self) -> None:
        if self.listener is not None:
            self.listener(self)


def _seconds_ago(stamp: Any) -> float | None:
    """How long ago an ISO-8601 timestamp with offset was, by this device's clock."""
    if not isinstance(stamp, str):
        return None
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if then.tzinfo is None:
        return None
    return (datetime.now(UTC) - then).total_seconds()


def _uuid_or_none(value: Any) -> str | None:
    """The hub's ticket id as a UUID string (the record schema requires one), else None."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
