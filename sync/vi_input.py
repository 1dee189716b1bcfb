"""Vietnamese typing for the on-screen keyboards of the kiosk and the tablet, as plain functions.

Neither device has a usable system keyboard (a kiosk hides it, a desktop may have no
Vietnamese input method), so the shared keyboard (``sync.touch.keyboard``) has keys for the
modified letters (ă â đ ê ô ơ ư) and five tone keys. A tone key puts its mark on the right
vowel of the word being typed, by the usual placement rules: "hoa" + sắc → "hoá",
"cua" + hỏi → "của", "toan" + sắc → "toán", "nguơi" + huyền → "người" (ư/ơ have their own
keys). Pressing another tone replaces the previous one.

One engine for both apps, kept free of Kivy so the rules are tested directly.
"""

from __future__ import annotations

import unicodedata

from sync.text import nfc

__all__ = ["TONES", "add_tone", "append_text", "backspace", "type_space"]

# Tone name -> combining mark (the order of the keys on the keyboard).
TONES: dict[str, str] = {
    "sac": "\u0301",    # á
    "huyen": "\u0300",  # à
    "hoi": "\u0309",    # ả
    "nga": "\u0303",    # ã
    "nang": "\u0323",   # ạ
}
_TONE_MARKS = set(TONES.values())
_VOWELS = set("aăâeêioôơuưy")
_MODIFIED = set("ăâêôơư")


def _split(ch: str) -> tuple[str, str | None]:
    """A letter without its tone mark, and the mark (or None). Keeps case and ă/â/ơ… marks."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = next((c for c in decomposed if c in _TONE_MARKS), None)
    base = nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
    return base, tone


def _tone_position(word: list[str]) -> int | None:
    """Index of the letter in ``word`` (tone-less letters) that carries the tone, or None."""
    lower = [c.lower() for c in word]
    end = len(lower)
    while end and lower[end - 1] not in _VOWELS:
        end -= 1
    if not end:
        return None
    start = end
    while start and lower[start - 1] in _VOWELS:
        start -= 1
    # "qu" and "gi" are consonants: their u / i never take the tone when another vowel follows.
    if start + 1 < end and lower[start] in "ui" and start > 0 and lower[start - 1] + lower[start] in ("qu", "gi"):
        start += 1
    cluster = range(start, end)
    modified = [i for i in cluster if lower[i] in _MODIFIED]
    if modified:
        return modified[-1]  # "ươ" → ơ, "ê" in "tiên" …
    if len(cluster) == 1:
        return start
    if end < len(lower):  # a final consonant follows: "toán", "hoàng"
        return end - 1
    if len(cluster) == 2:
        # "oa", "oe", "uy" take the tone on the second vowel (modern style: hoá, thuý);
        # "ai", "ao", "ia", "ua"… on the first (tài, cháo, kìa, của).
        pair = lower[start] + lower[start + 1]
        return start + 1 if pair in ("oa", "oe", "uy") else start
    return start + 1  # three vowels: the middle one ("người" is handled by ơ above)


def add_tone(text: str, tone: str) -> str:
    """Put ``tone`` (a key of TONES) on the last word of ``text``; unchanged if it has no vowel."""
    mark = TONES[tone]
    letters = list(nfc(text))
    start = len(letters)
    while start and letters[start - 1].isalpha():
        start -= 1
    word = letters[start:]
    bases = [_split(c)[0] for c in word]
    where = _tone_position(bases)
    if where is None:
        return nfc(text)
    rebuilt = [nfc(b + mark) if i == where else b for i, b in enumerate(bases)]
    return nfc("".join(letters[:start] + rebuilt))


def append_text(text: str, addition: str, max_chars: int) -> str:
    """``text`` + ``addition`` in NFC, or ``text`` unchanged when that would exceed ``max_chars``."""
    joined = nfc(text + addition)
    return joined if len(joined) <= max_chars else text


def type_space(text: str, max_chars: int) -> str:
    """``text`` with a word space after it: none at the start and never two in a row."""
    if not text or text.endswith(" "):
        return text
    return append_text(text, " ", max_chars)


def backspace(text: str) -> str:
    """``text`` without its last letter (a letter with its tone counts as one)."""
    return nfc(text)[:-1]
