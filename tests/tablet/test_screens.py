"""Every screen, for 3-, 4- and 5-level scales, in Vietnamese and English: screenshots + checks.

The screenshots land in build/screenshots/test_screens/ for people to look at; the test
itself checks what can be checked mechanically: one distinct face per level, every label's
text fits inside its widget (nothing cut off), and every widget lies inside the window.
The clerk's photo comes from the real hub (``/api/v1/clerks/{id}/photo``).
"""

from __future__ import annotations

import pytest
import yaml
from kivy.uix.label import Label

from tablet_rating.session import IDLE, PROMPT, REASONS, THANKS
from tablet_rating.tablet_app import TabletApp
from tests.tablet.conftest import ROOT, HubAPI
from tests.tablet.test_app import face, faces, wait_for_screen

pytestmark = pytest.mark.kivy


def make_photo(path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), (214, 226, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((70, 30, 170, 130), fill=(120, 90, 70))
    draw.ellipse((30, 140, 210, 300), fill=(40, 70, 120))
    image.save(path)
    return path


def cut_off(drive, ignore=()) -> list[str]:
    """Labels whose text does not fit their widget, and widgets outside the window."""
    problems = []
    width, height = drive.window.size
    for widget in drive.find(lambda w: isinstance(w, Label)):
        if widget in ignore or not widget.text.strip() or widget.opacity == 0 or getattr(widget, "shorten", False):
            continue
        if not _shown(widget):
            continue
        tw, th = widget.texture_size
        if tw > widget.width + 2 or th > widget.height + 2:
            problems.append(f"{widget.text[:40]!r}: text {tw:.0f}x{th:.0f} in a {widget.width:.0f}x{widget.height:.0f} box")
        x, y = widget.to_window(widget.x, widget.y)
        if _in_scroll_view(widget):
            continue  # scrolls into view by design (long sync status on the staff screen)
        if x < -1 or y < -1 or x + widget.width > width + 1 or y + widget.height > height + 1:
            problems.append(f"{widget.text[:40]!r}: outside the window at {x:.0f},{y:.0f}")
    return problems


def _in_scroll_view(widget) -> bool:
    from kivy.uix.scrollview import ScrollView

    while widget is not None and widget.parent is not widget:
        if isinstance(widget, ScrollView):
            return True
        widget = widget.parent
    return False


def _shown(widget) -> bool:
    while widget is not None and widget.parent is not widget:
        if getattr(widget, "opacity", 1) == 0:
            return False
        widget = widget.parent
    return True


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("scale", [3, 4, 5])
def test_every_screen_for_each_scale_and_language(kivy_driver, tablet_config, office_hub, tmp_path, scale, lang):
    raw_clerks = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["clerks"]
    raw_clerks[1]["photo"] = str(make_photo(tmp_path / "binh.png"))
    config = tablet_config(scale=scale, clerks=raw_clerks)
    hub = office_hub(config)
    api = HubAPI(hub.base_url, config)
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    app.device.apply_settings(app.device.settings.__class__(counter_id=2, hub_url=hub.base_url, mode="linked",
                                                            lang=lang, clerk_id=None))
    api.login(2, "tran-thi-binh")
    drive.wait_until(lambda: app.clerk_photo, timeout=10, what="the clerk's photo from the hub")
    name = f"{scale}-levels-{lang}"
    wait_for_screen(drive, app, IDLE)
    drive.screenshot(f"{name}-1-idle")
    assert cut_off(drive) == []

    ticket = api.serve_one(2, "chung-thuc")
    wait_for_screen(drive, app, PROMPT)
    drive.screenshot(f"{name}-2-prompt")
    assert cut_off(drive) == []
    shown = faces(drive)
    assert len(shown) == scale
    assert len({tuple(f.rgb) for f in shown}) == scale and len({f.curvature for f in shown}) == scale
    assert str(ticket["number"]) in app.ticket_text

    drive.tap(face(drive, 1))
    wait_for_screen(drive, app, REASONS)
    drive.run_for(0.6)
    drive.tap(drive.find_text(config.reasons[0].label.get(lang)))
    drive.screenshot(f"{name}-3-reasons")
    assert cut_off(drive) == []
    app.open_keyboard()
    drive.step(3)
    app.sm.get_screen(REASONS).keyboard.text = "Cán bộ hướng dẫn tận tình nhưng phải chờ rất lâu"
    drive.screenshot(f"{name}-4-keyboard")
    assert cut_off(drive) == []
    app.close_keyboard()
    drive.run_for(0.6)  # past the debounce after the reason's tap
    drive.tap(drive.find_text("Gửi" if lang == "vi" else "Send"))
    wait_for_screen(drive, app, THANKS)
    drive.screenshot(f"{name}-5-thanks")
    assert cut_off(drive) == []
    record = app.device.outbox.pending()[-1]
    assert (record["score"], record["scale"], record["lang"], record["clerk_id"]) == (1, scale, lang, "tran-thi-binh")

    app.open_admin()
    drive.step(3)
    drive.screenshot(f"{name}-6-pin")
    assert cut_off(drive) == []
    pad = app.sm.get_screen("pin").ids.pad
    for key in [*config.kiosk.admin_pin, "submit"]:
        drive.tap(pad.key_button(key), frames=4)
    drive.step(3)
    assert app.sm.current == "settings"
    drive.screenshot(f"{name}-7-settings")
    assert cut_off(drive) == []


def test_a_small_window_scales_every_screen_down_without_cutting_anything(kivy_driver, tablet_config, tmp_path):
    """The demo opens one 640x400 window per counter: the layouts shrink to fit."""
    config = tablet_config(scale=5, mode="standalone", clerk_id="pham-thu-dung")
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    original = tuple(drive.window.size)
    drive.window.size = (640, 400)
    try:
        drive.wait_until(lambda: tuple(drive.window.size) == (640, 400), what="the window to shrink")
        drive.step(5)
        from tablet_rating.tablet_app import UI

        assert UI.scale < 0.7
        drive.screenshot("small-window-1-prompt")
        assert cut_off(drive) == []
        drive.tap(face(drive, 1))
        drive.step(3)
        drive.screenshot("small-window-2-reasons")
        assert cut_off(drive) == []
        app.open_keyboard()
        drive.step(3)
        drive.screenshot("small-window-3-keyboard")
        assert cut_off(drive) == []
        app.close_keyboard()
        drive.run_for(0.6)
        app.skip_reasons()
        drive.step(3)
        drive.screenshot("small-window-4-thanks")
        assert cut_off(drive) == []
    finally:
        drive.window.size = original
        drive.step(3)
