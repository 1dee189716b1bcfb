"""No input makes the server fail: schemathesis explores /openapi.json, and every field of a
record is replaced by hostile values. Bad input must get a 4xx or a per-record rejection —
never a 500 — and must not disturb what is already stored."""

from __future__ import annotations

import os
import uuid

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import func, select

from sync.server.models import Rating
from tests.server.serverkit import batch, rating, statuses, ticket


def test_no_request_generated_from_the_openapi_schema_causes_a_server_error(client, device):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/batches", "/api/v1/devices/enroll",
                                               "/api/v1/devices/config", "/api/v1/auth/token"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=int(os.environ.get("THUOCDO_FUZZ_EXAMPLES", "15")), deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def explore(case):
            case.call_and_validate(headers=device["headers"], checks=[not_a_server_error])

        explore()


HOSTILE = [None, True, -1, 0, 2**63, 1.5, "", " ", "x" * 70, "ừ\u0000", [], {}, ["a"] * 30, {"a": 1},
           "2025-13-45T99:00:00+07:00", "9999-01-01T00:00:00+00:00", str(uuid.uuid4()).upper()]


def test_every_record_field_with_hostile_values_is_refused_or_stored_cleanly(client, device):
    kept = rating()
    assert statuses(client.post("/api/v1/batches", json=batch([kept]), headers=device["headers"])) == ["accepted"]
    recs = []
    for template in (rating(), ticket()):
        for name in template:
            for value in HOSTILE:
                recs.append({**template, "id": str(uuid.uuid4()), name: value})
            recs.append({k: v for k, v in template.items() if k != name} | {"id": str(uuid.uuid4())})
    recs.append(dict(kept, comment="sửa"))  # same id, different content
    sent = 0
    for start in range(0, len(recs), 500):
        chunk = recs[start:start + 500]
        answer = client.post("/api/v1/batches", json=batch(chunk), headers=device["headers"])
        assert answer.status_code == 200, answer.text
        for result in answer.json()["results"]:
            # "duplicate": a variant that means the same as one already stored (e.g. the same
            # ticket version with a default written out) is the same record
            assert result["status"] in ("accepted", "duplicate", "rejected")
            assert result["status"] == "accepted" or result["error"]
        sent += len(chunk)
    assert sent == len(recs)
    with client.app.state.db.session() as s:
        assert s.scalars(select(Rating).where(Rating.id == kept["id"])).one().comment is None
        assert s.scalar(select(func.count()).select_from(Rating)) >= 1
