"""The large on-screen Vietnamese keyboard of both apps (kiosk search, tablet comment).

Big keys for a finger: QWERTY letters with the Vietnamese letters ă â đ ê ô ơ ư at the ends of
the rows (no digits: names are searched and comments written, codes are not), a row of the
five tone keys shown on "a" (á à ả ã ạ), and a row with space and delete. Options switch on
what one app needs: ``shift_key`` and ``punctuation`` (the tablet's comment), ``clear_key``
(the kiosk's search). The typing rules are ``sync.vi_input``; this widget lays out keys,
applies them to ``text`` and re-labels itself when ``lang`` changes.

``key_button(name)`` finds a key: a letter, a tone name ("sac", "huyen", "hoi", "nga",
"nang"), "space", "delete", "clear", "shift" or a punctuation mark.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from sync import vi_input
from sync.touch.keys import WORDS, KeyStyle, TouchKey

__all__ = ["TONE_KEYS", "VietKeyboard"]

_ROWS = [
    list("qwertyuiop") + ["đ"],
    list("asdfghjkl") + ["ă", "â"],
    list("zxcvbnm") + ["ê", "ô", "ơ", "ư"],
]
# Tone keys show their tone on an "a", in the order Vietnamese learners are taught.
TONE_KEYS = [("sac", "á"), ("huyen", "à"), ("hoi", "ả"), ("nga", "ã"), ("nang", "ạ")]
_PUNCTUATION = [",", ".", "?"]
_ACTIONS = {"shift": 1.6, "space": 4.0, "delete": 1.6, "clear": 1.6}  # name -> relative width


class VietKeyboard(KeyStyle, BoxLayout):
    """Rows of keys; ``text`` is what has been typed (NFC, at most ``max_chars``)."""

    text = StringProperty("")
    lang = StringProperty("vi")
    max_chars = NumericProperty(500)
    shift = BooleanProperty(False)
    shift_key = BooleanProperty(True)
    punctuation = BooleanProperty(True)
    clear_key = BooleanProperty(False)

    def __init__(self, **kwargs):
        kwargs.setdefault("orientation", "vertical")
        self._keys: dict[str, TouchKey] = {}
        self._rebuild = Clock.create_trigger(lambda _dt: self._build(), -1)
        super().__init__(**kwargs)
        self._build()
        self.bind(shift_key=self._rebuild, punctuation=self._rebuild, clear_key=self._rebuild,
                  lang=self._relabel, shift=self._relabel)
        self._bind_style(self._restyle)

    def key_button(self, name: str) -> TouchKey:
        return self._keys[name]

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.clear_widgets()
        self._keys = {}
        rows = [[(letter, 1.0) for letter in row] for row in _ROWS]
        rows.append([(tone, 1.0) for tone, _ in TONE_KEYS] + ([(p, 1.0) for p in _PUNCTUATION] if self.punctuation else []))
        actions = [name for name in ("shift", "space", "delete", "clear")
                   if {"shift": self.shift_key, "clear": self.clear_key}.get(name, True)]
        rows.append([(name, _ACTIONS[name]) for name in actions])
        for row in rows:
            line = BoxLayout()
            for name, width in row:
                key = TouchKey(key=name, size_hint_x=width)
                key.bind(on_key_press=self._pressed)
                self._keys[name] = key
                line.add_widget(key)
            self.add_widget(line)
        self._restyle()
        self._relabel()

    def _restyle(self, *_args) -> None:
        self.spacing = self.gap
        for line in self.children:
            line.spacing = self.gap
        tones = {tone for tone, _ in TONE_KEYS}
        for name, key in self._keys.items():
            self._style_key(key, accent=name in tones or (name == "shift" and self.shift))

    def _relabel(self, *_args) -> None:
        samples = dict(TONE_KEYS)
        for name, key in self._keys.items():
            if name in _ACTIONS:
                key.text = WORDS(self.lang, f"keys.{name}")
            elif name in samples:
                key.text = samples[name]
            else:
                key.text = name.upper() if self.shift else name
        self._restyle()

    # -- typing ----------------------------------------------------------------------------------
    def _pressed(self, key: TouchKey) -> None:
        name, limit = key.key, int(self.max_chars)
        if name == "shift":
            self.shift = not self.shift
        elif name == "space":
            self.text = vi_input.type_space(self.text, limit)
        elif name == "delete":
            self.text = vi_input.backspace(self.text)
        elif name == "clear":
            self.text = ""
        elif name in vi_input.TONES:
            self.text = vi_input.add_tone(self.text, name)
        else:
            self.text = vi_input.append_text(self.text, name.upper() if self.shift else name, limit)
            if self.shift and name.isalpha():
                self.shift = False  # one capital, like a phone keyboard
