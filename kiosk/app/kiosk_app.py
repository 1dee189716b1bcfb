"""The lobby kiosk app (Kivy): a thin shell over ``kiosk.flow.KioskFlow``.

What the kiosk does — which screen, taking and printing a ticket, the idle rules, the admin
side — is decided by the flow in plain Python; this shell draws it and forwards taps. It
mirrors the flow's language, text size and priority choice in Kivy properties (the kv rules
bind to them), shows the flow's screen, and points the flow's ``call_soon`` at the UI thread.
The working parts (queue engine, hub, outbox, uploader) belong to the ``KioskDevice`` it is
given; the app never stops them (``kiosk.app.launch`` does, after the app ends).

Who stands in front of it (DESIGN.md §1): elderly citizens, people with poor eyesight or
little reading — so few words, big targets (every button at least 15 mm high), a large-text /
high-contrast switch, Vietnamese first with an English switch.

No always-on timers: the clock on the home screen wakes once a minute, the flow's next
deadline (idle, ticket shown long enough) is one pending callback re-armed by touches and
changes, and the screens redraw only when something changes. Screens are defined in one kv
file each under ``kiosk/app/kv/``; their classes are in ``ticket_screens.py``,
``lookup_screens.py``, ``detail.py`` and ``admin_screens.py``. A speaker button reads the
main text of each screen aloud (``spoken_text``, espeak-ng through ``sync.touch.Speaker``).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import dp, mm
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.app.admin_screens import AdminPinScreen, AdminScreen
from kiosk.app.detail import DetailScreen
from kiosk.app.look import LARGE_FACTOR, THEMES
from kiosk.app.lookup_screens import FieldsScreen, ProceduresScreen, SearchScreen
from kiosk.app.ticket_screens import HomeScreen, TakeScreen, TicketScreen
from kiosk.app.widgets import AdminCorner
from kiosk.catalog import Catalog
from kiosk.flow import KioskFlow
from kiosk.printer import TicketPrinter
from kiosk.printer import warm_up as printer_warm_up
from kiosk.texts import tr
from sync import icons
from sync.touch import PinPad, Speaker, VietKeyboard  # noqa: F401  (named in search.kv, admin.kv)

__all__ = ["KioskApp"]

KV_DIR = Path(__file__).parent / "kv"
KV_FILES = ["kiosk.kv", "home.kv", "take.kv", "ticket.kv", "fields.kv", "procedures.kv",
            "search.kv", "detail.kv", "admin.kv"]
_kv_loaded = False


def _window():
    """Kivy's window, imported only when the app runs: importing it creates the window, and
    ``kiosk.app.launch.configure_kivy`` must set Kivy up before that."""
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


class KioskApp(App):
    """The lobby kiosk's screens over ``device`` (a ``kiosk.device.KioskDevice``);
    ``printer`` and ``catalog`` default to the office's."""

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

    def __init__(self, device, printer: TicketPrinter | None = None, catalog: Catalog | None = None,
                 ticket_home_s: float = 20.0, **kwargs):
        super().__init__(**kwargs)
        self.title = "Thước Đo — Kiosk"
        self.device = device
        self.flow = KioskFlow(device, printer=printer, catalog=catalog, ticket_home_s=ticket_home_s,
                              call_soon=lambda fn, *args: Clock.schedule_once(lambda _dt: fn(*args), 0),
                              listener=self._on_flow)
        self.speaker = Speaker(self.office.data_path / "speech")
        self.can_speak = self.speaker.enabled
        self.office_name = self.office.office.name
        self.lang = self.flow.lang
        self._deadline_event = None
        self._clock_event = None
        self._shown_visit = None

    @property
    def office(self):
        """The office configuration (Kivy's ``App.config`` is its own .ini)."""
        return self.flow.config

    @property
    def printer(self) -> TicketPrinter:
        return self.flow.printer

    @property
    def catalog(self) -> Catalog:
        return self.flow.lookup.catalog

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
        Clock.schedule_once(lambda _dt: self.flow.lookup.index, 1.0)  # ready before anyone reaches the search

    def on_stop(self):
        self.speaker.stop()
        for event in (self._deadline_event, self._clock_event):
            if event is not None:
                event.cancel()
        _window().unbind(on_touch_down=self._touched, size=self._on_window_size)

    def _on_window_size(self, *_args) -> None:
        self._apply_look()

    def _apply_look(self) -> None:
        window = _window()
        unit = max(0.75, min(window.width / 1024.0, window.height / 768.0))
        self.scale = dp(1) * unit * (LARGE_FACTOR if self.large else 1.0)
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
        self.manager.get_screen("ticket").show(self, self.flow.ticket)
        search = self.manager.get_screen("search")
        if search.query:
            search._search()

    # -- the flow on screen ------------------------------------------------------------------
    # The flow decides; these three properties mirror it both ways, so a kv rule or a test that
    # sets ``app.large`` (or ``lang``, ``priority``) tells the flow as a tap would.
    def on_lang(self, _app, lang: str) -> None:
        if hasattr(self, "flow"):
            self.flow.set_lang(lang)

    def on_large(self, _app, large: bool) -> None:
        if hasattr(self, "flow"):
            self.flow.set_large(large)

    def on_priority(self, _app, priority: bool) -> None:
        if hasattr(self, "flow"):
            self.flow.set_priority(priority)

    def _on_flow(self, flow: KioskFlow) -> None:
        self.lang, self.large, self.priority = flow.lang, flow.large, flow.priority
        if not hasattr(self, "manager"):
            return
        self.manager.get_screen("ticket").show(self, flow.ticket)
        admin = self.manager.get_screen("admin")
        admin.status, admin.result = "\n".join(flow.admin_status), flow.admin_result
        if (flow.screen, flow.visit) != self._shown_visit:
            self._shown_visit = (flow.screen, flow.visit)
            screen = self.manager.get_screen(flow.screen)
            if flow.screen == "search":
                screen.clear()
            elif flow.screen == "procedures":
                screen.field_name = flow.field_name
            elif flow.screen == "detail":
                screen.code = flow.code
            elif flow.screen == "pin":
                screen.ids.pad.reset()
            if hasattr(screen, "refresh"):
                screen.refresh(self)
            self.manager.current = flow.screen
        self._arm_deadline()

    def _arm_deadline(self) -> None:
        if self._deadline_event is not None:
            self._deadline_event.cancel()
            self._deadline_event = None
        deadline = self.flow.next_deadline()
        if deadline is not None:
            self._deadline_event = Clock.schedule_once(self._deadline, max(0.0, deadline - self.flow.clock()))

    def _deadline(self, _dt) -> None:
        self._deadline_event = None
        self.flow.tick()
        self._arm_deadline()

    def _touched(self, *_args) -> bool:
        self.flow.touched()
        self._arm_deadline()
        return False

    def _tick_clock(self, _dt=None) -> None:
        now = datetime.now(ZoneInfo(self.office.office.timezone))  # the office's time, whatever the PC's zone
        self.clock_text = now.strftime("%H:%M  %d/%m/%Y")
        self._clock_event = Clock.schedule_once(self._tick_clock, 60.5 - now.second - now.microsecond / 1e6)

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

    # -- taps (named in the kv rules) ---------------------------------------------------------
    def go(self, name: str) -> None:
        self.flow.go(name)

    def go_home(self, reset: bool = False) -> None:
        self.flow.go_home(reset)

    def toggle_lang(self) -> None:
        self.flow.toggle_lang()

    def toggle_large(self) -> None:
        self.flow.toggle_large()

    def toggle_priority(self) -> None:
        self.flow.toggle_priority()

    def open_field(self, field_name: str) -> None:
        self.flow.open_field(field_name)

    def open_procedure(self, code: str) -> None:
        self.flow.open_procedure(code)

    def take_for_procedure(self) -> None:
        self.flow.take_for_procedure()

    def take_ticket(self, service_id: str) -> None:
        self.flow.take_ticket(service_id)

    def open_admin(self) -> None:
        self.flow.open_admin()

    def check_pin(self, entered: str) -> None:
        pad = self.manager.get_screen("pin").ids.pad
        if self.flow.check_pin(entered):
            pad.reset()
        else:
            pad.reset(self.t("pin.wrong"))

    def admin_test_print(self) -> None:
        self.flow.admin_test_print()

    def admin_reload_catalog(self) -> None:
        self.flow.admin_reload_catalog()

    def admin_enroll(self, server_url: str, code: str) -> None:
        self.flow.admin_enroll(server_url, code)

    def admin_exit(self) -> None:
        self.stop()
