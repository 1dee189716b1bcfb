"""The hub's JSON API described as OpenAPI 3 (served at ``GET /api/v1/openapi.json``).

The office's own integrators (a ticket screen of another vendor, a queue report) read what
the hub accepts here, and the test suite fuzzes the hub from it (schemathesis): no input may
make the hub answer 5xx. Kept beside ``kiosk.hub.routes`` and checked against its route
table by that test, so the two cannot drift apart.
"""

from __future__ import annotations

__all__ = ["hub_openapi"]

_ERROR = {"description": "error (the one shape of sync.api.errors)", "content": {"application/json": {"schema": {
    "type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}}}
_COUNTER = {"name": "counter_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_JSON = {"200": {"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}},
         "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "409": _ERROR, "413": _ERROR, "503": _ERROR}


def _body(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"required": bool(required), "content": {"application/json": {"schema": {
        "type": "object", "properties": properties, "required": list(required), "additionalProperties": False}}}}


def _counter_op(summary: str, body: dict | None = None) -> dict:
    op = {"summary": summary, "parameters": [_COUNTER], "security": [{"counterToken": []}], "responses": _JSON}
    if body is not None:
        op["requestBody"] = body
    return {"post": op}


def hub_openapi() -> dict:
    """The document (built fresh: callers may not change a shared one)."""
    ops = "/api/v1/counters/{counter_id}"
    return {
        "openapi": "3.0.3",
        "info": {"title": "Thước Đo office hub", "version": "1",
                 "description": "Queue API of the office hub on the LAN. Counter operations need "
                                "`Authorization: Bearer <counters[].token>`; reading needs nothing."},
        "components": {"securitySchemes": {"counterToken": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/state": {"get": {"summary": "the whole queue, counters and faults", "responses": _JSON}},
            "/api/v1/events": {"get": {"summary": "server-sent events (text/event-stream; never ends)",
                                       "responses": {"200": {"description": "the event stream"}}}},
            "/api/v1/tickets": {"post": {"summary": "issue a ticket", "responses": {**_JSON, "201": _JSON["200"]},
                                         "requestBody": _body({"service_id": {"type": "string"},
                                                               "priority": {"type": "boolean"}}, ("service_id",))}},
            ops: {"get": {"summary": "what the counter's tablet needs", "parameters": [_COUNTER], "responses": _JSON}},
            f"{ops}/auth": {"get": {"summary": "200 when the counter token is right (the console's check)",
                                    "parameters": [_COUNTER], "security": [{"counterToken": []}], "responses": _JSON}},
            "/api/v1/tickets/day.csv": {"get": {
                "summary": "the day's tickets as CSV (any counter's token)", "security": [{"counterToken": []}],
                "parameters": [{"name": "day", "in": "query", "required": False,
                                "schema": {"type": "string", "description": "YYYY-MM-DD (default: today)"}}],
                "responses": {"200": {"description": "text/csv"}, "400": _ERROR, "401": _ERROR}}},
            f"{ops}/rated": _counter_op("the tablet stored a rating of this ticket", _body(
                {"ticket_id": {"type": "string"}}, ("ticket_id",))),
            f"{ops}/login": _counter_op("a clerk logs in with a PIN", _body(
                {"clerk_id": {"type": "string"}, "pin": {"type": "string"}}, ("clerk_id", "pin"))),
            f"{ops}/logout": _counter_op("the clerk logs out"),
            f"{ops}/call-next": _counter_op("call the next ticket"),
            f"{ops}/recall": _counter_op("call the current ticket again"),
            f"{ops}/no-show": _counter_op("the citizen did not come"),
            f"{ops}/finish": _counter_op("the current ticket is done"),
            f"{ops}/transfer": _counter_op("send the current ticket to another service or counter", _body(
                {"to_service_id": {"type": "string", "nullable": True},
                 "to_counter_id": {"type": "integer", "nullable": True}})),
            f"{ops}/pause": _counter_op("pause the counter"),
            f"{ops}/resume": _counter_op("resume the counter"),
            f"{ops}/requeue": _counter_op("put a no-show ticket back in the queue", _body(
                {"ticket_id": {"type": "string"}}, ("ticket_id",))),
            "/api/v1/announcements/{counter_id}/{number}.wav": {"get": {
                "summary": "the voice call (chime + speech), audio/wav",
                "parameters": [_COUNTER, {"name": "number", "in": "path", "required": True,
                                          "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "audio/wav"}, "404": _ERROR, "503": _ERROR}}},
            "/api/v1/clerks/{clerk_id}/photo": {"get": {
                "summary": "the clerk's photo", "responses": {"200": {"description": "an image"}, "404": _ERROR},
                "parameters": [{"name": "clerk_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        },
    }
