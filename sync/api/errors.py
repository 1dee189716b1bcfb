"""One error type, one JSON shape, one table of codes — for the office hub and the centre alike.

Every expected failure of either web app is an ``ApiError(code, message)`` and is answered as::

    HTTP <status>
    {"error": {"code": "<code>", "message": "<words for people>"}}

``code`` is stable (programs branch on it) and decides the HTTP status through ``CODES``;
``message`` says what is wrong, where, and how to fix it. The table is pure Python so that a
device reading an answer (tablet, uploader, enrollment) uses the same names without
importing a web framework: ``error_of(body)`` gives ``(code, message)`` of any answer.
The codes and their meaning are documented in docs/api.md (a test keeps both equal).
"""

from __future__ import annotations

__all__ = ["CODES", "ApiError", "error_body", "error_of", "status_of"]

# code -> (HTTP status, when it is answered). Grouped by who answers; a code means the same
# fault wherever it appears.
CODES: dict[str, tuple[int, str]] = {
    # -- any request, hub and centre --
    "bad_request": (400, "a query parameter or header is wrong (the message names it)"),
    "invalid_json": (400, "the body is empty where one is needed, or is not valid JSON"),
    "bad_body": (400, "the JSON body is not an object"),
    "unknown_field": (400, "the body has a field this endpoint does not take"),
    "missing_field": (400, "a required field is missing from the body"),
    "bad_field": (400, "a field of the body has the wrong type"),
    "unauthorized": (401, "no bearer token, or one that is unknown, expired or revoked"),
    "forbidden": (403, "signed in, but not allowed to see or do this (e.g. another office)"),
    "not_found": (404, "no such page, endpoint or object"),
    "method_not_allowed": (405, "the endpoint exists but not with this HTTP method"),
    "conflict": (409, "the request conflicts with the stored state"),
    "too_large": (413, "the body is larger than the endpoint accepts"),
    "unsupported_media_type": (415, "the body is not of a type the endpoint reads"),
    "invalid_request": (422, "the body is well-formed JSON but its content is wrong"),
    "rate_limited": (429, "too many requests: wait the seconds of the Retry-After header"),
    "internal": (500, "an unexpected server fault (logged on the server; never caused by input)"),
    "unavailable": (503, "the service cannot answer now; try again later"),
    # -- office hub: queue operations (kiosk/hub, kiosk/queue.py) --
    "unknown_service": (400, "no such service in the office configuration"),
    "unknown_counter": (404, "no such counter in the office configuration"),
    "unknown_ticket": (404, "no such ticket in today's queue"),
    "unknown_number": (404, "the number belongs to no service's number block"),
    "unknown_clerk": (404, "no such clerk in the office configuration"),
    "no_photo": (404, "the clerk has no photo"),
    "bad_priority": (400, "priority is not true or false"),
    "bad_transfer": (400, "the transfer target is missing or the same as now"),
    "bad_day": (400, "the day of the tickets CSV is not written YYYY-MM-DD"),
    "bad_login": (403, "unknown clerk or wrong PIN"),
    "not_logged_in": (409, "no clerk is logged in at the counter"),
    "no_current_ticket": (409, "the counter has no called ticket"),
    "busy": (409, "the counter is still serving a ticket"),
    "paused": (409, "the counter is paused"),
    "queue_empty": (409, "nobody is waiting for the counter"),
    "numbers_exhausted": (409, "every number of the service's block is in use today"),
    "not_no_show": (409, "only a no-show can be put back in the queue"),
    "requeue_window_passed": (409, "the no-show missed its call too long ago to be put back"),
    "invalid": (409, "the queue's state does not allow the operation now"),
    "storage_failed": (503, "the hub's disk refused to save; nothing was changed"),
    "voice_unavailable": (503, "the voice call cannot be made on this hub (espeak-ng missing)"),
    # -- the ticket's page on the citizen's phone, hub and centre (sync/citizen) --
    "already_rated": (409, "the ticket already has a rating (one per ticket, on the tablet or a phone)"),
    "not_served": (409, "the ticket was not served (waiting, cancelled or a no-show): it cannot be rated"),
    "rating_closed": (409, "the ticket was finished longer ago than the rating window"),
    # -- central server: devices (sync/server/web/devices.py) --
    "invalid_batch": (422, "the batch envelope is malformed (the message lists every problem)"),
    "too_many_records": (413, "more records in one batch than the server takes"),
    "office_missing": (409, "the device's office is not registered on the server"),
    "bad_code": (403, "unknown enrollment code"),
    "code_used": (403, "the enrollment code was already used"),
    "code_expired": (403, "the enrollment code has expired"),
    # -- central server: admins (sync/server/web/auth.py, dashboard) --
    "bad_credentials": (401, "wrong username or password"),
    "account_locked": (403, "too many wrong passwords: the account is locked for a while"),
    "csrf": (403, "a dashboard form came without its session's CSRF token"),
}


def status_of(code: str) -> int:
    """The HTTP status a code is answered with (500 for a code missing from the table)."""
    entry = CODES.get(code)
    return entry[0] if entry else 500


class ApiError(Exception):
    """An expected failure: a code of ``CODES``, words for people and optional headers
    (e.g. ``Retry-After``). The root of every error the hub's and the centre's code raise on
    purpose; the web layer (``sync.api.web``) turns it into the JSON shape above."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None):
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}: add it to sync.api.errors.CODES")
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = CODES[code][0]
        self.headers = headers or {}

    def body(self) -> dict:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict:
    """The one JSON error shape: ``{"error": {"code": …, "message": …}}``."""
    return {"error": {"code": code, "message": message}}


def error_of(body) -> tuple[str | None, str | None]:
    """``(code, message)`` of a parsed answer in the shape above; ``(None, None)`` otherwise."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)
