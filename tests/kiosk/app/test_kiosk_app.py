"""The kiosk driven like a citizen would, with simulated touches on a real window (Xvfb)."""

from __future__ import annotations

import pytest

from tests.kiosk.test_printer import decoded_qr, raster_pictures

pytestmark = pytest.mark.usefixtures("xvfb")


def _ticket_number(app) -> int:
    return int(app.manager.get_screen("ticket").number)


def _wait_printed(drive, app):
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), what="printing to finish")
    drive.step(3)


def test_a_normal_and_a_priority_ticket_reach_the_hub_and_the_printer(kivy_driver, make_kiosk, hub):
    app = make_kiosk()
    drive = kivy_driver(app)
    drive.screenshot("home_vi")
    drive.tap(drive.find_text("Lấy số thứ tự"))
    assert app.manager.current == "take"
    drive.screenshot("take_vi")
    drive.tap(drive.find_text("Hộ tịch"))
    assert app.manager.current == "ticket"
    _wait_printed(drive, app)
    first = _ticket_number(app)
    assert first == 1001
    drive.find_text("Mời bạn nhận vé")
    ticket_id = hub.engine.waiting()[0].id
    drive.find_text(f"nhập mã {hub.citizen.code(ticket_id)}")  # the short code of the ticket's phone page
    assert app.manager.get_screen("ticket").qr is not None
    drive.screenshot("ticket_vi")
    job = app.printer.last_job
    # ESC @ (reset), GS v 0 raster image 72 bytes = 576 dots wide, then feed and cut
    assert job.startswith(b"\x1b@\x1dv0\x00H\x00") and job.endswith(b"\x1dV\x00")
    assert decoded_qr(raster_pictures(job)) == [hub.citizen.page_url(ticket_id)]  # the QR leads to the page

    drive.tap(drive.find_text("Xong"))
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.tap(drive.find_text("Chạm vào đây nếu bạn là"))
    assert app.priority
    drive.screenshot("take_priority_vi")
    drive.tap(drive.find_text("Chứng thực"))
    _wait_printed(drive, app)
    drive.find_text("ƯU TIÊN")
    drive.screenshot("ticket_priority_vi")

    waiting = {t.number: t for t in hub.engine.waiting()}
    assert waiting[1001].service_id == "ho-tich" and not waiting[1001].priority
    assert waiting[2001].service_id == "chung-thuc" and waiting[2001].priority
    assert app.printer.jobs == 2
    assert not app.priority  # the next citizen starts without priority


def test_a_double_tap_takes_one_ticket(kivy_driver, make_kiosk, hub):
    app = make_kiosk()
    app.debounce_s = 0.4
    drive = kivy_driver(app)
    drive.run_for(0.5)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.run_for(0.5)
    tile = drive.find_text("Hộ tịch")
    drive.tap(tile)
    drive.tap_at(*tile.to_window(*tile.center))  # a ghost second touch on the same spot
    _wait_printed(drive, app)
    assert len(hub.engine.waiting()) == 1


def test_search_typed_without_accents_then_take_a_ticket_from_the_procedure(kivy_driver, make_kiosk, hub):
    app = make_kiosk()
    drive = kivy_driver(app)
    drive.tap(drive.find_text("Tra cứu thủ tục"))
    drive.screenshot("fields_vi")
    drive.tap(drive.find_text("Tìm thủ tục bằng bàn phím"))
    keyboard = app.manager.get_screen("search").keyboard
    for key in "dang ky ket hon":
        drive.tap(keyboard.key_button("space" if key == " " else key), frames=1)
    drive.step(3)
    assert app.manager.get_screen("search").query == "dang ky ket hon"
    drive.screenshot("search_vi")
    drive.tap(drive.find(lambda w: getattr(w, "code", None) == "1.000894")[0])
    assert app.manager.current == "detail"
    drive.find_text("Bạn cần mang")
    drive.tap(drive.find_text("Xem đầy đủ"))
    drive.find_text("Giấy tờ cần mang")  # the portal's full text, folded until asked for
    assert app.manager.get_screen("detail").qr_texture is not None
    drive.screenshot("detail_vi")
    drive.tap(drive.find_text("Lấy số cho thủ tục này"))
    assert app.manager.current == "ticket"
    _wait_printed(drive, app)
    (ticket,) = hub.engine.waiting()
    assert ticket.service_id == "ho-tich" and ticket.number == 1001


