"""Pictograms for people who read little: named glyphs of the Font Awesome Free icon font.

Every service tile and home action of the kiosk, the priority groups and the speaker button
carry a pictogram beside their words. The pictograms are glyphs of Font Awesome Free's solid
font, installed from PyPI with the ``fontawesomefree`` package (the font file is under the
SIL Open Font License 1.1, the icons under CC BY 4.0: "Font Awesome Free by Fonticons, Inc.";
see docs/architecture.md), so nothing is drawn by hand and nothing is fetched at run time.

``ICONS`` names the glyphs the product uses (a service's icon is configurable as
``services[].icon``; without one, ``service_icon`` guesses from the service id). ``markup``
returns Kivy label markup for a glyph, or "" when the font is not installed (an Android
tablet): the words are always there, the pictogram is a help.

Plain Python (the configuration validates icon names with it); no Kivy import.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["ICONS", "font_path", "markup", "service_icon"]

ICONS: dict[str, str] = {
    # home and navigation
    "ticket": "\uf145", "magnifying-glass": "\uf002", "house": "\uf80c", "arrow-left": "\uf060",
    "language": "\uf1ab", "text-height": "\uf034", "volume-high": "\uf028", "file-lines": "\uf15c",
    "circle-check": "\uf05d", "square": "\uf0c8", "square-check": "\uf14a", "hand-pointer": "\uf25a",
    "clock": "\uf017", "money-bill": "\uf0d6", "building": "\uf1ad", "laptop": "\uf109",
    "list-check": "\uf0ae", "triangle-exclamation": "\uf071",
    # priority groups
    "person-cane": "\ue53c", "wheelchair": "\uf193", "person-pregnant": "\ue31e", "baby": "\uf77c",
    # services
    "people-roof": "\ue537", "stamp": "\uf5bf", "briefcase": "\uf0b1", "scale-balanced": "\uf24e",
    "map-location-dot": "\uf5a0", "id-card": "\uf2c3", "graduation-cap": "\uf19d", "users": "\uf0c0",
    "people-group": "\ue533", "heart-pulse": "\uf21e", "tractor": "\uf722", "landmark": "\uf66f",
}
# Service ids of the model office (config.yaml) and common words in ids → a pictogram.
_SERVICE_WORDS = [("ho-tich", "people-roof"), ("chung-thuc", "stamp"), ("lao-dong", "briefcase"),
                  ("giao-duc", "graduation-cap"), ("van-hoa", "graduation-cap"), ("dat-dai", "map-location-dot"),
                  ("xay-dung", "map-location-dot"), ("kinh-te", "landmark"), ("y-te", "heart-pulse"),
                  ("nong-nghiep", "tractor"), ("tu-phap", "scale-balanced"), ("cu-tru", "id-card")]
_FONT = ("static", "fontawesomefree", "webfonts", "fa-solid-900.ttf")


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """The Font Awesome Free solid font file, or None when the package is not installed."""
    try:
        import fontawesomefree
    except ImportError:
        return None
    path = Path(fontawesomefree.__file__).parent.joinpath(*_FONT)
    return str(path) if path.is_file() else None


def service_icon(service_id: str, configured: str = "") -> str:
    """The icon of a service: the configured one, else one guessed from its id, else a document."""
    if configured:
        return configured
    return next((icon for word, icon in _SERVICE_WORDS if word in service_id), "file-lines")


def markup(name: str, size: float | None = None) -> str:
    """Kivy markup drawing icon ``name`` (followed by nothing), or "" without the icon font."""
    font = font_path()
    if not font or name not in ICONS:
        return ""
    glyph = f"[font={font}]{ICONS[name]}[/font]"
    return f"[size={int(size)}]{glyph}[/size]" if size else glyph
