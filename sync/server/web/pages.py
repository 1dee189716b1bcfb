"""Rendering the dashboard's HTML: Jinja templates, their filters, the page language.

No JavaScript framework and no CDN: HTML from the templates in ``sync/server/templates``,
charts as inline SVG (``charts.py``), one local stylesheet — so the dashboard works on an
office LAN without internet and prints as it looks. Vietnamese by default; ``?lang=en``
switches and is remembered in a cookie.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from sync.server.formats import fmt_dt, fmt_duration, fmt_num, fmt_pct
from sync.server.i18n import DAY_PATTERN, LANG_COOKIE, LANGS, month_name, tr

__all__ = ["STATIC", "page_lang", "render"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                          autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@jinja2.pass_context
def _pct_filter(context, value: float | None) -> str:
    """87,5% in Vietnamese pages, 87.5% in English ones."""
    text = fmt_pct(value)
    return text.replace(",", ".") if context.get("lang") == "en" else text


@jinja2.pass_context
def _num_filter(context, value: float | None) -> str:
    """12.345 in Vietnamese pages, 12,345 in English ones."""
    text = fmt_num(value)
    return text.replace(".", ",") if context.get("lang") == "en" else text


_env.filters.update(pct=_pct_filter, num=_num_filter, dt=fmt_dt)
_env.globals["month_name"] = month_name
_env.globals["day_pattern"] = DAY_PATTERN


def render(template: str, request: Request, lang: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a template with the helpers every page uses (``t``, ``duration``, ``lang``)."""
    def t(key, **values):
        return tr(lang, key, **values)

    html = _env.get_template(template).render(request=request, lang=lang, t=t,
                                              duration=lambda s: fmt_duration(s, lang), **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def page_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGS else "vi"
