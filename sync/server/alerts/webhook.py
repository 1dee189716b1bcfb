"""Posting an alert to a webhook: JSON, signed with HMAC-SHA256, for bridges to chat apps.

The body is UTF-8 JSON. ``X-ThuocDo-Signature: sha256=<hex>`` is the HMAC-SHA256 of
``<timestamp>.<body>`` with ``server.webhook_secret``, and ``X-ThuocDo-Timestamp`` the Unix
time it was signed at — so a receiver checks authenticity and can refuse replays of old
deliveries. ``X-ThuocDo-Delivery`` is the notification id: the same on every retry, so a
receiver can drop a delivery it already handled (delivery is at least once).

A receiver verifies with ``verify(secret, timestamp, body, signature)``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import requests

__all__ = ["WebhookError", "post", "sign", "verify"]

TIMEOUT_S = 10


class WebhookError(RuntimeError):
    """The receiver did not take the delivery (network error or a non-2xx answer)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def post(url: str, secret: str, body: bytes, delivery_id: int, session: requests.Session | None = None) -> None:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "ThuocDo-alerts/1",
               "X-ThuocDo-Timestamp": timestamp, "X-ThuocDo-Signature": sign(secret, timestamp, body),
               "X-ThuocDo-Delivery": str(delivery_id)}
    try:
        answer = (session or requests).post(url, data=body, headers=headers, timeout=TIMEOUT_S,
                                            allow_redirects=False)
    except requests.RequestException as exc:
        raise WebhookError(f"{url}: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise WebhookError(f"{url}: answered {answer.status_code} {answer.text[:200]!r}")
