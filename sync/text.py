"""Vietnamese text helpers shared by every part.

Two jobs, both small and both easy to get subtly wrong:

* ``nfc`` — every piece of text that enters a record, the catalog or the UI is
  normalised to Unicode NFC, so "Đăng ký" typed on an Android keyboard (often NFD)
  and "Đăng ký" read from the national portal compare equal.
* ``tidy`` — NFC plus collapsed white space, for one-line labels from messy sources.
* ``fold`` — strips diacritics for search: "Đăng ký khai sinh" → "dang ky khai sinh".
  ``đ``/``Đ`` are separate letters in Unicode (they do not decompose), so they are
  mapped to ``d`` explicitly.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["nfc", "tidy", "fold", "words"]

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
_WORD_RE = re.compile(r"[0-9a-z]+")
_SPACE_RE = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (line breaks and spacing kept as they are)."""
    return unicodedata.normalize("NFC", text)


def tidy(text: str) -> str:
    """Return ``text`` in NFC with runs of white space (tabs, newlines) collapsed to one space."""
    return _SPACE_RE.sub(" ", nfc(text)).strip()


def fold(text: str) -> str:
    """Lower-case ``text`` and remove every diacritic (đ → d), for accent-blind matching."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def words(text: str) -> list[str]:
    """Split ``text`` into folded words (letters and digits only), for indexing and queries."""
    return _WORD_RE.findall(fold(text))
