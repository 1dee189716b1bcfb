"""The tablet app on a real (virtual) screen, driven by simulated touches.

Linked-mode tests run the real office hub on 127.0.0.1 and play the clerk through its HTTP
API; the tablet follows it over its event stream exactly as on the office LAN.
"""

from __future__ import annotations

import pytest

from tablet_rating.session import IDLE, PROMPT, REASONS, THANKS
from tablet_rating.tablet_app import TabletApp

pytestmark = pytest.mark.kivy


def faces(drive):
    found = drive.find(lambda w: type(w).__name__ == "FaceButton")
    return sorted(found, key=lambda w: -w.score)  # most satisfied first, as on screen


def question(drive) -> str:
    """The prompt's question as shown (the clerk's name is joined by no-break spaces)."""
    label = drive.find_text("?")
    return label.text.replace("\u00a0", " ")


def exact(drive, text):
    """The visible widget whose text is exactly ``text``."""
    return next(w for w in drive.find(lambda w: getattr(w, "text", None) == text) if w.opacity)


def face(drive, score):
    return next(f for f in faces(drive) if f.score == score)


def wait_for_screen(drive, app, name, timeout=10.0):
    drive.wait_until(lambda: app.sm.current == name, timeout=timeout, what=f"the {name} screen")
    drive.step(3)  # let the new screen lay itself out before touching it


def start_linked(kivy_driver, config, hub, tmp_path, **options):
    from tests.tablet.conftest import HubAPI

    api = HubAPI(hub.base_url, config)
    app = TabletApp(config, tmp_path / "tablet", **options)
    drive = kivy_driver(app)
    app.device.apply_settings(app.device.settings.__class__(
        counter_id=1, hub_url=hub.base_url, mode="linked", lang="vi", clerk_id=None))
    drive.wait_until(lambda: app.session.hub_online, timeout=10, what="the tablet to reach the hub")
    return app, drive, api


def test_linked_mode_end_to_end_the_clerk_finishes_and_the_citizen_rates(kivy_driver, tablet_config, office_hub,
                                                                          tmp_path):
    config = tablet_config()
    hub = office_hub(config)
    app, drive, api = start_linked(kivy_driver, config, hub, tmp_path)
    api.login(1, "nguyen-van-an")
    drive.wait_until(lambda: app.clerk_name == "Nguyễn Văn An", what="the clerk on the idle screen")
    assert app.sm.current == IDLE
    ticket = api.serve_one(1, "ho-tich")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    assert question(drive) == "Ông/bà có hài lòng với thái độ phục vụ của cán bộ Nguyễn Văn An?"
    drive.tap(face(drive, 3))
    assert app.sm.current == THANKS
    (record,) = app.device.outbox.pending()
    assert record["ticket_id"] == ticket["id"] and record["ticket_number"] == ticket["number"]
    assert (record["counter_id"], record["clerk_id"], record["service_id"]) == (1, "nguyen-van-an", "ho-tich")
    assert (record["score"], record["satisfied"], record["scale"]) == (3, True, 3)
    assert app.status == "pending"


def test_a_low_score_with_reasons_and_a_comment_typed_on_the_vietnamese_keyboard(kivy_driver, tablet_config,
                                                                                  office_hub, tmp_path):
    config = tablet_config(scale=5)
    hub = office_hub(config)
    app, drive, api = start_linked(kivy_driver, config, hub, tmp_path)
    api.login(1, "tran-thi-binh")
    api.serve_one(1, "ho-tich")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    assert [f.text for f in faces(drive)] == ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng",
                                              "Rất không hài lòng"]
    drive.tap(face(drive, 1))
    assert app.sm.current == REASONS and len(app.device.outbox) == 0
    drive.run_for(0.6)
    drive.tap(drive.find_text("Thời gian chờ lâu"))
    drive.run_for(0.6)
    drive.tap(drive.find_text("Nhũng nhiễu"))
    drive.tap(drive.find_text("Góp ý thêm"))
    keyboard = app.sm.get_screen(REASONS).keyboard
    for key in ["c", "h", "ơ", "à", "Dấu cách", "l", "â", "u"]:  # à = the huyền tone key
        drive.tap(next(k for k in keyboard.walk() if getattr(k, "text", None) == key and k is not keyboard))
    drive.tap(drive.find_text("Xong"))
    assert app.comment == "chờ lâu"
    drive.run_for(0.6)
    drive.tap(drive.find_text("Gửi"))
    assert app.sm.current == THANKS
    (record,) = app.device.outbox.pending()
    assert (record["score"], record["scale"], record["satisfied"]) == (1, 5, False)
    assert record["reasons"] == ["cho-lau", "nhung-nhieu"] and record["comment"] == "chờ lâu"
    assert record["clerk_id"] == "tran-thi-binh"


