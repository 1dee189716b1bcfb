"""The tablet stays Android-packable, and the ``tablet-rating`` command starts it.

* Importing the tablet app pulls in no server framework, database driver or hub code
  (checked in a fresh interpreter, where ``sys.modules`` shows everything imported).
* ``buildozer.spec`` asks only for pure-Python requirements and ships only device code.
* ``tablet-rating --counter N`` runs the app with its data in ``<data_dir>/tablet-N``, and a
  second app on the same counter does not start: it shows (and prints) what to do, and waits.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "psycopg2", "alembic", "asyncpg",
             "kiosk", "sync.server", "jinja2", "httpx")


def test_importing_the_tablet_app_imports_no_server_framework_or_database_driver():
    code = (
        "import sys, json\n"
        "import tablet_rating, tablet_rating.tablet_app, tablet_rating.cli, tablet_rating.device\n"
        f"bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r}))\n"
        "print(json.dumps({'bad': bad, 'kivy': 'kivy' in sys.modules}))\n"
    )
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_LOG_MODE": "PYTHON"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=False,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"bad": [], "kivy": True}


def test_the_buildozer_spec_asks_only_for_pure_python_packages_and_device_code():
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    app = spec["app"]
    requirements = [r.strip().split("==")[0] for r in app["requirements"].split(",")]
    assert requirements == ["python3", "kivy", "requests", "urllib3", "idna", "charset-normalizer", "certifi",
                            "tinydb", "pyyaml", "tzdata"]
    included = [p.strip() for p in app["source.include_patterns"].split(",")]
    for path in included:
        assert list(ROOT.glob(path)), f"buildozer.spec includes {path}, which matches no file"
    assert not any(p.startswith(("kiosk", "sync/server")) for p in included)
    excluded = {d.strip() for d in app["source.exclude_dirs"].split(",")}
    assert {"kiosk", "sync/server", "tests", "bench"} <= excluded
    main = (ROOT / "main.py").read_text(encoding="utf-8")
    assert "tablet_rating" in main


@pytest.mark.kivy
def test_tablet_rating_starts_the_app_per_counter_and_a_second_one_waits_on_its_screen(xvfb, tablet_config,
                                                                                         tmp_path):
    config = tablet_config(mode="standalone", clerk_id="nguyen-van-an")
    exe = Path(sys.executable).parent / "tablet-rating"
    env = {**os.environ, "DISPLAY": xvfb}
    command = [str(exe), "--config", config.source, "--counter", "2", "--windowed"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        identity = config.data_path / "tablet-2" / "outbox" / "device.json"
        deadline = time.monotonic() + 30
        while not identity.exists():
            assert first.poll() is None, "tablet-rating exited early"
            assert time.monotonic() < deadline, "tablet-rating did not create its outbox"
            time.sleep(0.1)
        log = tmp_path / "second.log"
        with open(log, "wb") as out:
            second = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:  # it says why on its screen (and stderr) and waits instead of exiting
            deadline = time.monotonic() + 30
            while "--counter N" not in log.read_text(errors="replace"):
                assert second.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "the second tablet never said why it cannot start"
                time.sleep(0.2)
            time.sleep(1)
            assert second.poll() is None
        finally:
            second.terminate()
            second.wait(10)
        unknown = subprocess.run([str(exe), "--config", config.source, "--counter", "9"], capture_output=True,
                                 text=True, env=env, timeout=60, check=False)
        assert unknown.returncode == 2 and "--counter 9: no such counter" in unknown.stderr
    finally:
        first.terminate()
        first.wait(10)


def test_the_rating_rules_and_the_hub_link_import_without_kivy():
    code = ("import sys\n"
            "import tablet_rating.session, tablet_rating.device, tablet_rating.hub_link, tablet_rating.settings\n"
            "print(sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_sync_commands_use_the_same_folder_as_the_app_for_a_counter(tablet_config):
    config = tablet_config()
    exe = Path(sys.executable).parent / "tablet-rating"
    for argv in (["--counter", "3", "sync-status"], ["sync-status", "--counter", "3"]):
        result = subprocess.run([str(exe), "--config", config.source, *argv], capture_output=True, text=True,
                                timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert f"thư mục thiết bị: {config.data_path / 'tablet-3'}" in result.stdout
    from tablet_rating.device import device_dir_for

    assert device_dir_for(config, 3) == config.data_path / "tablet-3"
    assert device_dir_for(config) == config.data_path / "tablet-1"  # tablet.counter_id
