"""Admins: passwords, login with lockout, bearer tokens for scripts, dashboard sessions, CSRF.

Who can see what: a ``province_admin`` sees every office; an ``office_manager`` sees only the
office in their ``office_id``. Every page and API that shows data asks ``Principal.scope``
which offices a request may touch (``office_ids_for``) — that one function is where scoping
is decided, so it is tested once and trusted everywhere.

Secrets: passwords are Argon2 hashes; bearer tokens and session cookies are random 32-byte
secrets of which only SHA-256 hashes are stored (a stolen database cannot be replayed).

Login protection, two layers: a per-client token bucket (``login_limiter``: attempts per
minute from one address → 429) and a per-account lockout (``LOCKOUT_AFTER`` wrong passwords
in a row lock the account for ``LOCKOUT_MINUTES``; a correct password resets the count).

Dashboard sessions: cookie ``thuocdo_session`` (HttpOnly, SameSite=Lax, Secure when served
over HTTPS) plus a per-session CSRF token that every form POST must echo back
(``check_csrf``). Scripts use ``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token``
and need no CSRF token because browsers never send that header on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from sync.server.errors import ApiError
from sync.server.models import ROLES, Admin, ApiToken, Office, Session

__all__ = [
    "CSRF_FIELD",
    "LOCKOUT_AFTER",
    "LOCKOUT_MINUTES",
    "SESSION_COOKIE",
    "AuthError",
    "Principal",
    "authenticate",
    "check_csrf",
    "clear_session_cookie",
    "create_admin",
    "create_session",
    "current_admin",
    "end_session",
    "hash_password",
    "issue_api_token",
    "login_allowed",
    "new_secret",
    "optional_admin",
    "principal_for_bearer",
    "principal_for_session",
    "router",
    "secret_hash",
    "set_session_cookie",
    "verify_password",
]

SESSION_COOKIE = "thuocdo_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOCKOUT_AFTER = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD_CHARS = 10

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs as long as a
# wrong password and response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("thuoc-do-no-such-user")


def _now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A long random secret (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the database keeps of a token, cookie or code: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class AuthError(ApiError):
    pass


@dataclass(frozen=True)
class Principal:
    """The admin behind a request. ``csrf_token`` is set for cookie sessions only."""

    admin_id: int
    username: str
    role: str
    office_id: str | None
    csrf_token: str | None = None

    @property
    def is_province_admin(self) -> bool:
        return self.role == "province_admin"

    def can_see(self, office_id: str) -> bool:
        return self.is_province_admin or office_id == self.office_id

    def office_ids_for(self, requested: str | None) -> list[str] | None:
        """Offices a query may touch: ``None`` = all (province admin, no filter), else a list.

        An office manager asking for another office gets 403, never someone else's data.
        """
        if self.is_province_admin:
            return None if not requested else [requested]
        if requested and requested != self.office_id:
            raise ApiError(403, "forbidden", f"you can only see office {self.office_id!r}")
        return [self.office_id]


# --- admins and passwords --------------------------------------------------------------------


def create_admin(db: DbSession, username: str, password: str, role: str, office_id: str | None = None) -> Admin:
    """Add an admin; refuses weak passwords, unknown roles and managers without an office."""
    username = username.strip()
    if not username or len(username) > 100:
        raise ValueError("username: 1 to 100 characters")
    if role not in ROLES:
        raise ValueError(f"role: expected one of {', '.join(ROLES)}, found {role!r}")
    if role == "office_manager":
        if not office_id:
            raise ValueError("office: an office manager needs --office ID")
        if db.get(Office, office_id) is None:
            raise ValueError(f"office: unknown office {office_id!r} (import it first: sync-server import-office)")
    elif office_id:
        raise ValueError("office: a province admin sees every office; leave --office out")
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"password: at least {MIN_PASSWORD_CHARS} characters")
    if db.scalar(select(Admin).where(Admin.username == username)) is not None:
        raise ValueError(f"username: {username!r} already exists")
    admin = Admin(username=username, password_hash=hash_password(password), role=role, office_id=office_id,
                  failed_logins=0, created_at=_now())
    db.add(admin)
    db.flush()
    return admin


def authenticate(db: DbSession, username: str, password: str) -> Admin:
    """Check a username and password, applying the lockout; raise ``AuthError`` on failure.

    The caller commits (so failed-attempt counts are kept even when login fails).
    """
    now = _now()
    admin = db.scalar(select(Admin).where(Admin.username == username))
    if admin is None:
        verify_password(_DUMMY_HASH, password)
        raise AuthError(401, "bad_credentials", "wrong username or password")
    if admin.locked_until and admin.locked_until > now:
        minutes = max(1, int((admin.locked_until - now).total_seconds() // 60) + 1)
        raise AuthError(403, "account_locked",
                        f"too many wrong passwords: account locked for {minutes} more minute(s)")
    if not verify_password(admin.password_hash, password):
        admin.failed_logins += 1
        if admin.failed_logins >= LOCKOUT_AFTER:
            admin.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
            admin.failed_logins = 0
            raise AuthError(403, "account_locked",
                            f"too many wrong passwords: account locked for {LOCKOUT_MINUTES} minutes")
        raise AuthError(401, "bad_credentials", "wrong username or password")
    admin.failed_logins = 0
    admin.locked_until = None
    if _hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = hash_password(password)
    return admin


def _principal(admin: Admin, csrf: str | None = None) -> Principal:
    return Principal(admin.id, admin.username, admin.role, admin.office_id, csrf)


# --- bearer tokens and sessions ----------------------------------------------------------------


def issue_api_token(db: DbSession, admin: Admin, ttl_s: int) -> tuple[str, datetime]:
    now = _now()
    token = new_secret()
    expires = now + timedelta(seconds=ttl_s)
    db.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    db.add(ApiToken(token_hash=secret_hash(token), admin_id=admin.id, created_at=now, expires_at=expires))
    return token, expires


def create_session(db: DbSession, admin: Admin, ttl_s: int) -> tuple[str, str]:
    """Start a dashboard session: returns (cookie value, CSRF token)."""
    now = _now()
    cookie = new_secret()
    csrf = secrets.token_urlsafe(24)
    db.execute(delete(Session).where(Session.expires_at < now))
    db.add(Session(token_hash=secret_hash(cookie), admin_id=admin.id, csrf_token=csrf, created_at=now,
                   expires_at=now + timedelta(seconds=ttl_s)))
    return cookie, csrf


def end_session(db: DbSession, cookie: str | None) -> None:
    if cookie:
        db.execute(delete(Session).where(Session.token_hash == secret_hash(cookie)))


def principal_for_bearer(db: DbSession, token: str) -> Principal | None:
    row = db.get(ApiToken, secret_hash(token))
    if row is None or row.expires_at <= _now():
        return None
    admin = db.get(Admin, row.admin_id)
    return _principal(admin) if admin else None


def principal_for_session(db: DbSession, cookie: str) -> Principal | None:
    row = db.get(Session, secret_hash(cookie))
    if row is None or row.expires_at <= _now():
        return None
    admin = db.get(Admin, row.admin_id)
    return _principal(admin, row.csrf_token) if admin else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _lookup(request: Request) -> Principal | None:
    db = request.app.state.db
    token = _bearer(request)
    with db.session() as s:
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
        raise ApiError(401, "unauthorized", "sign in first: admin bearer token or dashboard session needed",
                       {"WWW-Authenticate": "Bearer"})
    return principal


def check_csrf(principal: Principal, submitted: str | None) -> None:
    """For state-changing requests: a cookie session must echo its CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``). Bearer-token requests pass."""
    if principal.csrf_token is None:
        return
    if not submitted or not hmac.compare_digest(submitted, principal.csrf_token):
        raise ApiError(403, "csrf", "the form expired or came from another site: reload the page and try again")


def set_session_cookie(response, cookie: str, request: Request, ttl_s: int) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=ttl_s, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def login_allowed(request: Request, username: str) -> None:
    """Per-client login rate limit (429 + Retry-After); used by the token API and the dashboard."""
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.login_limiter.take(f"{client}|{username.lower()}")
    if wait:
        retry = str(max(1, int(wait + 0.999)))
        raise ApiError(429, "rate_limited", f"too many login attempts: wait {retry} s", {"Retry-After": retry})


# --- POST /api/v1/auth/token ----------------------------------------------------------------------

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
    from sync.server.device_api import read_json_body

    body = await read_json_body(request, 16 * 1024)
    if not isinstance(body, dict) or set(body) != {"username", "password"} \
            or not all(isinstance(body[k], str) and body[k] and "\x00" not in body[k] for k in body):
        raise ApiError(422, "invalid_request", "expected {\"username\": text, \"password\": text}")
    login_allowed(request, body["username"])
    settings = request.app.state.settings

    def work():
        with request.app.state.db.session() as s:
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
