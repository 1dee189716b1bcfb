"""The kiosk mini-PC's working parts without a screen: outbox, office hub, uploader.

``KioskDevice`` is to the kiosk what ``tablet_rating.device.TabletDevice`` is to the tablet:
the one owner of what runs next to the screens. It starts up and tears down through the
shared ``sync.device_runtime.DeviceRuntime`` (the office overlay the central server sent, the
outbox at ``<data_dir>/outbox``, the uploader when enrolled), and embeds the ``OfficeHub``
whose queue writes ticket records into that outbox. The hub is stopped before the outbox
closes, and the uploader an in-app enrollment replaces is stopped before the new one starts.

The kiosk app (``kiosk.app``) runs its screens over one; ``kiosk hub`` runs one alone
(``run_hub_alone``), for an office whose hub has no touchscreen.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Self

from kiosk.hub import HubStartError, OfficeHub
from sync.config import Config
from sync.device_runtime import DeviceRuntime
from sync.outbox import OutboxLocked
from sync.uploader import Uploader

__all__ = ["KioskDevice", "run_hub_alone"]

log = logging.getLogger(__name__)


class KioskDevice:
    """Device runtime + office hub of the kiosk mini-PC.

    ``host``/``port``/``clock`` go to the ``OfficeHub`` (tests use port 0 and a fake clock).
    Raises ``OutboxLocked`` when another program on this machine holds the kiosk's outbox.
    """

    def __init__(self, config: Config, *, host: str | None = None, port: int | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.runtime = DeviceRuntime(config, config.data_path)
        self.config = self.runtime.config
        self.outbox = self.runtime.outbox
        try:
            self.hub = OfficeHub(self.config, self.outbox, host=host, port=port, clock=clock)
        except BaseException:
            self.runtime.close()
            raise
        self.runtime.attach(self.hub.close)

    @property
    def engine(self):
        """The queue engine tickets are issued into (``kiosk.queue.QueueEngine``)."""
        return self.hub.engine

    @property
    def uploader(self) -> Uploader | None:
        """The running uploader, or None (uploads off or not enrolled)."""
        return self.runtime.uploader

    def start(self) -> str:
        """Serve the hub on the LAN, then upload when enrolled; returns the hub's URL.
        Raises ``HubStartError`` (port taken…); the caller then closes the device."""
        url = self.hub.start()
        self.runtime.start_uploader()
        return url

    def enroll(self, server_url: str, code: str) -> str:
        """Trade an admin's one-time code for the kiosk's upload token and upload with it.
        Blocking (network); returns the office id; raises ``EnrollmentError`` for staff."""
        return self.runtime.enroll(server_url, code).office_id

    def report_fault(self, source: str, message: str | None) -> None:
        """Tell staff (console, display) of a device fault; best effort: the log has it anyway."""
        try:
            self.hub.report_fault(source, message)
        except Exception:  # a fault report must never break the citizen's ticket
            log.exception("could not report a %s fault to the hub", source)

    def close(self) -> None:
        """Stop the uploader and the hub, then close the outbox."""
        self.runtime.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_hub_alone(config: Config) -> int:
    """``kiosk hub``: the device without the kiosk screen, until Ctrl-C or SIGTERM.

    Ticket records go to the kiosk's outbox at ``<data_dir>/outbox`` and are uploaded from
    there when the central server is configured and this machine is enrolled; if the kiosk
    app already runs on this machine it holds that outbox (and its own hub), so this refuses.
    """
    try:
        device = KioskDevice(config)
    except OutboxLocked as exc:
        print(f"error: {exc} — is the kiosk (with its own hub) already running?")
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            url = device.start()
        except HubStartError as exc:
            print(f"error: {exc}")
            return 1
        cfg = device.config
        uploads = f"to {device.uploader.server_url}" if device.uploader else "off (no server configured or not enrolled)"
        print(f"Office hub of {cfg.office.name} at {url}\n"
              f"  lobby display: {url}/display\n  clerk console: {url}/console\n"
              f"  queue state:   {device.engine.state_dir}\n"
              f"  uploads:       {uploads}\n"
              f"Press Ctrl-C to stop.", flush=True)
        stop.wait()
    finally:
        device.close()
    return 0
