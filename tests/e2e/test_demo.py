"""`make demo` brings the whole office up on one machine and Ctrl-C stops it cleanly."""

from __future__ import annotations

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
            if "Press Ctrl-C to stop everything" in line:
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
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, rest
    assert "stopping" in rest
    # every port is free again: nothing left running
    for port in (raw["hub"]["port"], raw["server"]["port"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
