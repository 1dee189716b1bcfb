"""A kiosk or tablet started with a broken config.yaml stays up showing the problem (it does not
exit and blink under systemd), and comes up by itself once IT staff fix the file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.kivy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(module: str, config_file, tmp_path, xvfb, *extra: str):
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIVY_HOME=str(tmp_path / "kivy"), DISPLAY=xvfb,
               KIVY_LOG_MODE="KIVY")
    env.pop("KIVY_NO_CONSOLELOG", None)
    env.pop("KIVY_NO_ARGS", None)  # as on the device: Kivy must not read our --config
    log = tmp_path / f"{module}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", module, "--config", str(config_file), "--windowed", *extra],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    return proc, log


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise AssertionError("SIGTERM did not stop the program within 30 s") from None


def _wait_for_hub(proc, log, port: int) -> dict:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/state", timeout=1) as reply:
                return json.load(reply)
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the hub never answered:\n" + log.read_text(errors="replace")[-3000:])


def _wait_for_home_screen(proc, log) -> None:
    deadline = time.monotonic() + 30
    while "home screen shown" not in log.read_text(errors="replace"):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)


def _stays_up_with(proc, log, words: str, seconds: float = 4.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}:\n" + log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    assert words in log.read_text(errors="replace")


def test_a_kiosk_with_a_broken_config_waits_for_the_fix_then_serves(xvfb, config_file, tmp_path):
    port = _free_port()
    good = config_file.read_text(encoding="utf-8").replace("port: 8700", f"port: {port}")
    config_file.write_text(good.replace(f"port: {port}", "port: tám"), encoding="utf-8")
    proc, log = _start("kiosk.cli", config_file, tmp_path, xvfb)
    try:
        _stays_up_with(proc, log, "hub.port")
        config_file.write_text(good, encoding="utf-8")
        assert "counters" in _wait_for_hub(proc, log, port)
        _wait_for_home_screen(proc, log)
    finally:
        _stop(proc)


def test_a_tablet_with_a_broken_config_waits_for_the_fix_then_opens_its_outbox(xvfb, config_file, tmp_path):
    good = config_file.read_text(encoding="utf-8")
    config_file.write_text(good.replace("scale: ", "scale: năm #", 1), encoding="utf-8")
    proc, log = _start("tablet_rating.cli", config_file, tmp_path, xvfb)
    lock = tmp_path / "data" / "tablet-1" / "outbox" / "LOCK"
    try:
        _stays_up_with(proc, log, "rating.scale")
        assert not lock.exists()
        config_file.write_text(good, encoding="utf-8")
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        assert lock.read_text().strip() == str(proc.pid), log.read_text(errors="replace")[-3000:]
        _stays_up_with(proc, log, "", seconds=2)  # the restarted tablet app runs on
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        _stop(proc)


def test_a_kiosk_whose_hub_port_is_taken_says_so_and_starts_once_it_is_free(xvfb, config_file, tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    config_file.write_text(config_file.read_text(encoding="utf-8").replace("port: 8700", f"port: {port}"),
                           encoding="utf-8")
    proc, log = _start("kiosk.cli", config_file, tmp_path, xvfb)
    try:
        _stays_up_with(proc, log, "hub.port")
        blocker.close()
        assert "counters" in _wait_for_hub(proc, log, port)
        _wait_for_home_screen(proc, log)
    finally:
        blocker.close()
        _stop(proc)


def test_a_tablet_whose_outbox_another_program_holds_says_so_and_starts_once_it_is_free(xvfb, config_file,
                                                                                           tmp_path):
    from sync.outbox import Outbox

    held = Outbox(tmp_path / "data" / "tablet-1" / "outbox")
    proc, log = _start("tablet_rating.cli", config_file, tmp_path, xvfb)
    lock = held.path / "LOCK"
    try:
        _stays_up_with(proc, log, "--counter N")
        held.close()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and lock.read_text().strip() != str(proc.pid):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        assert lock.read_text().strip() == str(proc.pid), log.read_text(errors="replace")[-3000:]
        _stays_up_with(proc, log, "", seconds=2)
    finally:
        held.close()
        _stop(proc)
