"""Widgets shared by the kiosk screens: the debounced big button and the admin gesture corner.

``TapButton`` is the only button the kiosk uses. A touchscreen in a lobby sees ghost double
touches and impatient double taps; a second ticket printed by accident is a real cost (and a
wrong queue count), so a tap is accepted only if no other navigation tap was accepted in the
last ``App.debounce_s`` seconds (the keys of the shared keyboard and PIN pad,
``sync.touch``, have their own shorter bounce). The action goes in ``on_tap``, not
``on_release``.

``AdminCorner`` is an invisible square: five taps on it within four seconds open the PIN
screen. Citizens never find it by accident; staff know where it is.
"""

from __future__ import annotations

import time

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

__all__ = ["AdminCorner", "TapButton"]

_last_accepted = {"nav": 0.0}


class TapButton(ButtonBehavior, Label):
    """A big label-like button. ``kind``: 'primary', 'normal', 'tile', 'row', 'toggle'."""

    kind = StringProperty("normal")
    active = BooleanProperty(False)  # toggles: drawn as selected

    def __init__(self, **kwargs):
        self.register_event_type("on_tap")
        super().__init__(**kwargs)

    def on_release(self) -> None:
        now = time.monotonic()
        debounce = getattr(App.get_running_app(), "debounce_s", 0.4)
        if now - _last_accepted["nav"] < debounce:
            return
        _last_accepted["nav"] = now
        self.dispatch("on_tap")

    def on_tap(self) -> None:
        pass


class AdminCorner(Widget):
    """Five taps within four seconds → ``App.open_admin()``."""

    taps_needed = 5
    window_s = 4.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._taps: list[float] = []

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        now = time.monotonic()
        self._taps = [t for t in self._taps if now - t < self.window_s] + [now]
        if len(self._taps) >= self.taps_needed:
            self._taps = []
            App.get_running_app().open_admin()
        return True
