"""Fixtures and builders for the central server's core tests (imported by the tests of this folder and of web/).

Every fixture that touches the database sits on ``database_url``, so each test runs on a
fresh SQLite file and on a fresh PostgreSQL database.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from fastapi.testclient import TestClient

from sync import records
from sync.server.app import ServerSettings, create_app
from sync.server.devices import create_enrollment_code
from sync.server.offices import import_office

_seq = itertools.count(1)


@pytest.fixture
def server_app(database_url, office_config):
    """The server app on a fresh database with the demo office imported."""
    app = create_app(office_config, database_url=database_url)
    with app.state.db.begin() as s:
        import_office(s, office_config)
    yield app
    app.state.db.dispose()


@pytest.fixture
def client(server_app):
    with TestClient(server_app) as c:
        yield c


def enroll(client: TestClient, office_id: str = "phuong-ben-thanh", kind: str = "tablet",
           name: str = "Quầy 1 tablet") -> dict:
    """Create a code the way the CLI does and enroll with it over HTTP; returns the answer
    plus ready-made ``headers``."""
    with client.app.state.db.begin() as s:
        code, _ = create_enrollment_code(s, office_id, kind, name)
    answer = client.post("/api/v1/devices/enroll", json={"code": code})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    body["headers"] = {"Authorization": f"Bearer {body['token']}"}
    return body


@pytest.fixture
def device(client):
    return enroll(client)


def rating(**changes) -> dict:
    """A rating record of the demo office (counter 1, clerk An, service ho-tich, "Rất hài
    lòng" at 09:15 Hanoi time), with ``changes`` applied as they are (not validated, so a
    test can also make a bad record)."""
    record = records.new_rating(
        office_id="phuong-ben-thanh", device_id="tablet-local-1", seq=next(_seq), counter_id=1, score=3,
        scale=3, satisfied=True, lang="vi", clerk_id="nguyen-van-an", ticket_id=str(uuid.uuid4()),
        ticket_number=1001, service_id="ho-tich", created_at="2025-07-01T09:15:00+07:00")
    record.update(changes)
    return record


def ticket(**changes) -> dict:
    """A ticket snapshot record (version 1, waiting, issued 08:00 Hanoi time) with ``changes``."""
    record = records.new_ticket(
        office_id="phuong-ben-thanh", device_id="hub-local-1", seq=next(_seq), ticket_id=str(uuid.uuid4()),
        version=1, number=1001, service_id="ho-tich", priority=False, status="waiting",
        issued_at="2025-07-01T08:00:00+07:00")
    record.update(changes)
    return record


def batch(recs: list[dict], **extra) -> dict:
    return {"batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": recs, **extra}


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


__all__ = [
    "ServerSettings",
    "batch",
    "client",
    "create_app",
    "device",
    "enroll",
    "rating",
    "server_app",
    "statuses",
    "ticket",
]
