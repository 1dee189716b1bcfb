"""``KioskFlow``: the lobby kiosk's behaviour without a screen.

Who stands in front of it (DESIGN.md §1): elderly citizens, people with poor eyesight or
little reading. The flow keeps what they see simple and safe:

* **Screens**: home → take (priority choice + one tile per service) → ticket; home → fields →
  procedures → detail, or search; the admin PIN and admin screens behind a gesture.
* **Taking a ticket**: the ticket is issued (durably, by the queue engine) and shown at once;
  printing runs on a worker thread afterwards, so a printer failure never blocks the ticket:
  the ticket then shows the number prominently and asks the citizen to remember it (and stays
  twice as long), the fault is reported to the hub (console and lobby display show it to
  staff). An engine refusal sends the citizen back to the services with a message, and staff
  are told. The next citizen starts without priority.
* **Idle rules**: after ``kiosk.idle_timeout_s`` without a touch the kiosk goes back home in
  the office's language and normal text (also from home, when the last citizen switched
  language or text size); the admin screens are exempt. The ticket screen goes home by itself
  ``ticket_home_s`` after the ticket was shown.

Nothing here runs a timer: the shell asks ``next_deadline()`` (a ``clock()`` reading) and calls
``tick()`` then. Work that must wait for the screen (start printing once the number is drawn)
or come back to it (the print result, an enrollment's answer) goes through ``call_soon``,
which the Kivy shell points at its UI thread. ``listener(flow)`` is called after every change
the screens should show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.catalog import Catalog
from kiosk.flow.admin import AdminDesk
from kiosk.flow.lookup import Lookup
from kiosk.printer import PrinterError, TicketPrinter, TicketSlip
from kiosk.queue import Ticket

__all__ = ["SCREENS", "KioskFlow", "ShownTicket"]

log = logging.getLogger(__name__)

HOME, TAKE, TICKET, FIELDS, PROCEDURES, SEARCH, DETAIL, PIN, ADMIN = (
    "home", "take", "ticket", "fields", "procedures", "search", "detail", "pin", "admin")
SCREENS = (HOME, TAKE, TICKET, FIELDS, PROCEDURES, SEARCH, DETAIL, PIN, ADMIN)
_NO_IDLE_RESET = (PIN, ADMIN)  # an admin at work is not sent home


@dataclass
class ShownTicket:
    """The ticket on the ticket screen and how its printing went."""

    ticket: Ticket
    service_name: str  # in the language it was taken in, as printed
    lang: str
    page_url: str = ""  # the ticket's page on the citizen's phone (QR code), "" without one
    code: str = ""  # the short code typed instead of scanning
    code_url: str = ""  # where the short code is typed
    printing: bool = True
    print_error: str | None = None  # set when the printer failed: the citizen must remember the number


class KioskFlow:
    """The kiosk's screens, language, ticket taking, idle rules and admin, over a
    ``kiosk.device.KioskDevice`` (queue engine, fault reports, uploads).

    ``printer`` and ``catalog`` default to the office's; ``clock`` is a monotonic clock in
    seconds; ``call_soon(fn, *args)`` runs ``fn`` on the UI thread (default: at once).
    """

    def __init__(self, device, *, printer: TicketPrinter | None = None, catalog: Catalog | None = None,
                 ticket_home_s: float = 20.0, clock: Callable[[], float] = time.monotonic,
                 call_soon: Callable[..., None] | None = None,
                 listener: Callable[[KioskFlow], None] | None = None):
        self.device = device
        self.config = device.config
        self.engine = device.engine
        self.printer = printer or TicketPrinter(self.config.kiosk.printer, self.config.office.name)
        self.lookup = Lookup(self.config, catalog)
        self.admin = AdminDesk(device, self.printer, self.lookup)
        self.ticket_home_s = ticket_home_s
        self.clock = clock
        self.call_soon = call_soon or (lambda fn, *args: fn(*args))
        self.listener = listener

        self.screen = HOME
        self.visit = 0  # counts every ``go``: the shell rebuilds a screen it is sent to again
        self.lang = self.config.office.language
        self.large = False
        self.priority = False
        self.take_failed = False  # the last issue was refused: the take screen says so
        self.ticket: ShownTicket | None = None
        self.field_name = ""  # the field the procedures screen lists
        self.code = ""  # the procedure the detail screen shows
        self.admin_status: list[str] = []
        self.admin_result = ""
        self.print_thread: threading.Thread | None = None
        self.enroll_thread: threading.Thread | None = None
        self._last_activity = clock()
        self._ticket_home_at: float | None = None

    # -- navigation ------------------------------------------------------------------------

    def go(self, screen: str) -> None:
        if screen not in SCREENS:
            raise ValueError(f"unknown kiosk screen {screen!r} (known: {', '.join(SCREENS)})")
        if screen != TAKE:
            self.take_failed = False
        if screen == ADMIN:
            self.admin_status = self.admin.status_lines(self.lang)
        self.screen = screen
        self.visit += 1
        self._last_activity = self.clock()
        self._changed()

    def go_home(self, reset: bool = False) -> None:
        """Home; ``reset`` also brings back the office's language and normal text (idle)."""
        if reset:
            self.lang = self.config.office.language
            self.large = False
        self.priority = False
        self.go(HOME)

    def toggle_lang(self) -> None:
        languages = self.config.kiosk.languages
        self.set_lang(languages[(languages.index(self.lang) + 1) % len(languages)] if self.lang in languages else "vi")

    def toggle_large(self) -> None:
        self.set_large(not self.large)

    def toggle_priority(self) -> None:
        self.set_priority(not self.priority)

    def set_lang(self, lang: str) -> None:
        self._set("lang", lang)

    def set_large(self, large: bool) -> None:
        self._set("large", bool(large))

    def set_priority(self, priority: bool) -> None:
        self._set("priority", bool(priority))

    def _set(self, name: str, value) -> None:
        """A citizen's choice (language, large text, priority): a touch, and shown at once."""
        if getattr(self, name) != value:
            self.touched()
            setattr(self, name, value)
            self._changed()

    def open_field(self, field_name: str) -> None:
        self.field_name = field_name
        self.go(PROCEDURES)

    def open_procedure(self, code: str) -> None:
        self.code = code
        self.go(DETAIL)

    def take_for_procedure(self) -> None:
        """The detail screen's button: a ticket for the procedure's service, or the choice."""
        service_id = self.lookup.service_for(self.code)
        if service_id:
            self.take_ticket(service_id)
        else:
            self.go(TAKE)

    # -- idle rules ------------------------------------------------------------------------

    def touched(self) -> None:
        """Someone touched the screen: the idle time starts again."""
        self._last_activity = self.clock()

    def next_deadline(self) -> float | None:
        """When ``tick()`` has something to do (a ``clock()`` reading), or None."""
        deadlines = []
        if self._idle_applies():
            deadlines.append(self._last_activity + self.config.kiosk.idle_timeout_s)
        if self.screen == TICKET and self._ticket_home_at is not None:
            deadlines.append(self._ticket_home_at)
        return min(deadlines) if deadlines else None

    def tick(self) -> None:
        now = self.clock()
        if self.screen == TICKET and self._ticket_home_at is not None and now >= self._ticket_home_at:
            self._ticket_home_at = None
            self.go_home()
        elif self._idle_applies() and now >= self._last_activity + self.config.kiosk.idle_timeout_s:
            self.go_home(reset=True)

    def _idle_applies(self) -> bool:
        if self.screen in _NO_IDLE_RESET:
            return False
        return self.screen != HOME or self.large or self.lang != self.config.office.language

    # -- tickets ---------------------------------------------------------------------------

    def take_ticket(self, service_id: str) -> ShownTicket | None:
        """Issue a ticket, show it at once, then print it on a worker thread (started once
        the number is on the glass: rendering the raster ticket would compete with drawing it)."""
        try:
            ticket = self.engine.issue(service_id, self.priority)
        except Exception as exc:  # refused or not stored: tell the citizen and staff
            log.exception("issuing a ticket for %s failed", service_id)
            self.device.report_fault("kiosk", f"Không cấp được số: {exc}")
            self.go(TAKE)
            self.take_failed = True
            self._changed()
            return None
        citizen = self.device.hub.citizen  # the ticket's phone page (kiosk.hub.citizen)
        shown = ShownTicket(ticket=ticket, service_name=self.config.service(service_id).name.get(self.lang),
                            lang=self.lang, page_url=citizen.page_url(ticket.id), code=citizen.code(ticket.id),
                            code_url=citizen.code_url)
        self.ticket = shown
        self.priority = False
        self._ticket_home_at = self.clock() + self.ticket_home_s
        self.go(TICKET)
        slip = TicketSlip(office=self.config.office.name, number=ticket.number, service=shown.service_name,
                          issued_at=datetime.fromisoformat(ticket.issued_at), people_ahead=ticket.people_ahead,
                          wait_min=ticket.estimated_wait_min, ticket_id=ticket.id,
                          priority=ticket.priority, lang=shown.lang, page_url=shown.page_url, code=shown.code,
                          code_url=shown.code_url)
        self.print_thread = threading.Thread(target=self._print, args=(shown, slip), name="kiosk-print",
                                             daemon=True)
        self.call_soon(self.print_thread.start)
        return shown

    def _print(self, shown: ShownTicket, slip: TicketSlip) -> None:
        try:
            self.printer.print_ticket(slip)
        except PrinterError as exc:
            log.error("ticket %s not printed: %s", slip.number, exc)
            self.device.report_fault("printer", str(exc))
            self.call_soon(self._printed, shown, str(exc))
        else:
            self.device.report_fault("printer", None)
            self.call_soon(self._printed, shown, None)

    def _printed(self, shown: ShownTicket, error: str | None) -> None:
        shown.printing, shown.print_error = False, error
        if self.ticket is shown and self.screen == TICKET and error:
            self._ticket_home_at = self.clock() + self.ticket_home_s * 2  # time to note the number down
        self._changed()

    # -- admin -------------------------------------------------------------------------------

    def open_admin(self) -> None:
        self.go(PIN)

    def check_pin(self, entered: str) -> bool:
        """The PIN pad's answer: the admin screen on the right PIN; False on a wrong one."""
        if not self.admin.check_pin(entered):
            return False
        self.admin_result = ""
        self.go(ADMIN)
        return True

    def admin_test_print(self) -> None:
        self._admin_done(self.admin.test_print(self.lang))

    def admin_reload_catalog(self) -> None:
        self._admin_done(self.admin.reload_catalog(self.lang))

    def admin_enroll(self, server_url: str, code: str) -> None:
        """Enroll off the UI thread (it is network); the answer comes back through ``call_soon``."""
        lang = self.lang
        self.admin_result = self.admin.enroll_started(server_url, lang)
        self._changed()
        self.enroll_thread = threading.Thread(
            target=lambda: self.call_soon(self._admin_done, self.admin.enroll(server_url, code, lang)),
            name="kiosk-enroll", daemon=True)
        self.enroll_thread.start()

    def _admin_done(self, result: str) -> None:
        self.admin_result = result
        self.admin_status = self.admin.status_lines(self.lang)
        self._changed()

    # -- inside ------------------------------------------------------------------------------

    def _changed(self) -> None:
        if self.listener is not None:
            self.listener(self)
