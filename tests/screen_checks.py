"""What every kiosk and tablet screen must pass, checked on the live widget tree of a real window.

``problems(drive)`` walks the widgets shown (not hidden by opacity, not disabled, on the
current screen) and reports, in words a reviewer can act on:

* a label whose text is larger than its box (text cut off or spilling over), unless the label
  shortens its text with "…" on purpose (``shorten``);
* a widget that lies outside the window (clipped by the screen edge), except inside a scroll
  view, whose content scrolls into view by design;
* a button smaller than 15 mm in either direction at the window's DPI (``kivy.metrics.mm``);
* a character that the label's font does not have (drawn as a box, like "⊠"): each text run is
  checked against the cmap of the font it is drawn in — the label's font, or the one named
  by a ``[font=…]`` markup tag (the pictograms) — read with fontTools.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fontTools.ttLib import TTFont
from kivy.core.text import LabelBase
from kivy.metrics import mm
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

_TAG_RE = re.compile(r"\[(/?)(\w+)(?:=([^\]]*))?\]")
_ENTITIES = {"&bl;": "[", "&br;": "]", "&amp;": "&"}
_MIN_MM = 15


@lru_cache(maxsize=32)
def _cmap(path: str) -> frozenset[int]:
    font = TTFont(path, fontNumber=0, lazy=True)
    return frozenset(font.getBestCmap())


def _font_file(name: str, bold: bool) -> str:
    registered = LabelBase._fonts.get(name)
    if registered:  # (regular, italic, bold, bolditalic)
        return registered[2] if bold and registered[2] else registered[0]
    return name  # a path given directly


def _runs(label: Label):
    """(font file, text) runs of ``label``'s text, following [font=…] and [b] markup tags."""
    base = _font_file(label.font_name, label.bold)
    if not label.markup:
        yield base, label.text
        return
    fonts, bold, pos, text = [], label.bold, 0, label.text
    for match in _TAG_RE.finditer(text):
        yield (fonts[-1] if fonts else _font_file(label.font_name, bold)), text[pos:match.start()]
        closing, tag, value = match.groups()
        if tag == "font":
            if closing:
                fonts and fonts.pop()
            else:
                fonts.append(_font_file(value, False))
        elif tag == "b":
            bold = not closing or label.bold
        pos = match.end()
    yield (fonts[-1] if fonts else _font_file(label.font_name, bold)), text[pos:]


def missing_glyphs(label: Label) -> list[str]:
    missing = []
    for font, run in _runs(label):
        for entity, char in _ENTITIES.items():
            run = run.replace(entity, char) if label.markup else run
        cmap = _cmap(font)
        missing += [ch for ch in run if not ch.isspace() and ord(ch) not in cmap]
    return missing


def _shown(widget) -> bool:
    while widget is not None and widget.parent is not widget:
        if getattr(widget, "opacity", 1) == 0 or getattr(widget, "disabled", False):
            return False
        widget = widget.parent
    return True


def _in_scroll_view(widget) -> bool:
    while widget is not None and widget.parent is not widget:
        if isinstance(widget, ScrollView):
            return True
        widget = widget.parent
    return False


def _describe(widget) -> str:
    text = str(getattr(widget, "text", "")).replace("\n", " ")
    text = _TAG_RE.sub("", text)
    return f"{type(widget).__name__} {text[:40]!r}"


def problems(drive, screen_root=None) -> list[str]:
    """Everything wrong on the screen shown (see the module docstring)."""
    found = []
    win_w, win_h = drive.window.size
    min_px = mm(_MIN_MM) - 0.5
    for widget in drive.find(lambda w: True, screen_root):
        if not _shown(widget) or widget.width <= 1 or widget.height <= 1:
            continue
        scrolls = _in_scroll_view(widget)
        x, y = widget.to_window(widget.x, widget.y)
        if not scrolls and (x < -1 or y < -1 or x + widget.width > win_w + 1 or y + widget.height > win_h + 1):
            found.append(f"{_describe(widget)}: outside the window at {x:.0f},{y:.0f} "
                         f"({widget.width:.0f}x{widget.height:.0f} in {win_w}x{win_h})")
        if isinstance(widget, ButtonBehavior) and (widget.width < min_px or widget.height < min_px):
            found.append(f"{_describe(widget)}: button {widget.width:.0f}x{widget.height:.0f} px, "
                         f"smaller than {_MIN_MM} mm ({min_px:.0f} px)")
        if isinstance(widget, Label) and widget.text.strip():
            if not getattr(widget, "shorten", False):
                tw, th = widget.texture_size
                if tw > widget.width + 2 or th > widget.height + 2:
                    found.append(f"{_describe(widget)}: text {tw:.0f}x{th:.0f} overflows its "
                                 f"{widget.width:.0f}x{widget.height:.0f} box")
            missing = missing_glyphs(widget)
            if missing:
                found.append(f"{_describe(widget)}: the font has no glyph for {''.join(sorted(set(missing)))!r}")
    return found
