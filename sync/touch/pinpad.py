"""The digit pad of both apps: the staff's admin PIN, and a citizen's phone number.

Three parts stacked in fixed proportions, so nothing moves when a message appears (a second
try must hit the same keys as the first):

* the value typed — ``masked`` (a PIN) shows one drawn dot per digit (``MaskDots``: drawn on
  the canvas, so no font can lack the glyph), otherwise the digits themselves (a phone number);
* a message line of fixed height (``message``: "Sai mã PIN" after a wrong PIN);
* the keys 1–9, delete, 0 and the submit key (``submit_text``; by default "Vào" on a PIN pad,
  "Xong" on a digit pad).

The pad only collects digits; pressing the submit key dispatches ``on_submit(value)`` and
the app decides (check the PIN, keep the number). ``reset(message)`` empties it.
"""

from __future__ import annotations

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from sync.touch.keys import WORDS, KeyStyle, TouchKey

__all__ = ["MaskDots", "PinPad"]

_LAYOUT = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "submit"]


class MaskDots(Widget):
    """``count`` filled dots of ``max_count`` places, centred: how many digits of a PIN are typed."""

    count = NumericProperty(0)
    max_count = NumericProperty(8)
    rgba = ColorProperty([0.08, 0.1, 0.14, 1])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw, count=self._redraw, rgba=self._redraw)

    def _redraw(self, *_args) -> None:
        self.canvas.clear()
        if not self.count:
            return
        diameter = min(self.height * 0.45, self.width / (self.max_count * 1.8))
        step = diameter * 1.8
        left = self.center_x - (self.count * step - (step - diameter)) / 2
        with self.canvas:
            Color(rgba=self.rgba)
            for i in range(int(self.count)):
                Ellipse(pos=(left + i * step, self.center_y - diameter / 2), size=(diameter, diameter))


class PinPad(KeyStyle, BoxLayout):
    """Digits typed into ``entered`` (at most ``max_length``); ``on_submit(entered)`` on the submit key."""

    entered = StringProperty("")
    max_length = NumericProperty(8)
    masked = BooleanProperty(True)
    message = StringProperty("")
    message_color = ColorProperty([0.8, 0.1, 0.12, 1])
    value_color = ColorProperty([0.08, 0.1, 0.14, 1])
    frame_rgba = ColorProperty([0.6, 0.62, 0.66, 1])  # the line around the typed value
    submit_text = StringProperty("")
    lang = StringProperty("vi")

    def __init__(self, **kwargs):
        self.register_event_type("on_submit")
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        self.field = BoxLayout(size_hint_y=0.16)
        with self.field.canvas.before:
            self._field_color = Color(rgba=self.frame_rgba)
            self._field_line = Line(width=1.2)
        self.dots = MaskDots(max_count=self.max_length)
        self.digits = Label(halign="center", valign="middle")
        self.field.add_widget(self.dots)
        self.message_label = Label(size_hint_y=0.1, halign="center", valign="middle")
        self.grid = GridLayout(cols=3, size_hint_y=0.74)
        self._keys: dict[str, TouchKey] = {}
        for name in _LAYOUT:
            key = TouchKey(key=name)
            key.bind(on_key_press=lambda k: self.press(k.key))
            self._keys[name] = key
            self.grid.add_widget(key)
        for part in (self.field, self.message_label, self.grid):
            self.add_widget(part)
        self.field.bind(pos=self._draw_field, size=self._draw_field)
        self.message_label.bind(size=lambda lbl, size: setattr(lbl, "text_size", size))
        self.digits.bind(size=lambda lbl, size: setattr(lbl, "text_size", size))
        self.bind(entered=self._show, masked=self._masked_changed, message=self._show, lang=self._relabel,
                  submit_text=self._relabel, max_length=self._show, message_color=self._show,
                  value_color=self._show, frame_rgba=self._draw_field)
        self._bind_style(self._restyle)
        self._restyle()
        self._relabel()
        self._show()

    def key_button(self, name: str) -> TouchKey:
        """A key: a digit, "delete" or "submit"."""
        return self._keys[name]

    def press(self, name: str) -> None:
        if name == "delete":
            self.entered = self.entered[:-1]
        elif name == "submit":
            self.dispatch("on_submit", self.entered)
        elif name.isdigit() and len(self.entered) < self.max_length:
            self.entered += name
            self.message = ""

    def reset(self, message: str = "") -> None:
        self.entered = ""
        self.message = message

    def on_submit(self, value: str) -> None:
        pass

    # -- look ------------------------------------------------------------------------------------
    def _show(self, *_args) -> None:
        self.field.clear_widgets()
        if self.masked:
            self.dots.count, self.dots.max_count, self.dots.rgba = len(self.entered), self.max_length, self.value_color
            self.field.add_widget(self.dots)
        else:
            self.digits.text = self.entered
            self.digits.color = self.value_color
            self.field.add_widget(self.digits)
        self.message_label.text = self.message
        self.message_label.color = self.message_color

    def _masked_changed(self, *_args) -> None:
        self._show()
        self._relabel()

    def _draw_field(self, *_args) -> None:
        self._field_color.rgba = self.frame_rgba
        self._field_line.rectangle = (self.field.x, self.field.y, self.field.width, self.field.height)

    def _restyle(self, *_args) -> None:
        self.spacing = self.gap
        self.grid.spacing = self.gap
        self.digits.font_size = self.font_size * 1.3
        self.message_label.font_size = self.font_size * 0.8
        for name, key in self._keys.items():
            self._style_key(key, accent=name == "submit")

    def _relabel(self, *_args) -> None:
        for name, key in self._keys.items():
            if name == "delete":
                key.text = WORDS(self.lang, "keys.delete")
            elif name == "submit":
                key.text = self.submit_text or WORDS(self.lang, "keys.enter" if self.masked else "keys.ok")
            else:
                key.text = name
