"""The kiosk device (``kiosk.device.KioskDevice``) owns outbox, hub and uploader: an in-app
enrollment replaces the uploader and stops the old one, closing stops every part before the
outbox closes, and start-up failures leave nothing open — against the real central server."""

from __future__ import annotations

import dataclasses
import socket
import time

import httpx
import pytest

from kiosk.device import KioskDevice
from kiosk.flow import KioskFlow
from kiosk.hub import HubStartError
from sync.config import Sync
from sync.outbox import Outbox, OutboxLocked
from tests.central import Central


def _with_server(cfg, url: str):
    return dataclasses.replace(cfg, sync=Sync(server_url=url, batch_size=50, interval_s=1, heartbeat_s=3600))


def _wait(condition, what: str, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_enrolling_from_the_admin_screen_replaces_the_uploader_and_close_stops_them_all(office_config, tmp_path):
    central = Central(office_config, f"sqlite:///{tmp_path / 'central.db'}")
    device = KioskDevice(_with_server(office_config, central.url), port=0)
    try:
        device.start()
        assert device.uploader is None  # not enrolled yet: records wait in the outbox
        flow = KioskFlow(device)
        flow.take_ticket("ho-tich")
        flow.open_admin()
        assert flow.check_pin(office_config.kiosk.admin_pin)

        uploaders = []
        for _ in range(2):  # a second enrollment (new code) replaces the first uploader
            flow.admin_enroll(central.url, central.code("kiosk", "Máy lấy số sảnh"))
            flow.enroll_thread.join(30)
            assert "Đã đăng ký" in flow.admin_result, flow.admin_result
            uploaders.append(device.uploader)
        first, second = uploaders
        assert second is not first and second.running and not first.running
        _wait(lambda: len(device.outbox) == 0, "the ticket record to reach the central server")
        with central.db.engine.connect() as conn:
            assert conn.execute(central.text("SELECT count(*) FROM tickets")).scalar() == 1
        assert any(line.startswith("lần gửi thành công gần nhất") for line in flow.admin.status_lines("vi"))
    finally:
        device.close()
        central.close()
    assert not second.running and device.uploader is None
    Outbox(office_config.data_path / "outbox").close()  # the outbox was released last


def test_a_second_kiosk_on_the_same_machine_is_refused_and_the_first_keeps_working(office_config):
    with KioskDevice(office_config) as device:
        with pytest.raises(OutboxLocked):
            KioskDevice(office_config)
        assert device.engine.issue("ho-tich").number == 1001
        assert len(device.outbox) == 1


def test_a_hub_that_cannot_listen_is_a_clear_error_and_closing_releases_everything(office_config):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        device = KioskDevice(office_config, host="127.0.0.1", port=taken.getsockname()[1])
        with pytest.raises(HubStartError, match="hub.port"):
            device.start()
        device.close()
    finally:
        taken.close()
    with KioskDevice(office_config, port=0) as again:  # outbox and queue were released
        url = again.start()
        assert httpx.get(f"{url}/api/v1/state", timeout=5).json()["office"]["id"] == office_config.office.id
