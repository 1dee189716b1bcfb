"""The whole office on one machine: what ``make demo`` runs.

Brings up, with the embedded defaults of ``config.yaml`` (SQLite, dummy printer):

1. the central server (``sync-server run``) with a demo admin account and the office
   registered from the config;
2. the kiosk and one counter tablet per counter, each enrolled with the central server
   automatically (one-time codes, exactly as an IT officer would do by hand);
3. the kiosk window with its embedded office hub (lobby display and clerk console pages) and
   the tablet windows — or, with no display, the hub alone, saying that the windows need one;

then prints the addresses and the demo login and waits. Ctrl-C stops everything cleanly.
``--seed`` first fills the central server with a realistic month of tickets and ratings
(``scripts/demo_seed.py``) so the dashboard and exports are worth looking at.

Every part runs as its own process through the same console commands an office would use,
so the demo exercises the real product, uploads included.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo_seed import seed_month  # noqa: E402
from sync.cli import load_config_or_exit  # noqa: E402
from sync.device_cli import device_dir  # noqa: E402

DEMO_ADMIN = ("admin", "thuocdo-demo-2026")
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def wait_http(url: str, what: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"[demo] {what} exited with status {proc.returncode}; see the messages above")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"[demo] {what} did not answer at {url} within {timeout:.0f} s")


def display_available() -> bool:
    display = os.environ.get("DISPLAY")
    if not display:
        return False
    number = display.split(":")[-1].split(".")[0]
    return Path(f"/tmp/.X11-unix/X{number}").exists() or display.startswith(("localhost", "127."))


class Demo:
    def __init__(self, config_path: str, seed: bool, headless: bool):
        self.config_path = str(Path(config_path).resolve())
        self.seed = seed
        self.headless = headless
        self.children: list[tuple[str, subprocess.Popen]] = []
        # Kivy logs to ~/.kivy/logs only: the console stays readable for the addresses below
        self.env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1")

    # -- helpers -----------------------------------------------------------------------
    def command(self, program: str, *args: str, stdin: str | None = None, check: bool = True) -> str:
        result = subprocess.run([str(BIN / program), "--config", self.config_path, *args], env=self.env,
                                input=stdin, capture_output=True, text=True)
        if check and result.returncode:
            raise SystemExit(f"[demo] `{program} {' '.join(args)}` failed:\n{result.stderr or result.stdout}")
        return result.stdout

    def start(self, name: str, program: str, *args: str, extra_env: dict | None = None) -> subprocess.Popen:
        proc = subprocess.Popen([str(BIN / program), "--config", self.config_path, *args],
                                env={**self.env, **(extra_env or {})}, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.children.clear()

    # -- steps -------------------------------------------------------------------------
    def run(self) -> int:
        cfg = load_config_or_exit(self.config_path)
        server_url = f"http://{cfg.server.host}:{cfg.server.port}"
        if not cfg.sync.server_url:
            # devices upload to the demo's own central server (config.yaml reads this variable)
            os.environ["THUOCDO_SERVER_URL"] = self.env["THUOCDO_SERVER_URL"] = server_url
            cfg = load_config_or_exit(self.config_path)
        for what, host, port in (("central server", cfg.server.host, cfg.server.port),
                                 ("office hub", cfg.hub.host, cfg.hub.port)):
            if not port_free(host, port):
                say(f"port {port} ({what}) is already in use: stop the program using it "
                    f"(an earlier demo?) or change the port in {self.config_path}")
                return 1
        cfg.data_path.mkdir(parents=True, exist_ok=True)

        say("central server: database, demo admin, office")
        self.command("sync-server", "migrate")
        self.command("sync-server", "create-admin", DEMO_ADMIN[0], "--role", "province_admin",
                     stdin=f"{DEMO_ADMIN[1]}\n", check=False)  # already there on a second run
        self.command("sync-server", "import-office", self.config_path)
        server = self.start("central server", "sync-server", "run")
        wait_http(f"{server_url}/openapi.json", "the central server", server)

        say("enrolling the kiosk and the tablets with the central server")
        devices = [("kiosk", None, "Máy lấy số sảnh")] + [("tablet", c.id, f"Máy tính bảng {c.name.vi}")
                                                            for c in cfg.counters]
        for kind, counter, name in devices:
            folder = device_dir(cfg, kind, counter)
            if (folder / "device-credentials.json").exists():
                continue
            code = self.command("sync-server", "enroll-device", "--office", cfg.office.id, "--kind", kind,
                                "--name", name).split()[-1]
            program = "kiosk" if kind == "kiosk" else "tablet-rating"
            counter_args = ["--counter", str(counter)] if counter is not None else []
            self.command(program, *counter_args, "enroll", "--server", server_url, "--code", code)

        if self.seed:
            say("seeding the central server with a month of visits (this takes a little while)")
            code = self.command("sync-server", "enroll-device", "--office", cfg.office.id, "--kind", "kiosk",
                                "--name", "Dữ liệu mẫu (demo --seed)").split()[-1]
            enrolled = requests.post(f"{server_url}/api/v1/devices/enroll", json={"code": code}, timeout=10).json()
            counts = seed_month(cfg, server_url, enrolled["token"], enrolled["device_id"])
            say(f"seeded: {counts}")

        windows = display_available() and not self.headless
        if windows:
            self.start("kiosk", "kiosk", "--windowed",
                       extra_env={"KCFG_GRAPHICS_WIDTH": "1024", "KCFG_GRAPHICS_HEIGHT": "700"})
            for i, counter in enumerate(cfg.counters):
                self.start(f"tablet {counter.id}", "tablet-rating", "--counter", str(counter.id), "--windowed",
                           extra_env={"KCFG_GRAPHICS_WIDTH": "640", "KCFG_GRAPHICS_HEIGHT": "400",
                                      "KCFG_GRAPHICS_POSITION": "custom",
                                      "KCFG_GRAPHICS_LEFT": str(40 + 60 * i), "KCFG_GRAPHICS_TOP": str(40 + 60 * i)})
        else:
            say("no display found: running the office hub without the kiosk and tablet windows "
                "(they need a screen — run `make demo` from a desktop session to see them)")
            self.start("office hub", "kiosk", "hub")
        wait_http(f"{cfg.hub_url}/api/v1/state", "the office hub", self.children[1][1])

        consoles = "\n                            ".join(
            f"{cfg.hub_url}/console#counter={c.id}&token={c.token}" for c in cfg.counters)
        print(f"""
  Thước Đo demo is running — office: {cfg.office.name}
    Lobby display (TV):     {cfg.hub_url}/display
    Clerk console:          {consoles}
                            (clerk PINs in config.yaml, e.g. {cfg.clerks[0].name}: {cfg.clerks[0].pin})
    Admin dashboard:        {server_url}/            (login {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]})
    Kiosk and tablets:      {"windows on this screen" if windows else "not started (no display)"}
  Press Ctrl-C to stop everything.
""", flush=True)
        while True:
            for name, proc in self.children:
                if proc.poll() is not None:
                    say(f"{name} stopped (status {proc.returncode}); stopping the demo")
                    return 1
            time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the whole Thước Đo office on this machine.")
    parser.add_argument("--config", default=str(ROOT / "config.yaml"), metavar="PATH")
    parser.add_argument("--seed", action="store_true", help="fill the central server with a month of visits first")
    parser.add_argument("--headless", action="store_true", help="servers only, even when a display is available")
    args = parser.parse_args(argv)
    demo = Demo(args.config, args.seed, args.headless)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return demo.run()
    except KeyboardInterrupt:
        say("stopping…")
        return 0
    finally:
        demo.stop_all()


if __name__ == "__main__":
    sys.exit(main())
