"""No input makes the office hub fail: schemathesis explores the hub's OpenAPI document
(``kiosk.hub.openapi``) against the real hub app, with a valid counter token, and every
answer must be below 500. The document must also list every API route the hub serves."""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from starlette.routing import Route

from kiosk.hub.openapi import hub_openapi

NEVER_ENDS = {"/api/v1/events"}  # an event stream: documented, not fuzzed


@pytest.fixture
def hub_app(office_config, tmp_path, outbox):
    from kiosk.hub import OfficeHub

    office_hub = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0)
    yield office_hub
    office_hub.close()


def test_the_document_lists_every_api_route_of_the_hub(hub_app):
    served = {re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path) for r in hub_app.app.routes
              if isinstance(r, Route) and r.path.startswith("/api/")}
    documented = set(hub_openapi()["paths"]) | {"/api/v1/openapi.json"}
    assert served == documented


def test_no_request_generated_from_the_hub_schema_causes_a_server_error(hub_app, office_config):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", hub_app.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    token = {"Authorization": f"Bearer {office_config.counters[0].token}"}
    for operation in operations:
        if operation.path in NEVER_ENDS:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=int(os.environ.get("THUOCDO_FUZZ_EXAMPLES", "15")), deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        def explore(case):
            case.call_and_validate(headers=token, checks=[not_a_server_error])

        explore()
