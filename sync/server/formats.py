"""How the dashboard writes numbers, shares, durations and times (Vietnamese by default).

``fmt_pct(0.875)`` → ``87,5%``, ``fmt_num(12345)`` → ``12.345``, ``fmt_duration(432)`` →
``7 phút 12 giây``, ``fmt_dt`` → ``dd/mm/YYYY HH:MM`` in an office's time zone; ``—`` for a
missing value. Used by the pages' templates and the page data that puts figures in chart labels.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["fmt_dt", "fmt_duration", "fmt_num", "fmt_pct"]


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def fmt_num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}".replace(",", ".")


def fmt_duration(seconds: float | None, lang: str = "vi") -> str:
    """``432.0`` → ``7 phút 12 giây`` / ``7 min 12 s``."""
    if seconds is None:
        return "—"
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    units = ("h", "min", "s") if lang == "en" else ("giờ", "phút", "giây")
    parts = [f"{h} {units[0]}"] if h else []
    if m or h:
        parts.append(f"{m} {units[1]}")
    if not h:
        parts.append(f"{s} {units[2]}")
    return " ".join(parts)


def fmt_dt(value: datetime | None, zone: str = "Asia/Ho_Chi_Minh") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
