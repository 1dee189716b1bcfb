"""The whole office on one machine: what ``make demo`` runs.

Brings up, with the embedded defaults of ``config.yaml`` (SQLite, dummy printer):

1. the central server (``sync-server run``) with a demo admin account and the office
   registered from the config;
2. the kiosk and one counter tablet per counter, each enrolled with the central server
   automatically (one-time codes, exactly as an IT officer would do by hand);
3. the kiosk window with its embedded office hub (lobby display and clerk console pages) and
   the tablet windows — or, with no display, the hub alone, saying that the windows need one;

4. the lobby display in Chromium started the way a lobby TV should be (sound without a tap:
   ``DISPLAY_BROWSER_FLAGS``, the same flags docs/deployment.md gives), when Chromium is there;

then prints the addresses and the demo login and waits. A part that stops by itself is
reported and started again (at most ``MAX_RESTARTS`` times in ``RESTART_WINDOW_S``), the rest
keeps running; Ctrl-C stops everything cleanly. The windows are placed side by side on the
screen (``place_windows``), not on top of each other. ``--seed`` first fills the central
server with a realistic month of tickets and ratings (``scripts/demo_seed.py``) so the
dashboard and exports are worth looking at.

Every part runs as its own process through the same console commands an office would use,
so the demo exercises the real product, uploads included.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo_seed import seed_month  # noqa: E402
from sync.cli import load_config_or_exit  # noqa: E402
from sync.device_cli import device_dir  # noqa: E402

DEMO_ADMIN = ("admin", "thuocdo-demo-2026")
BIN = Path(sys.executable).parent
MAX_RESTARTS = 3
RESTART_WINDOW_S = 300.0
# How a lobby TV's Chromium is started (docs/deployment.md, "Lobby display"): voice calls play
# without a tap, no error or "restore pages" bars (the page itself says "do not translate").
DISPLAY_BROWSER_FLAGS = ("--autoplay-policy=no-user-gesture-required", "--noerrdialogs", "--disable-infobars",
                         "--no-first-run", "--disable-session-crashed-bubble")
KIOSK_SIZE, TABLET_SIZE, DISPLAY_SIZE = (1024, 640), (640, 400), (960, 540)
GAP = 10


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


def screen_size() -> tuple[int, int]:
    """Width and height of the X screen in pixels (libX11), or 1920×1080 when unknown."""
    try:
        x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        display = x11.XOpenDisplay(None)
        if not display:
            return 1920, 1080
        try:
            return x11.XDisplayWidth(display, 0), x11.XDisplayHeight(display, 0)
        finally:
            x11.XCloseDisplay(display)
    except OSError:
        return 1920, 1080


def place_windows(screen: tuple[int, int], sizes: list[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """Top-left corners for windows of ``sizes`` (in order) so that none covers another: each
    goes to the highest, then leftmost, free spot beside or below those already placed;
    ``None`` for a window that finds no room."""
    width, height = screen
    placed: list[tuple[int, int, int, int]] = []
    corners: list[tuple[int, int] | None] = []
    for w, h in sizes:
        spots = [(0, 0)] + [(x + pw + GAP, y) for x, y, pw, _ in placed] + [(x, y + ph + GAP) for x, y, _, ph in placed]
        free = [(x, y) for x, y in spots
                if x + w <= width and y + h <= height
                and not any(x < px + pw + GAP and px < x + w + GAP and y < py + ph + GAP and py < y + h + GAP
                            for px, py, pw, ph in placed)]
        corner = min(free, key=lambda spot: (spot[1], spot[0])) if free else None
        if corner:
            placed.append((*corner, w, h))
        corners.append(corner)
    return corners


def layout(screen: tuple[int, int], first: tuple[int, int], others: list[tuple[int, int]]):
    """``[(corner, size)]``: the kiosk window (``first``) at its size, the others shrunk (down
    to 70 %) until all of them fit side by side; a window that still finds no room has
    corner ``None`` (the demo says so instead of piling windows up)."""
    for scale in (1.0, 0.8, 0.7):
        sizes = [first] + [(round(w * scale), round(h * scale)) for w, h in others]
        corners = place_windows(screen, sizes)
        if None not in corners or scale == 0.7:
            return list(zip(corners, sizes, strict=True))
    raise AssertionError("unreachable")


def display_browser_command(browser: str, url: str, profile: Path, corner: tuple[int, int] = (0, 0),
                            size: tuple[int, int] | None = None, fullscreen: bool = False) -> list[str]:
    """Chromium showing the lobby display as a TV would (``fullscreen``: the ``--kiosk`` mode
    of a real TV) or as a window at ``corner`` of ``size`` on the demo's desktop."""
    command = [browser, *DISPLAY_BROWSER_FLAGS, f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    if fullscreen:
        return [*command, "--kiosk", url]
    width, height = size or DISPLAY_SIZE
    return [*command, f"--app={url}", f"--window-position={corner[0]},{corner[1]}", f"--window-size={width},{height}"]


@dataclass
class Part:
    """One process of the demo, with what it takes to start it again."""

    name: str
    argv: list[str]
    env: dict
    log: Path | None = None  # where its output goes (Chromium's is long and not for people)
    proc: subprocess.Popen | None = None
    restarts: deque = field(default_factory=deque)
    given_up: bool = False


class Demo:
    def __init__(self, config_path: str, seed: bool, headless: bool, display_fullscreen: bool = False):
        self.config_path = str(Path(config_path).resolve())
        self.seed = seed
        self.headless = headless
        self.display_fullscreen = display_fullscreen
        self.parts: list[Part] = []
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
        argv = [str(BIN / program), "--config", self.config_path, *args]
        return self.launch(Part(name, argv, {**self.env, **(extra_env or {})}))

    def launch(self, part: Part) -> subprocess.Popen:
        output = open(part.log, "ab") if part.log else None  # noqa: SIM115 — the child keeps it
        try:
            part.proc = subprocess.Popen(part.argv, env=part.env, start_new_session=True,
                                         stdout=output, stderr=subprocess.STDOUT if output else None)
        finally:
            if output:
                output.close()
        if part not in self.parts:
            self.parts.append(part)
        say(f"started {part.name} (pid {part.proc.pid})")
        return part.proc

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    def watch(self) -> None:
        """Report a part that stopped and start it again, unless it stopped cleanly (a window
        closed by hand) or keeps stopping; the other parts keep running either way."""
        now = time.monotonic()
        for part in self.parts:
            code = part.proc.poll()
            if code is None or part.given_up:
                continue
            if code == 0:
                say(f"{part.name} was closed (status 0); the rest of the demo keeps running")
                part.given_up = True
                continue
            while part.restarts and now - part.restarts[0] > RESTART_WINDOW_S:
                part.restarts.popleft()
            if len(part.restarts) >= MAX_RESTARTS:
                say(f"{part.name} stopped (status {code}) {MAX_RESTARTS + 1} times within "
                    f"{RESTART_WINDOW_S / 60:.0f} minutes: leaving it stopped, see its messages above; "
                    f"the rest of the demo keeps running")
                part.given_up = True
                continue
            part.restarts.append(now)
            say(f"{part.name} stopped (status {code}); starting it again")
            self.launch(part)

    def stop_all(self) -> None:
        for part in reversed(self.parts):
            if part.proc.poll() is None:
                os.killpg(part.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for part in reversed(self.parts):
            try:
                part.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(part.proc.pid, signal.SIGKILL)
                part.proc.wait()
        self.parts.clear()

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
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if windows:
            boxes = layout(screen_size(), KIOSK_SIZE, ([DISPLAY_SIZE] if browser else []) +
                           [TABLET_SIZE] * len(cfg.counters))
            display_box = boxes.pop(1) if browser else None

            def window(corner: tuple[int, int], size: tuple[int, int]) -> dict:
                return {"KCFG_GRAPHICS_WIDTH": str(size[0]), "KCFG_GRAPHICS_HEIGHT": str(size[1]),
                        "KCFG_GRAPHICS_POSITION": "custom",
                        "KCFG_GRAPHICS_LEFT": str(corner[0]), "KCFG_GRAPHICS_TOP": str(corner[1])}

            hub_part = "kiosk"
            self.start("kiosk", "kiosk", "--windowed", extra_env=window(*boxes[0]))
            for counter, (corner, size) in zip(cfg.counters, boxes[1:], strict=True):
                if corner is None:
                    say(f"no room on the screen for tablet {counter.id}: run `tablet-rating --config "
                        f"{self.config_path} --counter {counter.id} --windowed` to see it")
                    continue
                self.start(f"tablet {counter.id}", "tablet-rating", "--counter", str(counter.id), "--windowed",
                           extra_env=window(corner, size))
        else:
            say("no display found: running the office hub without the kiosk and tablet windows "
                "(they need a screen — run `make demo` from a desktop session to see them)")
            hub_part = "office hub"
            self.start("office hub", "kiosk", "hub")
        wait_http(f"{cfg.hub_url}/api/v1/state", "the office hub", self.part(hub_part).proc)
        if windows and browser:
            corner, size = (None, None) if self.display_fullscreen else display_box
            profile = cfg.data_path / "demo-display-browser"
            self.launch(Part("lobby display", display_browser_command(browser, f"{cfg.hub_url}/display", profile,
                                                                       corner or (0, 0), size, self.display_fullscreen),
                             dict(os.environ), log=cfg.data_path / "demo-display-browser.log"))

        consoles = "\n                            ".join(
            f"{cfg.hub_url}/console#counter={c.id}&token={c.token}" for c in cfg.counters)
        print(f"""
  Thước Đo demo is running — office: {cfg.office.name}
    Lobby display (TV):     {cfg.hub_url}/display
    Clerk console:          {consoles}
                            (clerk PINs in config.yaml, e.g. {cfg.clerks[0].name}: {cfg.clerks[0].pin})
    Admin dashboard:        {server_url}/            (login {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]})
    Kiosk and tablets:      {"windows on this screen" if windows else "not started (no display)"}
  A part that stops is started again; press Ctrl-C to stop everything.
""", flush=True)
        while True:
            self.watch()
            time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the whole Thước Đo office on this machine.")
    parser.add_argument("--config", default=str(ROOT / "config.yaml"), metavar="PATH")
    parser.add_argument("--seed", action="store_true", help="fill the central server with a month of visits first")
    parser.add_argument("--headless", action="store_true", help="servers only, even when a display is available")
    parser.add_argument("--display-fullscreen", action="store_true",
                        help="show the lobby display full screen (--kiosk), as on the lobby TV")
    args = parser.parse_args(argv)
    demo = Demo(args.config, args.seed, args.headless, args.display_fullscreen)
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
