"""Is the server's answer a true acknowledgement of the batch sent? (``check_acknowledgement``)

Only a well-formed acknowledgement of *this* batch counts as success: HTTP 200, a JSON
object whose ``results`` list has exactly the ids sent, in the same order, each with a known
status (``accepted``, ``duplicate``, ``rejected``). A Wi-Fi login page answering 200 with
HTML, a redirect, a body cut short, or a list that does not match is an ``AckError`` in plain
words, and the uploader acks nothing. A 429/503 carries the pause the server asked for.

Pure Python (requests): the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import time

import requests

from sync.errors import SyncError
from sync.schedule import RETRY_AFTER_MAX_S

__all__ = ["STATUSES", "AckError", "check_acknowledgement"]

STATUSES = ("accepted", "duplicate", "rejected")


class AckError(SyncError):
    """The server's answer is not a well-formed acknowledgement of the batch sent.

    ``message`` is in plain words for the device's status screen; ``retry_after`` is set
    when the server asked for a pause (429/503).
    """

    def __init__(self, message: str, retry_after: float | None = None, too_big: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.too_big = too_big


def _server_message(response: requests.Response) -> str:
    """The ``{error: {code, message}}`` text of an error reply, if it has one."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            code = f" [{error['code']}]" if error.get("code") else ""
            return f": {error['message']}{code}"
    except ValueError:
        pass
    return ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX_S)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        return min(max(0.0, when.timestamp() - time.time()), RETRY_AFTER_MAX_S)
    except (TypeError, ValueError):
        return None


def check_acknowledgement(response: requests.Response, sent_ids: list[str]) -> list[dict]:
    """Return the per-record results if ``response`` acknowledges exactly ``sent_ids``.

    Raises ``AckError`` (in plain words) for anything else: a non-200 status, a redirect, a
    body that is not JSON (a captive portal's HTML page), a truncated body, or a results list
    whose length, ids, order or statuses differ from the batch sent.
    """
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        return _fail(f"the server answered with a redirect to {where} — probably a Wi-Fi login page "
                     f"or a wrong server address (HTTP {status})")
    if status in (429, 503):
        pause = _retry_after(response)
        wait = f"; it asked to wait {pause:.0f} s" if pause is not None else ""
        what = "too many requests" if status == 429 else "temporarily unavailable"
        raise AckError(f"the server is busy ({what}, HTTP {status}){wait}{_server_message(response)}",
                       retry_after=pause)
    if status in (401, 403):
        return _fail(f"the server refused this device's credentials (HTTP {status}){_server_message(response)} "
                     f"— enroll the device again with a new code")
    if status == 413:
        raise AckError(f"the batch was too big for the server (HTTP 413){_server_message(response)}; "
                       f"sending smaller batches", too_big=True)
    if status >= 500:
        return _fail(f"the server had an internal error (HTTP {status}){_server_message(response)}")
    if status != 200:
        return _fail(f"the server refused the batch (HTTP {status}){_server_message(response)}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        shown = content_type or "no content type"
        return _fail(f"the answer was not the server's acknowledgement but {shown} — probably a Wi-Fi "
                     f"login page (captive portal) or a proxy in the way")
    try:
        body = json.loads(response.content)
    except (ValueError, requests.RequestException):
        return _fail("the server's answer was cut off or is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return _fail("the server's answer has no list of results")
    results = body["results"]
    if len(results) != len(sent_ids):
        return _fail(f"the server acknowledged {len(results)} records but {len(sent_ids)} were sent")
    for position, (result, sent) in enumerate(zip(results, sent_ids)):
        if not isinstance(result, dict) or result.get("id") != sent:
            return _fail(f"the server's result #{position + 1} is not for the record sent in that place")
        if result.get("status") not in STATUSES:
            return _fail(f"the server's result #{position + 1} has an unknown status {result.get('status')!r}")
    return results


def _fail(message: str):
    raise AckError(message)
