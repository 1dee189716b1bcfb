"""``OfficeHub``: the queue engine served on the office LAN from a background thread.

The kiosk app embeds one (it issues tickets through ``hub.engine`` in-process and passes
its outbox so ticket records reach the central server); ``kiosk hub`` runs one headless.
uvicorn serves the Starlette app in its own thread with its own event loop, so the caller's
thread (Kivy's UI loop, or the command's main thread) is never blocked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Self

import uvicorn

from kiosk.hub.app import build_app
from kiosk.hub.events import Broadcaster
from kiosk.hub.voice import Announcer, VoiceUnavailable
from kiosk.queue import QueueEngine
from sync.config import Config

__all__ = ["HubStartError", "OfficeHub"]


class HubStartError(RuntimeError):
    """The hub could not listen (port taken, address not on this machine)."""


class OfficeHub:
    """The office hub. ``start()`` returns the base URL; ``stop()`` ends serving.

    ``host``/``port`` override ``hub.host``/``hub.port`` (port 0 = any free port, for tests);
    ``state_dir`` defaults to ``<data_dir>/queue``.
    """

    def __init__(self, config: Config, outbox=None, *, state_dir: Path | None = None,
                 host: str | None = None, port: int | None = None,
                 clock: Callable[[], datetime] | None = None,
                 ping_interval_s: float = 15.0, housekeeping_s: float = 10.0):
        self.config = config
        self.host = host if host is not None else config.hub.host
        self.port = port if port is not None else config.hub.port
        self.ping_interval_s = ping_interval_s
        self.housekeeping_s = housekeeping_s
        self.engine = QueueEngine(config, Path(state_dir) if state_dir else config.data_path / "queue",
                                  outbox=outbox, clock=clock)
        self.announcer = Announcer(self.engine.state_dir / "announcements", config.hub.read_numbers)
        self.broadcaster = Broadcaster()
        self._faults: dict[str, dict] = {}
        self._faults_lock = threading.Lock()
        self._voice = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-voice")
        self.engine.subscribe(self._on_event)
        self.app = build_app(self)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    # -- state the pages read -------------------------------------------------------------

    def state(self) -> dict:
        """The engine's snapshot plus what only the hub knows (faults, clerks, voice)."""
        snapshot = self.engine.snapshot()
        snapshot["faults"] = self.faults()
        snapshot["clerks"] = [{"id": c.id, "name": c.name} for c in self.config.clerks]
        snapshot["read_numbers"] = self.config.hub.read_numbers
        snapshot["language"] = self.config.office.language
        snapshot["timezone"] = self.config.office.timezone
        return snapshot

    def faults(self) -> list[dict]:
        with self._faults_lock:
            return sorted(self._faults.values(), key=lambda f: f["source"])

    def report_fault(self, source: str, message: str | None) -> None:
        """Show a device fault (e.g. ``("printer", "Hết giấy")``) on the console and the
        display; ``message=None`` clears that source's fault."""
        with self._faults_lock:
            if message is None:
                if self._faults.pop(source, None) is None:
                    return
            else:
                self._faults[source] = {"source": source, "message": message,
                                        "at": datetime.now().astimezone().isoformat(timespec="seconds")}
        self.broadcaster.publish("fault", {"source": source, "message": message, "faults": self.faults()})

    # -- engine events to SSE -----------------------------------------------------------

    def _on_event(self, event: dict) -> None:
        data = dict(event["data"])
        if event["type"] in ("called", "recalled"):
            number, counter_id = data["ticket"]["number"], data["counter_id"]
            data["announcement_url"] = f"/api/v1/announcements/{counter_id}/{number}.wav"
            try:
                self._voice.submit(self._prepare_voice, number, counter_id)
            except RuntimeError:
                pass  # the hub was closed; the display will ask for the file when it plays it
        self.broadcaster.publish(event["type"], data)

    def _prepare_voice(self, number: int, counter_id: int) -> None:
        """Render the announcement while the display is still receiving the event."""
        try:
            self.announcer.path_for(number, counter_id)
        except VoiceUnavailable as exc:
            self.report_fault("voice", f"voice calls unavailable: {exc}")

    # -- serving ------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> str:
        """Listen and serve in a background thread; returns the base URL (http://host:port)."""
        if self._thread is not None:
            return self.base_url
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it every response waits ~40 ms for a
        # delayed ACK (Nagle), which the clerk would feel on every button.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise HubStartError(f"the hub cannot listen on {self.host}:{self.port}: {exc.strerror or exc} "
                                f"(change hub.host / hub.port in the config)") from None
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                               lifespan="on", timeout_graceful_shutdown=2))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="office-hub", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise HubStartError(f"the hub did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else ("[::1]" if self.host == "::" else self.host)
        self.base_url = f"http://{shown}:{port}"
        return self.base_url

    def stop(self) -> None:
        """Close every event stream and stop serving (the queue state is already on disk)."""
        if self._thread is None:
            return
        self.broadcaster.close_all()
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
        self._thread = self._server = None
        self.base_url = None

    def close(self) -> None:
        self.stop()
        self._voice.shutdown(wait=True)
        self.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve_forever(config: Config) -> int:
    """``kiosk hub``: run the hub alone (no kiosk screen) until Ctrl-C or SIGTERM.

    Ticket records go to the kiosk's outbox at ``<data_dir>/outbox`` and are uploaded from
    there when the central server is configured and this machine is enrolled; if the kiosk
    app already runs on this machine it holds that outbox (and its own hub), so this refuses.
    """
    import signal

    from sync.config_pull import with_stored_overlay
    from sync.outbox import Outbox, OutboxLocked

    config = with_stored_overlay(config, config.data_path)  # the office as the central server last described it

    try:
        outbox = Outbox(config.data_path / "outbox")
    except OutboxLocked as exc:
        print(f"error: {exc} — is the kiosk (with its own hub) already running?")
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    hub = OfficeHub(config, outbox)
    try:
        url = hub.start()
    except HubStartError as exc:
        print(f"error: {exc}")
        outbox.close()
        return 1
    from sync.uploader import start_background_sync

    uploader = start_background_sync(config, outbox, config.data_path)
    print(f"Office hub of {config.office.name} at {url}\n"
          f"  lobby display: {url}/display\n  clerk console: {url}/console\n"
          f"  queue state:   {hub.engine.state_dir}\n"
          f"  uploads:       {'to ' + config.sync.server_url if uploader else 'off (no server configured or not enrolled)'}\n"
          f"Press Ctrl-C to stop.", flush=True)
    try:
        stop.wait()
    finally:
        if uploader is not None:
            uploader.stop()
        hub.close()
        outbox.close()
    return 0
