"""How the lobby voice reads numbers and what the announcement file holds."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest

from kiosk.hub.voice import Announcer, announcement_text, chime, number_words, spoken_number


@pytest.mark.parametrize("number, words", [
    (0, "không"), (5, "năm"), (10, "mười"), (11, "mười một"), (15, "mười lăm"), (21, "hai mươi mốt"),
    (24, "hai mươi tư"), (25, "hai mươi lăm"), (105, "một trăm linh năm"), (110, "một trăm mười"),
    (1001, "một nghìn không trăm linh một"), (1999, "một nghìn chín trăm chín mươi chín"),
    (2015, "hai nghìn không trăm mười lăm"), (10005, "mười nghìn không trăm linh năm"),
])
def test_numbers_are_read_as_vietnamese_words(number, words):
    assert number_words(number) == words


def test_number_reading_is_configurable_whole_or_digit_by_digit():
    assert spoken_number(2015, "whole") == "hai nghìn không trăm mười lăm"
    assert spoken_number(2015, "digits") == "hai, không, một, năm"
    assert announcement_text(2015, 3) == "Mời công dân có số hai nghìn không trăm mười lăm, đến quầy số ba."
    with pytest.raises(ValueError):
        number_words(-1)


def _rms(frames: bytes) -> float:
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768


def test_the_chime_is_audible_and_the_digit_reading_makes_its_own_file(tmp_path):
    assert _rms(chime()) > 0.05
    whole = Announcer(tmp_path / "whole", "whole").path_for(2015, 3)
    digits = Announcer(tmp_path / "digits", "digits").path_for(2015, 3)
    assert whole.read_bytes() != digits.read_bytes()
    with wave.open(io.BytesIO(digits.read_bytes())) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds > 3 and _rms(frames) > 0.02


def test_the_voice_cache_keeps_only_the_newest_calls(tmp_path):
    announcer = Announcer(tmp_path, "digits", keep_files=2)
    paths = [announcer.path_for(number, 1) for number in (1001, 1002, 1003)]
    assert sorted(tmp_path.glob("*.wav")) == sorted(paths[1:])


def test_a_second_language_follows_the_vietnamese_call_in_the_same_file(tmp_path):
    from kiosk.hub.voice import english_announcement_text

    assert english_announcement_text(2015, 3) == "Ticket number 2015, please go to counter 3."
    assert english_announcement_text(2015, 3, "digits") == "Ticket number 2, 0, 1, 5, please go to counter 3."
    only_vi = Announcer(tmp_path / "vi", "whole").path_for(2015, 3)
    both = Announcer(tmp_path / "vi-en", "whole", second_language="en").path_for(2015, 3)

    def seconds(path):
        with wave.open(io.BytesIO(path.read_bytes())) as audio:
            return audio.getnframes() / audio.getframerate(), audio.readframes(audio.getnframes())

    vi_seconds, vi_frames = seconds(only_vi)
    both_seconds, both_frames = seconds(both)
    assert both_seconds > vi_seconds + 1.5  # the English sentence is there, after the Vietnamese one
    tail = both_frames[len(vi_frames) - int(0.3 * 22050) * 2:]
    assert _rms(tail) > 0.02  # and it is speech, not silence
