"""The large on-screen Vietnamese keyboard for the optional comment.

Big keys (a finger, not a stylus), the Vietnamese letters ă â đ ê ô ơ ư on their own keys
and the five tones as keys showing the tone on an "a" (á à ả ã ạ). The typing rules live in
``tablet_rating.vi_input`` (plain Python); this widget only lays out keys and reports them.
"""

from __future__ import annotations

from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button

from tablet_rating import vi_input

__all__ = ["VietKeyboard"]

_ROWS = [
    list("qwertyuiop") + ["đ"],
    list("asdfghjkl") + ["ă", "â"],
    list("zxcvbnm") + ["ê", "ô", "ơ", "ư"],
]
_TONE_KEYS = [("sac", "á"), ("huyen", "à"), ("hoi", "ả"), ("nga", "ã"), ("nang", "ạ")]


class VietKeyboard(BoxLayout):
    """Keys in rows; ``text`` is what has been typed (NFC, at most ``max_chars``)."""

    text = StringProperty("")
    shift = BooleanProperty(False)
    lang = StringProperty("vi")
    scale = NumericProperty(1.0)  # tablet_rating.app.UI.scale: smaller keys in a smaller window

    def __init__(self, max_chars: int = 500, **kwargs):
        kwargs.setdefault("orientation", "vertical")
        kwargs.setdefault("spacing", dp(6))
        super().__init__(**kwargs)
        self.max_chars = max_chars
        self._letter_keys: list[Button] = []
        self._labelled: dict[str, Button] = {}
        for row in _ROWS:
            line = BoxLayout(spacing=dp(6))
            for letter in row:
                key = self._key(letter, lambda _b, ch=letter: self._type(ch.upper() if self.shift else ch))
                self._letter_keys.append(key)
                line.add_widget(key)
            self.add_widget(line)
        line = BoxLayout(spacing=dp(6))
        for tone, sample in _TONE_KEYS:
            key = self._key(sample, lambda _b, t=tone: self._set(vi_input.add_tone(self.text, t)),
                            background_color=(0.85, 0.9, 1, 1))
            key.tone = tone
            line.add_widget(key)
        for mark in (",", ".", "?"):
            line.add_widget(self._key(mark, lambda _b, m=mark: self._type(m)))
        self.add_widget(line)
        line = BoxLayout(spacing=dp(6))
        self._labelled["shift"] = self._key("", self._toggle_shift, size_hint_x=1.6)
        self._labelled["space"] = self._key("", lambda _b: self._type(" "), size_hint_x=4)
        self._labelled["delete"] = self._key("", lambda _b: self._set(vi_input.backspace(self.text)),
                                             size_hint_x=1.6)
        for name in ("shift", "space", "delete"):
            line.add_widget(self._labelled[name])
        self.add_widget(line)
        self.bind(lang=self._relabel, shift=self._relabel, scale=self._rescale)
        self._relabel()

    def _key(self, label: str, on_press, **kwargs) -> Button:
        return Button(text=label, font_size=sp(28) * self.scale, on_press=on_press, **kwargs)

    def _rescale(self, *_):
        self.spacing = dp(6) * self.scale
        for line in self.children:
            line.spacing = dp(6) * self.scale
            for key in line.children:
                key.font_size = sp(28) * self.scale

    def _relabel(self, *_):
        from tablet_rating.texts import tr

        for name in ("shift", "space", "delete"):
            self._labelled[name].text = tr(self.lang, f"keys.{name}")
        self._labelled["shift"].background_color = (0.6, 0.8, 1, 1) if self.shift else (1, 1, 1, 1)
        for key in self._letter_keys:
            key.text = key.text.upper() if self.shift else key.text.lower()

    def _toggle_shift(self, *_):
        self.shift = not self.shift

    def _type(self, chars: str) -> None:
        self._set(vi_input.append_text(self.text, chars, self.max_chars))
        if self.shift and chars.strip():
            self.shift = False  # one capital, like a phone keyboard

    def _set(self, text: str) -> None:
        self.text = text
