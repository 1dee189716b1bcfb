"""A rating sent from the citizen's phone: read the answer, check it against the office's scale.

The phone page offers exactly what the counter tablet offers (the office's levels, its
reasons after a not-satisfied level, a short comment), so the answer is checked against the
same configuration and becomes the same ``rating`` record with ``channel: "phone"``. The
page sends JSON; without JavaScript the browser sends the plain form (``score``, repeated
``reason``, ``comment``, ``lang``), read here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from sync.api.errors import ApiError
from sync.records import MAX_COMMENT_CHARS
from sync.text import nfc

__all__ = ["PhoneRating", "RatingInputError", "read_rating"]

MAX_BODY_BYTES = 8 * 1024


class RatingInputError(ApiError):
    """The rating sent is not one the office's scale accepts; the message names the field."""


@dataclass(frozen=True)
class PhoneRating:
    score: int
    scale: int
    satisfied: bool
    reasons: tuple[str, ...]
    comment: str | None
    lang: str


def _from_body(body: bytes, content_type: str) -> dict:
    if len(body) > MAX_BODY_BYTES:
        raise RatingInputError("too_large", f"the rating is larger than {MAX_BODY_BYTES} bytes")
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise RatingInputError("bad_body", "the form is not UTF-8 text") from None
        data: dict = {k: v[-1] for k, v in form.items() if k != "reason"}
        data["reasons"] = form.get("reason", [])
        if "score" in data:
            try:
                data["score"] = int(data["score"])
            except ValueError:
                raise RatingInputError("bad_field", f"score must be a whole number, found {data['score']!r}") from None
        return data
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise RatingInputError("invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RatingInputError("bad_body", "the body must be a JSON object")
    return data


def read_rating(body: bytes, content_type: str, *, levels: list, reasons: list) -> PhoneRating:
    """The phone's answer, checked against ``levels`` (most satisfied first, as in
    ``Config.levels``) and ``reasons`` (``Config.reasons``); raises ``RatingInputError``."""
    data = _from_body(body, content_type or "")
    allowed = {"score", "reasons", "comment", "lang"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RatingInputError("unknown_field", f"unknown field {unknown[0]!r} (allowed: score, reasons, comment, lang)")
    scale = len(levels)
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= scale:
        raise RatingInputError("bad_field", f"score must be a whole number 1..{scale} (1 = least satisfied), "
                                            f"found {json.dumps(score)}")
    satisfied = levels[scale - score].satisfied
    codes = data.get("reasons", [])
    known = [r.code for r in reasons]
    if not isinstance(codes, list) or any(not isinstance(c, str) or c not in known for c in codes):
        raise RatingInputError("bad_field", f"reasons must be a list of these codes: {', '.join(known)}")
    comment = data.get("comment") or None
    if comment is not None:
        if not isinstance(comment, str):
            raise RatingInputError("bad_field", "comment must be text")
        comment = nfc(comment).strip() or None
        if comment and len(comment) > MAX_COMMENT_CHARS:
            raise RatingInputError("bad_field", f"comment is longer than {MAX_COMMENT_CHARS} characters")
    lang = data.get("lang", "vi")
    if lang not in ("vi", "en"):
        raise RatingInputError("bad_field", f"lang must be 'vi' or 'en', found {json.dumps(lang)}")
    # As on the tablet: reasons and comment belong to a not-satisfied answer.
    kept = tuple(dict.fromkeys(codes)) if not satisfied else ()
    return PhoneRating(score=score, scale=scale, satisfied=satisfied, reasons=kept,
                       comment=comment if not satisfied else None, lang=lang)
