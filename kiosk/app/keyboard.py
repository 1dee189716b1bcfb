"""The large on-screen keyboard of the procedure search (Vietnamese letters and tone marks).

The kiosk has no physical keyboard and the system's virtual keyboard is too small and too
foreign for an elderly citizen, so the search screen draws its own: big keys in the usual
QWERTY order (no digits: names are searched, not codes), a row with the Vietnamese letters (ă â đ ê ô ơ ư) and a row with the five tone
marks (shown on "a": á à ả ã ạ), which put the tone on the last vowel of the word being typed. Accents are optional —
the search ignores them — but people who know them like to use them.

``type_key(text, key)`` is the pure editing logic (tested without a window);
``OnScreenKeyboard`` is the widget, which dispatches ``on_text`` after each key.
"""

from __future__ import annotations

import unicodedata

from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

__all__ = ["ROWS", "TONES", "OnScreenKeyboard", "type_key"]

ROWS = [
    list("qwertyuiop"),
    list("asdfghjkl"),
    list("zxcvbnm") + ["back"],
    list("ăâđêôơư"),
]
# Tone keys show the tone on "a" (sắc, huyền, hỏi, ngã, nặng) → the combining mark they add.
TONES = {"á": "\u0301", "à": "\u0300", "ả": "\u0309", "ã": "\u0303", "ạ": "\u0323"}
_LABELS = {"back": "kb.back", "space": "kb.space", "clear": "kb.clear"}
_TONE_MARKS = set(TONES.values())
_VOWELS = set("aăâeêioôơuưy")


def _strip_tone(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def type_key(text: str, key: str) -> str:
    """The search text after pressing ``key`` ("back" deletes a letter, "space", "clear", a
    tone key or a letter)."""
    if key == "back":
        return text[:-1]
    if key == "clear":
        return ""
    if key == "space":
        return text + " " if text and not text.endswith(" ") else text
    if key in TONES:
        word_start = text.rfind(" ") + 1
        for i in range(len(text) - 1, word_start - 1, -1):
            base = _strip_tone(text[i])
            if base.lower() in _VOWELS:
                toned = unicodedata.normalize("NFC", base + TONES[key])
                return text[:i] + toned + text[i + 1:]
        return text
    return text + key


class OnScreenKeyboard(BoxLayout):
    """Rows of big keys; ``text`` holds what has been typed."""

    text = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(orientation="vertical", spacing=dp(6), **kwargs)
        self.register_event_type("on_text_changed")
        from kiosk.app.widgets import TapButton  # the kiosk's debounced button

        self._keys = []
        for row in ROWS + [list(TONES) + ["space", "clear"]]:
            line = BoxLayout(spacing=dp(6))
            for key in row:
                button = TapButton(kind="key")
                button.key = key
                if key in _LABELS:
                    button.size_hint_x = {"space": 3, "clear": 2, "back": 2}[key]
                button.bind(on_tap=self._pressed)
                self._keys.append(button)
                line.add_widget(button)
            self.add_widget(line)
        self.relabel("vi")

    def relabel(self, lang: str) -> None:
        from kiosk.app.texts import tr

        for button in self._keys:
            button.text = tr(lang, _LABELS[button.key]) if button.key in _LABELS else button.key

    def key_button(self, key: str):
        return next(b for b in self._keys if b.key == key)

    def _pressed(self, button) -> None:
        self.text = type_key(self.text, button.key)
        self.dispatch("on_text_changed", self.text)

    def on_text_changed(self, text: str) -> None:
        pass
