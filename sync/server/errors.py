"""Errors of the central server. Every failure it raises on purpose is an ``ApiError`` — THE
error type of hub and centre (``sync.api.errors``: one JSON shape, one table of codes) — so a
service refuses with a code and words, and the web layer answers it the same way everywhere.

The two subclasses here say *where* a refusal came from, for callers that handle it:
``AuthError`` (a login refused: ``bad_credentials`` or ``account_locked``) and
``SchemaOutdated`` (the database is older than this server: ``sync-server migrate`` first).
"""

from __future__ import annotations

from sync.api.errors import ApiError

__all__ = ["ApiError", "AuthError", "SchemaOutdated"]


class AuthError(ApiError):
    """A login refused; the caller still commits, so failed-attempt counts are kept."""


class SchemaOutdated(ApiError):
    def __init__(self, message: str):
        super().__init__("unavailable", message)
