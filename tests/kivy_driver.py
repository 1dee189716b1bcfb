"""Drives a real Kivy app in-process for tests: frames, simulated touches, screenshots.

The app runs in a real SDL2 window on the Xvfb screen that ``conftest.py`` starts; the test
steps Kivy's event loop itself (``EventLoop.idle()``), so there is no background thread and
no sleeping on a 60 Hz timer. Touches go through Kivy's normal input path
(``UnitTestTouch``), exactly as a finger on the touchscreen would.

Kivy has one window per process; ``KivyDriver`` empties it after each app so the next test
starts from a clean window.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch


class KivyDriver:
    """Start ``app``, step frames, tap widgets, and save screenshots."""

    def __init__(self, app, screenshot_dir: Path | None = None):
        self.app = app
        self.screenshot_dir = screenshot_dir

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> KivyDriver:
        EventLoop.ensure_window()
        self.window = EventLoop.window
        self.app._run_prepare()
        if EventLoop.status != "started":
            EventLoop.start()
        self.step(5)
        return self

    def stop(self) -> None:
        """Stop the app and empty the window (a second call does nothing)."""
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        app = self.app
        for child in list(self.window.children):
            self.window.remove_widget(child)
        # Pending redraws run now, while their kv rules still reach this app; after on_stop, kv's
        # ``app`` would cache this app again (the next app's widgets would then follow it).
        self.step(2)
        app.dispatch("on_stop")
        from kivy.app import App

        App._running_app = None
        self.step(2)

    # -- time ----------------------------------------------------------------------------
    def step(self, frames: int = 1) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            EventLoop.idle()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            EventLoop.idle()
            if condition():
                return
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    # -- input ---------------------------------------------------------------------------
    def tap(self, widget, frames: int = 2) -> None:
        """Touch down and up at the centre of ``widget``, as a finger would."""
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y, frames)

    def tap_at(self, x: float, y: float, frames: int = 2) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.step(frames)
        touch.touch_up()
        self.step(frames)

    # -- looking -------------------------------------------------------------------------
    def screenshot(self, name: str) -> Path:
        """Save the window as ``<screenshot_dir>/<name>.png`` and return the path."""
        self.step(3)
        directory = self.screenshot_dir or Path.cwd()
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{name}.png"
        made = self.window.screenshot(name=str(directory / f"{name}.png"))
        shutil.move(made, target)
        return target

    def find(self, predicate: Callable, root=None) -> list:
        """All widgets under ``root`` (default: the window) for which ``predicate`` is true."""
        roots = [root] if root is not None else list(self.window.children)
        return [w for r in roots for w in r.walk(restrict=True) if predicate(w)]

    def find_text(self, text: str, root=None):
        """The first visible widget whose ``text`` contains ``text`` (buttons, labels)."""
        found = self.find(lambda w: text in str(getattr(w, "text", "")) and _visible(w), root)
        if not found:
            raise AssertionError(f"no visible widget shows {text!r}")
        return found[0]


def _visible(widget) -> bool:
    while widget is not None:
        if getattr(widget, "opacity", 1) == 0 or getattr(widget, "disabled", False):
            return False
        parent = widget.parent
        if parent is widget:
            break
        widget = parent
    return True


os.environ.setdefault("KIVY_NO_ARGS", "1")
