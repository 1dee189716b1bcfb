"""Admin authentication over HTTP: the token endpoint and the dependencies admin routes use.

* ``POST /api/v1/auth/token`` ``{username, password}`` → ``{token, expires_at}`` for scripts;
* ``optional_admin`` / ``current_admin`` — FastAPI dependencies: the admin behind a request's
  ``Authorization: Bearer`` token or dashboard session cookie (``thuocdo_session``: HttpOnly,
  SameSite=Lax, Secure when served over HTTPS);
* ``login_allowed`` — per-client rate limit of login attempts (429 + ``Retry-After``), kept in
  the database (``sync.server.limits``) so every server process shares it; the first of the
  two login protections (the per-account lockout is ``sync.server.admins``).

What an admin may do and see is decided in ``sync.server.admins``; this module only finds
who is asking.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session as DbSession

from sync.api.security import bearer_token, retry_after
from sync.api.web import read_json_body
from sync.server.admins import Principal, authenticate, issue_api_token, principal_for_bearer, principal_for_session
from sync.server.errors import ApiError, AuthError

__all__ = ["SESSION_COOKIE", "clear_session_cookie", "current_admin", "login_allowed",
           "optional_admin", "router", "set_session_cookie"]

SESSION_COOKIE = "thuocdo_session"


def _lookup(request: Request) -> Principal | None:
    token = bearer_token(request.headers.get("authorization"))
    with request.app.state.db.session() as s:
        if token:
            return principal_for_bearer(s, token)
        cookie = request.cookies.get(SESSION_COOKIE)
        return principal_for_session(s, cookie) if cookie else None


async def optional_admin(request: Request) -> Principal | None:
    """FastAPI dependency: the signed-in admin (bearer token or session cookie), or None."""
    return await run_in_threadpool(_lookup, request)


async def current_admin(request: Request) -> Principal:
    """FastAPI dependency: the signed-in admin, else 401 ``unauthorized``."""
    principal = await optional_admin(request)
    if principal is None:
        raise ApiError("unauthorized", "sign in first: admin bearer token or dashboard session needed")
    return principal


def set_session_cookie(response, cookie: str, request: Request, ttl_s: int) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=ttl_s, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_allowed(db: DbSession, request: Request, username: str) -> None:
    """Per-client login rate limit (429 + Retry-After), counted on ``db`` (the session that then
    checks the password); used by the token API and the dashboard."""
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.login_limit.take(db.connection(), f"login|{client}|{username.lower()}")
    if wait:
        retry = str(retry_after(wait))
        raise ApiError("rate_limited", f"too many login attempts: wait {retry} s", {"Retry-After": retry})


router = APIRouter(prefix="/api/v1/auth", tags=["admins"])

_TOKEN_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["username", "password"], "additionalProperties": False,
        "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 100},
                       "password": {"type": "string", "minLength": 1, "maxLength": 1000}}}}},
}


@router.post("/token", openapi_extra={"requestBody": _TOKEN_BODY}, responses={
    200: {"description": "a short-lived bearer token",
          "content": {"application/json": {"example": {"token": "…", "expires_at": "2026-01-01T08:00:00+00:00"}}}},
    401: {"description": "wrong username or password"}, 403: {"description": "account locked"},
    429: {"description": "too many attempts"}})
async def issue_token(request: Request):
    """Exchange an admin's username and password for a short-lived bearer token (for scripts)."""
    body = await read_json_body(request, 16 * 1024)
    if not isinstance(body, dict) or set(body) != {"username", "password"} \
            or not all(isinstance(body[k], str) and body[k] and "\x00" not in body[k] for k in body):
        raise ApiError("invalid_request", "expected {\"username\": text, \"password\": text}")
    settings = request.app.state.settings

    def work():
        with request.app.state.db.session() as s:
            login_allowed(s, request, body["username"])
            s.commit()
            try:
                admin = authenticate(s, body["username"], body["password"])
            except AuthError:
                s.commit()
                raise
            token, expires = issue_api_token(s, admin, settings.api_token_ttl_s)
            s.commit()
            return token, expires

    token, expires = await run_in_threadpool(work)
    return {"token": token, "expires_at": expires.isoformat()}
