"""Every counter-tablet screen, in normal and large text, at three screen sizes: nothing cut off,
no button under 15 mm, no missing glyph (``tests/screen_checks.py``). One app start per size;
the screens are switched inside, and large text is switched on as a citizen does, with the
prompt's "Chữ to" button; it is off again for the next citizen.
Screenshots: build/screenshots/test_screen_checks/tablet-*.png."""

from __future__ import annotations

import pytest

from tablet_rating.session import IDLE, PROMPT, REASONS
from tests.screen_checks import problems
from tests.tablet.test_app import face, wait_for_screen

pytestmark = pytest.mark.kivy

SIZES = [(1024, 768), (1280, 800), (1920, 1080)]


def _visit(drive, app, config, large: bool):
    from tablet_rating.tablet_app import UI

    wait_for_screen(drive, app, PROMPT)  # standalone: the prompt is up at once
    assert not UI.large, "large text stays on for the next citizen"
    if large:
        drive.tap(app.sm.get_screen(PROMPT).ids.large)
        drive.step(3)
        assert UI.large and app.session.large
    app.sm.current = IDLE  # a linked tablet between tickets
    yield "idle"
    app.sm.current = PROMPT
    yield "prompt"
    drive.tap(face(drive, 1))
    wait_for_screen(drive, app, REASONS)
    drive.run_for(0.6)
    yield "reasons"
    app.open_keyboard()
    app.sm.get_screen(REASONS).keyboard.text = "Cán bộ hướng dẫn tận tình nhưng phải chờ rất lâu"
    yield "keyboard"
    app.close_keyboard()
    app.open_contact()
    yield "contact"
    app.decline_contact()
    drive.run_for(0.6)
    app.send_reasons()
    yield "thanks"
    assert UI.large == large
    app.open_admin()
    app.check_pin("0000")
    yield "pin-wrong"
    app.check_pin(config.kiosk.admin_pin)
    yield "settings"
    app.close_admin()
    app.session.tick()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_tablet_screen_fits_has_big_buttons_and_every_glyph(kivy_driver, tablet_config, tmp_path, size):
    from kivy.core.window import Window

    from tablet_rating.tablet_app import TabletApp

    Window.size = (size[0] - 2, size[1])  # a real resize even if Kivy believes it has the size already
    Window.size = size
    config = tablet_config(mode="standalone", clerk_id="nguyen-van-an", thanks_s=1)
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    found = []
    try:
        drive.step(3)
        for large in (False, True):
            for name in _visit(drive, app, config, large):
                drive.step(3)
                shot = f"tablet-{size[0]}x{size[1]}-{'large' if large else 'normal'}-{name}"
                drive.screenshot(shot)
                found += [f"{shot}: {p}" for p in problems(drive, app.sm.current_screen)]
    finally:
        drive.stop()  # before resizing back: no screen of a stopped app may re-lay itself
        Window.size = (1024, 768)
    assert found == [], "\n".join(found)
