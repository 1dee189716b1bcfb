"""The full screen a kiosk or tablet shows when it cannot start, until IT staff fix the cause.

Without it, a device started by systemd with a broken ``config.yaml`` (or with its outbox held
by another program, or its hub port taken) would print to a console nobody sees, exit, be
restarted and exit again: a blinking screen the office cannot read. Instead the app opens this
screen, in the office's language: what stops it (the configuration error names the key, the
file and the line), and a footer telling IT staff to fix it and that the device restarts by
itself. Every ~2 s it calls ``check()``, which looks again (reloads the file, retries the
start-up); when nothing is wrong any more ``fixed`` turns True, and ``show_problem`` restarts
the program as it was started, so it comes up with the fixed file.

Drawn in Python, not kv, so it never restyles the app screens in the same process (tests).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from sync.cli import office_language
from sync.config import ConfigError, load_config
from sync.words import LANGS, WordTable

__all__ = ["POLL_S", "StartupProblemApp", "config_check", "show_problem", "show_until_fixed"]

POLL_S = 2.0
WORDS = WordTable({
    "title": ("Máy chưa khởi động được", "This device could not start"),
    "footer": (("Cán bộ công nghệ thông tin: sửa lỗi trên (ví dụ sửa tệp cấu hình), máy sẽ tự khởi động lại. "
                "Không cần tắt máy."),
               ("IT staff: fix the problem above (e.g. correct the configuration file); the device restarts "
                "by itself. No need to switch it off.")),
})
BACKGROUND = (0.04, 0.05, 0.08, 1)
TITLE_COLOUR = (1, 0.85, 0, 1)
TEXT_COLOUR = (1, 1, 1, 1)
FOOTER_COLOUR = (0.9, 0.92, 0.95, 1)


def words(key: str, lang: str | None) -> str:
    """``key`` in 'vi' or 'en'; in both (Vietnamese first) when the language is unknown (None)."""
    if lang in LANGS:
        return WORDS(lang, key)
    return f"{WORDS('vi', key)}\n{WORDS('en', key)}"


class _WrappedLabel(Label):
    """A label as tall as its wrapped text, across the width it is given."""

    def __init__(self, **kwargs):
        super().__init__(size_hint_y=None, halign="left", valign="top", font_name="Roboto", **kwargs)
        self.bind(width=lambda *_: setattr(self, "text_size", (self.width, None)),
                  texture_size=lambda *_: setattr(self, "height", self.texture_size[1]))


class StartupProblemApp(App):
    """Shows ``problem`` full screen and polls ``check()`` (None = fixed, else the problem now).

    ``fixed`` turns True once ``check()`` finds nothing wrong; polling stops then. A changed
    problem (IT staff fixed one line, another is still wrong) replaces the text.
    """

    problem = StringProperty("")
    fixed = BooleanProperty(False)
    unit = NumericProperty(1.0)  # text size factor: the window's size against a 1024x768 screen

    def __init__(self, problem: str, check: Callable[[], str | None], *, lang: str | None = "vi",
                 poll_s: float = POLL_S, **kwargs):
        super().__init__(**kwargs)
        self.problem = problem
        self.check = check
        self.lang = lang
        self.poll_s = poll_s
        self.title = words("title", lang).replace("\n", " / ")
        self._poll_event = None

    def build(self):
        from kivy.core.window import Window  # here, not at import: importing must not open a window

        Window.clearcolor = BACKGROUND
        Window.bind(size=self._resize)
        root = BoxLayout(orientation="vertical")
        self.heading = _WrappedLabel(text=words("title", self.lang), bold=True, color=TITLE_COLOUR)
        self.message = _WrappedLabel(text=self.problem, color=TEXT_COLOUR)
        self.footer = _WrappedLabel(text=words("footer", self.lang), color=FOOTER_COLOUR)
        self.bind(problem=self.message.setter("text"))
        scroll = ScrollView(do_scroll_x=False, bar_width=dp(10), scroll_type=["bars", "content"])
        scroll.add_widget(self.message)
        self.scroll = scroll
        for part in (self.heading, scroll, self.footer):
            root.add_widget(part)
        self.root_box = root
        self._resize(Window, Window.size)
        self._poll_event = Clock.schedule_interval(self._poll, self.poll_s)
        return root

    def on_stop(self):
        from kivy.core.window import Window

        Window.unbind(size=self._resize)
        if self._poll_event is not None:
            self._poll_event.cancel()

    def _resize(self, _window, size) -> None:
        width, height = size
        self.unit = unit = max(0.6, min(width / dp(1024), height / dp(768)))
        self.root_box.padding = [dp(48) * unit, dp(36) * unit]
        self.root_box.spacing = dp(24) * unit
        self.heading.font_size = sp(44) * unit
        self.message.font_size = sp(28) * unit
        self.footer.font_size = sp(24) * unit

    def _poll(self, _dt) -> None:
        now = self.check()
        if now is None:
            self.fixed = True
            self._poll_event.cancel()
            self._poll_event = None
        elif now != self.problem:
            self.problem = now


def config_check(path: str | os.PathLike) -> Callable[[], str | None]:
    """A ``check`` that reloads the configuration: None once it loads, else its error message."""

    def check() -> str | None:
        try:
            load_config(path)
        except ConfigError as exc:
            return exc.message(office_language(path))
        return None

    return check


def show_problem(problem: str, check: Callable[[], str | None], *, lang: str | None, fullscreen: bool) -> int:
    """Print ``problem`` to stderr, show it until ``check()`` finds it fixed, then restart this
    program with the same command line (``os.execv``: it does not return). Returns 2 when the
    window was closed before the problem was fixed."""
    print(problem, file=sys.stderr, flush=True)
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    KivyConfig.set("graphics", "maxfps", "30")
    app = StartupProblemApp(problem, check, lang=lang)
    app.bind(fixed=lambda *_: app.stop())
    app.run()
    if not app.fixed:
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def show_until_fixed(error: ConfigError, path: str | os.PathLike, *, fullscreen: bool) -> int:
    """The handler for a configuration that does not load: its message on screen (and stderr)
    until the file loads, then the program restarts with it; 2 if the window was closed first."""
    lang = office_language(path)
    return show_problem(error.message(lang), config_check(path), lang=lang, fullscreen=fullscreen)
