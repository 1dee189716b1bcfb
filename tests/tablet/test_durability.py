"""A rating the citizen saw acknowledged survives the app being killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kivy

HERE = Path(__file__).resolve().parent


def test_a_rating_survives_kill_9_right_after_the_tap(xvfb, tablet_config, tmp_path, kivy_driver):
    config = tablet_config(mode="standalone", clerk_id="pham-thu-dung")
    device_dir = tmp_path / "tablet"
    env = {**os.environ, "DISPLAY": xvfb}
    child = subprocess.Popen([sys.executable, str(HERE / "tap_and_wait.py"), config.source, str(device_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in child.stdout:
            if line.startswith("TAPPED "):
                os.kill(child.pid, signal.SIGKILL)
                record_id = line.split()[1]
                break
        else:
            pytest.fail(f"the app never reported the tap (exit code {child.wait(10)})")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    from tablet_rating.tablet_app import TabletApp

    restarted = TabletApp(config, device_dir)
    kivy_driver(restarted)
    (record,) = restarted.device.outbox.pending()
    assert record["id"] == record_id
    assert (record["score"], record["clerk_id"], record["counter_id"]) == (3, "pham-thu-dung", 1)
    restarted.session.clock = lambda: 1e9  # well past the debounce and the cooldown
    assert restarted.session.tap_level(2)
    assert [r["seq"] for r in restarted.device.outbox.pending()] == [1, 2]

