"""Device enrollment and tokens: how a tablet or kiosk gets, uses and loses its upload right.

An admin creates a one-time enrollment code for an office (``sync-server enroll-device`` or
the dashboard). The device sends the code once to ``POST /api/v1/devices/enroll`` and gets
its own ``device_id`` and a long random bearer token. The server keeps only SHA-256 hashes
of codes and tokens. A code works once and only until it expires; a token works until an
admin revokes the device.

Codes are short enough to type on a tablet (12 characters from an alphabet without look-alike
letters, grouped as ``XXXX-XXXX-XXXX``; ~60 bits, and they expire) and can be shown as a QR.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from sync.api.security import new_secret, secret_hash
from sync.server.errors import ApiError
from sync.server.models import DEVICE_KINDS, Device, EnrollmentCode, Office

__all__ = [
    "DEFAULT_CODE_TTL_S",
    "Enrollment",
    "create_enrollment_code",
    "device_for_token",
    "enroll_device",
    "normalise_code",
    "office_config_for",
    "revoke_device",
]

DEFAULT_CODE_TTL_S = 24 * 3600
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_code(code: str) -> str:
    """Codes are compared without dashes, spaces or case, so 'abcd efgh-ijkl' works too."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_enrollment_code(db: DbSession, office_id: str, kind: str, name: str,
                           ttl_s: int = DEFAULT_CODE_TTL_S) -> tuple[str, datetime]:
    """Make a one-time code for a new device of ``office_id``; returns (code, expires_at)."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"kind: expected one of {', '.join(DEVICE_KINDS)}, found {kind!r}")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("name: 1 to 200 characters, e.g. 'Quầy 3 tablet'")
    if db.get(Office, office_id) is None:
        raise ValueError(f"office: unknown office {office_id!r} (import it first: sync-server import-office)")
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    now = _now()
    expires = now + timedelta(seconds=ttl_s)
    db.add(EnrollmentCode(code_hash=secret_hash(raw), office_id=office_id, kind=kind, name=name,
                          created_at=now, expires_at=expires))
    return code, expires


@dataclass(frozen=True)
class Enrollment:
    device_id: str
    office_id: str
    token: str


def enroll_device(db: DbSession, code: str) -> Enrollment:
    """Spend a code and create the device; raises ``ApiError`` for an unknown, used or expired code.

    The code is marked used with a conditional UPDATE, so two devices racing with the same
    code cannot both enroll.
    """
    now = _now()
    code_hash = secret_hash(normalise_code(code))
    row = db.get(EnrollmentCode, code_hash)
    if row is None:
        raise ApiError("bad_code", "unknown enrollment code: check it or ask the admin for a new one")
    if row.used_at is not None:
        raise ApiError("code_used", "this enrollment code was already used: ask the admin for a new one")
    if row.expires_at <= now:
        raise ApiError("code_expired", "this enrollment code has expired: ask the admin for a new one")
    device_id = f"{row.kind}-{secrets.token_hex(6)}"
    claimed = db.execute(update(EnrollmentCode)
                         .where(EnrollmentCode.code_hash == code_hash, EnrollmentCode.used_at.is_(None))
                         .values(used_at=now, device_id=device_id))
    if claimed.rowcount != 1:
        raise ApiError("code_used", "this enrollment code was already used: ask the admin for a new one")
    token = new_secret()
    db.add(Device(id=device_id, office_id=row.office_id, kind=row.kind, name=row.name,
                  token_hash=secret_hash(token), enrolled_at=now))
    return Enrollment(device_id, row.office_id, token)


def revoke_device(db: DbSession, device_id: str) -> bool:
    """Stop a device's token from working (its stored records stay). False if unknown."""
    device = db.get(Device, device_id)
    if device is None:
        return False
    if device.revoked_at is None:
        device.revoked_at = _now()
    return True


def device_for_token(db: DbSession, token: str) -> Device | None:
    """The active device holding ``token``, or None (unknown or revoked)."""
    device = db.scalar(select(Device).where(Device.token_hash == secret_hash(token)))
    if device is None or device.revoked_at is not None:
        return None
    return device


def office_config_for(db: DbSession, device_id: str, office_id: str) -> tuple[str, str] | None:
    """The device's office configuration as stored (JSON text, ETag), noting the device as seen;
    None when the office is not registered."""
    db.execute(update(Device).where(Device.id == device_id).values(last_seen_at=_now()))
    row = db.execute(select(Office.config_json, Office.config_etag).where(Office.id == office_id)).first()
    return (row.config_json, row.config_etag) if row else None
