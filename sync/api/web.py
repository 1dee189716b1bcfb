"""The Starlette side of the HTTP contract: error answers and the one request-body reader.

``install_error_handlers(app)`` makes a Starlette app (the hub) or a FastAPI app (the centre)
answer every ``ApiError`` — and the framework's own 404/405, FastAPI's 422 and any unexpected
exception — in the one JSON shape of ``sync.api.errors``; bad input never produces a bare 500.

``read_json_body(request, limit)`` reads a body with a size bound checked *before* parsing
(``Content-Length`` first, then while streaming) and parses it as JSON, raising ``ApiError``
``too_large`` / ``invalid_json`` / ``bad_request``. ``json_object`` then checks an object's
fields against the types an endpoint takes (the hub's small bodies).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from sync.api.errors import CODES, ApiError, error_body

__all__ = ["error_response", "install_error_handlers", "json_object", "read_json_body"]

log = logging.getLogger("sync.api")

_BY_STATUS = {status: code for code, (status, _) in reversed(list(CODES.items()))}
_EMPTY = object()


def error_response(exc: ApiError) -> JSONResponse:
    headers = dict(exc.headers)
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers or None)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc)


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    code = _BY_STATUS.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal")
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    from starlette.requests import ClientDisconnect

    if isinstance(exc, ClientDisconnect):  # an ordinary event on a bad network: one line, no traceback
        client = request.client.host if request.client else "unknown"
        log.warning("client %s disconnected before its request to %s was read in full", client, request.url.path)
        return JSONResponse(error_body("bad_request", "the request ended before its body was complete"),
                            status_code=400)
    log.exception("unexpected server error")
    return JSONResponse(error_body("internal", "internal server error (logged on the server)"), status_code=500)


async def _validation_error(_request: Request, exc) -> JSONResponse:
    """FastAPI's parameter validation (422), in our shape and naming each bad parameter."""
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return JSONResponse(error_body("invalid_request", "; ".join(parts) or "invalid request"), status_code=422)


def install_error_handlers(app) -> None:
    """Answer errors of a Starlette or FastAPI ``app`` in the one JSON error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    try:
        from fastapi.exceptions import RequestValidationError
    except ImportError:  # the hub runs on Starlette alone
        return
    app.add_exception_handler(RequestValidationError, _validation_error)


async def read_json_body(request: Request, limit: int, *, empty: Any = _EMPTY) -> Any:
    """The body parsed as JSON, refusing more than ``limit`` bytes (413 ``too_large``) and bad
    JSON (400 ``invalid_json``). An empty body is refused too unless ``empty`` gives its value."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            raise ApiError("bad_request", "invalid Content-Length header") from None
        if too_big:
            raise ApiError("too_large", f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError("too_large", f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        if empty is _EMPTY:
            raise ApiError("invalid_json", "empty body: send a JSON object")
        return empty
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError("invalid_json", f"body is not valid JSON: {exc}") from None


_TYPE_WORDS = {"str": "text", "int": "a whole number", "bool": "true or false", "NoneType": "null"}


def json_object(data: Any, allowed: dict[str, tuple[type, ...]], required: tuple[str, ...] = ()) -> dict:
    """Check that ``data`` is an object with only ``allowed`` fields of the allowed types and
    every ``required`` one; raise ``ApiError`` naming the first field at fault."""
    if not isinstance(data, dict):
        raise ApiError("bad_body", "the body must be a JSON object")
    for name in data:
        if name not in allowed:
            raise ApiError("unknown_field", f"unknown field {name!r} (allowed: {', '.join(allowed) or 'none'})")
    for name in required:
        if name not in data:
            raise ApiError("missing_field", f"field {name!r} is required")
    for name, value in data.items():
        types = allowed[name]
        ok = bool in types if isinstance(value, bool) else isinstance(value, types)
        if not ok:
            expected = " or ".join(_TYPE_WORDS.get(t.__name__, t.__name__) for t in types)
            raise ApiError("bad_field", f"field {name!r} must be {expected}, found {json.dumps(value)}")
    return data
