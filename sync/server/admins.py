"""Admins: accounts, password login with lockout, bearer tokens, dashboard sessions, scope, CSRF.

Who can see what: a ``province_admin`` sees every office; an ``office_manager`` sees only the
office in their ``office_id``. Every page and API that shows data asks ``Principal.scope``
which offices a request may touch (``office_ids_for``) — that one function is where scoping
is decided, so it is tested once and trusted everywhere.

Secrets (``sync.api.security``): passwords are Argon2 hashes; bearer tokens and session
cookies are random 32-byte secrets of which only SHA-256 hashes are stored.

Per-account lockout: ``LOCKOUT_AFTER`` wrong passwords in a row lock the account for
``LOCKOUT_MINUTES``; a correct password resets the count. Count and lock live in the
``admins`` row and are changed by single UPDATE statements, so several server processes on
one database lock an account as one. (The per-client rate limit of
login attempts is the web layer's: ``sync.server.web.auth.login_allowed``.)

Dashboard sessions carry a per-session CSRF token that every form POST must echo back
(``check_csrf``); bearer-token requests need none because browsers never send that header on
their own. This module holds no HTTP: the web layer reads cookies and headers and calls it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from sync.api.security import hash_password, new_secret, password_needs_rehash, secret_hash, verify_password
from sync.server.errors import ApiError, AuthError
from sync.server.models import ROLES, Admin, ApiToken, Office, Session

__all__ = [
    "LOCKOUT_AFTER",
    "LOCKOUT_MINUTES",
    "MIN_PASSWORD_CHARS",
    "Principal",
    "authenticate",
    "check_csrf",
    "create_admin",
    "create_session",
    "end_session",
    "issue_api_token",
    "principal_for_bearer",
    "principal_for_session",
]

LOCKOUT_AFTER = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD_CHARS = 10



@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a wrong username costs as long as a
    wrong password and response times do not reveal which usernames exist."""
    return hash_password("thuoc-do-no-such-user")


def _now() -> datetime:
    return datetime.now(UTC)


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
            raise ApiError("forbidden", f"you can only see office {self.office_id!r}")
        return [self.office_id]


# --- admins and passwords --------------------------------------------------------------------


def create_admin(db: DbSession, username: str, password: str, role: str, office_id: str | None = None,
                 email: str | None = None) -> Admin:
    """Add an admin; refuses weak passwords, unknown roles and managers without an office.
    ``email`` receives alerts, escalations (province admins) and the daily digest (managers)."""
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
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ValueError(f"email: expected an address like quanly@phuong.gov.vn, found {email!r}")
    admin = Admin(username=username, password_hash=hash_password(password), role=role, office_id=office_id,
                  email=email, failed_logins=0, created_at=_now())
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
        verify_password(_dummy_hash(), password)
        raise AuthError("bad_credentials", "wrong username or password")
    if admin.locked_until and admin.locked_until > now:
        minutes = max(1, int((admin.locked_until - now).total_seconds() // 60) + 1)
        raise AuthError("account_locked", f"too many wrong passwords: account locked for {minutes} more minute(s)")
    if not verify_password(admin.password_hash, password):
        # Counted in the database, in one statement: server processes sharing the database
        # each see every wrong attempt, whichever of them took it.
        failed = db.execute(update(Admin).where(Admin.id == admin.id)
                            .values(failed_logins=Admin.failed_logins + 1).returning(Admin.failed_logins)).scalar_one()
        if failed >= LOCKOUT_AFTER:
            db.execute(update(Admin).where(Admin.id == admin.id)
                       .values(locked_until=now + timedelta(minutes=LOCKOUT_MINUTES), failed_logins=0))
            raise AuthError("account_locked",
                            f"too many wrong passwords: account locked for {LOCKOUT_MINUTES} minutes")
        raise AuthError("bad_credentials", "wrong username or password")
    admin.failed_logins = 0
    admin.locked_until = None
    if password_needs_rehash(admin.password_hash):
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


def check_csrf(principal: Principal, submitted: str | None) -> None:
    """For state-changing requests: a cookie session must echo its CSRF token (the form field
    ``csrf_token`` of every dashboard form). Bearer-token requests pass."""
    if principal.csrf_token is None:
        return
    if not submitted or not hmac.compare_digest(submitted, principal.csrf_token):
        raise ApiError("csrf", "the form expired or came from another site: reload the page and try again")
