"""Two real ``sync-server run`` processes on one PostgreSQL database behave as one server.

Everything one process learns that another must honour lives in the database: a device's
upload rate limit, login rate limits, wrong-password counts and lockouts, dashboard sessions,
single-use enrollment codes and the export audit. Each check below crosses processes.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
import requests
import yaml

from sync import records
from sync.config import load_config
from sync.server.admins import create_admin
from sync.server.db import Database
from sync.server.devices import create_enrollment_code
from sync.server.offices import import_office
from tests.server.pg_cluster import ADMIN_URL, free_port, needs_postgres, sync_server_process

PASSWORD = "mat-khau-rat-dai-2025"
BURST, RATE = 5, 0.2          # device uploads: 5 back to back, then one per 5 s
LOGINS_PER_MIN = 12           # per address and username


@pytest.fixture
def shared_database():
    needs_postgres()
    name = f"thuocdo_procs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def two_servers(shared_database, config_file):
    """Processes A and B serving the same database; yields their base URLs and the Database."""
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["server"] = {**(data.get("server") or {}), "database_url": shared_database,
                      "device_requests_per_s": RATE, "device_burst": BURST,
                      "login_attempts_per_min": LOGINS_PER_MIN}
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(config_file)
    db = Database(shared_database)
    db.migrate()
    with db.begin() as s:
        import_office(s, config)
        create_admin(s, "tinh", PASSWORD, "province_admin")
    procs, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(sync_server_process(config_file, port))
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url in zip(procs, urls, strict=True):
            _wait_until_up(proc, url)
        yield urls, db
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except Exception:  # noqa: BLE001 (stuck: make sure it goes)
                proc.kill()
        db.dispose()


def _wait_until_up(proc, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sync-server run exited ({proc.returncode}):\n{proc.stdout.read()}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def _code(db: Database, name: str) -> str:
    with db.begin() as s:
        return create_enrollment_code(s, "phuong-ben-thanh", "tablet", name)[0]


def _heartbeat(url: str, token: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/batches", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                         json={"batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": []})


def _token(url: str, username: str, password: str) -> requests.Response:
    return requests.post(f"{url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=10)


def test_two_processes_share_codes_limits_lockouts_and_sessions(two_servers):
    (a, b), db = two_servers

    # An enrollment code works once, whichever process sees it again.
    code = _code(db, "Quầy 1")
    first = requests.post(f"{a}/api/v1/devices/enroll", json={"code": code}, timeout=10)
    assert first.status_code == 200, first.text
    again = requests.post(f"{b}/api/v1/devices/enroll", json={"code": code}, timeout=10)
    assert again.status_code == 403 and again.json()["error"]["code"] == "code_used"
    # … and of two devices racing with one code on both processes, exactly one gets in.
    raced = _code(db, "Quầy 2")
    answers = []
    threads = [threading.Thread(target=lambda u=u: answers.append(
        requests.post(f"{u}/api/v1/devices/enroll", json={"code": raced}, timeout=10).status_code)) for u in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 403]

    # A device's rate limit holds across both: alternate between them until refused.
    token = first.json()["token"]
    started, allowed = time.monotonic(), 0
    while (answer := _heartbeat((a, b)[allowed % 2], token)).status_code == 200:
        allowed += 1
        assert allowed < 2 * BURST, "each process let the device through on its own allowance"
    elapsed = time.monotonic() - started
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    assert BURST <= allowed <= BURST + RATE * elapsed + 1
    for url in (a, b):  # refused by both now, not only by the process that said no
        assert _heartbeat(url, token).status_code == 429

    # Wrong passwords count across both; the lockout then holds on both, even for the right one.
    for i in range(5):
        wrong = _token((a, b)[i % 2], "tinh", "sai-mat-khau-" + str(i))
        assert wrong.status_code == (401 if i < 4 else 403), wrong.text
    for url in (a, b):
        locked = _token(url, "tinh", PASSWORD)
        assert locked.status_code == 403 and locked.json()["error"]["code"] == "account_locked"

    # Login attempts per address and username are limited across both too.
    started, tried = time.monotonic(), 0
    while (attempt := _token((a, b)[tried % 2], "khong-co-ai", "sai")).status_code == 401:
        tried += 1
        assert tried < 2 * LOGINS_PER_MIN, "each process allowed its own login attempts"
    assert attempt.status_code == 429
    assert LOGINS_PER_MIN <= tried <= LOGINS_PER_MIN + (time.monotonic() - started) * LOGINS_PER_MIN / 60 + 1

    # A dashboard session made by A is honoured by B; an export through B is audited for A to see.
    with db.begin() as s:
        create_admin(s, "quanly", PASSWORD, "office_manager", "phuong-ben-thanh")
    browser = requests.Session()
    signed_in = browser.post(f"{a}/login", data={"username": "quanly", "password": PASSWORD, "next": "/dashboard"},
                             allow_redirects=False, timeout=10)
    assert signed_in.status_code == 303
    page = browser.get(f"{b}/dashboard", allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "quanly" in page.text
    export = browser.get(f"{b}/api/v1/exports/ratings?format=csv&from=2025-07-01&to=2025-07-31", timeout=10)
    assert export.status_code == 200
    with db.engine.connect() as conn:
        audit = conn.exec_driver_sql("SELECT username, kind FROM export_audit").all()
    assert [tuple(row) for row in audit] == [("quanly", "ratings.csv")]
