"""The start-up problem screen: a broken config.yaml is shown (key, file, line) full screen, in
the office's language, and the screen notices by itself when IT staff fix the file.
Screenshots: build/screenshots/test_startup_problem/."""

from __future__ import annotations

import pytest
import yaml

from sync.config import ConfigError, load_config
from tests.conftest import ROOT
from tests.screen_checks import problems

pytestmark = pytest.mark.kivy


def _broken(tmp_path, language: str = "vi"):
    """The shipped config with hub.port not a number, and the same config without the mistake."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["office"]["language"] = language
    raw["kiosk"]["catalog"] = str(ROOT / "assets/catalog/tthc.json")
    good = yaml.safe_dump(raw, allow_unicode=True)
    raw["hub"]["port"] = "tám nghìn"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path, good


def _error(path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_broken_config_is_shown_until_the_file_is_fixed(kivy_driver, tmp_path, size):
    from kivy.core.window import Window

    from sync.cli import office_language
    from sync.touch.startup_problem import StartupProblemApp, config_check

    path, good = _broken(tmp_path)
    lang = office_language(path)
    app = StartupProblemApp(_error(path).message(lang), config_check(path), lang=lang, poll_s=0.2)
    Window.size = (size[0] - 2, size[1])  # a real resize even if Kivy believes it has the size already
    Window.size = size
    drive = kivy_driver(app)
    try:
        drive.run_for(0.5)  # the X server's resize reaches the GL drawable asynchronously
        assert "hub.port" in app.message.text and str(path) in app.message.text
        assert drive.find_text("Máy chưa khởi động được") is app.heading
        assert "tự khởi động lại" in app.footer.text
        drive.screenshot(f"config-error-{size[0]}x{size[1]}")
        assert problems(drive) == []
        drive.run_for(0.5)
        assert not app.fixed, "the file is still broken"
        path.write_text(good, encoding="utf-8")
        drive.wait_until(lambda: app.fixed, timeout=5, what="the screen to see the fixed file")
    finally:
        drive.stop()
        Window.size = (1024, 768)


def test_a_changed_problem_replaces_the_text_and_english_offices_read_english(kivy_driver, tmp_path):
    from sync.touch.startup_problem import StartupProblemApp, config_check

    path, good = _broken(tmp_path, "en")
    app = StartupProblemApp(_error(path).message("en"), config_check(path), lang="en", poll_s=0.2)
    drive = kivy_driver(app)
    assert app.heading.text == "This device could not start"
    assert "restarts by itself" in app.footer.text
    path.write_text(good.replace("admin_pin:", "admin_pin_typo:", 1), encoding="utf-8")
    drive.wait_until(lambda: "admin_pin_typo" in app.message.text, timeout=5, what="the new problem shown")
    assert not app.fixed
    assert "hub.port" not in app.message.text
