"""What the kiosk and tablet apps call at start: ``start_background_sync``."""

from __future__ import annotations

import dataclasses
import threading

from sync.config import Sync
from sync.enrollment import enroll
from sync.uploader import start_background_sync
from tests.sync.conftest import append_ratings
from tests.sync.test_uploader_e2e import wait_until


def _with_server(cfg, url: str):
    return dataclasses.replace(cfg, sync=Sync(server_url=url, batch_size=50, interval_s=1, heartbeat_s=3600))


def test_no_server_configured_or_not_enrolled_means_records_simply_stay_local(office_config, outbox, tmp_path):
    append_ratings(outbox, 2)
    assert start_background_sync(office_config, outbox, tmp_path / "device") is None  # sync.server_url empty
    configured = _with_server(office_config, "http://127.0.0.1:9")
    assert start_background_sync(configured, outbox, tmp_path / "device") is None  # never enrolled
    assert len(outbox) == 2


def test_an_enrolled_device_uploads_in_the_background_and_receives_its_office_config(central_sqlite, office_config,
                                                                                    outbox, tmp_path):
    device_dir = tmp_path / "device"
    enroll(central_sqlite.url, central_sqlite.code(), device_dir)
    updates = []
    got_config = threading.Event()
    uploader = start_background_sync(_with_server(office_config, central_sqlite.url), outbox, device_dir,
                                     on_config_change=lambda update: (updates.append(update), got_config.set()))
    try:
        appended = append_ratings(outbox, 120)
        uploader.notify()
        wait_until(lambda: len(outbox) == 0 and got_config.is_set())
    finally:
        uploader.stop()
    assert sorted(central_sqlite.rating_ids()) == sorted(r["id"] for r in appended)
    assert updates[0].config.services == office_config.services and not updates[0].problems
    assert uploader.last_config_error is None
    status = uploader.status()
    assert status.pending == 0 and status.last_success_at and status.server_url == central_sqlite.url
    vi = status.lines("vi")  # what the kiosk/tablet admin screen shows
    assert "bản ghi chờ gửi: 0" in vi and any(line.startswith("lần gửi thành công gần nhất: 20") for line in vi)
