"""The kiosk for an elderly, low-literacy citizen alone: each finding of the accessibility review,
driven by simulated touches in a real window."""

from __future__ import annotations

import wave

import pytest
from kivy.uix.label import Label

from sync import icons
from sync.touch import MaskDots, TouchKey

pytestmark = pytest.mark.kivy


def test_procedure_detail_leads_with_plain_facts_and_folds_the_rare_cases(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    app.open_procedure("1.001193")  # birth registration: the portal says "1 Khác"
    drive.step(3)
    detail = app.manager.get_screen("detail")
    assert detail.title == "Thủ tục đăng ký khai sinh"  # the name in the title bar, not "1.001193"
    drive.find_text("1 ngày làm việc")
    drive.find_text("Miễn phí")
    drive.find_text("Giấy chứng sinh")
    shown = " ".join(str(w.text) for w in drive.find(lambda w: hasattr(w, "text"), detail))
    assert "bỏ rơi" not in shown and "1 Khác" not in shown and "Căn cứ pháp lý" not in shown
    drive.tap(drive.find_text("Trường hợp đặc biệt (10)"))
    drive.find_text("Trường hợp trẻ em bị bỏ rơi")
    drive.tap(drive.find_text("Ẩn trường hợp đặc biệt"))
    drive.tap(drive.find_text("Xem đầy đủ"))
    drive.find_text("Căn cứ pháp lý")
    drive.screenshot("detail_full")


def test_priority_is_a_choice_that_says_touch_here_shows_its_state_and_costs_one_tap(kivy_driver, make_kiosk, hub):
    app = make_kiosk()
    drive = kivy_driver(app)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    choice = drive.find_text("Chạm vào đây nếu bạn là")
    for group in ("person-cane", "wheelchair", "person-pregnant", "baby"):
        assert icons.ICONS[group] in choice.text  # each group drawn, not only named
    drive.tap(choice)
    assert app.priority and "ĐÃ CHỌN ƯU TIÊN" in choice.text and choice.active
    drive.tap(drive.find_text("Hộ tịch"))
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), timeout=15, what="printing")
    assert hub.engine.waiting()[0].priority  # home → take → priority → service: one extra tap


def test_every_service_tile_and_home_action_carries_a_pictogram(kivy_driver, make_kiosk):
    app = make_kiosk()
    kivy_driver(app)
    home = app.manager.get_screen("home")
    for button, icon in (("take", "ticket"), ("lookup", "magnifying-glass"), ("lang", "language"),
                         ("large", "text-height"), ("listen", "volume-high")):
        assert icons.ICONS[icon] in home.ids[button].text
    app.go("take")
    tiles = app.manager.get_screen("take").ids.tiles.children
    assert len(tiles) == len(app.office.services)
    assert icons.ICONS["people-roof"] in next(t for t in tiles if t.service_id == "ho-tich").text  # configured
    assert icons.ICONS["stamp"] in next(t for t in tiles if t.service_id == "chung-thuc").text  # from the id


def test_the_speaker_button_reads_the_screen_with_espeak_ng(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    assert app.can_speak  # espeak-ng is installed on every kiosk (scripts/install-system-deps)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.tap(drive.find_text("Nghe"))
    drive.wait_until(lambda: app.speaker.sound is not None, timeout=30, what="the spoken screen")
    with wave.open(str(app.speaker.last_path)) as spoken:
        frames = spoken.readframes(spoken.getnframes())
        assert spoken.getnframes() / spoken.getframerate() > 2  # a few sentences, not a click
    assert max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True)) for i in range(0, len(frames), 2)) > 1000
    assert app.speaker.sound.state == "play"


def test_home_button_stays_on_one_line_and_the_clock_is_whole_in_large_text(kivy_driver, make_kiosk):
    from kivy.core.window import Window

    Window.size = (1024, 768)
    app = make_kiosk()
    drive = kivy_driver(app)
    app.go("fields")
    drive.step(3)
    home_button = drive.find_text("Trang chủ")
    one_line = home_button.font_size * 1.5 + home_button.padding[1] + home_button.padding[3]
    assert home_button.texture_size[1] < one_line  # one line, not "Trang / chủ"
    app.go_home()
    app.large = True
    drive.step(3)
    clock = drive.find(lambda w: getattr(w, "text", "") == app.clock_text)[0]
    assert clock.texture_size[0] <= clock.width + 1 and clock.texture_size[1] <= clock.height + 1


def test_the_admin_pin_is_masked_with_drawn_dots(kivy_driver, make_kiosk):
    app = make_kiosk()
    drive = kivy_driver(app)
    app.open_admin()
    drive.step(3)
    pad = app.manager.get_screen("pin").ids.pad
    for key in "1357":
        drive.tap(pad.key_button(key), frames=4)
    dots = next(w for w in pad.walk() if isinstance(w, MaskDots))
    assert dots.count == 4 and dots.parent is pad.field
    texts = [str(w.text) for w in drive.find(lambda w: isinstance(w, Label) and not isinstance(w, TouchKey))]
    assert not [t for t in texts if "1357" in t or "●" in t or "⊠" in t]  # dots are drawn, not a glyph
