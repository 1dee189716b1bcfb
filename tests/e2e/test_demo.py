"""`make demo` brings the whole office up on one machine, starts again a part that stops while
the rest keeps running, places its windows side by side, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_until(demo, output: list[str], marker: str, timeout: float) -> str:
    """The demo's output from now until a line with ``marker``."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        assert line or demo.poll() is None, "".join(output + lines)
        lines.append(line)
        if marker in line:
            break
    output.extend(lines)
    return "".join(lines)


def test_windows_are_placed_side_by_side_and_the_display_browser_allows_sound():
    from scripts.demo import (
        DISPLAY_BROWSER_FLAGS,
        DISPLAY_SIZE,
        KIOSK_SIZE,
        TABLET_SIZE,
        display_browser_command,
        layout,
    )

    for screen in ((2560, 1440), (1920, 1080)):
        boxes = layout(screen, KIOSK_SIZE, [DISPLAY_SIZE] + [TABLET_SIZE] * 4)
        assert None not in [corner for corner, _ in boxes], f"a window found no room on {screen}"
        rects = [(x, y, x + w, y + h) for (x, y), (w, h) in boxes]
        for i, a in enumerate(rects):
            assert a[2] <= screen[0] and a[3] <= screen[1], f"window {i} leaves the screen"
            for b in rects[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"{a} covers {b}"
    assert boxes[0][1] == KIOSK_SIZE  # the kiosk keeps its size; the others shrink to fit
    small = layout((1366, 768), KIOSK_SIZE, [DISPLAY_SIZE] + [TABLET_SIZE] * 4)
    assert None in [corner for corner, _ in small]  # no room: left out (and said), not piled up

    tv = display_browser_command("chromium", "http://127.0.0.1:8700/display", Path("/tmp/p"), fullscreen=True)
    assert "--autoplay-policy=no-user-gesture-required" in tv and tv[-2:] == ["--kiosk", "http://127.0.0.1:8700/display"]
    window = display_browser_command("chromium", "http://127.0.0.1:8700/display", Path("/tmp/p"), (10, 20))
    assert "--app=http://127.0.0.1:8700/display" in window and "--window-position=10,20" in window
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert all(flag in guide for flag in (*DISPLAY_BROWSER_FLAGS, "--kiosk")), "docs/deployment.md lost a TV flag"


def test_the_demo_runs_the_servers_without_a_display_and_stops_on_ctrl_c(config_file):
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    raw["hub"]["port"], raw["server"]["port"] = free_port(), free_port()
    config_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "THUOCDO_SERVER_URL")}
    demo = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "demo.py"), "--config", str(config_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            assert line or demo.poll() is None, "".join(output)
            output.append(line)
            if "Ctrl-C to stop everything" in line:
                break
        text = "".join(output)
        assert "no display found" in text and "need a screen" in text
        hub = f"http://127.0.0.1:{raw['hub']['port']}"
        server = f"http://127.0.0.1:{raw['server']['port']}"
        assert f"{hub}/display" in text and f"{server}/" in text and "login admin / " in text
        assert requests.get(f"{hub}/display", timeout=5).status_code == 200
        assert requests.get(f"{hub}/console", timeout=5).status_code == 200
        login = requests.get(f"{server}/login", timeout=5)
        assert login.status_code == 200 and "Thước Đo" in login.text

        # a ticket taken at the hub reaches the central server through the enrolled kiosk outbox
        assert requests.post(f"{hub}/api/v1/tickets", json={"service_id": "ho-tich"}, timeout=5).status_code in (200, 201)
        password = text.split("login admin / ")[1].split(")")[0]
        token = requests.post(f"{server}/api/v1/auth/token", json={"username": "admin", "password": password},
                              timeout=5).json()["token"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            devices = requests.get(f"{server}/dashboard/devices", headers={"Authorization": f"Bearer {token}"},
                                   timeout=5)
            if devices.status_code == 200 and "Máy lấy số sảnh" in devices.text:
                break
            time.sleep(1)
        assert "Máy lấy số sảnh" in devices.text

        # the office hub dies: the demo says so and starts it again; the central server never stopped
        pid = int(re.search(r"started office hub \(pid (\d+)\)", text).group(1))
        os.kill(pid, signal.SIGKILL)
        restarted = _read_until(demo, output, "started office hub (pid", 60)
        assert f"office hub stopped (status -{int(signal.SIGKILL)}); starting it again" in restarted
        assert requests.get(f"{server}/login", timeout=5).status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{hub}/api/v1/state", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        waiting = requests.get(f"{hub}/api/v1/state", timeout=5).json()["services"][0]["waiting"]
        assert waiting == 1  # the restarted hub has the ticket taken before (durable queue)
        assert demo.poll() is None
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, rest
    assert "stopping" in rest
    # every port is free again: nothing left running
    for port in (raw["hub"]["port"], raw["server"]["port"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
