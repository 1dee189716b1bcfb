"""The counter tablet's screens (Kivy): a thin shell over ``TabletDevice`` and its session.

Screens, one kv file each in ``tablet_rating/kv/``: ``idle`` (counter, clerk with photo,
office), ``prompt`` (the question, one big face per level, and the listen, large-text
"Chữ to" and language buttons), ``reasons`` (reason buttons, optional comment on the
on-screen keyboard), ``thanks``, and for staff ``pin`` and ``settings``. ``common.kv`` holds the shared pieces: the root with the status dot and the
hidden admin corner (five quick taps in the top-left corner, then the admin PIN).

Everything the tablet decides lives in ``tablet_rating.session`` (plain Python); this module
mirrors the session into Kivy properties and forwards taps. Hub events arrive on a
background thread and are moved to the UI thread with ``Clock.schedule_once``. There is no
always-running fast timer: one ``schedule_once`` for the session's next deadline, and a
5-second refresh of the status dot.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.lang import Builder
from kivy.metrics import dp, mm, sp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, Screen
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from sync import icons, records
from sync.config import Config
from sync.enrollment import EnrollmentError
from sync.touch import PinPad, Speaker, VietKeyboard  # noqa: F401  (named in pin.kv, reasons.kv)
from tablet_rating.device import TabletDevice, device_dir_for
from tablet_rating.faces import Face, FaceButton, face_style  # noqa: F401  (Face: named in kv)
from tablet_rating.session import IDLE, PROMPT, REASONS, THANKS, RatingSession
from tablet_rating.settings import SettingsError, TabletSettings
from tablet_rating.texts import tr

__all__ = ["TabletApp"]

KV_DIR = Path(__file__).parent / "kv"
KV_FILES = ("common.kv", "idle.kv", "prompt.kv", "reasons.kv", "thanks.kv", "pin.kv", "settings.kv")
_ADMIN_TAPS = 5
_ADMIN_WINDOW_S = 4.0
_STATUS_REFRESH_S = 5.0
_DESIGN_SIZE = (960, 600)  # dp: the smallest screen the layouts are drawn for at full size
LARGE_FACTOR = 1.3  # the citizen's large-text mode: text 30 % larger, as on the kiosk
_loaded = False


def _load_kv_once() -> None:
    """Kivy keeps kv rules per process; loading them twice would apply every rule twice."""
    global _loaded
    if not _loaded:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        _loaded = True


# --- shared widgets ---------------------------------------------------------------------------


class AdminCorner(Widget):
    """An invisible square in the top-left corner: five taps within four seconds open the PIN pad."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._taps: list[float] = []

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return False
        now = time.monotonic()
        self._taps = [t for t in self._taps if now - t < _ADMIN_WINDOW_S] + [now]
        if len(self._taps) >= _ADMIN_TAPS:
            self._taps = []
            App.get_running_app().open_admin()
        return True


class StatusDot(Widget):
    """The staff's status light: green synced, amber pending upload, grey hub unreachable."""

    status = StringProperty("synced")
    rgba = ListProperty([0.2, 0.7, 0.3, 1])


class _UI(EventDispatcher):
    """Sizes shared by every screen. ``scale`` multiplies every size in the kv files: 1 on a
    tablet (960x600 dp or more), smaller in a smaller window (the demo's 640x400 windows) so
    nothing is cut off. ``text`` is ``scale`` times ``LARGE_FACTOR`` while the citizen has
    large text on (``large``): the citizen screens size their words, and the boxes holding
    words, with it; the faces and reason buttons give up the room. The staff screens keep
    ``scale``, except that their buttons are never shorter than ``target`` (15 mm, the
    smallest a finger hits reliably), in a scroll view where they no longer fit.
    Kept off the App object so kv rules still evaluate while the app stops.
    """

    scale = NumericProperty(1.0)
    large = BooleanProperty(False)
    text = NumericProperty(1.0)
    target = NumericProperty(dp(60))

    def on_scale(self, *_args) -> None:
        self.text = self.scale * (LARGE_FACTOR if self.large else 1.0)
        self.target = max(mm(15), dp(60) * self.scale)

    on_large = on_scale


