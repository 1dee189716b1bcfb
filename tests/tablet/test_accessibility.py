"""The counter tablet for a citizen who reads little, and for the staff: the review's findings."""

from __future__ import annotations

import wave

import pytest

from tests.tablet.test_app import face

pytestmark = pytest.mark.kivy


def test_the_prompt_s_speaker_reads_the_question_with_espeak_ng(kivy_driver, tablet_config, tmp_path):
    from tablet_rating.tablet_app import TabletApp

    app = TabletApp(tablet_config(mode="standalone", clerk_id="nguyen-van-an"), tmp_path / "tablet")
    drive = kivy_driver(app)
    face(drive, 3)  # the prompt is up
    assert app.can_speak
    drive.tap(drive.find_text("Nghe"))
    drive.wait_until(lambda: app.speaker.sound is not None, timeout=30, what="the spoken question")
    with wave.open(str(app.speaker.last_path)) as spoken:
        assert spoken.getnframes() / spoken.getframerate() > 2
        frames = spoken.readframes(spoken.getnframes())
    assert max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True)) for i in range(0, len(frames), 2)) > 1000
    assert app.speaker.sound.state == "play"


def test_a_wrong_pin_message_leaves_the_keypad_where_it_was(kivy_driver, tablet_config, tmp_path):
    from tablet_rating.tablet_app import TabletApp

    config = tablet_config()
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    app.open_admin()
    drive.step(3)
    pad = app.sm.get_screen("pin").ids.pad
    where = {k: tuple(pad.key_button(k).to_window(*pad.key_button(k).pos)) for k in ("1", "5", "submit")}
    for key in "1357":
        drive.tap(pad.key_button(key), frames=4)
    drive.tap(pad.key_button("submit"))
    drive.step(3)
    assert pad.message == "Mã không đúng"
    assert {k: tuple(pad.key_button(k).to_window(*pad.key_button(k).pos)) for k in where} == where
    for key in [*config.kiosk.admin_pin, "submit"]:  # the second try hits the same keys
        drive.tap(pad.key_button(key), frames=4)
    assert app.sm.current == "settings"
