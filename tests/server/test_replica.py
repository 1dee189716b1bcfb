"""The read replica, for real: a PostgreSQL hot standby streaming from the machine's server.

Ingest writes to the primary; the dashboard, exports and reports read from the replica while
it keeps up; a replica that falls behind (replay paused) or stops answering hands reads back
to the primary, and the footer of every dashboard page says which database answered.
"""

from __future__ import annotations

import dataclasses
import time
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from sync import records
from sync.server.admins import create_admin
from sync.server.app import ServerSettings, create_app
from sync.server.devices import create_enrollment_code
from sync.server.offices import import_office
from tests.server.dashkit import dash  # noqa: F401 (fixture)
from tests.server.pg_cluster import ADMIN_URL, StreamingReplica, needs_postgres

PASSWORD = "mat-khau-rat-dai-2025"
DAY = "2025-07-01"


@pytest.fixture
def replica():
    needs_postgres()
    standby = StreamingReplica().start()
    yield standby
    standby.cleanup()


@pytest.fixture
def primary_db():
    """A fresh database on the primary (the standby gets it by streaming)."""
    needs_postgres()
    name = f"thuocdo_replica_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rating(seq: int) -> dict:
    return records.new_rating(office_id="phuong-ben-thanh", device_id="tablet-local", seq=seq, counter_id=1,
                              score=3, scale=3, satisfied=True, lang="vi", clerk_id="nguyen-van-an",
                              service_id="ho-tich", created_at=f"{DAY}T09:{seq:02d}:00+07:00")


def _upload(client: TestClient, headers: dict, *recs: dict) -> None:
    answer = client.post("/api/v1/batches", headers=headers, json={
        "batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": list(recs)})
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * len(recs)


def _footer(client: TestClient) -> tuple[str, str]:
    page = client.get(f"/dashboard?from={DAY}&to={DAY}&lang=en")
    assert page.status_code == 200, page.text
    footer = page.text.split('id="read-source">', 1)[1].split("</footer>", 1)[0]
    return footer, page.text


def _wait_for_source(db, role: str, fallback: str | None = None, timeout: float = 120.0) -> None:
    """Poll the read router until it answers ``role`` (the machine's other work may keep the
    standby a moment behind)."""
    deadline = time.monotonic() + timeout
    while (source := db.reads.source()).role != role or source.fallback != fallback:
        assert time.monotonic() < deadline, f"expected reads from the {role} ({fallback}), still {source}"
        time.sleep(0.2)


def test_reads_follow_the_replica_and_fall_back_to_the_primary(replica, primary_db, office_config):
    primary_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{primary_db}"
    replica.wait_for(primary_db, "SELECT 1", 1)  # the new database has reached the standby
    config = dataclasses.replace(office_config, server=dataclasses.replace(
        office_config.server, database_url=primary_url, replica_url=replica.url(primary_db),
        replica_max_lag_s=2.0))
    app = create_app(config, settings=ServerSettings(login_attempts_per_min=1000))
    db = app.state.db
    db.reads.check_every_s = 0  # look at the replica on every read, so each step sees its effect
    with db.begin() as s:
        import_office(s, office_config)
        create_admin(s, "tinh", PASSWORD, "province_admin")
        code, _ = create_enrollment_code(s, "phuong-ben-thanh", "tablet", "Quầy 1")
    try:
        with TestClient(app) as client:
            device = client.post("/api/v1/devices/enroll", json={"code": code}).json()
            headers = {"Authorization": f"Bearer {device['token']}"}
            login = client.post("/login", data={"username": "tinh", "password": PASSWORD, "next": "/dashboard"},
                                follow_redirects=False)
            assert login.status_code == 303

            # 1. A rating uploaded to the primary is read back from the replica.
            _upload(client, headers, _rating(1))
            replica.wait_for(primary_db, "SELECT count(*) FROM ratings", 1)
            _wait_for_source(db, "replica")
            with db.reading() as (conn, source):
                assert source.role == "replica"
                assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is True
                assert conn.exec_driver_sql("SELECT count(*) FROM ratings").scalar() == 1
            footer, _ = _footer(client)
            assert footer.startswith("Figures from the read replica,") and "behind the primary" in footer
            export = client.get(f"/api/v1/exports/ratings?format=csv&from={DAY}&to={DAY}")
            assert export.status_code == 200 and export.text.count("\n") == 2  # header + the rating

            # 2. Replay paused: the replica falls behind the limit, the primary answers with the new row.
            with psycopg.connect(replica.url(primary_db).replace("+psycopg", ""), autocommit=True) as standby:
                standby.execute("SELECT pg_wal_replay_pause()")
                _upload(client, headers, _rating(2))
                _wait_for_source(db, "primary", "lagging")
                footer, _ = _footer(client)
                assert footer.startswith("Figures from the primary database: the read replica is")
                assert "over the 2.0 s limit" in footer
                with db.reading() as (conn, source):
                    assert source.role == "primary"
                    assert conn.exec_driver_sql("SELECT count(*) FROM ratings").scalar() == 2
                standby.execute("SELECT pg_wal_replay_resume()")
            replica.wait_for(primary_db, "SELECT count(*) FROM ratings", 2)
            _wait_for_source(db, "replica")  # once it has replayed what piled up while paused

            # 3. The replica stops: the dashboard still answers, from the primary, and says so.
            replica.stop()
            footer, _ = _footer(client)
            assert footer == "Figures from the primary database: the read replica does not answer."
            vi_footer = client.get(f"/dashboard?from={DAY}&to={DAY}&lang=vi").text
            assert "Số liệu từ máy chủ chính: bản sao đọc không trả lời." in vi_footer
            export = client.get(f"/api/v1/exports/ratings?format=csv&from={DAY}&to={DAY}")
            assert export.status_code == 200 and export.text.count("\n") == 3
    finally:
        db.dispose()


def test_without_a_replica_the_footer_names_the_primary(dash):  # noqa: F811 (the fixture)
    page = dash.login("tinh").get("/dashboard?from=2025-06-01&to=2025-07-31&lang=en")
    assert 'id="read-source">Figures from the primary database.</footer>' in page.text
