"""How `kiosk` sets Kivy up for a public touchscreen."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_kiosk_runs_fullscreen_without_cursor_with_exactly_one_input_provider(config_file, tmp_path):
    script = (
        "import json, sys\n"
        "from sync.config import load_config\n"
        "from kiosk.app.launch import configure_kivy\n"
        "configure_kivy(load_config(sys.argv[1]))\n"
        "from kivy.config import Config\n"
        "print(json.dumps({'input': dict(Config.items('input')),\n"
        "                  'fullscreen': Config.get('graphics', 'fullscreen'),\n"
        "                  'cursor': Config.get('graphics', 'show_cursor'),\n"
        "                  'escape': Config.get('kivy', 'exit_on_escape')}))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_CONSOLELOG="1")
    done = subprocess.run([sys.executable, "-c", script, str(config_file)], check=False, capture_output=True,
                          text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"input": {"mouse": "mouse,disable_multitouch"}, "fullscreen": "auto", "cursor": "0",
                    "escape": "0"}


def test_plain_kiosk_command_starts_the_touchscreen_with_its_hub(xvfb, config_file, tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = config_file.read_text(encoding="utf-8").replace("port: 8700", f"port: {port}")
    config_file.write_text(text.replace("fullscreen: true", "fullscreen: false"), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIVY_HOME=str(tmp_path / "kivy"), DISPLAY=xvfb,
               KIVY_LOG_MODE="KIVY")
    env.pop("KIVY_NO_CONSOLELOG", None)
    env.pop("KIVY_NO_ARGS", None)  # as on the kiosk PC: Kivy must not read our --config
    log = tmp_path / "kiosk.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--config", str(config_file)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline, state = time.monotonic() + 30, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/state", timeout=1) as reply:
                    state = json.load(reply)
                    break
            except OSError:
                time.sleep(0.2)
        assert state is not None, log.read_text(errors="replace")[-3000:]
        deadline = time.monotonic() + 30
        while "home screen shown" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        assert "home screen shown" in log.read_text(errors="replace")
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(10)
