"""The ``sync-server`` commands as an admin runs them, and the real server under uvicorn."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from sync import records
from sync.server.cli import main
from sync.server.db import Database
from sync.server.models import Admin, Clerk, Counter, Office, Rating, Service
from tests.server.serverkit import rating

PASSWORD = "mat-khau-rat-dai-2025"


@pytest.fixture
def cli(config_file, database_url, capsys, monkeypatch):
    """Run ``sync-server`` in this process (fast); the live-server test below uses a subprocess."""
    def run(*args, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        try:
            code = main(["--config", str(config_file), "--database-url", database_url, *args])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        done = subprocess.CompletedProcess(args, code, out, err)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def test_migrate_and_import_office_can_be_run_again_without_changing_anything(cli, db, config_file):
    assert "migrated from empty to" in cli("migrate").stdout
    assert "already at the latest schema" in cli("migrate").stdout
    assert "added: 6 services, 4 counters, 4 clerks" in cli("import-office", str(config_file)).stdout
    assert "unchanged" in cli("import-office", str(config_file)).stdout
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        '{id: pham-thu-dung, name: "Phạm Thu Dung", pin: "4444"}',
        '{id: pham-thu-dung, name: "Phạm Thu Dung", pin: "4444"}\n  - {id: vo-minh-em, name: "Võ Minh Em", pin: "5555"}'),
        encoding="utf-8")
    assert "updated: 6 services, 4 counters, 5 clerks" in cli("import-office", str(config_file)).stdout
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Office)) == 1
        assert s.scalar(select(func.count()).select_from(Service)) == 6
        assert s.scalar(select(func.count()).select_from(Counter)) == 4
        assert s.get(Clerk, ("phuong-ben-thanh", "vo-minh-em")).name == "Võ Minh Em"
        office = s.get(Office, "phuong-ben-thanh")
    stored = json.loads(office.config_json)
    assert "5555" not in office.config_json and "demo-quay-1" not in office.config_json
    assert stored["office"]["name"] == "UBND phường Bến Thành — Bộ phận một cửa"


def test_create_admin_reads_the_password_from_stdin_never_from_the_command_line(cli, db, config_file):
    cli("import-office", str(config_file))
    done = cli("create-admin", "quanly", "--role", "office_manager", "--office", "phuong-ben-thanh",
               stdin=PASSWORD + "\n")
    assert "office_manager of office phuong-ben-thanh" in done.stdout
    with db.session() as s:
        admin = s.scalar(select(Admin))
    assert admin.password_hash.startswith("$argon2") and admin.office_id == "phuong-ben-thanh"
    weak = cli("create-admin", "b", "--role", "province_admin", stdin="123\n", check=False)
    assert weak.returncode == 2 and "at least 10 characters" in weak.stderr
    no_office = cli("create-admin", "c", "--role", "office_manager", stdin=PASSWORD + "\n", check=False)
    assert no_office.returncode == 2 and "--office" in no_office.stderr
    bad_flag = cli("create-admin", "d", "--role", "province_admin", "--password", "x", check=False)
    assert bad_flag.returncode == 2 and "không nhận ra tham số: --password x" in bad_flag.stderr


def _start_server(cli_args: list[str], workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sync.server.cli", *cli_args, "run", "--host", "127.0.0.1",
                             "--port", "0", "--workers", str(workers), "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            for _ in range(300):  # with workers, the socket listens once one of them has started
                try:
                    requests.get(f"{found.group(1)}/healthz", timeout=2)
                    return proc, found.group(1)
                except requests.ConnectionError:
                    time.sleep(0.1)
            break
    proc.terminate()
    proc.wait(5)
    raise AssertionError("server did not start:\n" + "".join(seen))


def test_concurrent_copies_of_a_batch_against_the_real_server_are_counted_once(cli, db, config_file,
                                                                               database_url):
    cli("import-office", str(config_file))
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b",
                     cli("enroll-device", "--office", "phuong-ben-thanh", "--kind", "tablet",
                         "--name", "Quầy 2").stdout).group(1)
    # Two server processes: the copies race each other across processes, not just threads.
    proc, base = _start_server(["--config", str(config_file), "--database-url", database_url], workers=2)
    try:
        enrolled = requests.post(f"{base}/api/v1/devices/enroll", json={"code": code}, timeout=10).json()
        headers = {"Authorization": f"Bearer {enrolled['token']}"}
        recs = [rating(counter_id=2, service_id="chung-thuc") for _ in range(200)]
        answers: list = []
        start = threading.Barrier(6)

        def upload():
            body = {"batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": recs}
            start.wait()
            answers.append(requests.post(f"{base}/api/v1/batches", json=body, headers=headers, timeout=60))

        threads = [threading.Thread(target=upload) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [a.status_code for a in answers] == [200] * 6
        per_record = list(zip(*[[r["status"] for r in a.json()["results"]] for a in answers]))
        for outcome in per_record:  # each record: exactly one copy accepted, the others duplicate
            assert sorted(outcome) == ["accepted"] + ["duplicate"] * 5
    finally:
        proc.terminate()
        proc.wait(10)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Rating)) == 200
        assert set(s.scalars(select(Rating.device_id))) == {enrolled["device_id"]}


def test_import_batch_stores_a_usb_export_once_with_the_upload_rules(cli, db, config_file, tmp_path):
    cli("import-office", str(config_file))
    recs = [rating(), rating(), rating(counter_id=42)]
    export = tmp_path / "pending.json"
    export.write_text(json.dumps({"format": "thuocdo-pending-v1", "office_id": "phuong-ben-thanh",
                                  "device_id": None, "exported_at": records.now_iso(), "records": recs}),
                      encoding="utf-8")
    first = cli("import-batch", str(export), check=False)
    assert first.returncode == 1  # something was rejected: the admin must look
    assert "2 accepted, 0 duplicate, 1 rejected" in first.stdout and "counter_id" in first.stdout
    second = cli("import-batch", str(export), check=False)
    assert "0 accepted, 2 duplicate, 1 rejected" in second.stdout
    with db.session() as s:
        assert sorted(s.scalars(select(Rating.device_id))) == ["usb-import", "usb-import"]
    export.write_text('{"format": "something-else"}', encoding="utf-8")
    wrong = cli("import-batch", str(export), check=False)
    assert wrong.returncode == 2 and "thuocdo-pending-v1" in wrong.stderr