def test_browse_a_field_and_a_procedure_without_a_portal_link(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    drive.tap(drive.find_text("Tra cứu thủ tục"))
    drive.tap(drive.find_text("Chứng thực"))
    assert app.manager.current == "procedures"
    drive.screenshot("procedures_vi")
    app.open_procedure("1.010772")  # the portal gives no link for this one
    drive.step(3)
    assert app.manager.get_screen("detail").qr_texture is None
    drive.find_text("Chưa có đường dẫn")
    drive.screenshot("detail_no_link_vi")
    app.open_procedure("1.010803")  # link "https://https://…" (repaired), no field given
    drive.step(3)
    assert app.manager.get_screen("detail").qr_texture is not None
    drive.find_text("Lấy số thứ tự")  # no field → the button opens the service choice
    drive.tap(drive.find_text("Lấy số thứ tự"))
    assert app.manager.current == "take"


def test_unplugged_printer_still_gives_the_number_and_tells_staff(kivy_driver, make_kiosk, hub, tmp_path):
    missing = tmp_path / "no-printer" / "lp0"
    app = make_kiosk(printer_overrides={"backend": "file", "path": str(missing)})
    drive = kivy_driver(app)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.tap(drive.find_text("Hộ tịch"))
    _wait_printed(drive, app)
    screen = app.manager.get_screen("ticket")
    assert screen.failed
    drive.find_text("Xin ghi nhớ số 1001")
    assert screen.ids.number.text == "1001" and screen.ids.number.font_size > 150
    drive.screenshot("ticket_printer_failed_vi")
    (fault,) = [f for f in hub.faults() if f["source"] == "printer"]
    assert str(missing) in fault["message"]
    assert [t.number for t in hub.engine.waiting()] == [1001]


def test_idle_kiosk_returns_home_in_vietnamese_normal_text(kivy_driver, make_kiosk):
    app = make_kiosk(idle_timeout_s=5)
    drive = kivy_driver(app)
    drive.tap(drive.find_text("English"))
    drive.tap(drive.find_text("Large text"))
    drive.tap(drive.find_text("Look up a procedure"))
    assert app.manager.current == "fields"
    drive.wait_until(lambda: app.manager.current == "home", timeout=8, what="idle reset")
    assert app.lang == "vi" and not app.large
    drive.find_text("Lấy số thứ tự")


def test_language_switch_retranslates_every_screen(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    drive.tap(drive.find_text("English"))
    assert app.lang == "en"
    drive.find_text("Take a number")
    drive.screenshot("home_en")
    drive.tap(drive.find_text("Take a number"))
    drive.find_text("Civil status")
    drive.find_text("Touch here if you are")
    drive.screenshot("take_en")
    drive.tap(drive.find_text("Civil status"))
    _wait_printed(drive, app)
    drive.find_text("Your number")
    drive.find_text("Please take your ticket")
    drive.screenshot("ticket_en")
    app.go("fields")
    drive.step(3)
    drive.find_text("Search with the keyboard")
    drive.screenshot("fields_en")
    app.go("search")
    drive.step(3)
    keyboard = app.manager.get_screen("search").keyboard
    for key in "khai sinh":
        drive.tap(keyboard.key_button("space" if key == " " else key), frames=1)
    drive.step(3)
    drive.find_text("results")
    drive.screenshot("search_en")
    app.open_procedure("1.001193")
    drive.step(3)
    drive.find_text("Bring with you")
    drive.screenshot("detail_en")
    drive.tap(drive.find_text("Home"))
    drive.tap(drive.find_text("Tiếng Việt"))
    assert app.lang == "vi"
    drive.find_text("Tra cứu thủ tục")


def test_large_text_mode_screens(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    normal = drive.find_text("Lấy số thứ tự").font_size
    drive.tap(drive.find_text("Chữ to"))
    assert app.large and drive.find_text("Lấy số thứ tự").font_size > normal
    drive.screenshot("home_large")
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.screenshot("take_large")
    drive.tap(drive.find_text("Đất đai"))
    _wait_printed(drive, app)
    drive.screenshot("ticket_large")
    app.go("fields")
    drive.step(3)
    drive.screenshot("fields_large")
    app.go("search")
    drive.step(3)
    keyboard = app.manager.get_screen("search").keyboard
    for key in "so do":
        drive.tap(keyboard.key_button("space" if key == " " else key), frames=1)
    drive.step(3)
    drive.screenshot("search_large")
    app.open_procedure("2.001035")
    drive.step(3)
    drive.screenshot("detail_large")


def test_admin_needs_the_gesture_and_the_pin(kivy_driver, make_kiosk, hub):
    app = make_kiosk()
    drive = kivy_driver(app)
    app.take_ticket("ho-tich")
    _wait_printed(drive, app)
    app.go_home()
    for _ in range(5):
        drive.tap_at(10, app.root.height - 10)
    assert app.manager.current == "pin"
    pad = app.manager.get_screen("pin").ids.pad
    wrong = "1357" if app.office.kiosk.admin_pin != "1357" else "2580"
    for key in wrong:
        drive.tap(pad.key_button(key), frames=4)
    drive.tap(pad.key_button("submit"))
    assert app.manager.current == "pin"
    drive.find_text("Sai mã PIN")
    for key in app.office.kiosk.admin_pin:
        drive.tap(pad.key_button(key), frames=4)
    drive.tap(pad.key_button("submit"))
    assert app.manager.current == "admin"
    drive.tap(drive.find_text("In thử"))
    drive.find_text("đã gửi lệnh in")
    drive.find_text("Danh mục: 151 thủ tục")
    drive.find_text("Chờ gửi về máy chủ: 1 bản ghi")  # the ticket's record, kept until uploaded
    drive.find_text("Chưa cấu hình máy chủ trung tâm")
    drive.screenshot("admin_vi")
    drive.tap(drive.find_text("Nạp lại danh mục"))
    assert len(app.catalog) == 151
