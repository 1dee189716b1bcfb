"""Enrollment against the real central server: a one-time code becomes this device's token."""

from __future__ import annotations

import json
import os
import socket

import pytest

from sync.enrollment import CREDENTIALS_FILE, EnrollmentError, enroll, load_credentials
from sync.outbox import Outbox
from sync.uploader import Uploader
from tests.sync.faultproxy import FaultProxy


def test_a_code_becomes_a_working_token_stored_readable_only_by_the_device(central, tmp_path):
    device_dir = tmp_path / "device"
    creds = enroll(central.url + "/", "  " + central.code("tablet", "Quầy 1 tablet").lower() + " ", device_dir)
    path = device_dir / CREDENTIALS_FILE
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    stored = json.loads(path.read_text())
    assert stored["token"] == creds.token and stored["server_url"] == central.url
    assert creds.office_id == central.config.office.id
    assert "token=<hidden>" in repr(creds) and creds.token not in repr(creds)
    assert load_credentials(device_dir) == creds
    with Outbox(device_dir / "outbox") as outbox:  # the token is accepted by the batch endpoint
        assert Uploader(outbox, server_url=creds.server_url, token=creds.token, device_dir=device_dir
                        ).sync_once(heartbeat=True).ok
    assert central.device(creds.device_id)["last_seen_at"] is not None


def test_a_used_code_or_a_wrong_code_is_refused_with_a_clear_message(central_sqlite, tmp_path):
    code = central_sqlite.code()
    enroll(central_sqlite.url, code, tmp_path / "first")
    with pytest.raises(EnrollmentError, match="already used"):
        enroll(central_sqlite.url, code, tmp_path / "second")
    with pytest.raises(EnrollmentError, match="unknown enrollment code"):
        enroll(central_sqlite.url, "AAAA-BBBB-CCCC", tmp_path / "second")
    assert load_credentials(tmp_path / "second") is None  # nothing half-written


def test_enrolling_again_replaces_the_credentials(central_sqlite, tmp_path):
    first = enroll(central_sqlite.url, central_sqlite.code(), tmp_path)
    second = enroll(central_sqlite.url, central_sqlite.code(), tmp_path)
    assert second.device_id != first.device_id and second.token != first.token
    assert load_credentials(tmp_path) == second
    assert oct(os.stat(tmp_path / CREDENTIALS_FILE).st_mode & 0o777) == "0o600"


def test_an_unreachable_server_or_a_wrong_address_is_named(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with pytest.raises(EnrollmentError, match="cannot reach the server"):
        enroll(f"http://127.0.0.1:{closed_port}", "AAAA-BBBB-CCCC", tmp_path)
    with pytest.raises(EnrollmentError, match="must start with https://"):
        enroll("motcua.example.gov.vn", "AAAA-BBBB-CCCC", tmp_path)
    with pytest.raises(EnrollmentError, match="code is empty"):
        enroll("https://motcua.example.gov.vn", "  ", tmp_path)
    assert not (tmp_path / CREDENTIALS_FILE).exists()


def test_a_captive_portal_during_enrollment_is_not_mistaken_for_the_server(central_sqlite, tmp_path):
    code = central_sqlite.code()
    with FaultProxy(("127.0.0.1", central_sqlite.port)) as proxy:
        proxy.faults.append("captive")
        with pytest.raises(EnrollmentError, match="Wi-Fi login"):
            enroll(proxy.url, code, tmp_path)
        proxy.faults.append("redirect")
        with pytest.raises(EnrollmentError, match="redirect"):
            enroll(proxy.url, code, tmp_path)
        assert enroll(proxy.url, code, tmp_path).token  # the code was never spent by the portal


def test_damaged_credentials_are_reported_not_ignored(tmp_path):
    (tmp_path / CREDENTIALS_FILE).write_text("{not json")
    with pytest.raises(EnrollmentError, match="damaged"):
        load_credentials(tmp_path)
