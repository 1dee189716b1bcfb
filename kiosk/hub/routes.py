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
    POST /api/v1/counters/{id}/rated             {ticket_id}  the tablet stored a rating of it (counter token)
    GET  /api/v1/openapi.json                    this API as OpenAPI 3 (``kiosk.hub.openapi``)
    GET  /console, /display                      the clerk console and the lobby display
    GET  /t, /t/{token}, …                       the citizen's phone page (kiosk/hub/citizen_routes.py)

Counter operations need ``Authorization: Bearer <counters[].token>`` of that counter (401
otherwise); reading needs nothing, because the lobby TV and the tablets only watch. Errors
are the shape and codes every Thước Đo API answers with (``sync.api.errors``, docs/api.md):
``{"error": {"code", "message"}}`` — 400 for a bad body, 401 bad token, 403 wrong PIN,
404 unknown counter/ticket, 409 when the queue's state forbids the operation (e.g. finish
with nothing called), 503 when the disk refused to save (nothing changed). Bad input never
produces a 500. ``photo_url`` and ``announcement_url`` in answers and events are paths on
the hub (join them to the hub's address). The answer to issuing a ticket carries
``citizen_url``, the ticket's own page (absolute; see docs/api.md): its token appears in
no other answer or event of the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kiosk.hub.citizen_routes import citizen_routes
from kiosk.hub.core import HubCore
from kiosk.hub.day_csv import DAY_RE, day_csv, tickets_of_day
from kiosk.hub.events import format_event
from kiosk.hub.openapi import hub_openapi
from kiosk.hub.voice import VoiceUnavailable
from kiosk.queue import QueueError
from sync.api.errors import CODES, ApiError
from sync.api.security import bearer_token, same_secret
from sync.api.web import install_error_handlers, json_object, read_json_body

__all__ = ["WEB_DIR", "build_web_app"]

WEB_DIR = Path(__file__).resolve().parent / "web"
MAX_BODY_BYTES = 16 * 1024



def _queue_error(exc: QueueError) -> ApiError:
    """A queue refusal as the API error of the same code (the queue's codes are in the table)."""
    return ApiError(exc.code if exc.code in CODES else "invalid", str(exc))


async def _body(request: Request, allowed: dict[str, tuple[type, ...]], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object (empty body = ``{}``), checked field by field."""
    return json_object(await read_json_body(request, MAX_BODY_BYTES, empty={}), allowed, required)


def build_web_app(hub: HubCore) -> Starlette:
    config = hub.config
    engine = hub.engine

    def counter_or_404(request: Request) -> int:
        counter_id = request.path_params["counter_id"]
        try:
            config.counter(counter_id)
        except KeyError:
            known = ", ".join(str(c.id) for c in config.counters)
            raise ApiError("unknown_counter", f"unknown counter {counter_id} (known: {known})") from None
        return counter_id

    def authorize(request: Request, counter_id: int) -> None:
        token = bearer_token(request.headers.get("authorization"))
        if not same_secret(token, config.counter(counter_id).token):
            raise ApiError("unauthorized", f"this needs counter {counter_id}'s token "
                                           f"(Authorization: Bearer <token>)")

    def authorize_staff(request: Request) -> None:
        """Any counter's token: reading the day's tickets is for the office's staff."""
        token = bearer_token(request.headers.get("authorization"))
        if not any(same_secret(token, c.token) for c in config.counters):
            raise ApiError("unauthorized", "this needs a counter's token (Authorization: Bearer <token>)")

    async def run(fn, *args):
        try:
            return await run_in_threadpool(fn, *args)
        except QueueError as exc:
            raise _queue_error(exc) from None

    # -- reading ------------------------------------------------------------------------

    async def state(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(hub.state))

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

    async def announcement(request: Request) -> Response:
        counter_id = counter_or_404(request)
        number = request.path_params["number"]
        if not any(number in s.numbers for s in config.services):
            raise ApiError("unknown_number", f"{number} is not in any service's number block")
        try:
            path = await run_in_threadpool(hub.announcer.path_for, number, counter_id)
        except VoiceUnavailable as exc:
            raise ApiError("voice_unavailable", str(exc)) from None
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    async def clerk_photo(request: Request) -> Response:
        clerk_id = request.path_params["clerk_id"]
        try:
            clerk = config.clerk(clerk_id)
        except KeyError:
            raise ApiError("unknown_clerk", f"unknown clerk {clerk_id!r}") from None
        if not clerk.photo or not config.path(clerk.photo).is_file():
            raise ApiError("no_photo", f"clerk {clerk_id!r} has no photo")
        return FileResponse(config.path(clerk.photo))

    async def check_token(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        return JSONResponse({"counter_id": counter_id})

    async def tickets_csv(request: Request) -> Response:
        authorize_staff(request)
        day = request.query_params.get("day") or (await run_in_threadpool(engine.snapshot))["day"]
        if not DAY_RE.match(day):
            raise ApiError("bad_day", f"day must be YYYY-MM-DD, found {day!r}")
        tickets = await run_in_threadpool(tickets_of_day, engine, day)
        return Response(day_csv(config, tickets), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="ve-{config.office.id}-{day}.csv"',
                                 "Cache-Control": "no-store"})

    async def media(request: Request) -> Response:
        name = request.path_params["name"]
        if f"/media/{quote(name)}" not in {m["url"] for m in await run_in_threadpool(hub.display_media)}:
            raise ApiError("not_found", f"no picture or video {name!r} in hub.display_media")
        return FileResponse(config.path(config.hub.display_media) / name, headers={"Cache-Control": "max-age=300"})

    # -- writing ------------------------------------------------------------------------

    async def issue(request: Request) -> Response:
        body = await _body(request, {"service_id": (str,), "priority": (bool,)}, ("service_id",))
        ticket = await run(engine.issue, body["service_id"], body.get("priority", False))
        answer = engine.ticket_view(ticket)
        answer["citizen_url"] = hub.citizen.page_url(ticket.id)
        answer["citizen_code"] = hub.citizen.code(ticket.id)
        return JSONResponse(answer, status_code=201)

    def counter_op(method, fields: dict | None = None, required: tuple = (), returns: str = "ticket"):
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

    async def requeue(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        body = await _body(request, {"ticket_id": (str,)}, ("ticket_id",))
        ticket = await run(engine.requeue, body["ticket_id"])
        return JSONResponse({"ticket": engine.ticket_view(ticket)})

    async def login(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        body = await _body(request, {"clerk_id": (str,), "pin": (str,)}, ("clerk_id", "pin"))
        view = await run(engine.login, counter_id, body["clerk_id"], body["pin"])
        return JSONResponse({"counter": view})

    async def rated(request: Request) -> Response:
        counter_id = counter_or_404(request)
        authorize(request, counter_id)
        body = await _body(request, {"ticket_id": (str,)}, ("ticket_id",))
        try:
            ticket_id = str(uuid.UUID(body["ticket_id"]))
        except ValueError:
            raise ApiError("bad_field", f"field 'ticket_id' must be a ticket id (a UUID), "
                                        f"found {body['ticket_id']!r}") from None
        added = await run_in_threadpool(hub.citizen.tablet_rated, counter_id, ticket_id)
        return JSONResponse({"ticket_id": body["ticket_id"], "first": added})

    # -- pages --------------------------------------------------------------------------

    def page(name: str):
        async def handler(request: Request) -> Response:
            return FileResponse(WEB_DIR / name, media_type="text/html; charset=utf-8",
                                headers={"Cache-Control": "no-cache"})
        return handler

    async def openapi(request: Request) -> Response:
        return JSONResponse(hub_openapi())

    async def index(request: Request) -> Response:
        return RedirectResponse("/display", status_code=307)

    ops = "/api/v1/counters/{counter_id:int}"
    routes = [
        Route("/", index),
        Route("/console", page("console.html")),
        Route("/display", page("display.html")),
        Route("/api/v1/openapi.json", openapi),
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
        Route(f"{ops}/rated", rated, methods=["POST"]),
        *citizen_routes(hub),
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

    app = Starlette(routes=routes, lifespan=lifespan)
    install_error_handlers(app)
    return app


async def _housekeeping(hub: HubCore) -> None:
    """Daily reset and expiry of old no-shows even when nobody touches the queue."""
    while True:
        await asyncio.sleep(hub.housekeeping_s)
        try:
            await run_in_threadpool(hub.engine.tick)
        except Exception as exc:  # noqa: BLE001 — keep serving; the next tick tries again
            hub.report_fault("hub", f"queue housekeeping failed: {exc}")
