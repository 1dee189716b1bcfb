"""The start-up and teardown every device shares (``sync.device_runtime``): one uploader at a
time, the one replaced after an enrollment stopped first, and everything that uses the outbox
stopped before the outbox closes — checked against the real central server."""

from __future__ import annotations

import dataclasses

import pytest

from sync.config import Sync
from sync.device_runtime import DeviceRuntime
from sync.enrollment import EnrollmentError, enroll
from sync.outbox import Outbox, OutboxLocked
from tests.sync.conftest import append_ratings
from tests.sync.test_uploader_e2e import wait_until


def _with_server(cfg, url: str):
    return dataclasses.replace(cfg, sync=Sync(server_url=url, batch_size=50, interval_s=1, heartbeat_s=3600))


def _outbox_still_open(path) -> bool:
    try:
        Outbox(path).close()
    except OutboxLocked:
        return True
    return False


def test_an_enrollment_replaces_the_uploader_and_close_stops_it_before_the_outbox(central_sqlite, office_config,
                                                                                 tmp_path):
    device_dir = tmp_path / "device"
    enroll(central_sqlite.url, central_sqlite.code(), device_dir)
    runtime = DeviceRuntime(_with_server(office_config, central_sqlite.url), device_dir)
    seen_at_stop = {}

    def part_stops():  # a part using the outbox (the kiosk's hub, the tablet's hub link)
        seen_at_stop["uploader"] = runtime.uploader
        seen_at_stop["outbox_open"] = _outbox_still_open(device_dir / "outbox")

    runtime.attach(part_stops)
    try:
        first = runtime.start_uploader()
        assert first is not None and first.running
        assert runtime.enroll(central_sqlite.url, central_sqlite.code()).office_id == office_config.office.id
        second = runtime.uploader
        assert second is not first and second.running
        assert not first.running  # stopped before its replacement started, not left behind
        appended = append_ratings(runtime.outbox, 3)
        runtime.notify_uploader()
        wait_until(lambda: len(runtime.outbox) == 0)
        assert sorted(central_sqlite.rating_ids()) == sorted(r["id"] for r in appended)
    finally:
        runtime.close()
    assert not second.running and runtime.uploader is None
    assert seen_at_stop == {"uploader": None, "outbox_open": True}  # uploader first, outbox last
    assert not _outbox_still_open(device_dir / "outbox")
    assert runtime.start_uploader() is None  # nothing starts once the device is closed


def test_unreadable_credentials_are_told_to_staff_and_uploads_stay_off(office_config, tmp_path):
    device_dir = tmp_path / "device"
    device_dir.mkdir()
    (device_dir / "device-credentials.json").write_text("{not json", encoding="utf-8")
    runtime = DeviceRuntime(office_config, device_dir)
    try:
        append_ratings(runtime.outbox, 1)
        assert runtime.start_uploader() is None
        assert "device-credentials.json" in runtime.enrollment_problem
        assert len(runtime.outbox) == 1
    finally:
        runtime.close()


def test_a_failed_enrollment_keeps_the_running_uploader(central_sqlite, office_config, tmp_path):
    device_dir = tmp_path / "device"
    enroll(central_sqlite.url, central_sqlite.code(), device_dir)
    runtime = DeviceRuntime(_with_server(office_config, central_sqlite.url), device_dir)
    try:
        uploader = runtime.start_uploader()
        with pytest.raises(EnrollmentError):
            runtime.enroll(central_sqlite.url, "SAI-MA-0000")
        assert runtime.uploader is uploader and uploader.running
    finally:
        runtime.close()
    assert not uploader.running
