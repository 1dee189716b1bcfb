"""Shared test fixtures: a virtual screen for Kivy, databases, headless Chromium, config.

* ``xvfb`` — one Xvfb screen for the session (started here when there is no DISPLAY), so
  Kivy windows and screenshots are real.
* ``kivy_driver`` — starts a Kivy app on that screen and drives it with simulated touches
  (see ``tests/kivy_driver.py``).
* ``database_url`` — parametrised over SQLite and PostgreSQL: every test that uses it runs
  twice, on a fresh SQLite file and on a fresh PostgreSQL database created on
  127.0.0.1:5432 and dropped afterwards. PostgreSQL is required when CI=true; elsewhere
  its half is skipped with the reason when no server answers.
* ``chromium`` — a Selenium WebDriver for Debian's headless Chromium (no downloads).
* ``office_config`` / ``config_file`` — the repository's config.yaml copied into a temporary
  folder, with its data directory there too, so tests never touch the developer's files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
PG_ADMIN_URL = os.environ.get("THUOCDO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# Kivy reads these at import time: a throw-away home, no argv parsing, logs to Python logging.
_KIVY_HOME = tempfile.mkdtemp(prefix="thuocdo-kivy-home-")
os.environ["KIVY_HOME"] = _KIVY_HOME
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_FILELOG"] = "1"
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ["KIVY_METRICS_DENSITY"] = "1"
# The window's size when a test module creates it on import (at collection): the largest the
# screen checks use. Its GL drawable keeps that first size when the window is made larger,
# so a window born at Kivy's default 800x600 gave 1280x800 and 1920x1080 screenshots that
# were partly garbage (the checks, on the widget tree, were right all along).
os.environ["KCFG_GRAPHICS_WIDTH"] = "1920"
os.environ["KCFG_GRAPHICS_HEIGHT"] = "1080"
# No sound card on a CI machine: SDL plays into its dummy output (the speaker tests still play).
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
# Tests never reach the network through a proxy set in the developer's shell.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = "*"


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def xvfb():
    """A virtual X screen (1920x1080, 24-bit: room for the largest screen checked) for Kivy; yields the DISPLAY string."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is missing: run `make test` (it installs it) or apt-get install xvfb")
    number = _free_display()
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    display = f":{number}"
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            break
        time.sleep(0.05)
    os.environ["DISPLAY"] = display
    yield display
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def kivy_driver(xvfb, request):
    """Factory: ``drive = kivy_driver(app)`` starts the app in the test's window and
    returns a ``KivyDriver``; the app is stopped after the test. Screenshots go to
    build/screenshots/<test module>/."""
    from kivy.config import Config

    Config.set("graphics", "width", "1024")
    Config.set("graphics", "height", "768")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    from tests.kivy_driver import KivyDriver

    started = []

    def start(app):
        driver = KivyDriver(app, SCREENSHOTS / Path(request.node.fspath).stem).start()
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()


def _pg_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI requires it)")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"thuocdo_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_chromium(user_data_dir: Path, autoplay: bool = True):
    """Headless Debian Chromium through Selenium and the system chromedriver. ``autoplay``:
    started like the lobby TV (sound without a tap); False: like a browser started by hand,
    which refuses sound until someone clicks."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chrome or not driver_path:
        pytest.fail("chromium/chromedriver missing: run `make test` (it installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1366,900",
                 f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    if autoplay:
        options.add_argument("--autoplay-policy=no-user-gesture-required")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.screenshot_dir = SCREENSHOTS
    return driver


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium allowed to play sound without a tap (as the lobby TV is started)."""
    driver = start_chromium(tmp_path / "chromium")
    yield driver
    driver.quit()


@pytest.fixture
def config_file(tmp_path) -> Path:
    """The shipped config.yaml, copied to a temporary folder (data_dir lands there too)."""
    target = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("catalog: assets/catalog/tthc.json", f"catalog: {ROOT / 'assets/catalog/tthc.json'}")
    target.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def office_config(config_file):
    from sync.config import load_config

    return load_config(config_file)


@pytest.fixture
def python_exe() -> str:
    return sys.executable
