"""Enrolling the kiosk from its admin screen, against the real central server."""

from __future__ import annotations

import time

import pytest

from tests.central import Central

pytestmark = pytest.mark.usefixtures("xvfb")


def open_admin(drive, app):
    app.go_home()
    for _ in range(5):
        drive.tap_at(10, app.root.height - 10)
    pad = app.manager.get_screen("pin").ids.pad
    for key in app.office.kiosk.admin_pin:
        drive.tap(pad.key_button(key), frames=4)
    drive.tap(pad.key_button("submit"))
    assert app.manager.current == "admin"
    return app.manager.get_screen("admin")


def test_the_admin_enrolls_the_kiosk_on_its_screen_and_ticket_records_start_flowing(
        kivy_driver, make_kiosk, hub, office_config, tmp_path):
    central = Central(office_config, f"sqlite:///{tmp_path / 'central.db'}")
    try:
        app = make_kiosk()
        drive = kivy_driver(app)
        app.take_ticket("ho-tich")
        admin = open_admin(drive, app)

        admin.ids.server_url.text = central.url
        admin.ids.enroll_code.text = "SAI-MA-0000"
        drive.tap(admin.ids.enroll)
        drive.wait_until(lambda: "không thành công" in admin.result, timeout=15, what="the refusal")
        assert "máy chủ từ chối mã" in admin.result  # the reason, in the office's language too
        assert app.device.uploader is None
        drive.screenshot("admin_enroll_failed_vi")

        admin.ids.enroll_code.text = central.code("kiosk", "Máy lấy số sảnh")
        drive.tap(admin.ids.enroll)
        drive.wait_until(lambda: "Đã đăng ký" in admin.result, timeout=15, what="the enrollment")
        assert (office_config.data_path / "device-credentials.json").exists()
        assert app.device.uploader is not None
        drive.screenshot("admin_enrolled_vi")

        end = time.monotonic() + 30
        while time.monotonic() < end:
            with central.db.engine.connect() as conn:
                if conn.execute(central.text("SELECT count(*) FROM tickets")).scalar():
                    break
            drive.step()
            time.sleep(0.05)
        else:
            raise AssertionError("the ticket record never reached the central server")
    finally:
        central.close()
