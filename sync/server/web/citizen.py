"""The citizen's phone page on the central server: the same page and contract as the office
hub's (``kiosk/hub/citizen_routes.py``), from uploaded ticket records (``sync/server/citizen.py``).

    GET  /t                      the form where the short code on the ticket is typed
    GET  /t?code=K7QX9-MZ4P2     → 303 to the ticket's page
    GET  /t/{token}              the ticket's page (HTML), or its JSON with Accept: application/json
    POST /t/{token}/rating       the phone's rating (JSON, or the plain form without JavaScript)

There is no event stream here: the centre learns of changes only when the hub uploads, so
the page polls (``events_url`` is null) and shows how old its information is. Errors in
JSON have the one shape of ``sync.api.errors``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sync.api.errors import ApiError, error_body
from sync.citizen.limits import CitizenLimits
from sync.citizen.page import PAGE_HEADERS, page_lang, render_code_page, render_ticket_page, wants_json
from sync.citizen.rating import MAX_BODY_BYTES, RatingInputError, read_rating
from sync.citizen.texts import WORDS, refusal_message
from sync.citizen.tokens import normalise_code, valid_token_shape
from sync.citizen.view import ticket_view
from sync.server.citizen import find_ticket, office_page, store_phone_rating, ticket_facts, token_for_code

__all__ = ["router"]

router = APIRouter(tags=["citizen page"], include_in_schema=True)

_REFUSED = {"already_rated": "this ticket has already been rated (one rating per ticket, on the tablet or a phone)",
            "not_served": "this ticket was not served (still waiting, cancelled or a no-show), so it cannot be rated",
            "rating_closed": "the time to rate this ticket has passed"}


def _limits(request: Request) -> CitizenLimits:
    state = request.app.state
    if getattr(state, "citizen_limits", None) is None:
        state.citizen_limits = CitizenLimits()
    return state.citizen_limits


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(request: Request, office_lang: str = "vi") -> str:
    return page_lang(request.query_params.get("lang"), office_lang)


def _refused(request: Request, code: str, message: str, retry_after: float = 0) -> Response:
    """The one error shape for the page's script, a page with the citizen's words for a browser."""
    status = ApiError(code, message).status
    headers = dict(PAGE_HEADERS)
    if retry_after:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if wants_json(request.headers.get("accept", "")):
        return JSONResponse(error_body(code, message), status_code=status, headers=headers)
    lang = _lang(request)
    text = WORDS[lang]["too_many"] if code == "rate_limited" else WORDS[lang].get(code, message)
    return HTMLResponse(render_code_page(lang=lang, code_url="/t", message=text), status_code=status,
                        headers=headers)


def _load(request: Request, token: str):
    """(ticket, office, view) for ``token`` in one transaction, or None."""
    base = str(request.base_url).rstrip("/")
    with request.app.state.db.engine.begin() as conn:
        ticket = find_ticket(conn, token)
        office = office_page(conn, ticket.office_id) if ticket is not None else None
        if office is None:
            return None
        facts = ticket_facts(conn, ticket, office)
        view = ticket_view(facts, page_url=f"{base}/t/{token}", now=datetime.now(UTC), window=office.window,
                           source="centre", events_url=None)
        return ticket, office, view


def _page(request: Request, office, view: dict, message: str | None = None, kind: str | None = None,
          status: int = 200) -> Response:
    html = render_ticket_page(view, lang=_lang(request, office.language), levels=office.levels,
                              reasons=office.reasons, timezone=office.timezone, message=message, message_kind=kind)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


@router.get("/t", response_class=HTMLResponse, summary="Type the short code printed on a ticket")
def code_form(request: Request, code: str | None = None):
    lang = _lang(request)
    if code is None:
        return HTMLResponse(render_code_page(lang=lang, code_url="/t"), headers=PAGE_HEADERS)
    wait = _limits(request).code(_address(request))
    if wait:
        return _refused(request, "rate_limited", "too many short codes tried from this address", wait)
    normalised = normalise_code(code)
    token = None
    if normalised:
        with request.app.state.db.engine.begin() as conn:
            token = token_for_code(conn, normalised)
    if token is None:
        return HTMLResponse(render_code_page(lang=lang, code_url="/t", typed=code, message=WORDS[lang]["code_unknown"]),
                            status_code=404, headers=PAGE_HEADERS)
    return RedirectResponse(f"/t/{token}?lang={lang}", status_code=303, headers=PAGE_HEADERS)


@router.get("/t/{token}", summary="A ticket's page on the citizen's phone (JSON with Accept: application/json)")
def ticket_page(request: Request, token: str):
    wait = _limits(request).view(_address(request), token)
    if wait:
        return _refused(request, "rate_limited", "too many requests for this page; wait a moment", wait)
    loaded = _load(request, token) if valid_token_shape(token) else None
    if loaded is None:
        return _refused(request, "not_found", "no ticket has this address")
    _ticket, office, view = loaded
    if wants_json(request.headers.get("accept", "")):
        return JSONResponse(view, headers=PAGE_HEADERS)
    return _page(request, office, view)


@router.post("/t/{token}/rating", status_code=201, summary="Rate the clerk who served this ticket, from the phone")
async def rate(request: Request, token: str):
    wait = _limits(request).rating(_address(request), token)
    if wait:
        return _refused(request, "rate_limited", "too many ratings sent; try again later", wait)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _refused(request, "too_large", f"the rating is larger than {MAX_BODY_BYTES} bytes")
    if not valid_token_shape(token):
        return _refused(request, "not_found", "no ticket has this address")
    return await run_in_threadpool(_rate, request, token, body)


def _rate(request: Request, token: str, body: bytes) -> Response:
    as_json = wants_json(request.headers.get("accept", ""))
    with request.app.state.db.engine.begin() as conn:
        ticket = find_ticket(conn, token)
        office = office_page(conn, ticket.office_id) if ticket is not None else None
        if office is None:
            return _refused(request, "not_found", "no ticket has this address")
        refusal = None
        try:
            answer = read_rating(body, request.headers.get("content-type", ""), levels=office.levels,
                                 reasons=office.reasons)
        except RatingInputError as exc:
            if as_json:
                return _refused(request, exc.code, exc.message)
            refusal, answer = exc.code, None
        if answer is not None:
            refusal = store_phone_rating(conn, ticket, office, answer, datetime.now(UTC))
    loaded = _load(request, token)
    _t, office, view = loaded
    lang = _lang(request, office.language)
    if refusal is None:
        if as_json:
            return JSONResponse({"rated": True, "channel": "phone"}, status_code=201, headers=PAGE_HEADERS)
        return _page(request, office, view, WORDS[lang]["thanks"], "ok", 201)
    status = 400 if refusal not in _REFUSED else 409
    if as_json:
        return _refused(request, refusal, _REFUSED[refusal])
    return _page(request, office, view, refusal_message(refusal, lang) if refusal in _REFUSED
                 else WORDS[lang]["choose_level"], "error", status)
