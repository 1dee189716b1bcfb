"""The HTTP API devices talk to: enroll, upload batches, fetch the office configuration.

Contract (DESIGN.md §4):

* ``POST /api/v1/devices/enroll`` ``{code}`` → ``{device_id, office_id, token}``.
* ``POST /api/v1/batches`` (``Authorization: Bearer <device token>``) with
  ``{batch_id, sent_at, records, pending?, app_version?}`` → ``200 {results: [{id, status, error?}]}``
  in the order sent; ``status`` is ``accepted``, ``duplicate`` (already stored: success) or
  ``rejected`` (with ``error``). An empty ``records`` list is a heartbeat. The office and the
  device come from the token, never from the body. Unknown envelope keys are ignored (newer
  devices may send more); unknown *record* fields reject that record.
* ``GET /api/v1/devices/config`` (device token) → the office configuration without secrets,
  with an ``ETag``; ``If-None-Match`` with the same tag → ``304``.

Limits: at most ``max_batch_records`` records (1,000) and ``max_body_bytes`` (2 MB) per
request → ``413``; each device has a token bucket of requests → ``429`` with ``Retry-After``.
Every authenticated call records the device's last-seen time, and the batch envelope its
reported backlog (``pending``), ``app_version`` and clock skew (``received − sent_at``).

The body is read and parsed here by hand rather than by a pydantic model so that size limits
apply before parsing and every kind of malformed input gets our own clear error.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select, update

from sync.server.devices import device_for_token, enroll_device
from sync.server.errors import ApiError
from sync.server.ingest import ingest_records, load_office_facts
from sync.server.models import Device, Office

__all__ = ["parse_batch_envelope", "read_json_body", "router"]

router = APIRouter(prefix="/api/v1", tags=["devices"])


async def read_json_body(request: Request, limit: int):
    """The request body parsed as JSON, refusing more than ``limit`` bytes (413) and bad JSON (400)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(413, "too_large", f"request body over {limit} bytes")
        except ValueError:
            raise ApiError(400, "bad_request", "invalid Content-Length header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"request body over {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise ApiError(400, "invalid_json", "empty body: send a JSON object")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from None


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "missing device token: send 'Authorization: Bearer <token>'",
                       {"WWW-Authenticate": "Bearer"})
    return token.strip()


def _device(request: Request) -> dict:
    token = _bearer_token(request)
    with request.app.state.db.session() as s:
        device = device_for_token(s, token)
        if device is None:
            raise ApiError(401, "unauthorized", "unknown or revoked device token: enroll this device again",
                           {"WWW-Authenticate": "Bearer"})
        return {"id": device.id, "office_id": device.office_id}


async def _authorised_device(request: Request) -> dict:
    device = await run_in_threadpool(_device, request)
    wait = request.app.state.device_limiter.take(device["id"])
    if wait:
        retry = str(max(1, math.ceil(wait)))
        raise ApiError(429, "rate_limited", f"too many requests from this device: retry in {retry} s",
                       {"Retry-After": retry})
    return device


def parse_batch_envelope(body, max_records: int) -> dict:
    """Check the batch envelope (not the records); raise ApiError naming what is wrong."""
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_batch", "expected a JSON object {batch_id, sent_at, records}")
    problems = []
    batch_id = body.get("batch_id")
    try:
        batch_id = str(uuid.UUID(batch_id)) if isinstance(batch_id, str) else None
    except ValueError:
        batch_id = None
    if batch_id is None:
        problems.append("batch_id: expected a UUID string")
    sent_at = body.get("sent_at")
    parsed_sent = None
    if isinstance(sent_at, str):
        try:
            parsed_sent = datetime.fromisoformat(sent_at)
        except ValueError:
            pass
    if parsed_sent is None or parsed_sent.tzinfo is None:
        problems.append("sent_at: expected an ISO-8601 timestamp with UTC offset, e.g. 2025-07-01T08:00:00+07:00")
    records = body.get("records")
    if not isinstance(records, list):
        problems.append("records: expected a list of records (empty for a heartbeat)")
    pending = body.get("pending")
    if pending is not None and (isinstance(pending, bool) or not isinstance(pending, int)
                                or not 0 <= pending <= 10**9):
        problems.append("pending: expected a whole number >= 0")
    app_version = body.get("app_version")
    if app_version is not None and (not isinstance(app_version, str) or len(app_version) > 64):
        problems.append("app_version: expected text of at most 64 characters")
    if problems:
        raise ApiError(422, "invalid_batch", "; ".join(problems))
    if len(records) > max_records:
        raise ApiError(413, "too_many_records", f"{len(records)} records in one batch; at most {max_records}")
    return {"batch_id": batch_id, "sent_at": parsed_sent, "records": records, "pending": pending,
            "app_version": app_version}


_BATCH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["batch_id", "sent_at", "records"],
        "properties": {
            "batch_id": {"type": "string", "format": "uuid"},
            "sent_at": {"type": "string", "format": "date-time"},
            "records": {"type": "array", "maxItems": 1000, "items": {"type": "object"},
                        "description": "records of schema v1 (sync/records.py); empty = heartbeat"},
            "pending": {"type": "integer", "minimum": 0},
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
    received = datetime.now(UTC)
    db = request.app.state.db

    def work():
        with db.engine.begin() as conn:
            # Device row first: concurrent batches of one device queue here, so by the time a
            # second copy of a batch inserts, the first one's rows are committed and visible.
            conn.execute(update(Device).where(Device.id == device["id"]).values(
                last_seen_at=received, clock_skew_s=(received - batch["sent_at"]).total_seconds(),
                **({"pending": batch["pending"]} if batch["pending"] is not None else {}),
                **({"app_version": batch["app_version"]} if batch["app_version"] is not None else {})))
            if not batch["records"]:
                return []
            office = load_office_facts(conn, device["office_id"])
            if office is None:
                raise ApiError(409, "office_missing", f"office {device['office_id']!r} is not registered "
                                                      "on the server (sync-server import-office)")
            return ingest_records(conn, office, device["id"], batch["records"], received).results

    results = await run_in_threadpool(work)
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
    wait = request.app.state.login_limiter.take(f"enroll|{client}")
    if wait:
        retry = str(max(1, math.ceil(wait)))
        raise ApiError(429, "rate_limited", f"too many enrollment attempts: retry in {retry} s",
                       {"Retry-After": retry})
    body = await read_json_body(request, 4096)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise ApiError(422, "invalid_request", "expected {\"code\": \"XXXX-XXXX-XXXX\"}")

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
        with request.app.state.db.engine.begin() as conn:
            conn.execute(update(Device).where(Device.id == device["id"])
                         .values(last_seen_at=datetime.now(UTC)))
            return conn.execute(select(Office.config_json, Office.config_etag)
                                .where(Office.id == device["office_id"])).first()

    row = await run_in_threadpool(work)
    if row is None:
        raise ApiError(404, "office_missing", f"office {device['office_id']!r} is not registered on the server")
    headers = {"ETag": row.config_etag, "Cache-Control": "no-cache"}
    wanted = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]
    if row.config_etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(row.config_json, media_type="application/json", headers=headers)