def test_an_unanswered_prompt_closes_and_the_ticket_is_recorded_as_not_rated(kivy_driver, tablet_config,
                                                                             office_hub, tmp_path):
    config = tablet_config(prompt_timeout_s=1)
    hub = office_hub(config)
    app, drive, api = start_linked(kivy_driver, config, hub, tmp_path)
    api.login(1, "nguyen-van-an")
    ticket = api.serve_one(1, "ho-tich")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    wait_for_screen(drive, app, IDLE, timeout=5)
    (record,) = app.device.outbox.pending()
    assert record["ticket_id"] == ticket["id"] and record["score"] is None and record["satisfied"] is None


def test_a_double_tap_on_a_face_is_one_rating(kivy_driver, tablet_config, office_hub, tmp_path):
    config = tablet_config()
    hub = office_hub(config)
    app, drive, api = start_linked(kivy_driver, config, hub, tmp_path)
    api.login(1, "nguyen-van-an")
    api.serve_one(1, "ho-tich")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    target = face(drive, 3)
    x, y = target.to_window(*target.center)
    drive.tap_at(x, y, frames=1)
    drive.tap_at(x, y, frames=1)
    drive.run_for(0.3)
    assert len(app.device.outbox) == 1 and app.sm.current == THANKS


def test_standalone_mode_rates_any_time_and_flags_rapid_repeats_as_misuse(kivy_driver, tablet_config, tmp_path):
    config = tablet_config(mode="standalone", clerk_id="le-hoang-cuong", thanks_s=1, cooldown_s=60)
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    assert app.sm.current == PROMPT
    assert "Lê Hoàng Cường" in question(drive)
    drive.screenshot("standalone-prompt")  # no photo configured: the initials stand in
    drive.tap(face(drive, 3))
    wait_for_screen(drive, app, PROMPT, timeout=4)
    drive.tap(face(drive, 2))
    records = app.device.outbox.pending()
    assert [(r["score"], r["misuse"], r["ticket_id"], r["clerk_id"]) for r in records] == [
        (3, False, None, "le-hoang-cuong"), (2, True, None, "le-hoang-cuong")]


def test_the_hub_going_away_mid_day_the_tablet_keeps_rating_shows_offline_and_resumes(
        kivy_driver, tablet_config, office_hub, tmp_path):
    config = tablet_config(thanks_s=1)
    hub = office_hub(config)
    port = int(hub.base_url.rsplit(":", 1)[1])
    app, drive, api = start_linked(kivy_driver, config, hub, tmp_path, offline_fallback_s=1.0)
    api.login(1, "nguyen-van-an")
    first = api.serve_one(1, "ho-tich")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    drive.tap(face(drive, 3))
    hub.stop()
    drive.wait_until(lambda: app.status == "offline", timeout=10, what="the status dot to show offline")
    wait_for_screen(drive, app, PROMPT, timeout=10)
    assert "Nguyễn Văn An" in question(drive)  # still rating the last known clerk
    drive.tap(face(drive, 2))
    assert app.sm.current == THANKS
    hub.close()
    back = office_hub(config, port=port)
    drive.wait_until(lambda: app.session.hub_online, timeout=20, what="the tablet to find the hub again")
    wait_for_screen(drive, app, IDLE, timeout=5)
    assert app.status == "pending"
    third = api.__class__(back.base_url, config).serve_one(1, "ho-tich")
    drive.wait_until(lambda: app.sm.current == PROMPT and app.session.ticket is not None, timeout=10,
                     what="the prompt from the restarted hub")
    drive.run_for(0.6)
    drive.tap(face(drive, 3))
    records = app.device.outbox.pending()
    assert [r["ticket_id"] for r in records] == [first["id"], None, third["id"]]
    assert [r["clerk_id"] for r in records] == ["nguyen-van-an"] * 3


