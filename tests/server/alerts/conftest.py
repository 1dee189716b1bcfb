"""A central server with one office, its manager and a province admin, for the alert tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from sync import records
from sync.server.app import ServerSettings, create_app
from sync.server.models import Admin
from sync.server.offices import import_office
from tests.server.dashkit import PASSWORD, _password_hash, csrf_of
from tests.server.serverkit import enroll

HANOI = timezone(timedelta(hours=7))
OFFICE = "phuong-ben-thanh"


class AlertKit:
    def __init__(self, app):
        self.app = app
        self.client = TestClient(app)
        self.client.__enter__()
        self.tablet = enroll(self.client)
        self.seq = 0

    def rating(self, at: datetime, score: int, *, counter=1, clerk="nguyen-van-an", reasons=(), comment=None,
               misuse=False, phone=None) -> dict:
        self.seq += 1
        return records.new_rating(
            office_id=OFFICE, device_id="tablet-1", seq=self.seq, counter_id=counter, score=score, scale=3,
            satisfied=None if score is None else score >= 2, lang="vi", clerk_id=clerk,
            ticket_id=str(uuid.uuid4()), ticket_number=1000,
            service_id="ho-tich", reasons=list(reasons), comment=comment, misuse=misuse, contact_phone=phone,
            contact_consent="Tôi đồng ý cho cơ quan liên hệ lại." if phone else None, created_at=at.isoformat())

    def upload(self, recs: list[dict]) -> list[dict]:
        answer = self.client.post("/api/v1/batches", headers=self.tablet["headers"], json={
            "batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": recs})
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    def login(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.app)
        answer = c.post("/login", data={"username": username, "password": PASSWORD, "next": "/dashboard/cases"})
        assert answer.status_code == 200, answer.text
        return c, csrf_of(answer.text)

    def token(self, username: str) -> dict:
        answer = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def alerts(self) -> list:
        from sqlalchemy import select

        from sync.server.models import Alert
        with self.app.state.db.engine.connect() as conn:
            return conn.execute(select(Alert).order_by(Alert.id)).all()


def add_admins(app) -> None:
    with app.state.db.begin() as s:
        for username, role, office, email in (("tinh", "province_admin", None, "tinh@so.example.vn"),
                                              ("quanly", "office_manager", OFFICE, "quanly@phuong.example.vn"),
                                              ("quanly2", "office_manager", OFFICE, None)):
            s.add(Admin(username=username, password_hash=_password_hash(), role=role, office_id=office,
                        email=email, failed_logins=0, created_at=datetime.now(UTC)))


@pytest.fixture
def kit(database_url, office_config):
    app = create_app(office_config, database_url=database_url,
                     settings=ServerSettings(alert_worker=False, login_attempts_per_min=1000))
    with app.state.db.begin() as s:
        import_office(s, office_config)
    add_admins(app)
    k = AlertKit(app)
    yield k
    k.client.__exit__(None, None, None)
    app.state.db.dispose()


def recent(minutes_ago: float = 0) -> datetime:
    return datetime.now(HANOI) - timedelta(minutes=minutes_ago)
