"""The record digests ingest compares uploads by stay the same across releases.

Rows stored by earlier releases carry SHA-256 digests of ``json.dumps(record, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``; ``ingest.content_hash`` now encodes with orjson,
so the two encodings must give the same bytes for every value a validated record can hold,
or a device's resent record would be taken for a conflict.
"""

from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.records import MAX_INT, new_rating, validate
from sync.server.ingest import content_hash, meaning_hash

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # what validate lets through
VALUES = st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT) | TEXT | st.lists(TEXT, max_size=4)


def stdlib_hash(record: dict) -> str:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(TEXT, VALUES, max_size=25))
def test_the_digest_is_the_one_earlier_releases_stored(record):
    assert content_hash(record) == stdlib_hash(record)


def test_a_validated_rating_with_vietnamese_and_control_characters_hashes_as_before():
    record = validate(new_rating(
        office_id="phuong-ben-thanh", device_id="tablet-1", seq=7, counter_id=2, score=1, scale=3, satisfied=False,
        lang="vi", clerk_id="nguyen-van-an", ticket_id="5b0d3a4e-0a7c-4a57-9b0e-1f2d3c4b5a69", ticket_number=1042,
        service_id="ho-tich", reasons=["cho-lau", "thai-do"], comment='Chờ "lâu" quá\n\tcán bộ\u2028 ổn',
        created_at="2025-07-01T08:00:00+07:00"))
    assert content_hash(record) == stdlib_hash(record)
    assert meaning_hash(record) == stdlib_hash({k: v for k, v in record.items() if k not in ("id", "seq")})
