"""The HTTP API devices talk to: enroll, upload batches, fetch the office configuration.

Contract (DESIGN.md §4):

* ``POST /api/v1/devices/enroll`` ``{code}`` → ``{device_id, office_id, token}``.
* ``POST /api/v1/batches`` (``Authorization: Bearer <device token>``) with
  ``{batch_id, sent_at, records, pending?, quarantined?, app_version?}`` → ``200 {results: [{id, status, error?}]}``
  in the order sent; ``status`` is ``accepted``, ``duplicate`` (already stored: success) or
  ``rejected`` (with ``error``). An empty ``records`` list is a heartbeat. The office and the
  device come from the token, never from the body. Unknown envelope keys are ignored (newer
  devices may send more); unknown *record* fields reject that record.
* ``GET /api/v1/devices/config`` (device token) → the office configuration without secrets,
  with an ``ETag``; ``If-None-Match`` with the same tag → ``304``.

Limits: at most ``max_batch_records`` records (1,000) and ``max_body_bytes`` (2 MB) per
request → ``413``; each device has a rate limit, kept in the database (``sync.server.limits``)
→ ``429`` with ``Retry-After``.
Every authenticated call records the device's last-seen time, and the batch envelope its
reported state as of that moment — its backlog once the batch is stored (``pending``), the
records it keeps refused (``quarantined``) — ``app_version`` and clock skew (``received − sent_at``).

The body is read by ``sync.api.web.read_json_body`` rather than a pydantic model so that size
limits apply before parsing and every kind of malformed input gets our own clear error.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from sync.api.security import bearer_token, retry_after
from sync.api.web import read_json_body
from sync.server.batches import parse_batch_envelope, store_batch
from sync.server.devices import device_for_token, enroll_device, office_config_for
from sync.server.errors import ApiError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["devices"])


def _device(request: Request) -> tuple[dict, float]:
    """The device behind the token and its rate-limit answer (kept in the database, so every
    server process counts the same uploads), in one transaction."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise ApiError("unauthorized", "missing device token: send 'Authorization: Bearer <token>'")
    with request.app.state.db.begin() as s:
        device = device_for_token(s, token)
        if device is None:
            raise ApiError("unauthorized", "unknown or revoked device token: enroll this device again")
        wait = request.app.state.device_limit.take(s.connection(), f"device|{device.id}")
        return {"id": device.id, "office_id": device.office_id}, wait


async def _authorised_device(request: Request) -> dict:
    device, wait = await run_in_threadpool(_device, request)
    if wait:
        retry = str(retry_after(wait))
        raise ApiError("rate_limited", f"too many requests from this device: retry in {retry} s",
                       {"Retry-After": retry})
    return device


_BATCH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["batch_id", "sent_at", "records"],
        "properties": {
            "batch_id": {"type": "string", "format": "uuid"},
            "sent_at": {"type": "string", "format": "date-time"},
            "records": {"type": "array", "maxItems": 1000, "items": {"type": "object"},
                        "description": "records of schema v1 (sync/records.py); empty = heartbeat"},
            "pending": {"type": "integer", "minimum": 0,
                        "description": "records left on the device once this batch is stored"},
            "quarantined": {"type": "integer", "minimum": 0,
                            "description": "records the server refused, kept on the device"},
            "app_version": {"type": "string", "maxLength": 64}}}}},
}
_ERROR = {"content": {"application/json": {"example": {"error": {"code": "…", "message": "…"}}}}}


@router.post("/batches", openapi_extra={"requestBody": _BATCH_BODY}, responses={
    200: {"description": "one result per record, in order",
          "content": {"application/json": {"example": {"results": [
              {"id": "3f0c…", "status": "accepted"}, {"id": "9a1d…", "status": "rejected",
                                                        "error": "score: expected an integer 1..10, found 0"}]}}}},
    401: {"description": "missing, unknown or revoked device token", **_ERROR},
    413: {"description": "body over 2 MB or more than 1,000 records", **_ERROR},
    422: {"description": "malformed envelope", **_ERROR},
    429: {"description": "rate limited (see Retry-After)", **_ERROR}})
async def post_batch(request: Request):
    """Upload a batch of records (ratings, ticket snapshots) from an enrolled device."""
    settings = request.app.state.settings
    device = await _authorised_device(request)
    body = await read_json_body(request, settings.max_body_bytes)
    batch = parse_batch_envelope(body, settings.max_batch_records)
    results = await run_in_threadpool(store_batch, request.app.state.db, device, batch, datetime.now(UTC))
    return JSONResponse({"results": results})


_ENROLL_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["code"],
        "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 64}}}}},
}


@router.post("/devices/enroll", openapi_extra={"requestBody": _ENROLL_BODY}, responses={
    200: {"description": "the new device's id, office and bearer token (shown once)",
          "content": {"application/json": {"example": {"device_id": "tablet-1a2b3c4d5e6f",
                                                        "office_id": "phuong-ben-thanh", "token": "…"}}}},
    403: {"description": "unknown, used or expired code", **_ERROR},
    429: {"description": "too many attempts", **_ERROR}})
async def post_enroll(request: Request):
    """Enroll a device with a one-time code created by an admin."""
    client = request.client.host if request.client else "unknown"

    def limited() -> float:
        with request.app.state.db.begin() as s:
            return request.app.state.login_limit.take(s.connection(), f"enroll|{client}")

    wait = await run_in_threadpool(limited)
    if wait:
        retry = str(retry_after(wait))
        raise ApiError("rate_limited", f"too many enrollment attempts: retry in {retry} s", {"Retry-After": retry})
    body = await read_json_body(request, 4096)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise ApiError("invalid_request", "expected {\"code\": \"XXXX-XXXX-XXXX\"}")

    def work():
        with request.app.state.db.begin() as s:
            return enroll_device(s, code)

    enrollment = await run_in_threadpool(work)
    return {"device_id": enrollment.device_id, "office_id": enrollment.office_id, "token": enrollment.token}


@router.get("/devices/config", responses={
    200: {"description": "the office configuration without secrets; ETag header"},
    304: {"description": "unchanged since the ETag in If-None-Match"},
    401: {"description": "missing, unknown or revoked device token", **_ERROR}})
async def get_config(request: Request):
    """The device's office configuration (services, counters, clerks, rating scale; no secrets)."""
    device = await _authorised_device(request)

    def work():
        with request.app.state.db.begin() as s:
            return office_config_for(s, device["id"], device["office_id"])

    found = await run_in_threadpool(work)
    if found is None:
        raise ApiError("not_found", f"office {device['office_id']!r} is not registered on the server")
    config_json, etag = found
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    wanted = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(config_json, media_type="application/json", headers=headers)
