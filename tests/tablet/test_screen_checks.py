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
        drive.run_for(0.5)  # the X server's resize reaches the GL drawable asynchronously
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


def test_the_settings_scroll_to_their_sync_section_in_a_small_640x400_window(kivy_driver, tablet_config, tmp_path):
    """The demo's tablet windows are 640x400: staff must still reach the sync status by scrolling."""
    from kivy.core.window import Window
    from kivy.uix.scrollview import ScrollView

    from tablet_rating.tablet_app import TabletApp
    from tablet_rating.texts import tr

    Window.size = (638, 400)
    Window.size = (640, 400)
    config = tablet_config(mode="standalone", clerk_id="nguyen-van-an")
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    try:
        drive.run_for(0.5)  # the X server's resize reaches the GL drawable asynchronously
        app.open_admin()
        app.check_pin(config.kiosk.admin_pin)
        drive.step(5)
        screen = app.sm.get_screen("settings")
        scroll = drive.find(lambda w: isinstance(w, ScrollView), screen)[0]
        heading = drive.find(lambda w: getattr(w, "text", "") == tr("vi", "settings.sync"), screen)[0]
        status = drive.find(lambda w: getattr(w, "text", "") == screen.status_text and w.text, screen)[0]

        def in_view(widget) -> bool:
            y = widget.to_window(widget.x, widget.y)[1]
            bottom = scroll.to_window(scroll.x, scroll.y)[1]
            return bottom - 1 <= y and y + widget.height <= bottom + scroll.height + 1

        assert scroll.children[0].height > scroll.height, "at 640x400 the settings must scroll"
        assert not in_view(status), "the sync status starts below the fold"
        scroll.scroll_to(status, padding=0, animate=False)
        drive.step(5)
        assert in_view(heading) and in_view(status)
        drive.screenshot("tablet-640x400-settings-sync")
        found = problems(drive, screen)
    finally:
        drive.stop()
        Window.size = (1024, 768)
    assert found == [], "\n".join(found)