UI = _UI()


class TabletRoot(FloatLayout):
    """The screens, with the status dot and the admin corner on top of every one."""


# --- screens ----------------------------------------------------------------------------------


class IdleScreen(Screen):
    pass


class PromptScreen(Screen):
    def build_faces(self, app: TabletApp) -> None:
        """One FaceButton per level (most satisfied on the left), labelled in the current language."""
        row = self.ids.faces
        row.clear_widgets()
        levels = app.session.levels
        for index, level in enumerate(levels):
            rgb, curvature = face_style(index, len(levels))
            button = FaceButton(score=len(levels) - index, text=level.label.get(app.lang), rgb=list(rgb),
                                curvature=curvature)
            button.bind(on_release=lambda b: app.tap_level(b.score))
            row.add_widget(button)


class ReasonsScreen(Screen):
    """Reasons and comment; ``typing`` shows the keyboard view instead of the reason buttons,
    ``contact`` the digit pad for a call-back number with its consent sentence.

    Only the shown view is in the widget tree: a hidden but present view would still take
    the touches meant for the other one.
    """

    typing = BooleanProperty(False)
    contact = BooleanProperty(False)

    def on_kv_post(self, _base_widget):
        # kv ids are weak references: keep the views (and the keyboard) alive while out of the tree
        self._views = {"typing": self.ids.typing_view.__self__, "choose": self.ids.choose_view.__self__,
                       "contact": self.ids.contact_view.__self__}
        self.keyboard = self.ids.keyboard.__self__
        self.phone_pad = self.ids.phone_pad.__self__
        self.ids.holder.remove_widget(self._views["typing"])
        self.ids.holder.remove_widget(self._views["contact"])

    def on_typing(self, *_args) -> None:
        self._show()

    def on_contact(self, *_args) -> None:
        self._show()

    def _show(self) -> None:
        holder = self.ids.holder
        holder.clear_widgets()
        holder.add_widget(self._views["contact" if self.contact else "typing" if self.typing else "choose"])

    def build_reasons(self, app: TabletApp) -> None:
        grid = self.ids.reasons
        grid.clear_widgets()
        for reason in app.session.reasons:
            button = ToggleButton(text=reason.label.get(app.lang), font_size=sp(24) * UI.text, halign="center",
                                  valign="middle", min_state_time=0,
                                  state="down" if reason.code in app.session.selected_reasons else "normal")
            button.reason_code = reason.code
            button.bind(size=lambda b, s: setattr(b, "text_size", (s[0] - dp(16) * UI.scale, None)))
            button.bind(on_release=lambda b: app.toggle_reason(b.reason_code))
            grid.add_widget(button)


class ThanksScreen(Screen):
    pass


class PinScreen(Screen):
    pass


class SettingsScreen(Screen):
    status_text = StringProperty("")
    error = StringProperty("")
    enroll_message = StringProperty("")
    enrolling = BooleanProperty(False)
    counter_id = NumericProperty(1)
    mode = StringProperty("linked")
    lang = StringProperty("vi")
    clerk_id = StringProperty("")

    def load(self, app: TabletApp) -> None:
        s = app.device.settings
        self.counter_id, self.mode, self.lang, self.clerk_id = s.counter_id, s.mode, s.lang, s.clerk_id or ""
        self.ids.hub_url.text = s.hub_url
        if not self.ids.server_url.text:
            uploader = app.device.uploader
            self.ids.server_url.text = uploader.server_url if uploader else app.office.sync.server_url
        self.error = ""
        self._choices(self.ids.counters, [(c.id, c.name.get(app.lang)) for c in app.office.counters],
                      "counter_id")
        self._choices(self.ids.modes, [("linked", tr(app.lang, "settings.mode.linked")),
                                       ("standalone", tr(app.lang, "settings.mode.standalone"))], "mode")
        self._choices(self.ids.clerks, [("", tr(app.lang, "settings.clerk.none"))]
                      + [(c.id, c.name) for c in app.office.clerks], "clerk_id")
        self._choices(self.ids.langs, [("vi", "Tiếng Việt"), ("en", "English")], "lang")
        self.refresh_status(app)

    def refresh_status(self, app: TabletApp) -> None:
        self.status_text = "\n".join(app.device.status_lines(app.lang))

    def _choices(self, box, options, prop: str) -> None:
        box.clear_widgets()
        group = f"settings-{prop}"
        for value, label in options:
            button = ToggleButton(text=str(label), group=group, allow_no_selection=False, font_size=sp(20) * UI.scale,
                                  state="down" if getattr(self, prop) == value else "normal")
            button.bind(on_release=lambda b, v=value: setattr(self, prop, v))
            box.add_widget(button)

    def collect(self) -> TabletSettings:
        return TabletSettings(counter_id=int(self.counter_id), hub_url=self.ids.hub_url.text.strip(),
                              mode=self.mode, lang=self.lang, clerk_id=self.clerk_id or None)


