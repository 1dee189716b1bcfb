"""The one Vietnamese typing engine, with the cases of both apps (kiosk search, tablet comment)."""

from __future__ import annotations

import pytest

from sync import vi_input

PLACEMENT = [
    # the case the two old engines disagreed on: the kiosk typed "cuả"
    ("cua", "hoi", "của"),
    ("mua", "huyen", "mùa"), ("hoa", "sac", "hoá"), ("toan", "sac", "toán"), ("ngươi", "huyen", "người"),
    ("qua", "nang", "quạ"), ("gia", "sac", "giá"), ("tai", "huyen", "tài"), ("Viêt", "nang", "Việt"),
    ("cho lâu", "sac", "cho lấu"), ("tài", "hoi", "tải"), ("x", "sac", "x"), ("thuy", "sac", "thuý"),
    ("dang ky", "sac", "dang ký"), ("dang ký", "huyen", "dang kỳ"), ("nghê", "nang", "nghệ"),
    ("khai sinh", "sac", "khai sính"), ("hô tich", "nang", "hô tịch"), ("hôn", "nga", "hỗn"),
    ("chưng thưc", "nang", "chưng thực"), ("giây", "sac", "giấy"), ("quyên", "huyen", "quyền"),
    ("", "sac", ""), ("bcd", "sac", "bcd"),
]


@pytest.mark.parametrize(("text", "tone", "expected"), PLACEMENT)
def test_a_tone_key_puts_its_mark_on_the_vowel_vietnamese_spelling_puts_it_on(text, tone, expected):
    assert vi_input.add_tone(text, tone) == expected


def test_the_kiosk_search_typed_key_by_key_gives_the_same_words_as_the_tablet():
    text = ""
    for step in ["d", "a", "n", "g", " ", "k", "y", "sac", " ", " ", "c", "u", "a", "hoi"]:
        if step == " ":
            text = vi_input.type_space(text, 80)
        elif step in vi_input.TONES:
            text = vi_input.add_tone(text, step)
        else:
            text = vi_input.append_text(text, step, 80)
    assert text == "dang ký của"


def test_space_delete_and_the_length_limit():
    assert vi_input.type_space("", 10) == ""  # no space at the start
    assert vi_input.type_space("xyz ", 10) == "xyz "  # never two in a row
    assert vi_input.type_space("abc", 3) == "abc"  # the limit holds for spaces too
    assert vi_input.backspace("Việt") == "Việ"  # a toned letter is one letter
    assert vi_input.append_text("a" * 499, "bc", 500) == "a" * 499
    assert vi_input.append_text("Vie\u0302", "t", 10) == "Viêt"  # NFC out, whatever came in
