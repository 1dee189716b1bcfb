"""Every kiosk screen, in normal and large-text mode, at three screen sizes: nothing cut off,
no button under 15 mm, no missing glyph (``tests/screen_checks.py``). One app start per size;
the screens and modes are switched inside. Screenshots: build/screenshots/test_screen_checks/."""

from __future__ import annotations

import pytest

from kiosk.app.widgets import TapButton
from tests.screen_checks import problems

pytestmark = pytest.mark.kivy

SIZES = [(1024, 768), (1280, 800), (1920, 1080)]


def _visit(drive, app):
    """Show each screen in turn; yields its name once it is drawn."""
    app.go_home()
    yield "home"
    app.go("take")
    yield "take"
    app.priority = True
    yield "take-priority"
    app.take_ticket("ho-tich")
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), timeout=15, what="the ticket printed")
    drive.step(3)
    yield "ticket"
    app.go("fields")
    yield "fields"
    app.open_field("Hộ tịch")
    yield "procedures"
    app.go("search")
    search = app.manager.get_screen("search")
    search.keyboard.text = "dang ky khai sinh"
    drive.step(3)
    yield "search"
    app.open_procedure("1.001193")
    yield "detail"
    detail = app.manager.get_screen("detail")
    detail.show_special = True
    yield "detail-special"
    detail.show_full = True
    yield "detail-full"
    app.open_admin()
    app.check_pin("0000")
    yield "pin-wrong"
    app.check_pin(app.office.kiosk.admin_pin)
    yield "admin"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_kiosk_screen_fits_has_big_buttons_and_every_glyph(kivy_driver, make_kiosk, size):
    from kivy.core.window import Window

    Window.size = (size[0] - 2, size[1])  # a real resize even if Kivy believes it has the size already
    Window.size = size
    app = make_kiosk(idle_timeout_s=3600)  # a slow machine must not reset to normal text mid-check
    drive = kivy_driver(app)
    found = []
    try:
        drive.run_for(0.5)  # the X server's resize reaches the GL drawable asynchronously
        assert tuple(drive.window.size) == size
        for large in (False, True):
            app.large = large
            for name in _visit(drive, app):
                drive.step(3)
                assert app.large == large
                shot = f"{size[0]}x{size[1]}-{'large' if large else 'normal'}-{name}"
                drive.screenshot(shot)
                colours = [list(app.theme[key]) for key in ("primary_fg", "card_fg")]
                if any(list(b.color) not in colours for b in drive.find(lambda w: isinstance(w, TapButton),
                                                                          app.manager.current_screen)):
                    found.append(f"{shot}: buttons not drawn in the {'large' if large else 'normal'} look")
                found += [f"{shot}: {p}" for p in problems(drive, app.manager.current_screen)]
            app.large = False
    finally:
        drive.stop()  # before resizing back: no screen of a stopped app may re-lay itself
        Window.size = (1024, 768)
    assert found == [], "\n".join(found)
