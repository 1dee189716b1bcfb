"""The hub's routes on the office LAN (Starlette): JSON API, SSE stream and pages, serving a
``kiosk.hub.core.HubCore`` (this module owns no state of its own).

Routes (all JSON unless said otherwise)::

    POST /api/v1/tickets                         {service_id, priority?}  -> the new ticket
    POST /api/v1/counters/{id}/login             {clerk_id, pin}          (counter token)
    POST /api/v1/counters/{id}/logout                                     (counter token)
    POST /api/v1/counters/{id}/call-next | recall | no-show | finish | pause | resume
    POST /api/v1/counters/{id}/transfer          {to_service_id?, to_counter_id?}
    POST /api/v1/counters/{id}/requeue           {ticket_id}
    GET  /api/v1/state                           the whole queue, counters, faults
    GET  /api/v1/counters/{id}                   what the counter's tablet needs
    GET  /api/v1/events                          server-sent events (see kiosk/hub/events.py)
    GET  /api/v1/announcements/{counter}/{number}.wav   the voice call (chime + speech)
    GET  /api/v1/clerks/{id}/photo               the clerk's photo (shown on the tablet)
    GET  /api/v1/counters/{id}/auth              200 when the counter token is right (console check)
    GET  /api/v1/tickets/day.csv[?day=YYYY-MM-DD] the day's tickets as CSV (any counter's token)
    GET  /media/{name}                           a picture or video of ``hub.display_media``
    GET  /console, /display                      the clerk console and the lobby display

Counter operations need ``Authorization: Bearer <counters[].token>`` of that counter (401
otherwise); reading needs nothing, because the lobby TV and the tablets only watch. Errors
are ``{"error": code, "message": text}``: 400 for a bad body, 401 bad token, 403 wrong PIN,
404 unknown counter/ticket, 409 when the queue's state forbids the operation (e.g. finish
with nothing called), 503 when the disk refused to save (nothing changed). Bad input never
produces a 500. ``photo_url`` and ``announcement_url`` in answers and events are paths on
the hub (join them to the hub's address).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kiosk.hub.core import HubCore
from kiosk.hub.day_csv import DAY_RE, day_csv, tickets_of_day
from kiosk.hub.events import format_event
from kiosk.hub.voice import VoiceUnavailable
from kiosk.queue import QueueError

__all__ = ["WEB_DIR", "build_web_app"]

WEB_DIR = Path(__file__).resolve().parent / "web"
MAX_BODY_BYTES = 16 * 1024

_STATUS = {
    "unknown_service": 400, "bad_priority": 400, "bad_transfer": 400, "unknown_counter": 400,
    "unknown_ticket": 404, "bad_login": 403, "storage_failed": 503,
}


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


async def _body(request: Request, allowed: dict[str, tuple[type, ...]], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked field by field; raises ``_ApiError`` (400/413)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise _ApiError(413, "body_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _ApiError(400, "bad_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _ApiError(400, "bad_body", "the body must be a JSON object")
    for name in data:
        if name not in allowed:
            raise _ApiError(400, "unknown_field", f"unknown field {name!r} (allowed: {', '.join(allowed) or 'none'})")
    for name in required:
        if name not in data:
            raise _ApiError(400, "missing_field", f"field {name!r} is required")
    for name, value in data.items():
        types = allowed[name]
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            expected = " or ".join("null" if t is type(None) else {"str": "text", "int": "a whole number",
                                                                   "bool": "true or false"}.get(t.__name__, t.__name__)
                                   for t in types)
            raise _ApiError(400, "bad_field", f"field {name!r} must be {expected}, found {json.dumps(value)}")
    return data


def build_web_app(hub: HubCore) -> Starlette:
    config = hub.config
    engine = hub.engine

    def counter_or_404(request: Request) -> int:
        counter_id = request.path_params["counter_id"]
        try:
            config.counter(counter_id)
        except KeyError:
            known = ", ".join(str(c.id) for c in config.counters)
            raise _ApiError(404, "unknown_counter", f"unknown counter {counter_id} (known: {known})") from None
        return counter_id

    def authorize(request: Request, counter_id: int) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        expected = config.counter(counter_id).token
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise _ApiError(401, "bad_token", f"this needs counter {counter_id}'s token "
                                              f"(Authorization: Bearer <token>)")

    def authorize_staff(request: Request) -> None:
        """Any counter's token: reading the day's tickets is for the office's staff."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip().encode()
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(given, c.token.encode())
                                                 for c in config.counters):
            raise _ApiError(401, "bad_token", "this needs a counter's token (Authorization: Bearer <token>)")

    async def run(fn, *args):
        try:
            return await run_in_threadpool(fn, *args)
        except QueueError as exc:
            raise _ApiError(_STATUS.get(exc.code, 409), exc.code, str(exc)) from None

    def api(handler):
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except _ApiError as exc:
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                return _error(exc.status, exc.code, exc.message, headers)
        return wrapped

    # -- reading ------------------------------------------------------------------------

    @api
    async def state(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(hub.state))

    @api
    async def counter(request: Request) -> Response:
        counter_id = counter_or_404(request)
        return JSONResponse(await run_in_threadpool(engine.counter_view, counter_id))

    async def events(request: Request) -> Response:
        queue = hub.broadcaster.open()
        try:
            first = format_event("state", await run_in_threadpool(hub.state))
        except BaseException:
            hub.broadcaster.discard(queue)
            raise
        return StreamingResponse(hub.broadcaster.stream(queue, first, hub.ping_interval_s),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @api
    async def announcement(request: Request) -> Response:
        counter_id = counter_or_404(request)
        number = request.path_params["number"]
        if not any(number in s.numbers for s in config.services):
            raise _ApiError(404, "unknown_number", f"{number} is not in any service's number block")
        try:
            path = await run_in_threadpool(hub.announcer.path_for, number, counter_id)
        except VoiceUnavailable as exc:
            raise _ApiError(503, "voice_unavailable", str(exc)) from None
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    @api
    async def clerk_photo(request: Request) -> Response:
        clerk_id = request.path_params["clerk_id"]
        try:
            clerk = config.clerk(clerk_id)
        except KeyError:
            raise _ApiError(404, "unknown_clerk", f"unknown clerk {clerk_id!r}") from None
        if not clerk.photo or not config.path(clerk.photo).is_file():
            raise _ApiError(404, "no_photo", f"clerk {clerk_id!r} has no photo")
        return FileResponse(config.path(clerk.photo))

    @api
    async def check_token(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        return JSONResponse({"counter_id": counter_id})

    @api
    async def tickets_csv(request: Request) -> Response:
        authorize_staff(request)
        day = request.query_params.get("day") or (await run_in_threadpool(engine.snapshot))["day"]
        if not DAY_RE.match(day):
            raise _ApiError(400, "bad_day", f"day must be YYYY-MM-DD, found {day!r}")
        tickets = await run_in_threadpool(tickets_of_day, engine, day)
        return Response(day_csv(config, tickets), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="ve-{config.office.id}-{day}.csv"',
                                 "Cache-Control": "no-store"})

    @api
    async def media(request: Request) -> Response:
        name = request.path_params["name"]
        if f"/media/{quote(name)}" not in {m["url"] for m in await run_in_threadpool(hub.display_media)}:
            raise _ApiError(404, "not_found", f"no picture or video {name!r} in hub.display_media")
        return FileResponse(config.path(config.hub.display_media) / name, headers={"Cache-Control": "max-age=300"})

    # -- writing ------------------------------------------------------------------------

    @api
    async def issue(request: Request) -> Response:
        body = await _body(request, {"service_id": (str,), "priority": (bool,)}, ("service_id",))
        ticket = await run(engine.issue, body["service_id"], body.get("priority", False))
        return JSONResponse(engine.ticket_view(ticket), status_code=201)

    def counter_op(method, fields: dict | None = None, required: tuple = (), returns: str = "ticket"):
        @api
        async def handler(request: Request) -> Response:
            counter_id = counter_or_404(request)
            authorize(request, counter_id)
            body = await _body(request, fields or {}, required)
            result = await run(method, counter_id, *[body.get(name) for name in (fields or {})])
            payload = {"counter": await run_in_threadpool(engine.counter_view, counter_id)}
            if returns == "ticket":
                payload["ticket"] = engine.ticket_view(result)
            return JSONResponse(payload)
        return handler

    @api
    async def requeue(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        body = await _body(request, {"ticket_id": (str,)}, ("ticket_id",))
        ticket = await run(engine.requeue, body["ticket_id"])
        return JSONResponse({"ticket": engine.ticket_view(ticket)})

    @api
    async def login(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        body = await _body(request, {"clerk_id": (str,), "pin": (str,)}, ("clerk_id", "pin"))
        view = await run(engine.login, counter_id, body["clerk_id"], body["pin"])
        return JSONResponse({"counter": view})

    # -- pages --------------------------------------------------------------------------

    def page(name: str):
        async def handler(request: Request) -> Response:
            return FileResponse(WEB_DIR / name, media_type="text/html; charset=utf-8",
                                headers={"Cache-Control": "no-cache"})
        return handler

    async def index(request: Request) -> Response:
        return RedirectResponse("/display", status_code=307)

    async def not_found(request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error",
                      exc.detail or "not found")

    ops = "/api/v1/counters/{counter_id:int}"
    routes = [
        Route("/", index),
        Route("/console", page("console.html")),
        Route("/display", page("display.html")),
        Route("/api/v1/state", state),
        Route("/api/v1/events", events),
        Route("/api/v1/tickets", issue, methods=["POST"]),
        Route(ops, counter),
        Route(f"{ops}/auth", check_token),
        Route("/api/v1/tickets/day.csv", tickets_csv),
        Route("/media/{name}", media),
        Route(f"{ops}/login", login, methods=["POST"]),
        Route(f"{ops}/logout", counter_op(engine.logout, returns="counter"), methods=["POST"]),
        Route(f"{ops}/call-next", counter_op(engine.call_next), methods=["POST"]),
        Route(f"{ops}/recall", counter_op(engine.recall), methods=["POST"]),
        Route(f"{ops}/no-show", counter_op(engine.no_show), methods=["POST"]),
        Route(f"{ops}/finish", counter_op(engine.finish), methods=["POST"]),
        Route(f"{ops}/transfer", counter_op(engine.transfer, {"to_service_id": (str, type(None)),
                                                              "to_counter_id": (int, type(None))}),
              methods=["POST"]),
        Route(f"{ops}/pause", counter_op(engine.pause, returns="counter"), methods=["POST"]),
        Route(f"{ops}/resume", counter_op(engine.resume, returns="counter"), methods=["POST"]),
        Route(f"{ops}/requeue", requeue, methods=["POST"]),
        Route("/api/v1/announcements/{counter_id:int}/{number:int}.wav", announcement),
        Route("/api/v1/clerks/{clerk_id}/photo", clerk_photo),
        Mount("/static", StaticFiles(directory=WEB_DIR), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub.broadcaster.bind(asyncio.get_running_loop())
        housekeeping = asyncio.create_task(_housekeeping(hub))
        try:
            yield
        finally:
            housekeeping.cancel()
            hub.broadcaster.bind(None)

    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})


async def _housekeeping(hub: HubCore) -> None:
    """Daily reset and expiry of old no-shows even when nobody touches the queue."""
    while True:
        await asyncio.sleep(hub.housekeeping_s)
        try:
            await run_in_threadpool(hub.engine.tick)
        except Exception as exc:  # noqa: BLE001 — keep serving; the next tick tries again
            hub.report_fault("hub", f"queue housekeeping failed: {exc}")
