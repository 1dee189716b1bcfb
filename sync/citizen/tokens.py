"""Ticket tokens: the secret in a ticket's page address, and the short code typed instead.

Why this shape:

* The token is an HMAC-SHA256 of the ticket id under the office's own key, cut to 120 bits
  and written in 24 lower-case base32 letters. Only the office (its hub holds the key) can
  make one; a changed letter matches no ticket (→ 404); the ticket id, which the lobby
  display and the console see, does not reveal it.
* The short code is a second HMAC of the same id (50 bits), 10 characters of Crockford's
  base32 (no I, L, O, U; typed letters are read case-blind and I/L→1, O→0), shown as
  ``K7QX9-MZ4P2`` for phones that cannot scan. It is only a way to find the token: lookups
  are limited per address, so 50 bits cannot be walked.
* Neither is stored in clear outside the hub: ticket records carry ``token_hash`` and
  ``code_hash`` (SHA-256, hex), and the central server finds a ticket by the hash of what
  it is given, the way it already keeps device tokens. The centre never needs the key.
  So that a code typed at the centre can still lead to the page, records also carry
  ``token_seal``: the token's bytes XOR a hash of the code, readable only with the code.

The key is 32 random bytes in ``<data_dir>/queue/citizen-page.key`` (mode 0600), made at
the hub's first start (``OfficeKey.load_or_create``). Losing it only ends the pages of
tickets already printed: new tickets get tokens under the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

__all__ = ["CODE_CHARS", "TOKEN_CHARS", "OfficeKey", "format_code", "normalise_code", "page_fields", "secret_hash",
           "unseal_token", "valid_token_shape"]

TOKEN_CHARS = 24  # 120 bits of base32
CODE_CHARS = 10  # 50 bits of Crockford base32
_KEY_BYTES = 32
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TOKEN_RE = re.compile(rf"^[a-z2-7]{{{TOKEN_CHARS}}}$")
_TYPED_FIXES = str.maketrans({"I": "1", "L": "1", "O": "0"})


class OfficeKey:
    """The office's HMAC key, from which every ticket's token and short code are derived."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the citizen-page key must be at least 16 bytes")
        self._key = key

    @classmethod
    def load_or_create(cls, path: Path) -> OfficeKey:
        """Read the key file, or make one (random, mode 0600, written atomically)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = secrets.token_bytes(_KEY_BYTES)
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(path.name + ".tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        if len(data) != _KEY_BYTES:
            raise ValueError(f"{path}: expected a {_KEY_BYTES}-byte key, found {len(data)} bytes "
                             f"(move the file away and restart the hub to make a new one)")
        return cls(data)

    def _mac(self, label: bytes, ticket_id: str) -> bytes:
        return hmac.new(self._key, label + b"\0" + ticket_id.encode(), hashlib.sha256).digest()

    def token(self, ticket_id: str) -> str:
        """The ticket's page token: 24 letters a-z2-7 (120 bits)."""
        return base64.b32encode(self._mac(b"ticket-page", ticket_id)[:15]).decode().lower()

    def code(self, ticket_id: str) -> str:
        """The ticket's short code: 10 Crockford base32 characters (50 bits), unformatted."""
        value = int.from_bytes(self._mac(b"ticket-code", ticket_id)[:7], "big") >> 6  # top 50 bits
        return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))


def format_code(code: str) -> str:
    """``K7QX9MZ4P2`` → ``K7QX9-MZ4P2`` (how it is printed and shown)."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(typed: str) -> str | None:
    """What the citizen typed, as a code: spaces and dashes dropped, case-blind, I/L→1, O→0.
    None when it cannot be a code (so no lookup is spent on it)."""
    cleaned = re.sub(r"[\s\-.]", "", typed or "").upper().translate(_TYPED_FIXES)
    if len(cleaned) != CODE_CHARS or any(c not in _CROCKFORD for c in cleaned):
        return None
    return cleaned


def valid_token_shape(token: str) -> bool:
    return bool(_TOKEN_RE.match(token or ""))


def secret_hash(value: str) -> str:
    """SHA-256 (hex) of a token or code, as ticket records carry it and the centre stores it."""
    return hashlib.sha256(value.encode()).hexdigest()


def _code_pad(code: str) -> bytes:
    return hashlib.sha256(b"token-seal\0" + code.encode()).digest()[:15]


def page_fields(token: str, code: str) -> dict[str, str]:
    """What a ticket record carries about its page: ``token_hash``, ``code_hash`` and
    ``token_seal`` (the token readable with the code only; 30 hex digits)."""
    raw = base64.b32decode(token.upper())
    seal = bytes(a ^ b for a, b in zip(raw, _code_pad(code), strict=True)).hex()
    return {"token_hash": secret_hash(token), "code_hash": secret_hash(code), "token_seal": seal}


def unseal_token(seal: str, code: str) -> str | None:
    """The token sealed in a ticket record, given its short code; None if the seal is bad."""
    try:
        raw = bytes.fromhex(seal)
    except ValueError:
        return None
    if len(raw) != 15:
        return None
    return base64.b32encode(bytes(a ^ b for a, b in zip(raw, _code_pad(code), strict=True))).decode().lower()
