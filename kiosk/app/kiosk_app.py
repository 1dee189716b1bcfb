"""The lobby kiosk app (Kivy): take a ticket, print it, look up procedures.

A thin shell over injected parts, so each can be tested on its own: the queue engine of the
office hub (``hub.engine.issue``), the ``TicketPrinter``, the procedure ``Catalog`` and its
``SearchIndex``. The app mirrors their state in Kivy properties and never writes data itself.

Who stands in front of it (DESIGN.md §1): elderly citizens, people with poor eyesight or
little reading — so few words, big targets (every button at least 15 mm high), a large-text /
high-contrast switch, Vietnamese first with an English switch, and it goes back to the home
screen by itself after ``kiosk.idle_timeout_s`` without a touch (language and text size back
to the defaults for the next person).

Taking a ticket: the ticket is issued (durably, by the engine) and shown at once; printing
runs on a worker thread afterwards. A printer failure therefore never blocks the ticket: the
ticket screen then shows the number prominently and asks the citizen to remember it, the
fault is reported to the hub (console and lobby display show it to staff) and logged.

No always-on timers: the clock on the home screen wakes once a minute, the idle timer is one
pending callback re-armed by touches, and the screens redraw only when something changes.
Screens are defined in one kv file each under ``kiosk/app/kv/``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import dp, mm
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk.app.detail import DetailScreen, escape
from kiosk.app.texts import tr
from kiosk.app.widgets import AdminCorner, TapButton
from kiosk.catalog import Catalog, CatalogError, Procedure, active_catalog_path, load_catalog
from kiosk.printer import PrinterError, TicketPrinter, TicketSlip, qr_image
from kiosk.printer import warm_up as printer_warm_up
from kiosk.procedure_summary import time_limit
from kiosk.search import SearchIndex
from sync import icons
from sync.config import Config
from sync.touch import PinPad, Speaker, VietKeyboard  # noqa: F401  (named in search.kv, admin.kv)

__all__ = ["KioskApp"]

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).parent / "kv"
KV_FILES = ["kiosk.kv", "home.kv", "take.kv", "ticket.kv", "fields.kv", "procedures.kv",
            "search.kv", "detail.kv", "admin.kv"]
_kv_loaded = False

THEMES = {
    # normal: calm light background, one strong blue for the main actions
    False: {"bg": [0.96, 0.97, 0.98, 1], "fg": [0.08, 0.1, 0.14, 1], "muted": [0.3, 0.34, 0.4, 1],
            "card": [1, 1, 1, 1], "card_fg": [0.08, 0.1, 0.14, 1], "line": [0.78, 0.81, 0.86, 1],
            "primary": [0.04, 0.36, 0.68, 1], "primary_fg": [1, 1, 1, 1],
            "accent": [0.8, 0.1, 0.12, 1], "warn": [1, 0.85, 0.2, 1], "warn_fg": [0.1, 0.05, 0, 1],
            "bar": [0.04, 0.36, 0.68, 1], "bar_fg": [1, 1, 1, 1], "key_accent": [0.86, 0.91, 0.98, 1]},
    # high contrast: black background, white text, yellow actions with black text
    True: {"bg": [0, 0, 0, 1], "fg": [1, 1, 1, 1], "muted": [0.92, 0.92, 0.92, 1],
           "card": [0.1, 0.1, 0.1, 1], "card_fg": [1, 1, 1, 1], "line": [1, 0.85, 0, 1],
           "primary": [1, 0.85, 0, 1], "primary_fg": [0, 0, 0, 1],
           "accent": [1, 0.85, 0, 1], "warn": [1, 0.85, 0, 1], "warn_fg": [0, 0, 0, 1],
           "bar": [0.1, 0.1, 0.1, 1], "bar_fg": [1, 1, 1, 1], "key_accent": [0.22, 0.22, 0.22, 1]},
}
_LARGE_FACTOR = 1.3
_RESULTS_SHOWN = 12
_ROW_NAME_CHARS = 150  # longer names are cut in lists; the detail screen shows them whole


def _window():
    """Kivy's window, imported only when the app runs: importing it creates the window, and
    ``kiosk.app.run.configure_kivy`` must set Kivy up before that."""
    from kivy.core.window import Window

    return Window


def _load_kv() -> None:
    global _kv_loaded
    if not _kv_loaded:  # rules loaded twice would build every widget twice
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        _kv_loaded = True


class KioskRoot(FloatLayout):
    pass


class HomeScreen(Screen):
    def spoken_text(self, app: KioskApp) -> str:
        return ". ".join(app.t(k) for k in ("home.take", "home.take_hint", "home.lookup", "home.lookup_hint"))


class TakeScreen(Screen):
    def spoken_text(self, app: KioskApp) -> str:
        priority = app.t("take.priority_on") if app.priority else app.t("take.priority_touch") + " " + app.t("take.priority")
        return ". ".join([app.t("take.title"), priority] + [s.name.get(app.lang) for s in app.office.services])

    def refresh(self, app: KioskApp) -> None:
        grid = self.ids.tiles
        grid.clear_widgets()
        for service in app.office.services:
            count = app.engine.waiting_count(service.id)
            wait = app.wait_text(app.engine.estimated_wait_min(service.id))
            tile = TapButton(kind="tile", markup=True)
            tile.service_id = service.id
            icon = icons.markup(icons.service_icon(service.id, service.icon), 46 * app.scale)
            tile.text = (f"{icon}\n[b]{service.name.get(app.lang)}[/b]\n[size={int(20 * app.scale)}]"
                         f"{app.t('take.tile_waiting', count=count, wait=wait)}[/size]")
            tile.bind(on_tap=lambda button: app.take_ticket(button.service_id))
            grid.add_widget(tile)


class TicketScreen(Screen):
    number = StringProperty("")
    service = StringProperty("")
    ahead = StringProperty("")
    wait = StringProperty("")
    status = StringProperty("")
    failed = BooleanProperty(False)
    priority = BooleanProperty(False)
    phone = StringProperty("")  # how to follow the ticket on a phone: scan, or the short code
    qr = ObjectProperty(None, allownone=True)  # texture of the QR code of the ticket's page

    def spoken_text(self, app: KioskApp) -> str:
        return ". ".join([app.t("ticket.title"), self.number, self.service, self.ahead, self.wait, self.status])

    def show_page(self, app: KioskApp, page_url: str, code: str, code_url: str) -> None:
        """The QR code (the printer's own picture of it) and the short code of the ticket's page."""
        if not page_url:
            self.qr, self.phone = None, ""
            return
        picture = qr_image(page_url, 576)
        texture = Texture.create(size=picture.size, colorfmt="luminance")
        texture.blit_buffer(picture.tobytes(), colorfmt="luminance", bufferfmt="ubyte")
        texture.flip_vertical()
        texture.mag_filter = "nearest"
        self.qr = texture
        self.phone = app.t("ticket.phone", url=code_url.removeprefix("http://").removeprefix("https://"), code=code)


class FieldsScreen(Screen):
    def spoken_text(self, app: KioskApp) -> str:
        return ". ".join([app.t("fields.title"), app.t("fields.search")] + [n or app.t("fields.none")
                                                                             for n, _ in app.catalog.fields()])

    def refresh(self, app: KioskApp) -> None:
        grid = self.ids.fields
        grid.clear_widgets()
        for name, count in app.catalog.fields():
            tile = TapButton(kind="tile", markup=True, size_hint_y=None, height=app.target * 1.5)
            tile.bind(texture_size=self._even_heights)
            tile.field_name = name
            label = name or app.t("fields.none")
            tile.text = f"[b]{label}[/b]\n[size={int(18 * app.scale)}]{app.t('fields.count', count=count)}[/size]"
            tile.bind(on_tap=lambda button: app.open_field(button.field_name))
            grid.add_widget(tile)

    def _even_heights(self, *_args) -> None:
        """Every tile as tall as the tallest one, so the rows of the grid line up."""
        tiles = self.ids.fields.children
        app = App.get_running_app()
        height = max([app.target * 1.5] + [t.texture_size[1] + dp(24) for t in tiles])
        for tile in tiles:
            tile.height = height


def _result_row(app: KioskApp, proc: Procedure) -> TapButton:
    row = TapButton(kind="row", markup=True, size_hint_y=None, height=app.target * 1.2)
    row.bind(texture_size=lambda btn, ts: setattr(btn, "height", max(app.target * 1.2, ts[1] + dp(24))))
    row.code = proc.code
    meta = " · ".join((proc.field or app.t("fields.none"), time_limit(proc.channels)))
    name = proc.name if len(proc.name) <= _ROW_NAME_CHARS else proc.name[:_ROW_NAME_CHARS - 1].rstrip() + "…"
    row.text = f"[b]{escape(name)}[/b]\n[size={int(17 * app.scale)}]{escape(meta)}[/size]"
    row.bind(on_tap=lambda button: app.open_procedure(button.code))
    return row


class ProceduresScreen(Screen):
    title = StringProperty("")
    field_name = StringProperty("")

    def spoken_text(self, app: KioskApp) -> str:
        return ". ".join([self.title] + [p.name for p in app.catalog.in_field(self.field_name)][:8])

    def refresh(self, app: KioskApp) -> None:
        self.title = self.field_name or app.t("fields.none")
        box = self.ids.rows
        box.clear_widgets()
        for proc in app.catalog.in_field(self.field_name):
            box.add_widget(_result_row(app, proc))
        self.ids.scroll.scroll_y = 1


class SearchScreen(Screen):
    query = StringProperty("")
    count_text = StringProperty("")

    def spoken_text(self, app: KioskApp) -> str:
        return ". ".join([app.t("search.title"), self.query or app.t("search.placeholder"), app.t("search.hint")])

    def on_kv_post(self, base_widget):
        self.keyboard = self.ids.keyboard
        self.keyboard.bind(text=lambda _kb, text: self._typed(text))
        self._trigger = Clock.create_trigger(self._search, 0)

    def clear(self) -> None:
        self.keyboard.text = ""
        self.query = ""
        self.ids.rows.clear_widgets()
        self.count_text = ""

    def _typed(self, text: str) -> None:
        self.query = text
        self._trigger()

    def _search(self, _dt=None) -> None:
        app = App.get_running_app()
        box = self.ids.rows
        box.clear_widgets()
        if not self.query.strip():
            self.count_text = ""
            return
        hits = app.index.search(self.query, limit=_RESULTS_SHOWN, typing=True)
        self.count_text = app.t("search.results", count=len(hits)) if hits else app.t("list.empty")
        for hit in hits:
            box.add_widget(_result_row(app, hit.procedure))
        self.ids.scroll.scroll_y = 1


class AdminPinScreen(Screen):
    def spoken_text(self, app: KioskApp) -> str:
        return app.t("pin.title")


class AdminScreen(Screen):
    status = StringProperty("")
    result = StringProperty("")


class KioskApp(App):
    """The lobby kiosk. ``hub`` is an ``OfficeHub`` (its ``engine`` issues the tickets and
    ``report_fault`` reaches staff); ``printer`` and ``catalog`` default to the config's."""

    lang = StringProperty("vi")
    large = BooleanProperty(False)
    scale = NumericProperty(1.0)  # font/size factor: screen size × large-text mode
    target = NumericProperty(64)  # minimum touch target height (≥ 15 mm), set from the screen
    theme = DictProperty(THEMES[False])
    priority = BooleanProperty(False)
    clock_text = StringProperty("")
    office_name = StringProperty("")
    debounce_s = NumericProperty(0.4)
    can_speak = BooleanProperty(False)  # espeak-ng is installed: the speaker buttons are shown

    def __init__(self, config: Config, hub, printer: TicketPrinter | None = None,
                 catalog: Catalog | None = None, ticket_home_s: float = 20.0, uploader=None, **kwargs):
        super().__init__(**kwargs)
        self.uploader = uploader  # sync.uploader.Uploader, or None when uploads are off
        self.title = "Thước Đo — Kiosk"
        self.office = config  # the office configuration (Kivy's App.config is its own .ini)
        self.hub = hub
        self.engine = hub.engine
        self.printer = printer or TicketPrinter(config.kiosk.printer, config.office.name)
        self.catalog = catalog or load_catalog(active_catalog_path(config), config)
        self._index: SearchIndex | None = None  # built after the home screen is up
        self.speaker = Speaker(config.data_path / "speech")
        self.can_speak = self.speaker.enabled
        self.ticket_home_s = ticket_home_s
        self.office_name = config.office.name
        self.lang = config.office.language
        self.last_ticket = None
        self.print_thread: threading.Thread | None = None
        self._idle_event = None
        self._home_event = None
        self._clock_event = None

    # -- building ---------------------------------------------------------------------------
    def build(self):
        _load_kv()
        self._apply_look()
        _window().bind(on_touch_down=self._touched, size=self._on_window_size)
        root = KioskRoot()
        manager: ScreenManager = root.ids.manager
        manager.transition = NoTransition()  # instant: a slide costs a quarter second per tap
        for screen in (HomeScreen(name="home"), TakeScreen(name="take"), TicketScreen(name="ticket"),
                       FieldsScreen(name="fields"), ProceduresScreen(name="procedures"),
                       SearchScreen(name="search"), DetailScreen(name="detail"),
                       AdminPinScreen(name="pin"), AdminScreen(name="admin")):
            manager.add_widget(screen)
        manager.current = "home"
        self.manager = manager
        corner = AdminCorner(size_hint=(None, None), size=(mm(15), mm(15)), pos_hint={"x": 0, "top": 1})
        root.add_widget(corner)
        self.bind(lang=self._relabel, large=lambda *_: self._apply_look())
        self._tick_clock()
        return root

    def on_start(self):
        from kivy.logger import Logger

        if self.office.kiosk.fullscreen:
            _window().show_cursor = False
        Logger.info(f"Kiosk: home screen shown ({len(self.catalog)} procedures, printer {self.printer.describe()})")
        # after the home screen is drawn, load the printer library off the UI thread
        Clock.schedule_once(lambda _dt: threading.Thread(target=printer_warm_up, name="printer-warm-up",
                                                         daemon=True).start(), 0.5)
        Clock.schedule_once(lambda _dt: self.index, 1.0)  # ready before anyone reaches the search

    @property
    def index(self) -> SearchIndex:
        """The search index of the catalog, built on first use (or just after start)."""
        if self._index is None:
            self._index = SearchIndex(self.catalog.procedures)
        return self._index

    def on_stop(self):
        self.speaker.stop()
        for event in (self._idle_event, self._home_event, self._clock_event):
            if event is not None:
                event.cancel()
        _window().unbind(on_touch_down=self._touched, size=self._on_window_size)

    def _on_window_size(self, *_args) -> None:
        self._apply_look()

    def _apply_look(self) -> None:
        window = _window()
        unit = max(0.75, min(window.width / 1024.0, window.height / 768.0))
        self.scale = dp(1) * unit * (_LARGE_FACTOR if self.large else 1.0)
        self.target = max(mm(15), dp(64) * unit)
        self.theme = THEMES[self.large]
        window.clearcolor = self.theme["bg"]
        self._relabel()

    def _relabel(self, *_args) -> None:
        """Rebuild the screens whose content is built in Python (kv texts follow by binding)."""
        if not hasattr(self, "manager"):
            return
        screen = self.manager.current_screen
        if hasattr(screen, "refresh"):
            screen.refresh(self)
        search = self.manager.get_screen("search")
        if search.query:
            search._search()

    # -- words -----------------------------------------------------------------------------
    def t(self, key: str, lang: str | None = None, **values) -> str:
        """Translated text; kv passes ``app.lang`` so labels re-translate on a switch."""
        return tr(lang or self.lang, key, **values)

    def pictogram(self, name: str, size: float | None = None) -> str:
        """Markup of a pictogram (``sync.icons``); kv: ``app.pictogram("ticket", 40 * app.scale)``."""
        return icons.markup(name, size)

    def priority_text(self, active: bool, lang: str, size: float) -> str:
        """The priority choice: a box to tick, the four groups drawn, and what a touch does."""
        box = self.pictogram("square-check" if active else "hand-pointer", size * 1.4)
        groups = "  ".join(self.pictogram(name, size * 1.4) for name in ("person-cane", "wheelchair", "person-pregnant", "baby"))
        head = tr(lang, "take.priority_on" if active else "take.priority_touch")
        return f"{box}  [b]{head}[/b]   {groups}\n{tr(lang, 'take.priority')}"

    def read_aloud(self) -> None:
        """The speaker button: read the main text of the screen shown, in the current language."""
        screen = self.manager.current_screen
        text = screen.spoken_text(self) if hasattr(screen, "spoken_text") else ""
        self.speaker.say(text, self.lang)

    def wait_text(self, minutes: float, lang: str | None = None) -> str:
        minutes = round(minutes)
        return self.t("minutes", lang, min=minutes) if minutes > 0 else self.t("no_wait", lang)

    # -- navigation ------------------------------------------------------------------------
    def go(self, name: str) -> None:
        screen = self.manager.get_screen(name)
        if name == "search":
            screen.clear()
        if hasattr(screen, "refresh"):
            screen.refresh(self)
        self.manager.current = name
        if name != "ticket" and self._home_event is not None:
            self._home_event.cancel()
        self._arm_idle()

    def go_home(self, reset: bool = False) -> None:
        if reset:
            self.lang = self.office.office.language
            self.large = False
        self.priority = False
        self.go("home")

    def toggle_lang(self) -> None:
        languages = self.office.kiosk.languages
        self.lang = languages[(languages.index(self.lang) + 1) % len(languages)] if self.lang in languages else "vi"

    def toggle_large(self) -> None:
        self.large = not self.large

    def open_field(self, field_name: str) -> None:
        self.manager.get_screen("procedures").field_name = field_name
        self.go("procedures")

    def open_procedure(self, code: str) -> None:
        self.manager.get_screen("detail").code = code
        self.go("detail")

    def take_for_procedure(self) -> None:
        proc = self.catalog.get(self.manager.get_screen("detail").code)
        service_id = self.catalog.service_for(proc) if proc else None
        if service_id:
            self.take_ticket(service_id)
        else:
            self.go("take")

    # -- idle reset and clock --------------------------------------------------------------
    def _touched(self, *_args) -> bool:
        self._arm_idle()
        return False

    def _arm_idle(self) -> None:
        if self._idle_event is not None:
            self._idle_event.cancel()
        if self.manager.current != "home":
            self._idle_event = Clock.schedule_once(self._idle, self.office.kiosk.idle_timeout_s)

    def _idle(self, _dt) -> None:
        if self.manager.current not in ("home", "admin", "pin") or self.manager.current == "home" and (self.large or self.lang != self.office.office.language):
            self.go_home(reset=True)

    def _tick_clock(self, _dt=None) -> None:
        now = datetime.now(ZoneInfo(self.office.office.timezone))  # the office's time, whatever the PC's zone
        self.clock_text = now.strftime("%H:%M  %d/%m/%Y")
        self._clock_event = Clock.schedule_once(self._tick_clock, 60.5 - now.second - now.microsecond / 1e6)

    # -- tickets ---------------------------------------------------------------------------
    def take_ticket(self, service_id: str) -> None:
        """Issue a ticket, show it at once, then print it on a worker thread."""
        try:
            ticket = self.engine.issue(service_id, self.priority)
        except Exception as exc:  # the engine refused or could not store: tell the citizen and staff
            log.exception("issuing a ticket for %s failed", service_id)
            self._report_fault("kiosk", f"Không cấp được số: {exc}")
            take = self.manager.get_screen("take")
            take.ids.error.text = self.t("take.failed")
            self.go("take")
            return
        self.last_ticket = ticket
        service = self.office.service(service_id)
        screen: TicketScreen = self.manager.get_screen("ticket")
        screen.number = str(ticket.number)
        screen.service = service.name.get(self.lang)
        screen.priority = ticket.priority
        screen.ahead = self.t("ticket.ahead", count=ticket.people_ahead)
        screen.wait = self.t("ticket.wait", wait=self.wait_text(ticket.estimated_wait_min))
        screen.failed = False
        screen.status = self.t("ticket.printing")
        citizen = getattr(self.hub, "citizen", None)
        page = (citizen.page_url(ticket.id), citizen.code(ticket.id), citizen.code_url) if citizen else ("", "", "")
        screen.show_page(self, *page)
        self.go("ticket")
        self.priority = False
        self._schedule_home(self.ticket_home_s)
        slip = TicketSlip(office=self.office.office.name, number=ticket.number, service=screen.service,
                          issued_at=datetime.fromisoformat(ticket.issued_at), people_ahead=ticket.people_ahead,
                          wait_min=ticket.estimated_wait_min, ticket_id=ticket.id,
                          priority=ticket.priority, lang=self.lang, page_url=page[0], code=page[1],
                          code_url=page[2])
        self.print_thread = threading.Thread(target=self._print, args=(slip, self.lang), name="kiosk-print",
                                             daemon=True)
        # Start printing once the number is on the glass: rendering the raster ticket would
        # otherwise compete with drawing this frame.
        Clock.schedule_once(lambda _dt: self.print_thread.start(), 0)

    def _print(self, slip: TicketSlip, lang: str) -> None:
        try:
            self.printer.print_ticket(slip)
        except PrinterError as exc:
            error = str(exc)
            log.error("ticket %s not printed: %s", slip.number, error)
            self._report_fault("printer", error)
            Clock.schedule_once(lambda _dt: self._printed(slip, lang, error), 0)
        else:
            self._report_fault("printer", None)
            Clock.schedule_once(lambda _dt: self._printed(slip, lang, None), 0)

    def _printed(self, slip: TicketSlip, lang: str, error: str | None) -> None:
        screen: TicketScreen = self.manager.get_screen("ticket")
        if screen.number != str(slip.number):
            return  # another ticket is on screen by now
        if error:
            screen.failed = True
            screen.status = tr(lang, "ticket.print_failed", number=slip.number)
            self._schedule_home(self.ticket_home_s * 2)  # time to note the number down
        else:
            screen.status = tr(lang, "ticket.printed")

    def _schedule_home(self, seconds: float) -> None:
        if self._home_event is not None:
            self._home_event.cancel()
        self._home_event = Clock.schedule_once(
            lambda _dt: self.go_home() if self.manager.current == "ticket" else None, seconds)

    def _report_fault(self, source: str, message: str | None) -> None:
        try:
            self.hub.report_fault(source, message)
        except Exception:  # the hub's fault list is best effort; the log has it anyway
            log.exception("could not report a %s fault to the hub", source)

    # -- admin -------------------------------------------------------------------------------
    def open_admin(self) -> None:
        self.manager.get_screen("pin").ids.pad.reset()
        self.go("pin")

    def check_pin(self, entered: str) -> None:
        pad = self.manager.get_screen("pin").ids.pad
        if entered == self.office.kiosk.admin_pin:
            pad.reset()
            self.manager.get_screen("admin").result = ""
            self.refresh_admin()
            self.go("admin")
        else:
            pad.reset(self.t("pin.wrong"))

    def refresh_admin(self) -> None:
        lines = [self.t("admin.printer", desc=self.printer.describe()),
                 self.t("admin.catalog", count=len(self.catalog), source=self.catalog.source or "")]
        outbox = getattr(self.engine, "outbox", None)
        if self.uploader is not None:
            lines.extend(self.uploader.status().lines(self.lang))
        else:
            if not self.office.sync.server_url:
                lines.append(self.t("admin.sync_off"))
            else:
                lines.append(self.t("admin.sync_not_enrolled"))
            if outbox is not None:
                pending = len(outbox)
                lines.append(self.t("admin.sync", pending=pending) if pending else self.t("admin.sync_none"))
        faults = getattr(self.hub, "faults", list)()
        lines.append(self.t("admin.faults", faults="; ".join(f"{f['source']}: {f['message']}" for f in faults))
                     if faults else self.t("admin.no_faults"))
        self.manager.get_screen("admin").status = "\n".join(lines)

    def admin_test_print(self) -> None:
        admin = self.manager.get_screen("admin")
        try:
            self.printer.test_page(self.lang)
            admin.result = self.t("admin.printer_ok")
            self._report_fault("printer", None)
        except PrinterError as exc:
            admin.result = self.t("admin.printer_failed", error=str(exc))
            self._report_fault("printer", str(exc))
        self.refresh_admin()

    def admin_reload_catalog(self) -> None:
        admin = self.manager.get_screen("admin")
        try:
            self.catalog = load_catalog(active_catalog_path(self.office), self.office)
            self._index = None
            self.index  # noqa: B018 - rebuild now, while the admin waits
            admin.result = self.t("admin.catalog", count=len(self.catalog), source=self.catalog.source)
        except CatalogError as exc:
            admin.result = self.t("admin.catalog_failed", error=str(exc))
        self.refresh_admin()

    def admin_enroll(self, server_url: str, code: str) -> None:
        """Exchange an admin's one-time code for this kiosk's upload token, off the UI thread
        (it is network), then start uploading the ticket records at once."""
        from sync.enrollment import enroll
        from sync.session import session_for

        admin = self.manager.get_screen("admin")
        server_url, code = server_url.strip(), code.strip()
        admin.result = self.t("admin.enrolling", server=server_url)

        def work():
            try:
                credentials = enroll(server_url, code, self.office.data_path, session=session_for(self.office))
                message = self.t("admin.enrolled", office=credentials.office_id)
                Clock.schedule_once(lambda _dt: self._enrolled(message), 0)
            except Exception as exc:  # EnrollmentError and its kin: shown to the admin as they are
                error = str(exc)
                log.warning("enrollment failed: %s", error)
                Clock.schedule_once(lambda _dt: self._enroll_failed(error), 0)

        self.enroll_thread = threading.Thread(target=work, name="kiosk-enroll", daemon=True)
        self.enroll_thread.start()

    def _enrolled(self, message: str) -> None:
        from sync.uploader import start_background_sync

        if self.uploader is not None:
            self.uploader.stop()
        self.uploader = start_background_sync(self.office, self.engine.outbox, self.office.data_path)
        self.manager.get_screen("admin").result = message
        self.refresh_admin()

    def _enroll_failed(self, error: str) -> None:
        self.manager.get_screen("admin").result = self.t("admin.enroll_failed", error=error)

    def admin_exit(self) -> None:
        self.stop()

