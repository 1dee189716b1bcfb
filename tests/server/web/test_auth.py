"""Admins: Argon2 passwords, bearer tokens for scripts, lockout, login rate limit, office scope, CSRF."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.server.app import ServerSettings, create_app
from sync.server.admins import (
    LOCKOUT_AFTER,
    check_csrf,
    create_admin,
    create_session,
    principal_for_bearer,
    principal_for_session,
)
from sync.server.errors import ApiError
from sync.server.models import Admin, ApiToken

PASSWORD = "mat-khau-rat-dai-2025"


def _admin(app, username="tinh", role="province_admin", office_id=None):
    with app.state.db.begin() as s:
        create_admin(s, username, PASSWORD, role, office_id)


def test_a_password_is_stored_as_argon2_and_buys_a_short_lived_bearer_token(client):
    _admin(client.app)
    with client.app.state.db.session() as s:
        stored = s.scalar(select(Admin))
    assert stored.password_hash.startswith("$argon2") and PASSWORD not in stored.password_hash
    answer = client.post("/api/v1/auth/token", json={"username": "tinh", "password": PASSWORD})
    assert answer.status_code == 200
    token = answer.json()["token"]
    with client.app.state.db.session() as s:
        assert s.get(ApiToken, token) is None  # only the hash is kept
        who = principal_for_bearer(s, token)
    assert who.username == "tinh" and who.is_province_admin
    assert answer.json()["expires_at"] > "2000"


def test_wrong_passwords_lock_the_account_even_for_the_right_password(client):
    _admin(client.app)
    for _ in range(LOCKOUT_AFTER - 1):
        wrong = client.post("/api/v1/auth/token", json={"username": "tinh", "password": "sai-mat-khau-123"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_credentials"
    locking = client.post("/api/v1/auth/token", json={"username": "tinh", "password": "sai-mat-khau-123"})
    assert locking.status_code == 403 and locking.json()["error"]["code"] == "account_locked"
    right = client.post("/api/v1/auth/token", json={"username": "tinh", "password": PASSWORD})
    assert right.status_code == 403 and "locked" in right.json()["error"]["message"]


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    _admin(client.app)
    unknown = client.post("/api/v1/auth/token", json={"username": "ai-do", "password": PASSWORD})
    wrong = client.post("/api/v1/auth/token", json={"username": "tinh", "password": "sai-mat-khau-123"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert client.post("/api/v1/auth/token", json={"username": "tinh"}).status_code == 422


@pytest.fixture
def slow_login_client(database_url, office_config):
    app = create_app(office_config, database_url=database_url, settings=ServerSettings(login_attempts_per_min=3))
    with TestClient(app) as c:
        yield c
    app.state.db.dispose()


def test_rapid_login_attempts_are_rate_limited_with_retry_after(slow_login_client):
    codes = [slow_login_client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_an_office_manager_sees_only_their_office(client, office_config):
    _admin(client.app, "quanly", "office_manager", "phuong-ben-thanh")
    token = client.post("/api/v1/auth/token", json={"username": "quanly", "password": PASSWORD}).json()["token"]
    with client.app.state.db.session() as s:
        manager = principal_for_bearer(s, token)
    assert manager.office_ids_for(None) == ["phuong-ben-thanh"]
    assert manager.office_ids_for("phuong-ben-thanh") == ["phuong-ben-thanh"]
    with pytest.raises(ApiError) as refused:
        manager.office_ids_for("xa-khac")
    assert refused.value.status == 403
    assert manager.can_see("phuong-ben-thanh") and not manager.can_see("xa-khac")


def test_admin_roles_are_checked_when_created(client):
    with client.app.state.db.begin() as s:
        with pytest.raises(ValueError, match="office manager needs"):
            create_admin(s, "a", PASSWORD, "office_manager")
        with pytest.raises(ValueError, match="unknown office"):
            create_admin(s, "b", PASSWORD, "office_manager", "xa-khac")
        with pytest.raises(ValueError, match="at least 10"):
            create_admin(s, "c", "ngan", "province_admin")
        with pytest.raises(ValueError, match="role"):
            create_admin(s, "d", PASSWORD, "superuser")
        create_admin(s, "e", PASSWORD, "province_admin")
        with pytest.raises(ValueError, match="already exists"):
            create_admin(s, "e", PASSWORD, "province_admin")


def test_a_dashboard_session_needs_its_csrf_token_for_changes(client):
    _admin(client.app)
    with client.app.state.db.begin() as s:
        cookie, csrf = create_session(s, s.scalar(select(Admin)), 3600)
    with client.app.state.db.session() as s:
        session = principal_for_session(s, cookie)
    assert session.csrf_token == csrf
    check_csrf(session, csrf)
    for forged in (None, "", "someone-elses-token"):
        with pytest.raises(ApiError) as refused:
            check_csrf(session, forged)
        assert refused.value.status == 403 and refused.value.code == "csrf"


def test_a_nul_character_in_the_login_is_a_clear_error_not_a_crash(client):
    answer = client.post("/api/v1/auth/token", json={"username": "tinh\u0000", "password": PASSWORD})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
