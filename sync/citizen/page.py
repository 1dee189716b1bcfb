"""Rendering the citizen's page: one Jinja2 template for hub and centre, readable without JS.

``render_ticket_page`` draws the ticket as it is now (status, place, counter, the rating
form when it may be rated) with the office's words; the page's script then keeps it live
from the same JSON (``sync.citizen.view``). ``render_code_page`` is the form where a short
code is typed. Everything the page needs is inside the one HTML answer (styles and script
inlined, system fonts): nothing is fetched from the internet.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sync.citizen.texts import WORDS

__all__ = ["PAGE_HEADERS", "page_lang", "render_code_page", "render_ticket_page", "wants_json"]

_PAGE_DIR = Path(__file__).resolve().parent / "page"

# Sent with every answer about a ticket: the token must not leak through a shared cache or a
# Referer header, search engines keep out, and the page may load nothing from elsewhere.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                               "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
}


def wants_json(accept: str) -> bool:
    """JSON for ``Accept: application/json`` (the page's script, apps); HTML for a browser."""
    return "application/json" in accept and "text/html" not in accept


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(_PAGE_DIR), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def page_lang(query_lang: str | None, office_lang: str) -> str:
    """``?lang=`` (the switch), else the office's language. Not the browser's: many citizens'
    phones are set to English while they read Vietnamese first."""
    if query_lang in ("vi", "en"):
        return query_lang
    return office_lang if office_lang in ("vi", "en") else "vi"


def _fill(text: str, **values) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _headline(view: dict, w: dict, lang: str) -> tuple[str, str]:
    status = view["status"]
    counter = view["counter"]["name"][lang] if view["counter"] else ""
    if status == "waiting":
        head = _fill(w["ahead"], n=view["ahead"]) if view["ahead"] > 0 else w["next"]
        detail = _fill(w["wait"], m=view["estimated_wait_min"]) if view["estimated_wait_min"] > 0 else ""
        return head, detail
    if status in ("called", "serving"):
        return _fill(w[status], counter=counter), ""
    return w[status], ""


def _json_for_script(data: dict) -> str:
    # Inside <script type="application/json">: only "</" could end the element early.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def render_ticket_page(view: dict, *, lang: str, levels: list, reasons: list, timezone: str,
                       message: str | None = None, message_kind: str | None = None,
                       internet_url: str | None = None) -> str:
    """The ticket's page. ``levels``/``reasons`` are ``Config.levels``/``Config.reasons``."""
    w = WORDS[lang]
    zone = ZoneInfo(timezone)
    level_items = [{"score": len(levels) - i, "label": {"vi": lv.label.vi, "en": lv.label.en},
                    "satisfied": lv.satisfied} for i, lv in enumerate(levels)]
    reason_items = [{"code": r.code, "label": {"vi": r.label.vi, "en": r.label.en}} for r in reasons]
    head, detail = _headline(view, w, lang)
    as_of = datetime.fromisoformat(view["as_of"]).astimezone(zone)
    if view["source"] == "hub":
        as_of_text = _fill(w["as_of"], time=as_of.strftime("%H:%M"))
    else:
        seconds = max(0, int((datetime.now(zone) - as_of).total_seconds()))
        age = _fill(w["seconds"], m=seconds) if seconds < 120 else _fill(w["minutes"], m=round(seconds / 60))
        as_of_text = _fill(w["as_of_centre"], age=age)
    until = (_fill(w["rate_until"], time=datetime.fromisoformat(view["rate_until"]).astimezone(zone)
                   .strftime("%H:%M %d/%m/%Y")) if view["rate_url"] and view["rate_until"] else "")
    data = {"view": view, "words": WORDS, "lang": lang, "levels": level_items, "reasons": reason_items}
    return _env().get_template("ticket.html").render(
        view=view, lang=lang, w=w, headline=head, detail=detail, levels=level_items, reasons=reason_items,
        rate_prompt=_fill(w["rate_prompt"], clerk=view["clerk"]) if view["clerk"] else w["rate_prompt_any"],
        rate_until=until, as_of=as_of_text, message=message, message_kind=message_kind,
        internet_url=internet_url, data_json=_json_for_script(data), code_form=False)


def render_code_page(*, lang: str, code_url: str, typed: str | None = None, message: str | None = None) -> str:
    """The form where the short code printed on the ticket is typed (``GET <base>/t``)."""
    return _env().get_template("ticket.html").render(
        view=None, lang=lang, w=WORDS[lang], code_form=True, code_url=code_url, typed=typed,
        message=message, message_kind="error" if message else None)
