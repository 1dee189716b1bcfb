"""Record schema v1: the one definition of what devices send and the server stores.

Every fact that leaves a device — a citizen's rating, a ticket's life in the queue — is a
*record*: a flat JSON object with a device-made UUID ``id``, a ``kind``, the ``office_id``
and ``device_id`` it came from, a per-device increasing ``seq`` and ``created_at`` (ISO-8601
with a UTC offset, device clock). The same ``validate`` function runs on the device before a
record is stored and on the server before it is accepted, so both sides agree on what a
good record is, and a bad one is refused with a message naming the field.

Kinds (DESIGN.md §4):

``rating``
    One citizen's answer at a counter. ``score`` is the level on a scale of ``scale`` levels,
    1 = least satisfied … ``scale`` = most satisfied; ``score`` and ``satisfied`` are both
    ``null`` when the prompt closed without an answer (recorded as *not rated*, outside every
    rate's denominator). ``misuse`` marks rapid repeated presses kept for audit but excluded
    from rates. ``channel`` says where it was given: ``tablet`` (the counter tablet, the
    default when absent) or ``phone`` (the ticket's page on the citizen's phone).
    ``contact_phone`` (optional) is a number the citizen left to be called back, with
    ``contact_consent`` the consent sentence they agreed to (Nghị định 13/2023/NĐ-CP); the
    server keeps it apart from the rating, for the follow-up case only, never in exports.
``ticket``
    A versioned snapshot of one queue ticket (``ticket_id``, ``version``). Each snapshot has
    its own record ``id``; the server keeps the highest ``version`` per ``ticket_id``, so
    uploads are idempotent and their order does not matter. ``token_hash`` / ``code_hash``
    (SHA-256 hex of the ticket page's token and short code) and ``token_seal`` (the token,
    readable with the code only; see ``sync.citizen.tokens``) let the central server serve
    the ticket's page on a citizen's phone without knowing the office key.

Pure Python on purpose: the counter tablet imports it on Android.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from sync.errors import SyncError
from sync.text import nfc

__all__ = [
    "CHANNELS",
    "SCHEMA_VERSION",
    "KINDS",
    "TICKET_STATUSES",
    "MAX_COMMENT_CHARS",
    "PHONE_PATTERN",
    "RecordError",
    "validate",
    "new_rating",
    "new_ticket",
    "now_iso",
]

SCHEMA_VERSION = 1
KINDS = ("rating", "ticket")
TICKET_STATUSES = ("waiting", "called", "serving", "finished", "no_show", "transferred", "cancelled")
CHANNELS = ("tablet", "phone")
MAX_COMMENT_CHARS = 500
# A Vietnamese phone number as dialled at home: 0 then 9 digits (mobile) or 10 (landline).
PHONE_PATTERN = re.compile(r"^0[0-9]{9,10}$")
MAX_REASONS = 20
MAX_ID_CHARS = 64
MAX_INT = 2**31 - 1  # every counter fits a 32-bit database column


class RecordError(SyncError, ValueError):
    """A record that does not follow schema v1; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def now_iso() -> str:
    """The current time as ISO-8601 with the local UTC offset, to the millisecond."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


# --- field checkers: each returns the cleaned value or raises _Bad(reason) -------------


class _Bad(Exception):
    pass


# The form devices write (``str(uuid.uuid4())``): accepted as it is, without parsing.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected a UUID string, found {type(value).__name__}")
    if _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _Bad(f"expected a UUID, found {value!r}") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(value: str) -> None:
    """Refuse text no database can store: NUL, or a lone UTF-16 surrogate (valid JSON, not UTF-8)."""
    if "\x00" in value:
        raise _Bad("contains a NUL character")
    if value.isascii():  # a surrogate is never ASCII
        return
    broken = _SURROGATE.search(value)
    if broken:
        raise _Bad(f"contains a broken character (a lone UTF-16 surrogate, U+{ord(broken.group()):04X}, at position "
                   f"{broken.start() + 1}) that cannot be stored; the device must send valid Unicode text")


def _ident(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"expected a non-empty identifier string, found {value!r}")
    if len(value) > MAX_ID_CHARS:
        raise _Bad(f"identifier longer than {MAX_ID_CHARS} characters")
    _storable(value)
    return value if value.isascii() else nfc(value)


def _int(low: int, high: int = MAX_INT):
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"expected an integer, found {value!r}")
        if not low <= value <= high:
            bounds = f"{low}..{high}" if high != MAX_INT else f">= {low}"
            raise _Bad(f"expected an integer {bounds}, found {value}")
        return value

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, found {value!r}")
    return value


def _timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected an ISO-8601 timestamp string, found {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"expected an ISO-8601 timestamp, found {value!r}") from None
    if parsed.tzinfo is None:
        raise _Bad(f"timestamp {value!r} has no UTC offset (add e.g. +07:00)")
    if not 2000 <= parsed.year <= 2100:
        raise _Bad(f"timestamp {value!r} is outside 2000..2100")
    return value


def _text(max_chars: int):
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _Bad(f"expected text, found {value!r}")
        _storable(value)
        value = nfc(value)
        if len(value) > max_chars:
            raise _Bad(f"text longer than {max_chars} characters ({len(value)})")
        return value

    return check


def _lang(value: Any) -> str:
    if value not in ("vi", "en"):
        raise _Bad(f"expected 'vi' or 'en', found {value!r}")
    return value


def _status(value: Any) -> str:
    if value not in TICKET_STATUSES:
        raise _Bad(f"expected one of {', '.join(TICKET_STATUSES)}, found {value!r}")
    return value


def _reasons(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _Bad(f"expected a list of reason codes, found {value!r}")
    if len(value) > MAX_REASONS:
        raise _Bad(f"more than {MAX_REASONS} reasons")
    cleaned = [_ident(code) for code in value]
    if len(set(cleaned)) != len(cleaned):
        raise _Bad("a reason code is repeated")
    return cleaned


def _channel(value: Any) -> str:
    if value not in CHANNELS:
        raise _Bad(f"expected one of {', '.join(CHANNELS)}, found {value!r}")
    return value


def _hex(digits: int):
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) != digits or any(c not in "0123456789abcdef" for c in value):
            raise _Bad(f"expected {digits} lower-case hex digits, found {value!r}")
        return value

    return check


def _phone(value: Any) -> str:
    if not isinstance(value, str) or not PHONE_PATTERN.match(value):
        raise _Bad(f"expected a phone number of 10 or 11 digits starting with 0, found {value!r}")
    return value


def _nullable(check):
    def wrapped(value: Any):
        return None if value is None else check(value)

    return wrapped


_COMMON = {
    "id": (True, _uuid),
    "kind": (True, None),  # checked before the per-kind fields
    "office_id": (True, _ident),
    "device_id": (True, _ident),
    "seq": (True, _int(1)),
    "created_at": (True, _timestamp),
}

# field -> (required, checker); optional fields default to None / [] / False when absent.
_KIND_FIELDS: dict[str, dict[str, tuple[bool, Any]]] = {
    "rating": {
        "counter_id": (True, _int(1, 999)),
        "clerk_id": (False, _nullable(_ident)),
        "ticket_id": (False, _nullable(_uuid)),
        "ticket_number": (False, _nullable(_int(0, 99999))),
        "service_id": (False, _nullable(_ident)),
        "score": (True, _nullable(_int(1, 10))),
        "scale": (True, _int(2, 10)),
        "satisfied": (True, _nullable(_bool)),
        "reasons": (False, _reasons),
        "comment": (False, _nullable(_text(MAX_COMMENT_CHARS))),
        "misuse": (False, _bool),
        "lang": (True, _lang),
        "channel": (False, _channel),
        "contact_phone": (False, _nullable(_phone)),
        "contact_consent": (False, _nullable(_text(MAX_COMMENT_CHARS))),
    },
    "ticket": {
        "ticket_id": (True, _uuid),
        "version": (True, _int(1)),
        "number": (True, _int(0, 99999)),
        "service_id": (True, _ident),
        "priority": (True, _bool),
        "status": (True, _status),
        "issued_at": (True, _timestamp),
        "called_at": (False, _nullable(_timestamp)),
        "served_at": (False, _nullable(_timestamp)),
        "finished_at": (False, _nullable(_timestamp)),
        "counter_id": (False, _nullable(_int(1, 999))),
        "clerk_id": (False, _nullable(_ident)),
        "transfers": (False, _int(0)),
        "recalls": (False, _int(0)),
        "token_hash": (False, _nullable(_hex(64))),
        "code_hash": (False, _nullable(_hex(64))),
        "token_seal": (False, _nullable(_hex(30))),
    },
}

_FIELDS = {kind: {**_COMMON, **fields} for kind, fields in _KIND_FIELDS.items()}  # every field of each kind

_DEFAULTS = {"reasons": list, "misuse": lambda: False, "transfers": lambda: 0, "recalls": lambda: 0}
# Fields added after records were first stored: left out of the cleaned record when absent
# (readers use ``rec.get(name, default)``), so a record made before they existed hashes the
# same at the server when it is sent again, instead of looking like a conflicting record.
_LATER_FIELDS = {"channel", "token_hash", "code_hash", "token_seal", "contact_phone", "contact_consent"}


def validate(record: Any) -> dict:
    """Check ``record`` against schema v1 and return a cleaned copy (NFC text, defaults filled).

    Raises ``RecordError`` listing every problem, each naming its field, e.g.
    ``score: expected an integer 1..10, found 0``. Unknown fields are refused so a typo
    on a device never silently drops data.
    """
    if not isinstance(record, dict):
        raise RecordError([f"record: expected a JSON object, found {type(record).__name__}"])
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in _KIND_FIELDS:
        raise RecordError([f"kind: expected one of {', '.join(KINDS)}, found {kind!r}"])
    fields = _FIELDS[kind]
    problems: list[str] = []
    cleaned: dict[str, Any] = {}
    for name in record:
        if name not in fields:
            problems.append(f"{name}: unknown field for a {kind} record")
    for name, (required, check) in fields.items():
        if name not in record:
            if required:
                problems.append(f"{name}: missing")
            elif name not in _LATER_FIELDS:
                cleaned[name] = _DEFAULTS.get(name, lambda: None)()
            continue
        if check is None:
            cleaned[name] = record[name]
            continue
        try:
            cleaned[name] = check(record[name])
        except _Bad as bad:
            problems.append(f"{name}: {bad}")
    if not problems:
        problems.extend(_cross_checks(cleaned))
    if problems:
        raise RecordError(problems)
    return cleaned


def _cross_checks(rec: dict) -> list[str]:
    problems = []
    if rec["kind"] == "rating":
        if rec["score"] is not None and rec["score"] > rec["scale"]:
            problems.append(f"score: {rec['score']} is above the scale of {rec['scale']} levels")
        if (rec["score"] is None) != (rec["satisfied"] is None):
            problems.append("satisfied: must be null exactly when score is null (not rated)")
        if rec["score"] is None and (rec["reasons"] or rec["comment"] or rec.get("contact_phone")):
            problems.append("reasons: an unrated prompt cannot carry reasons, a comment or a contact")
        if (rec.get("contact_phone") is None) != (rec.get("contact_consent") is None):
            problems.append("contact_consent: a contact number needs the consent sentence the citizen "
                            "agreed to, and only then")
    return problems


def _base(kind: str, office_id: str, device_id: str, seq: int, created_at: str | None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "office_id": office_id,
        "device_id": device_id,
        "seq": seq,
        "created_at": created_at or now_iso(),
    }


def new_rating(*, office_id: str, device_id: str, seq: int, counter_id: int, score: int | None,
               scale: int, satisfied: bool | None, lang: str, clerk_id: str | None = None,
               ticket_id: str | None = None, ticket_number: int | None = None,
               service_id: str | None = None, reasons: list[str] | tuple = (),
               comment: str | None = None, misuse: bool = False,
               created_at: str | None = None, channel: str = "tablet", contact_phone: str | None = None,
               contact_consent: str | None = None) -> dict:
    """Build and validate a ``rating`` record with a fresh id (contact fields only when given)."""
    record = _base("rating", office_id, device_id, seq, created_at)
    record.update(counter_id=counter_id, clerk_id=clerk_id, ticket_id=ticket_id,
                  ticket_number=ticket_number, service_id=service_id, score=score, scale=scale,
                  satisfied=satisfied, reasons=list(reasons), comment=comment or None,
                  misuse=misuse, lang=lang, channel=channel)
    if contact_phone is not None or contact_consent is not None:
        record.update(contact_phone=contact_phone, contact_consent=contact_consent)
    return validate(record)


def new_ticket(*, office_id: str, device_id: str, seq: int, ticket_id: str, version: int,
               number: int, service_id: str, priority: bool, status: str, issued_at: str,
               called_at: str | None = None, served_at: str | None = None,
               finished_at: str | None = None, counter_id: int | None = None,
               clerk_id: str | None = None, transfers: int = 0, recalls: int = 0,
               created_at: str | None = None, token_hash: str | None = None,
               code_hash: str | None = None, token_seal: str | None = None) -> dict:
    """Build and validate a ``ticket`` snapshot record with a fresh id."""
    record = _base("ticket", office_id, device_id, seq, created_at)
    record.update(ticket_id=ticket_id, version=version, number=number, service_id=service_id,
                  priority=priority, status=status, issued_at=issued_at, called_at=called_at,
                  served_at=served_at, finished_at=finished_at, counter_id=counter_id,
                  clerk_id=clerk_id, transfers=transfers, recalls=recalls)
    if token_hash is not None:
        record.update(token_hash=token_hash, code_hash=code_hash, token_seal=token_seal)
    return validate(record)
