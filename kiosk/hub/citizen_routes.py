"""The citizen's phone page on the office hub (Starlette routes over ``kiosk/hub/citizen.py``).

    GET  /t                      the form where the short code on the ticket is typed
    GET  /t?code=K7QX9-MZ4P2     → 303 to the ticket's page (404 page for an unknown code)
    GET  /t/{token}              the ticket's page (HTML), or its JSON with Accept: application/json
    GET  /t/{token}/events       server-sent ``ticket`` events: the JSON again whenever it changes
    POST /t/{token}/rating       the phone's rating (JSON, or the plain form without JavaScript)

No login: the token is the key. Abuse limits per address and per token
(``sync.citizen.limits``) answer 429 with ``Retry-After``; every answer carries
``sync.citizen.page.PAGE_HEADERS`` (no caching, no referrer, nothing loaded from elsewhere).
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from kiosk.hub.events import format_event
from sync.api.errors import ApiError, error_body
from sync.citizen.limits import CitizenLimits
from sync.citizen.page import PAGE_HEADERS, page_lang, render_code_page, render_ticket_page, wants_json
from sync.citizen.rating import MAX_BODY_BYTES
from sync.citizen.texts import WORDS, refusal_message
from sync.citizen.tokens import normalise_code, valid_token_shape

if TYPE_CHECKING:
    from kiosk.hub.core import HubCore

__all__ = ["citizen_routes"]

def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def citizen_routes(hub: HubCore) -> list[Route]:
    citizen = hub.citizen
    config = hub.config
    limits = CitizenLimits()

    def lang_of(request: Request) -> str:
        return page_lang(request.query_params.get("lang"), config.office.language)

    def refused(request: Request, code: str, message: str, retry_after: float = 0) -> Response:
        """The one error shape for the page's script, a page with the citizen's words for a browser."""
        error = ApiError(code, message)
        headers = dict(PAGE_HEADERS)
        if retry_after:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        if wants_json(request.headers.get("accept", "")):
            return JSONResponse(error_body(code, message), status_code=error.status, headers=headers)
        lang = lang_of(request)
        words = WORDS[lang]
        text = words["too_many"] if code == "rate_limited" else words.get(code, message)
        return HTMLResponse(render_code_page(lang=lang, code_url="/t", message=text), status_code=error.status,
                            headers=headers)

    def served_at(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def internet_url(request: Request, token: str) -> str | None:
        server = config.sync.server_url.rstrip("/")
        return f"{server}/t/{token}" if server and server != served_at(request) else None

    def page(request: Request, view: dict, message: str | None = None, kind: str | None = None,
             status: int = 200) -> Response:
        html = render_ticket_page(view, lang=lang_of(request), levels=config.levels, reasons=config.reasons,
                                  timezone=config.office.timezone, message=message, message_kind=kind,
                                  internet_url=internet_url(request, request.path_params["token"]))
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    async def code_form(request: Request) -> Response:
        typed = request.query_params.get("code")
        lang = lang_of(request)
        if typed is None:
            return HTMLResponse(render_code_page(lang=lang, code_url="/t"), headers=PAGE_HEADERS)
        wait = limits.code(_address(request))
        if wait:
            return refused(request, "rate_limited", "too many short codes tried from this address", wait)
        code = normalise_code(typed)
        token = citizen.token_for_code(code) if code else None
        if token is None:
            return HTMLResponse(render_code_page(lang=lang, code_url="/t", typed=typed,
                                                 message=WORDS[lang]["code_unknown"]),
                                status_code=404, headers=PAGE_HEADERS)
        return RedirectResponse(f"/t/{token}?lang={lang}", status_code=303, headers=PAGE_HEADERS)

    async def ticket_page(request: Request) -> Response:
        token = request.path_params["token"]
        wait = limits.view(_address(request), token)
        if wait:
            return refused(request, "rate_limited", "too many requests for this page; wait a moment", wait)
        view = await run_in_threadpool(citizen.view, token, served_at(request)) if valid_token_shape(token) else None
        if view is None:
            return refused(request, "not_found", "no ticket has this address")
        if wants_json(request.headers.get("accept", "")):
            return JSONResponse(view, headers=PAGE_HEADERS)
        return page(request, view)

    async def ticket_events(request: Request) -> Response:
        token = request.path_params["token"]
        wait = limits.view(_address(request), token)
        if wait:
            return refused(request, "rate_limited", "too many requests for this page; wait a moment", wait)
        if not valid_token_shape(token) or citizen.find(token) is None:
            return refused(request, "not_found", "no ticket has this address")
        base = served_at(request)
        queue = hub.broadcaster.open()  # before the first view, so no change falls in between

        async def stream():
            last = None
            try:
                yield b"retry: 2000\n\n"
                while True:
                    view = await run_in_threadpool(citizen.view, token, base)
                    if view is None:
                        return
                    same = {k: v for k, v in view.items() if k != "as_of"}
                    if same != last:
                        last = same
                        yield format_event("ticket", view)
                    try:
                        message = await asyncio.wait_for(queue.get(), hub.ping_interval_s)
                    except TimeoutError:
                        yield b": ping\n\n"
                        continue
                    while isinstance(message, bytes) and not queue.empty():
                        message = queue.get_nowait()  # a burst of changes: one new view
                    if not isinstance(message, bytes):
                        return  # the hub is stopping, or this client fell too far behind
            finally:
                hub.broadcaster.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={**PAGE_HEADERS, "X-Accel-Buffering": "no"})

    async def rate(request: Request) -> Response:
        token = request.path_params["token"]
        wait = limits.rating(_address(request), token)
        if wait:
            return refused(request, "rate_limited", "too many ratings sent; try again later", wait)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return refused(request, "too_large", f"the rating is larger than {MAX_BODY_BYTES} bytes")
        if not valid_token_shape(token):
            return refused(request, "not_found", "no ticket has this address")
        try:
            await run_in_threadpool(citizen.rate, token, body, request.headers.get("content-type", ""))
        except ApiError as exc:
            if exc.status != 409 or wants_json(request.headers.get("accept", "")):
                return refused(request, exc.code, exc.message)
            view = await run_in_threadpool(citizen.view, token, served_at(request))
            return page(request, view, refusal_message(exc.code, lang_of(request)), "error", exc.status)
        if wants_json(request.headers.get("accept", "")):
            return JSONResponse({"rated": True, "channel": "phone"}, status_code=201, headers=PAGE_HEADERS)
        view = await run_in_threadpool(citizen.view, token, served_at(request))
        return page(request, view, WORDS[lang_of(request)]["thanks"], "ok", 201)

    return [
        Route("/t", code_form),
        Route("/t/{token}", ticket_page),
        Route("/t/{token}/events", ticket_events),
        Route("/t/{token}/rating", rate, methods=["POST"]),
    ]
