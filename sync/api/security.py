"""Secrets and their checks, one implementation for the office hub and the central server.

* ``new_secret`` — a long random secret (bearer tokens, session cookies);
* ``secret_hash`` — what a database keeps of a secret: its SHA-256, so a stolen database
  cannot be replayed; ``same_secret`` compares two secrets in constant time;
* ``hash_password`` / ``verify_password`` / ``password_needs_rehash`` — Argon2id for admin
  passwords (argon2-cffi is imported on first use, so the hub and devices never need it);
* ``bearer_token`` — the token of an ``Authorization: Bearer …`` header, or None;
* ``retry_after`` — seconds to wait, rounded up to the whole seconds a ``Retry-After``
  header carries (at least 1).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from functools import lru_cache

__all__ = ["bearer_token", "hash_password", "new_secret", "password_needs_rehash", "retry_after",
           "same_secret", "secret_hash", "verify_password"]


def new_secret() -> str:
    """A long random secret (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the database keeps of a token, cookie or code: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison (an attacker cannot learn a token character by character)."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at login)."""
    return _hasher().check_needs_rehash(password_hash)


def bearer_token(authorization: str | None) -> str | None:
    """``"Bearer abc"`` → ``"abc"``; None for a missing header, another scheme or no token."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def retry_after(wait_s: float) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least 1."""
    return max(1, math.ceil(wait_s))
