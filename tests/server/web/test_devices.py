"""Device API edges: enrollment codes, tokens, limits and errors a device can run into."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sync.server.app import ServerSettings, create_app
from sync.server.devices import create_enrollment_code, revoke_device
from sync.server.models import Device, EnrollmentCode, Rating
from tests.server.serverkit import batch, enroll, rating


def _code(app, **kw):
    with app.state.db.begin() as s:
        code, _ = create_enrollment_code(s, "phuong-ben-thanh", kw.get("kind", "kiosk"), kw.get("name", "Sảnh"))
    return code


def test_an_enrollment_code_works_once_and_the_token_is_stored_only_as_a_hash(client):
    code = _code(client.app)
    first = client.post("/api/v1/devices/enroll", json={"code": code.lower().replace("-", " ")})
    assert first.status_code == 200
    body = first.json()
    assert body["office_id"] == "phuong-ben-thanh" and body["device_id"].startswith("kiosk-")
    assert len(body["token"]) >= 40
    again = client.post("/api/v1/devices/enroll", json={"code": code})
    assert again.status_code == 403 and again.json()["error"]["code"] == "code_used"
    with client.app.state.db.session() as s:
        stored = s.get(Device, body["device_id"])
        assert body["token"] not in (stored.token_hash, stored.id) and len(stored.token_hash) == 64
        assert code.replace("-", "") not in [r.code_hash for r in s.scalars(select(EnrollmentCode))]


def test_an_expired_or_unknown_code_is_refused(client):
    code = _code(client.app)
    with client.app.state.db.begin() as s:
        s.execute(update(EnrollmentCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = client.post("/api/v1/devices/enroll", json={"code": code})
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "code_expired"
    unknown = client.post("/api/v1/devices/enroll", json={"code": "AAAA-BBBB-CCCC"})
    assert unknown.status_code == 403 and unknown.json()["error"]["code"] == "bad_code"
    assert client.post("/api/v1/devices/enroll", json={"kode": 1}).status_code == 422


def test_a_revoked_or_wrong_token_cannot_upload(client, device):
    assert client.post("/api/v1/batches", json=batch([])).status_code == 401
    wrong = client.post("/api/v1/batches", json=batch([]), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    with client.app.state.db.begin() as s:
        assert revoke_device(s, device["device_id"])
    revoked = client.post("/api/v1/batches", json=batch([rating()]), headers=device["headers"])
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]


def test_the_office_config_comes_with_an_etag_and_without_secrets(client, device, office_config):
    answer = client.get("/api/v1/devices/config", headers=device["headers"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    etag = answer.headers["etag"]
    text = answer.text
    for counter in office_config.counters:
        assert counter.token not in text
    assert '"pin"' not in text and '"token"' not in text
    for clerk in office_config.clerks:
        assert clerk.name in text
    assert office_config.kiosk.admin_pin not in json.dumps(answer.json()["kiosk"])
    data = answer.json()
    assert data["office"]["id"] == "phuong-ben-thanh" and [c["id"] for c in data["counters"]] == [1, 2, 3, 4]
    assert [lv["label"]["vi"] for lv in data["levels"]] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    unchanged = client.get("/api/v1/devices/config", headers={**device["headers"], "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag
    assert client.get("/api/v1/devices/config").status_code == 401


@pytest.fixture
def strict_client(database_url, office_config):
    settings = ServerSettings(max_batch_records=3, max_body_bytes=4000, device_requests_per_s=0.5, device_burst=2)
    app = create_app(office_config, database_url=database_url, settings=settings)
    from sync.server.offices import import_office

    with app.state.db.begin() as s:
        import_office(s, office_config)
    with TestClient(app) as c:
        yield c
    app.state.db.dispose()


def test_too_many_records_or_too_many_bytes_is_413_and_stores_nothing(strict_client):
    dev = enroll(strict_client)
    many = strict_client.post("/api/v1/batches", json=batch([rating() for _ in range(4)]), headers=dev["headers"])
    assert many.status_code == 413 and many.json()["error"]["code"] == "too_many_records"
    big = strict_client.post("/api/v1/batches", json=batch([rating(comment="x" * 500)] * 3, pad="y" * 4000),
                             headers=dev["headers"])
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    with strict_client.app.state.db.session() as s:
        assert s.scalars(select(Rating)).first() is None


def test_a_device_that_sends_too_fast_gets_429_with_retry_after(strict_client):
    dev = enroll(strict_client)
    codes = [strict_client.post("/api/v1/batches", json=batch([]), headers=dev["headers"]).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = strict_client.post("/api/v1/batches", json=batch([]), headers=dev["headers"])
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    # Another device of the same office has its own allowance.
    other = enroll(strict_client, name="Quầy 2 tablet")
    assert strict_client.post("/api/v1/batches", json=batch([]), headers=other["headers"]).status_code == 200


@pytest.mark.parametrize("body, code", [
    (b"", "invalid_json"), (b"{not json", "invalid_json"), (b"\xff\xfe", "invalid_json"),
    (b"[]", "invalid_batch"), (b'{"records": []}', "invalid_batch"),
    (b'{"batch_id": "x", "sent_at": "2025-07-01T08:00:00+07:00", "records": []}', "invalid_batch"),
    (b'{"batch_id": "' + str(uuid.uuid4()).encode() + b'", "sent_at": "2025-07-01T08:00:00", "records": []}',
     "invalid_batch"),
    (b'{"batch_id": "' + str(uuid.uuid4()).encode() + b'", "sent_at": "2025-07-01T08:00:00Z", "records": {}}',
     "invalid_batch"),
    (b'{"batch_id": "' + str(uuid.uuid4()).encode() + b'", "sent_at": "2025-07-01T08:00:00Z", "records": [],'
     b' "pending": -1}', "invalid_batch"),
])
def test_a_malformed_envelope_gets_a_json_error_naming_the_problem(client, device, body, code):
    answer = client.post("/api/v1/batches", content=body,
                         headers={**device["headers"], "Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500
    assert answer.json()["error"]["code"] == code and answer.json()["error"]["message"]


def test_unknown_routes_and_methods_answer_in_the_same_json_shape(client):
    assert client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/batches").json()["error"]["code"] == "method_not_allowed"
    assert client.get("/openapi.json").json()["paths"]["/api/v1/batches"]["post"]
