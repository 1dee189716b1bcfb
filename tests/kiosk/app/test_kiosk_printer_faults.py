"""Whatever a printer backend raises — a USB printer that is not there, a device file nobody
may write, a serial printer without its library — the citizen keeps the number on screen,
the fault reaches the hub (console and lobby display show it), and the kiosk goes back home."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kivy


@pytest.mark.parametrize("printer", [
    {"backend": "usb", "usb_vendor_id": 0x0416, "usb_product_id": 0x5011},
    {"backend": "file", "path": "/proc/version"},
    {"backend": "serial", "serial_device": "/dev/ttyS0"},
], ids=["usb-no-device", "file-read-only", "serial-no-library"])
def test_a_failing_printer_still_gives_the_number_tells_staff_and_goes_home(kivy_driver, make_kiosk, hub, printer):
    app = make_kiosk(printer_overrides=printer, ticket_home_s=1.0)
    drive = kivy_driver(app)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.tap(drive.find_text("Hộ tịch"))
    assert app.manager.current == "ticket"
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), what="printing to finish")
    drive.wait_until(lambda: any(f["source"] == "printer" for f in hub.faults()), what="the fault at the hub")
    (fault,) = [f for f in hub.faults() if f["source"] == "printer"]
    assert fault["message"].startswith(f"printer {printer['backend']} (")
    drive.step(3)
    assert app.manager.get_screen("ticket").failed
    drive.find_text("Xin ghi nhớ số 1001")
    drive.screenshot(f"ticket_printer_failed_{printer['backend']}")
    drive.wait_until(lambda: app.manager.current == "home", timeout=10, what="the kiosk back at home")
    assert [t.number for t in hub.engine.waiting()] == [1001]  # the ticket stands