def test_settings_open_only_with_the_admin_gesture_and_pin(kivy_driver, tablet_config, tmp_path):
    config = tablet_config()
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    assert app.sm.current == IDLE
    for _ in range(5):
        drive.tap_at(20, drive.window.height - 20, frames=1)
    assert app.sm.current == "pin"
    for key in "1234":
        drive.tap(drive.find_text(key))
    drive.tap(drive.find_text("Vào"))
    assert app.sm.current == "pin" and app.sm.get_screen("pin").ids.pad.message == "Mã không đúng"
    for key in config.kiosk.admin_pin:
        drive.tap(drive.find_text(key), frames=4)
    drive.tap(drive.find_text("Vào"))
    assert app.sm.current == "settings"
    drive.tap(drive.find_text("Độc lập"))
    drive.tap(drive.find_text("Phạm Thu Dung"))
    drive.tap(drive.find_text("Quầy 2"))
    drive.tap(drive.find_text("Lưu và đóng"))
    assert app.sm.current == PROMPT
    assert "Phạm Thu Dung" in question(drive)
    assert app.counter_name == "Quầy 2"
    assert (tmp_path / "tablet" / "tablet-settings.json").exists()


def test_staff_enroll_the_tablet_in_its_settings_and_ratings_reach_the_central_server(
        kivy_driver, tablet_config, tmp_path):
    from tests.sync.conftest import Central

    config = tablet_config(mode="standalone", clerk_id="nguyen-van-an")
    central = Central(config, f"sqlite:///{tmp_path / 'central.db'}")
    try:
        app = TabletApp(config, tmp_path / "tablet")
        drive = kivy_driver(app)
        drive.tap(face(drive, 3))
        rating_id = app.session.last_record["id"]
        assert app.status == "pending"
        app.open_admin()
        drive.step(3)
        pad = app.sm.get_screen("pin").ids.pad
        for key in [*config.kiosk.admin_pin, "submit"]:
            drive.tap(pad.key_button(key), frames=4)
        drive.step(3)
        settings = app.sm.get_screen("settings")
        settings.ids.server_url.text = "http://127.0.0.1:9"  # nothing listens there
        settings.ids.enroll_code.text = "WRONG"
        drive.tap(exact(drive, "Đăng ký"))
        drive.wait_until(lambda: not settings.enrolling, timeout=15, what="the failed enrollment")
        assert "không kết nối được máy chủ http://127.0.0.1:9" in settings.enroll_message
        settings.ids.server_url.text = central.url
        settings.ids.enroll_code.text = central.code("tablet", "Máy tính bảng quầy 1")
        drive.tap(exact(drive, "Đăng ký"))
        drive.wait_until(lambda: not settings.enrolling, timeout=15, what="the enrollment")
        assert settings.enroll_message.startswith("Đã đăng ký")
        drive.wait_until(lambda: rating_id in central.rating_ids(), timeout=20, what="the rating on the server")
        drive.wait_until(lambda: app.status == "synced", timeout=10, what="the status dot to turn green")
        drive.screenshot("settings-enrolled")
    finally:
        central.close()


def test_the_window_refuses_to_close_without_the_admin_pin(kivy_driver, tablet_config, tmp_path):
    app = TabletApp(tablet_config(), tmp_path / "tablet")
    drive = kivy_driver(app)
    assert drive.window.dispatch("on_request_close") is True  # True = the close is refused
    assert app.sm.current == IDLE
