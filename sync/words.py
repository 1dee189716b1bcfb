"""One way to look up a word shown to people, in Vietnamese or English.

Every part keeps its own table of words (the kiosk's screens, the tablet's, the shared touch
widgets', the central dashboard's), because each is reviewed by the people who use that
part; but they are all the same kind of object with the same call:
``words(lang, key, **values)``, with ``{placeholders}`` filled from ``values``.

A table is a plain dict ``key → (Vietnamese, English)``. Vietnamese is the default: any
language other than "en" reads the Vietnamese text. A missing key raises ``KeyError`` (a
typo in a device screen is a bug the tests catch), except in tables made with
``missing_shows_key=True`` (the web dashboard shows the key itself, visible in screenshots,
rather than failing a page). ``pick`` chooses from one such pair; names that come from the
office configuration have their own ``LocalizedText.get(lang)``.

Pure Python, imported by the Android tablet too.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGS", "WordTable", "pick"]

LANGS = ("vi", "en")


def pick(pair: tuple[str, str], lang: str) -> str:
    """The English half of a ``(vi, en)`` pair when ``lang`` is "en", the Vietnamese one otherwise."""
    return pair[1] if lang == "en" else pair[0]


class WordTable:
    """A table of ``(vi, en)`` words called as ``table(lang, key, **values)``."""

    def __init__(self, texts: Mapping[str, tuple[str, str]], *, missing_shows_key: bool = False):
        bad = [key for key, pair in texts.items() if len(pair) != 2 or not all(pair)]
        if bad:
            raise ValueError(f"word table entries need a Vietnamese and an English text: {', '.join(bad)}")
        self.texts = dict(texts)
        self.missing_shows_key = missing_shows_key

    def __call__(self, lang: str, key: str, **values) -> str:
        pair = self.texts.get(key)
        if pair is None:
            if self.missing_shows_key:
                return key
            raise KeyError(f"no word for {key!r}")
        text = pick(pair, lang)
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self.texts

    def __iter__(self):
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)