# --- the app ----------------------------------------------------------------------------------


class TabletApp(App):
    """The counter tablet. ``TabletApp(config).run()``; see ``tablet_rating.cli``."""

    title = "Thước Đo — máy tính bảng đánh giá"
    lang = StringProperty("vi")
    office_name = StringProperty("")
    counter_name = StringProperty("")
    clerk_name = StringProperty("")
    clerk_photo = StringProperty("")
    clerk_initials = StringProperty("")
    question = StringProperty("")
    ticket_text = StringProperty("")
    status = StringProperty("synced")
    paused = BooleanProperty(False)
    comment = StringProperty("")
    comment_count = StringProperty("")
    contact_phone = StringProperty("")
    consent_text = StringProperty("")
    show_lang_switch = BooleanProperty(True)
    can_speak = BooleanProperty(False)  # espeak-ng is there (a PC; not Android): the prompt's speaker is shown
    max_comment_chars = NumericProperty(records.MAX_COMMENT_CHARS)

    def __init__(self, office: Config, device_dir: str | Path | None = None, *, counter_id: int | None = None,
                 offline_fallback_s: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.office = office  # not ``config``: that name is Kivy's own settings object
        self._device_dir = device_dir
        self._counter_id = counter_id
        self._offline_fallback_s = offline_fallback_s  # tests shorten it; None = the session's default
        self.device: TabletDevice | None = None
        self.session: RatingSession | None = None
        self.admin_open = False
        self._tick_event = None
        self._faces_key = None
        self._exit_allowed = False

    # -- lifecycle ---------------------------------------------------------------------------

    def build(self):
        _load_kv_once()
        device_dir = self._device_dir
        if device_dir is None:
            from kivy.utils import platform

            root = self.user_data_dir if platform == "android" else None
            device_dir = device_dir_for(self.office, self._counter_id, root)
        self.device = TabletDevice(self.office, device_dir, counter_id=self._counter_id,
                                   call_soon=self._call_soon, offline_fallback_s=self._offline_fallback_s)
        self.session = self.device.session
        self.office_name = self.office.office.name
        self.show_lang_switch = len(self.office.kiosk.languages) > 1
        self.speaker = Speaker(Path(device_dir) / "speech")
        self.can_speak = self.speaker.enabled
        root = TabletRoot()
        self.sm = root.ids.sm
        self.sm.transition = NoTransition()
        for screen in (IdleScreen(name=IDLE), PromptScreen(name=PROMPT), ReasonsScreen(name=REASONS),
                       ThanksScreen(name=THANKS), PinScreen(name="pin"), SettingsScreen(name="settings")):
            self.sm.add_widget(screen)
        self.session.listener = self._on_session
        self.device.start()
        Clock.schedule_interval(self._refresh_status, _STATUS_REFRESH_S)
        from kivy.core.window import Window  # here, not at import: importing must not open a window

        Window.bind(on_request_close=self._on_request_close, size=self._on_window_size)
        self._on_window_size(Window, Window.size)
        self._on_session(self.session)
        return root

    def on_stop(self):
        if getattr(self, "speaker", None) is not None:
            self.speaker.stop()
        from kivy.core.window import Window

        Window.unbind(on_request_close=self._on_request_close, size=self._on_window_size)
        Clock.unschedule(self._refresh_status)
        if self._tick_event is not None:
            self._tick_event.cancel()
        if self.device is not None:
            self.device.stop()
            self.device = None

    def _on_window_size(self, _window, size) -> None:
        width, height = size
        UI.scale = max(0.4, min(1.0, width / dp(_DESIGN_SIZE[0]), height / dp(_DESIGN_SIZE[1])))
        if self.session is not None and self.session.state == REASONS:
            self.sm.get_screen(REASONS).build_reasons(self)

    def _on_request_close(self, *_args, **_kwargs):
        return not self._exit_allowed  # True = refuse: no way out without the admin PIN

    # -- text --------------------------------------------------------------------------------

    def pictogram(self, name: str, size: float | None = None) -> str:
        """Markup of a pictogram (``sync.icons``; "" where the icon font is not installed)."""
        return icons.markup(name, size)

    def read_aloud(self) -> None:
        """The prompt's speaker button: the question and the faces' words, in the current language."""
        words = [level.label.get(self.lang) for level in self.session.levels]
        self.speaker.say(". ".join([self.question, tr(self.lang, "prompt.hint"), *words]), self.lang)

    def tr(self, lang: str, key: str, **values) -> str:
        """kv: ``app.tr(app.lang, 'key')`` — naming app.lang makes the label follow the language."""
        return tr(lang, key, **values)

    # -- session → screens ------------------------------------------------------------------

    def _call_soon(self, fn, *args) -> None:
        """From the hub link's thread: run ``fn`` on the UI thread (unless the app has stopped)."""

        def run(_dt):
            if self.device is not None:
                fn(*args)

        Clock.schedule_once(run, 0)

    def _on_session(self, session: RatingSession) -> None:
        self.office = session.config  # the server may have sent a new office configuration
        self.lang = session.lang
        UI.large = session.large
        counter = session.counter
        self.counter_name = counter.name.get(self.lang)
        clerk = session.rated_clerk if session.state != IDLE else session.clerk
        self.clerk_name = clerk.name if clerk else ""
        self.clerk_initials = _initials(clerk.name) if clerk else ""
        photo = clerk.photo if clerk and clerk.photo and Path(clerk.photo).is_file() else ""
        self.clerk_photo = photo
        self.paused = session.paused
        # no-break spaces keep the clerk's name on one line when the question wraps
        self.question = (tr(self.lang, "prompt.question", name=clerk.name.replace(" ", "\u00a0")) if clerk else
                         tr(self.lang, "prompt.question_no_clerk", counter=self.counter_name))
        number = session.ticket.number if session.ticket else None
        self.ticket_text = tr(self.lang, "prompt.ticket", number=number) if number is not None else ""
        self._update_status()
        key = (self.lang, tuple(level.label for level in session.levels))
        if key != self._faces_key:
            self.sm.get_screen(PROMPT).build_faces(self)
            self._faces_key = key
        if session.state == REASONS:
            reasons = self.sm.get_screen(REASONS)
            if self.sm.current != REASONS:
                reasons.typing = reasons.contact = False
                reasons.keyboard.text = session.comment
            self.contact_phone = session.contact_phone or ""
            self.consent_text = session.consent_text()
            reasons.build_reasons(self)
            self._show_comment(session.comment)
        if not self.admin_open and self.sm.current != session.state:
            self.sm.current = session.state
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None
        deadline = self.session.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.session.clock()) + 0.01
            self._tick_event = Clock.schedule_once(self._tick, delay)

    def _tick(self, _dt) -> None:
        self._tick_event = None
        self.session.tick()
        self._schedule_tick()

    def _refresh_status(self, _dt=None) -> None:
        self._update_status()
        if self.admin_open and self.sm.current == "settings":
            self.sm.get_screen("settings").refresh_status(self)

    def _update_status(self) -> None:
        self.status = self.device.status()

    # -- citizen taps ------------------------------------------------------------------------

    def tap_level(self, score: int) -> None:
        self.session.tap_level(score)

    def toggle_reason(self, code: str) -> None:
        self.session.toggle_reason(code)

    def send_reasons(self) -> None:
        self.session.send_reasons()

    def skip_reasons(self) -> None:
        self.session.skip_reasons()

    def switch_lang(self) -> None:
        self.session.set_lang("en" if self.session.lang == "vi" else "vi")

    def toggle_large(self) -> None:
        self.session.set_large(not self.session.large)

    def open_keyboard(self) -> None:
        screen = self.sm.get_screen(REASONS)
        screen.keyboard.text = self.session.comment
        screen.typing = True
        self.session.keep_alive()
        self._schedule_tick()

    def close_keyboard(self) -> None:
        self.sm.get_screen(REASONS).typing = False
        self.session.keep_alive()
        self._schedule_tick()

    def on_comment_typed(self, text: str) -> None:
        self.session.set_comment(text)
        self._show_comment(self.session.comment)
        self._schedule_tick()

    def open_contact(self) -> None:
        screen = self.sm.get_screen(REASONS)
        screen.phone_pad.reset()
        screen.phone_pad.entered = self.session.contact_phone or ""
        screen.contact = True
        self.session.keep_alive()
        self._schedule_tick()

    def submit_contact(self, phone: str) -> None:
        """The citizen pressed "Đồng ý" under the consent sentence with ``phone`` typed."""
        screen = self.sm.get_screen(REASONS)
        if not self.session.set_contact(phone):
            screen.phone_pad.message = tr(self.lang, "contact.bad")
            return
        screen.contact = False
        self._schedule_tick()

    def decline_contact(self) -> None:
        self.session.set_contact(None)
        self.sm.get_screen(REASONS).contact = False
        self._schedule_tick()

    def _show_comment(self, text: str) -> None:
        self.comment = text
        self.comment_count = tr(self.lang, "reasons.count", n=len(text), max=records.MAX_COMMENT_CHARS)

    # -- staff: PIN and settings ----------------------------------------------------------------

    def open_admin(self) -> None:
        self.admin_open = True
        self.sm.get_screen("pin").ids.pad.reset()
        self.sm.current = "pin"

    def check_pin(self, entered: str) -> None:
        pad = self.sm.get_screen("pin").ids.pad
        if entered == self.office.kiosk.admin_pin:
            pad.reset()
            self.sm.get_screen("settings").load(self)
            self.sm.current = "settings"
        else:
            pad.reset(tr(self.lang, "pin.wrong"))

    def close_admin(self) -> None:
        self.admin_open = False
        self.sm.current = self.session.state
        self._on_session(self.session)

    def save_settings(self) -> None:
        screen = self.sm.get_screen("settings")
        try:
            self.device.apply_settings(screen.collect())
        except SettingsError as exc:
            screen.error = str(exc)
            return
        self._faces_key = None
        self.close_admin()

    def enroll_device(self) -> None:
        """Enroll with the code typed on the settings screen, off the UI thread (it is network)."""
        screen = self.sm.get_screen("settings")
        server_url, code = screen.ids.server_url.text, screen.ids.enroll_code.text
        screen.enrolling, screen.enroll_message = True, tr(self.lang, "enroll.working")
        device = self.device

        def work():
            try:
                message = tr(self.lang, "enroll.done", office=device.enroll(server_url, code))
            except EnrollmentError as exc:
                message = exc.message(self.lang)
            self._call_soon(finished, message)

        def finished(message: str) -> None:
            screen.enrolling, screen.enroll_message = False, message
            screen.ids.enroll_code.text = ""
            screen.refresh_status(self)
            self._update_status()

        threading.Thread(target=work, name="tablet-enroll", daemon=True).start()

    def exit_app(self) -> None:
        self._exit_allowed = True
        self.stop()


def _initials(name: str) -> str:
    """Family name and given name initials for the photo placeholder: "Nguyễn Văn An" → "NA"."""
    words = name.split()
    return (words[0][0] + words[-1][0]).upper() if len(words) > 1 else name[:1].upper()
