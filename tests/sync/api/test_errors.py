"""One error type, one JSON shape, one table of codes: the hub and the centre answer the same
fault with the same code and status, and docs/api.md lists exactly the table's codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sync.api.errors import CODES, ApiError, error_body, error_of, status_of
from sync.server.app import ServerSettings, create_app

ROOT = Path(__file__).resolve().parents[3]


def test_docs_list_every_code_with_its_status_and_nothing_else():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = {m[1]: int(m[2]) for m in re.finditer(r"^\| `([a-z_]+)` \| (\d{3}) \|", page, re.M)}
    assert documented == {code: status for code, (status, _) in CODES.items()}


def test_an_error_carries_the_status_of_its_code_and_refuses_codes_missing_from_the_table():
    err = ApiError("rate_limited", "wait 3 s", {"Retry-After": "3"})
    assert (err.status, err.headers, err.body()) == (
        429, {"Retry-After": "3"}, {"error": {"code": "rate_limited", "message": "wait 3 s"}})
    assert status_of("too_large") == 413 and status_of("no-such-code") == 500
    with pytest.raises(ValueError, match="add it to sync.api.errors.CODES"):
        ApiError("bad_json", "old name")


def test_clients_read_code_and_message_of_any_answer():
    assert error_of(error_body("busy", "serving")) == ("busy", "serving")
    for other in (None, [], {"error": "busy"}, {"error": {"code": 5}}, "text"):
        assert error_of(other)[0] is None


@pytest.fixture
def hub_client(office_config, tmp_path):
    """The real office hub listening on a free loopback port."""
    import httpx

    from kiosk.hub import OfficeHub
    from sync.outbox import Outbox

    outbox = Outbox(tmp_path / "outbox")
    hub = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0)
    hub.start()
    try:
        with httpx.Client(base_url=hub.base_url, timeout=10) as client:
            yield client
    finally:
        hub.close()
        outbox.close()


@pytest.fixture
def centre_client(office_config, tmp_path):
    app = create_app(office_config, database_url=f"sqlite:///{tmp_path / 'centre.db'}",
                     settings=ServerSettings(max_body_bytes=16 * 1024))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("body, code, status", [
    (b"{not json", "invalid_json", 400),
    (b'{"x": "' + b"y" * 20_000 + b'"}', "too_large", 413),
])
def test_hub_and_centre_answer_the_same_fault_the_same_way(hub_client, centre_client, body, code, status):
    hub = hub_client.post("/api/v1/tickets", content=body)
    centre = centre_client.post("/api/v1/auth/token", content=body)
    for answer in (hub, centre):
        assert answer.status_code == status, answer.text
        assert set(answer.json()) == {"error"} and set(answer.json()["error"]) == {"code", "message"}
        assert error_of(answer.json())[0] == code
    for path, client in (("/api/v1/nothing", hub_client), ("/api/v1/nothing", centre_client)):
        assert error_of(client.get(path).json())[0] == "not_found"


def test_a_missing_token_is_unauthorized_on_both_with_the_bearer_challenge(hub_client, centre_client):
    for answer in (hub_client.post("/api/v1/counters/1/call-next"), centre_client.post("/api/v1/batches")):
        assert answer.status_code == 401 and error_of(answer.json())[0] == "unauthorized"
        assert answer.headers["www-authenticate"] == "Bearer"
