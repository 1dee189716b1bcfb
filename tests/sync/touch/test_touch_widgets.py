"""The shared keyboard and PIN / digit pad, driven by simulated touches in a real Kivy window."""

from __future__ import annotations

import pytest
from kivy.app import App
from kivy.tests.common import UnitTestTouch
from kivy.uix.boxlayout import BoxLayout

from sync.touch import MaskDots, PinPad, VietKeyboard
from sync.touch.keys import BOUNCE_S

pytestmark = pytest.mark.kivy


class _Host(App):
    """A bare app showing one keyboard and one pad side by side."""

    def __init__(self, keyboard: VietKeyboard, pad: PinPad):
        super().__init__()
        self.keyboard, self.pad = keyboard, pad

    def build(self):
        root = BoxLayout(padding=10, spacing=10)
        root.add_widget(self.keyboard)
        root.add_widget(self.pad)
        self.pad.size_hint_x = 0.4
        return root


def _type(drive, keyboard, keys):
    for key in keys:
        drive.tap(keyboard.key_button(key), frames=5)  # a finger's pace: slower than the key bounce


def test_typing_cua_with_the_hoi_key_gives_cua_with_the_tone_on_u(kivy_driver):
    keyboard = VietKeyboard(max_chars=20)
    drive = kivy_driver(_Host(keyboard, PinPad()))
    _type(drive, keyboard, ["shift", "c", "u", "a", "hoi", "space", "space", "n", "g", "ư", "ơ", "i", "huyen"])
    assert keyboard.text == "Của người"
    assert keyboard.key_button("c").text == "c"  # shift was for one capital only
    _type(drive, keyboard, ["delete", "delete"])
    assert keyboard.text == "Của ngư"
    drive.screenshot("keyboard")


def test_a_ghost_second_touch_on_one_key_types_one_letter(kivy_driver):
    keyboard = VietKeyboard()
    drive = kivy_driver(_Host(keyboard, PinPad()))
    key = keyboard.key_button("đ")
    x, y = key.to_window(*key.center)
    for _ in range(2):  # two touches in one frame: a bounce, far quicker than any finger
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    drive.step(2)
    assert keyboard.text == "đ"
    drive.run_for(BOUNCE_S)
    drive.tap(key)
    assert keyboard.text == "đđ"  # a second press after the bounce time counts


def test_the_search_layout_has_a_clear_key_and_no_shift_or_punctuation_and_follows_the_language(kivy_driver):
    keyboard = VietKeyboard(shift_key=False, punctuation=False, clear_key=True, max_chars=5)
    drive = kivy_driver(_Host(keyboard, PinPad()))
    drive.step(2)
    with pytest.raises(KeyError):
        keyboard.key_button("shift")
    with pytest.raises(KeyError):
        keyboard.key_button("?")
    _type(drive, keyboard, ["h", "o", "a", "sac", "x", "y", "z"])
    assert keyboard.text == "hoáxy"  # at most max_chars
    assert keyboard.key_button("clear").text == "Xóa hết"
    keyboard.lang = "en"
    assert keyboard.key_button("clear").text == "Clear" and keyboard.key_button("space").text == "Space"
    _type(drive, keyboard, ["clear"])
    assert keyboard.text == ""


def test_the_pin_pad_shows_drawn_dots_and_its_message_never_moves_the_keys(kivy_driver):
    pad = PinPad(max_length=6)
    submitted = []
    pad.bind(on_submit=lambda _pad, value: submitted.append(value))
    drive = kivy_driver(_Host(VietKeyboard(), pad))
    drive.step(2)
    for key in "1357":
        drive.tap(pad.key_button(key), frames=3)
    dots = next(w for w in pad.walk() if isinstance(w, MaskDots))
    assert pad.entered == "1357" and dots.count == 4
    assert len([i for i in dots.canvas.children if type(i).__name__ == "Ellipse"]) == 4
    assert "1357" not in [getattr(w, "text", "") for w in pad.walk()]  # a PIN is never shown
    keys_before = [tuple(pad.key_button(k).to_window(*pad.key_button(k).pos)) for k in "159"]
    drive.tap(pad.key_button("submit"))
    assert submitted == ["1357"]
    pad.reset("Sai mã PIN")
    drive.step(3)
    assert pad.entered == "" and pad.message_label.text == "Sai mã PIN"
    assert [tuple(pad.key_button(k).to_window(*pad.key_button(k).pos)) for k in "159"] == keys_before
    drive.tap(pad.key_button("2"))
    assert pad.message == ""  # typing again clears the error
    drive.screenshot("pinpad")


def test_the_digit_pad_for_a_phone_number_shows_the_digits_and_stops_at_its_length(kivy_driver):
    pad = PinPad(masked=False, max_length=10)
    drive = kivy_driver(_Host(VietKeyboard(), pad))
    for key in "09123456789":
        drive.tap(pad.key_button(key), frames=3)
    assert pad.entered == "0912345678"
    assert pad.digits.text == "0912345678" and pad.digits.parent is pad.field
    assert pad.key_button("submit").text == "Xong"
    drive.tap(pad.key_button("delete"), frames=3)
    assert pad.entered == "091234567"
