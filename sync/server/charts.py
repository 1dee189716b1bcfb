"""Charts for the admin dashboard and the printable report, drawn on the server as SVG.

Why not a JavaScript chart library: the dashboard must work on an office LAN with no internet
(no CDN), print well, and show up in screenshots and e-mails exactly as on screen. A few
dozen lines of SVG per chart kind do that with nothing to install. Every chart is a plain
string of ``<svg>`` markup with a ``viewBox`` (it scales with the page), a ``<title>`` for
screen readers and a tooltip ``<title>`` on every bar or point giving the exact figure.

All text passed in is escaped here; callers hand over raw labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["column_chart", "hbar_chart", "level_colors", "line_chart", "stacked_bar"]

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
AXIS = "#8a8f98"
GRID = "#e3e6ea"
TEXT = "#222"
BAR = "#2f6fb3"
EMPTY = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 400 40' class='chart' role='img'>" \
        "<text x='8' y='24' font-size='13' fill='#666' {font}>{text}</text></svg>"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
            f"height='{height}' class='chart' "
            f"role='img' aria-label='{escape(title, quote=True)}' {FONT}>"
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _empty(text: str) -> str:
    return EMPTY.format(font=FONT, text=escape(text))


def _pct(value: float) -> str:
    """A share as Vietnamese writes it: 87,5%."""
    return f"{value * 100:.1f}%".replace(".", ",")


def _num(value: float) -> str:
    """A count with Vietnamese thousands separators: 12.345."""
    return f"{value:,.0f}".replace(",", ".")


def level_colors(levels: Sequence[bool]) -> list[str]:
    """Colours for rating levels given most-satisfied-first ``satisfied`` flags: greens for
    satisfied levels, then amber/red shades for the others (the least satisfied darkest)."""
    greens = ["#1a7f37", "#4caf50", "#8bc34a"]
    others = ["#f2a33a", "#e35d4f", "#b3261e"]
    sat = [i for i, s in enumerate(levels) if s]
    unsat = [i for i, s in enumerate(levels) if not s]
    colors = [""] * len(levels)
    for k, i in enumerate(sat):
        colors[i] = greens[min(k, len(greens) - 1)]
    start = max(0, len(others) - len(unsat))
    for k, i in enumerate(unsat):
        colors[i] = others[min(start + k, len(others) - 1)]
    return colors


def hbar_chart(rows: Sequence[tuple[str, float | None, str]], *, title: str, empty: str = "—",
               percent: bool = True, max_value: float | None = None, flag: Sequence[bool] = ()) -> str:
    """Horizontal bars, one row per ``(label, value, note)``; ``note`` (e.g. "n = 412") is
    printed after the value. ``value`` None draws no bar (nothing to measure). Rows whose
    ``flag`` is true are drawn hatched grey: too few answers to compare."""
    if not rows:
        return _empty(empty)
    label_w, bar_w, note_w, row_h = 250, 330, 150, 24
    width, height = label_w + bar_w + note_w, row_h * len(rows) + 10
    top = max((v for _, v, _ in rows if v is not None), default=0.0)
    scale_max = max_value if max_value is not None else (1.0 if percent else (top or 1.0))
    body = []
    for i, (label, value, note) in enumerate(rows):
        y = 5 + i * row_h
        short = label if len(label) <= 32 else label[:31] + "…"
        body.append(f"<text x='{label_w - 8}' y='{y + 16}' font-size='12' text-anchor='end' fill='{TEXT}'>"
                    f"<title>{escape(label)}</title>{escape(short)}</text>")
        body.append(f"<rect x='{label_w}' y='{y + 3}' width='{bar_w}' height='{row_h - 8}' fill='{GRID}'/>")
        shown = "—"
        if value is not None:
            w = 0 if scale_max <= 0 else max(0.0, min(1.0, value / scale_max)) * bar_w
            color = "#9aa3ad" if (i < len(flag) and flag[i]) else BAR
            shown = _pct(value) if percent else _num(value)
            body.append(f"<rect x='{label_w}' y='{y + 3}' width='{w:.1f}' height='{row_h - 8}' fill='{color}'>"
                        f"<title>{escape(label)}: {shown} ({escape(note)})</title></rect>")
        body.append(f"<text x='{label_w + bar_w + 8}' y='{y + 16}' font-size='12' fill='{TEXT}'>"
                    f"{escape(shown)}  <tspan fill='#666'>{escape(note)}</tspan></text>")
    return _svg(width, height, title, body)


def column_chart(labels: Sequence[str], values: Sequence[float], *, title: str, empty: str = "—",
                 unit: str = "") -> str:
    """Vertical columns (e.g. ratings per hour of day) with the count above each column."""
    if not labels or not any(values):
        return _empty(empty)
    left, bottom, top_pad, col_w, gap = 40, 26, 18, 28, 6
    plot_h = 160
    width = left + len(labels) * (col_w + gap) + 10
    height = top_pad + plot_h + bottom
    vmax = max(values) or 1
    body = [f"<line x1='{left}' y1='{top_pad + plot_h}' x2='{width - 5}' y2='{top_pad + plot_h}' stroke='{AXIS}'/>"]
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        x = left + i * (col_w + gap)
        h = plot_h * value / vmax
        y = top_pad + plot_h - h
        text = _num(value)
        body.append(f"<rect x='{x}' y='{y:.1f}' width='{col_w}' height='{h:.1f}' fill='{BAR}'>"
                    f"<title>{escape(label)}: {text}{escape(unit)}</title></rect>")
        if value:
            body.append(f"<text x='{x + col_w / 2}' y='{y - 4:.1f}' font-size='10' text-anchor='middle' "
                        f"fill='{TEXT}'>{text}</text>")
        body.append(f"<text x='{x + col_w / 2}' y='{top_pad + plot_h + 16}' font-size='11' "
                    f"text-anchor='middle' fill='{TEXT}'>{escape(label)}</text>")
    return _svg(width, height, title, body)


def line_chart(points: Sequence[tuple[str, float | None, int]], *, title: str, empty: str = "—") -> str:
    """A rate over time: ``(period label, rate 0..1 or None, n)`` per period. The y axis is
    0–100 %; periods without answers leave a gap in the line instead of dropping to zero."""
    if not points or all(v is None for _, v, _ in points):
        return _empty(empty)
    left, right, top_pad, bottom, plot_h = 48, 16, 14, 44, 180
    step = min(60.0, 760 / max(1, len(points) - 1))  # the whole range fits ~800 px, whatever its length
    width = int(left + step * max(1, len(points) - 1) + right + 20)
    radius = 3.5 if step >= 8 else 2
    height = top_pad + plot_h + bottom
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top_pad + plot_h * (1 - tick)
        body.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='{GRID}'/>")
        body.append(f"<text x='{left - 6}' y='{y + 4:.1f}' font-size='10' text-anchor='end' fill='#666'>"
                    f"{int(tick * 100)}%</text>")
    label_every = max(1, len(points) // 12)
    segments: list[list[str]] = [[]]
    for i, (label, value, n) in enumerate(points):
        x = round(left + 10 + i * step, 1)
        if i % label_every == 0:
            body.append(f"<text x='{x}' y='{top_pad + plot_h + 16}' font-size='10' text-anchor='middle' "
                        f"fill='{TEXT}'>{escape(label)}</text>")
        if value is None:
            segments.append([])
            continue
        y = top_pad + plot_h * (1 - value)
        segments[-1].append(f"{x},{y:.1f}")
        body.append(f"<circle cx='{x}' cy='{y:.1f}' r='{radius}' fill='{BAR}'>"
                    f"<title>{escape(label)}: {_pct(value)} (n = {n})</title></circle>")
    for seg in segments:
        if len(seg) > 1:
            body.insert(0, f"<polyline points='{' '.join(seg)}' fill='none' stroke='{BAR}' stroke-width='2'/>")
    return _svg(width, height, title, body)


def stacked_bar(segments: Sequence[tuple[str, int, str]], *, title: str, empty: str = "—") -> str:
    """One bar split by level: ``(label, count, colour)``; shares come from the counts, with a
    legend giving each count and share under the bar."""
    total = sum(c for _, c, _ in segments)
    if total == 0:
        return _empty(empty)
    width, bar_h = 840, 30
    legend_rows = (len(segments) + 2) // 3
    height = bar_h + 12 + legend_rows * 22 + 6
    body, x = [], 0.0
    for label, count, color in segments:
        w = width * count / total
        if w > 0:
            body.append(f"<rect x='{x:.2f}' y='0' width='{w:.2f}' height='{bar_h}' fill='{color}'>"
                        f"<title>{escape(label)}: {count} ({_pct(count / total)})</title></rect>")
        x += w
    for i, (label, count, color) in enumerate(segments):
        lx, ly = (i % 3) * 280, bar_h + 12 + (i // 3) * 22
        body.append(f"<rect x='{lx}' y='{ly}' width='14' height='14' fill='{color}'/>")
        body.append(f"<text x='{lx + 20}' y='{ly + 12}' font-size='12' fill='{TEXT}'>{escape(label)}: "
                    f"{_num(count)} ({_pct(count / total)})</text>")
    return _svg(width, height, title, body)
