"""``OfficeHub``: the composition object of the office hub — its core (queue engine, voice,
events, faults: ``kiosk.hub.core``) served on the LAN (routes ``kiosk.hub.routes`` in a
``kiosk.hub.lan_server.LanServer``).

The kiosk device embeds one (the kiosk issues tickets through ``hub.engine`` in-process and
passes its outbox so ticket records reach the central server); ``kiosk hub`` runs one
without the kiosk screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Self

from kiosk.hub.core import HubCore
from kiosk.hub.lan_server import LanServer
from kiosk.hub.routes import build_web_app
from sync.config import Config

__all__ = ["OfficeHub"]


class OfficeHub(HubCore):
    """The office hub. ``start()`` returns the base URL; ``stop()`` ends serving; ``close()``
    also releases the queue.

    ``host``/``port`` override ``hub.host``/``hub.port`` (port 0 = any free port, for tests);
    the other arguments are ``HubCore``'s.
    """

    def __init__(self, config: Config, outbox=None, *, state_dir: Path | None = None,
                 host: str | None = None, port: int | None = None,
                 clock: Callable[[], datetime] | None = None,
                 ping_interval_s: float = 15.0, housekeeping_s: float = 10.0):
        super().__init__(config, outbox, state_dir=state_dir, clock=clock,
                         ping_interval_s=ping_interval_s, housekeeping_s=housekeeping_s)
        self.host = host if host is not None else config.hub.host
        self.port = port if port is not None else config.hub.port
        self.app = build_web_app(self)
        self._lan = LanServer(self.app)

    @property
    def base_url(self) -> str | None:
        """``http://host:port`` while serving, else None."""
        return self._lan.base_url

    def start(self, timeout_s: float = 10.0) -> str:
        """Listen and serve in a background thread; returns the base URL (http://host:port)."""
        return self._lan.start(self.host, self.port, timeout_s)

    def stop(self) -> None:
        """Close every event stream and stop serving (the queue state is already on disk)."""
        if not self._lan.serving:
            return
        self.broadcaster.close_all()
        self._lan.stop()

    def close(self) -> None:
        self.stop()
        super().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
