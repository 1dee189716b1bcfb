"""Serving an ASGI app on the office LAN from a background thread (uvicorn).

uvicorn runs in its own thread with its own event loop, so the caller's thread (Kivy's UI
loop, or the command's main thread) is never blocked. The socket is bound here, so a port
already taken is a clear ``HubStartError`` at once, not a log line in another thread.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from kiosk.errors import KioskError

__all__ = ["HubStartError", "LanServer"]


class HubStartError(KioskError):
    """The hub could not listen (port taken, address not on this machine)."""


class LanServer:
    """``app`` served from a background thread; ``start(host, port)`` returns the base URL."""

    def __init__(self, app):
        self.app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url: str | None = None

    def start(self, host: str, port: int, timeout_s: float = 10.0) -> str:
        """Listen and serve in a background thread; returns the base URL (http://host:port)."""
        if self._thread is not None:
            return self.base_url
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it every response waits ~40 ms for a
        # delayed ACK (Nagle), which the clerk would feel on every button.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise HubStartError(f"the hub cannot listen on {host}:{port}: {exc.strerror or exc} "
                                f"(change hub.host / hub.port in the config)") from None
        bound_port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                               lifespan="on", timeout_graceful_shutdown=2))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="office-hub", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise HubStartError(f"the hub did not start on {host}:{port}")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
        self.base_url = f"http://{shown}:{bound_port}"
        return self.base_url

    @property
    def serving(self) -> bool:
        return self._thread is not None

    def stop(self) -> None:
        """Stop serving (at most ~10 s for the open requests to end)."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
        self._thread = self._server = self._socket = None
        self.base_url = None
