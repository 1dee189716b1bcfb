"""One key of the shared keyboards, the look both keyboards share, and the words on their keys.

``TouchKey`` is drawn on its own canvas from colour properties, so it needs no image and no
kv rule: a kv rule is global to the process, and the kiosk and the tablet (both loaded in one
test process) style their buttons differently. A touchscreen sends ghost double touches; a
repeat of the same key within ``BOUNCE_S`` is ignored, so typing stays quick but "đđ" does
not appear from one press. The key's action is the ``on_key_press`` event.

``KeyStyle`` is the set of colour and size properties an app sets on a keyboard or PIN pad
(in its kv file, bound to its theme); the keyboard passes them on to its keys.
"""

from __future__ import annotations

import time

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.metrics import dp
from kivy.properties import ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from sync.words import WordTable

__all__ = ["BOUNCE_S", "WORDS", "KeyStyle", "TouchKey"]

BOUNCE_S = 0.12

WORDS = WordTable({
    "keys.space": ("Dấu cách", "Space"),
    "keys.delete": ("Xóa", "Delete"),
    "keys.clear": ("Xóa hết", "Clear"),
    "keys.shift": ("Chữ hoa", "Capitals"),
    "keys.ok": ("Xong", "Done"),
    "keys.enter": ("Vào", "Enter"),
})


class TouchKey(ButtonBehavior, Label):
    """A big rounded key. ``key`` names what it types; ``on_key_press`` fires once per real press."""

    key = StringProperty("")
    rgba = ColorProperty([1, 1, 1, 1])
    line_rgba = ColorProperty([0.6, 0.62, 0.66, 1])
    line_width = NumericProperty(1.2)
    radius = NumericProperty(10)

    def __init__(self, **kwargs):
        self.register_event_type("on_key_press")
        kwargs.setdefault("halign", "center")
        kwargs.setdefault("valign", "middle")
        super().__init__(**kwargs)
        self._accepted_at = 0.0
        with self.canvas.before:
            self._face_color = Color(rgba=self.rgba)
            self._face = RoundedRectangle()
            self._line_color = Color(rgba=self.line_rgba)
            self._line = Line(width=self.line_width)
            self._shade_color = Color(rgba=(0, 0, 0, 0))
            self._shade = RoundedRectangle()
        self.bind(pos=self._redraw, size=self._redraw, rgba=self._redraw, line_rgba=self._redraw,
                  line_width=self._redraw, radius=self._redraw, state=self._redraw)
        self._redraw()

    def _redraw(self, *_args) -> None:
        inset = dp(2)
        x, y, w, h = self.x + inset, self.y + inset, max(0, self.width - 2 * inset), max(0, self.height - 2 * inset)
        radius = min(dp(self.radius), w / 2, h / 2)
        self._face_color.rgba = self.rgba
        self._face.pos, self._face.size, self._face.radius = (x, y), (w, h), [radius]
        self._line_color.rgba = self.line_rgba
        self._line.width = self.line_width
        self._line.rounded_rectangle = (x, y, w, h, radius)
        self._shade_color.rgba = (0, 0, 0, 0.2 if self.state == "down" else 0)
        self._shade.pos, self._shade.size, self._shade.radius = (x, y), (w, h), [radius]
        self.text_size = (max(1, self.width - dp(8)), None)

    def on_release(self) -> None:
        now = time.monotonic()
        if now - self._accepted_at < BOUNCE_S:
            return
        self._accepted_at = now
        self.dispatch("on_key_press")

    def on_key_press(self) -> None:
        pass


class KeyStyle:
    """Colours and sizes of a keyboard's keys (mixed into ``VietKeyboard`` and ``PinPad``)."""

    font_size = NumericProperty("26dp")  # a unit string: importing must not open the window
    key_rgba = ColorProperty([1, 1, 1, 1])
    key_color = ColorProperty([0.08, 0.1, 0.14, 1])
    accent_rgba = ColorProperty([0.85, 0.9, 1, 1])  # tone keys; the PIN pad's OK key
    accent_color = ColorProperty([0.08, 0.1, 0.14, 1])
    line_rgba = ColorProperty([0.6, 0.62, 0.66, 1])
    line_width = NumericProperty(1.2)
    gap = NumericProperty("6dp")

    _STYLE = ("font_size", "key_rgba", "key_color", "accent_rgba", "accent_color", "line_rgba", "line_width", "gap")

    def _bind_style(self, callback) -> None:
        self.bind(**{name: callback for name in self._STYLE})

    def _style_key(self, key: TouchKey, accent: bool = False) -> None:
        key.font_size = self.font_size
        key.rgba = self.accent_rgba if accent else self.key_rgba
        key.color = self.accent_color if accent else self.key_color
        key.line_rgba = self.line_rgba
        key.line_width = self.line_width
