"""``DeviceRuntime``: the start-up and teardown every device shares — the kiosk, the hub run
alone (``kiosk hub``) and the counter tablet — so each does it the same way, in one order.

A device is a folder (its credentials, outbox, upload schedule and the office overlay the
central server sent) and the working parts that use its outbox:

1. the office configuration, with the overlay the central server last described
   (``sync.config_pull.with_stored_overlay``);
2. the outbox (one process at a time: ``OutboxLocked`` otherwise);
3. the device's own parts — the kiosk's embedded hub, the tablet's hub link — registered with
   ``attach`` in the order they start;
4. the uploader, when the device is enrolled. It has one owner: ``start_uploader`` stops the
   uploader it replaces (after an enrollment from the device's admin screen) before starting
   the new one, and nothing starts one after ``close``.

``close()`` stops everything in reverse order — the uploader, then the attached parts from
last to first — and closes the outbox last, so no thread uses a closed outbox.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from sync.config import Config
from sync.config_pull import with_stored_overlay
from sync.enrollment import Credentials, EnrollmentError, enroll, load_credentials
from sync.outbox import Outbox
from sync.session import session_for
from sync.uploader import Uploader, start_background_sync

__all__ = ["DeviceRuntime"]

log = logging.getLogger(__name__)


class DeviceRuntime:
    """Office configuration (with the centre's overlay), outbox, uploader and teardown of one device.

    ``on_config_change(update)`` is passed to the uploader: it is called from the uploader's
    thread when the central server changed the office's configuration.
    """

    def __init__(self, config: Config, device_dir: str | os.PathLike, *,
                 on_config_change: Callable | None = None):
        self.device_dir = Path(device_dir)
        self.device_dir.mkdir(parents=True, exist_ok=True)
        self.config = with_stored_overlay(config, self.device_dir)
        self.outbox = Outbox(self.device_dir / "outbox")
        self.uploader: Uploader | None = None
        self.enrollment_problem: str | None = None  # unreadable credentials, in words for staff
        self._on_config_change = on_config_change
        self._stops: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._closed = False

    def attach(self, stop: Callable[[], None]) -> None:
        """Register a part that uses the outbox: ``stop()`` runs at ``close``, before the
        outbox closes, in the reverse order of attaching."""
        with self._lock:
            self._stops.append(stop)

    def detach(self, stop: Callable[[], None]) -> None:
        """Forget a part stopped early (e.g. a hub link replaced after a settings change)."""
        with self._lock:
            if stop in self._stops:
                self._stops.remove(stop)

    # -- uploads ---------------------------------------------------------------------------

    def start_uploader(self) -> Uploader | None:
        """Upload in the background when the device is enrolled; stops the uploader it
        replaces first. Returns the running uploader, or None (records stay in the outbox)."""
        with self._lock:
            self._stop_uploader()
            if self._closed:
                return None
            try:
                load_credentials(self.device_dir)  # read here too, to tell staff what is wrong
            except EnrollmentError as exc:
                self.enrollment_problem = exc.message(self.config.office.language)
                log.error("%s", exc)
                return None
            self.enrollment_problem = None
            self.uploader = start_background_sync(self.config, self.outbox, self.device_dir,
                                                  on_config_change=self._on_config_change)
            return self.uploader

    def enroll(self, server_url: str, code: str) -> Credentials:
        """Trade an admin's one-time code for this device's upload token, then upload with it
        (the uploader running until now, if any, is stopped first).

        Blocking (network): apps run it off their UI thread. Raises ``EnrollmentError`` with a
        message for staff.
        """
        credentials = enroll(server_url.strip(), code.strip(), self.device_dir, session=session_for(self.config))
        self.start_uploader()
        return credentials

    def notify_uploader(self) -> None:
        """A record was just stored: the uploader sends it without waiting for its interval."""
        uploader = self.uploader
        if uploader is not None:
            uploader.notify()

    def _stop_uploader(self) -> None:
        if self.uploader is not None:
            self.uploader.stop()
            self.uploader = None

    # -- teardown ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the uploader and the attached parts (last attached first), then close the outbox."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop_uploader()
            stops, self._stops = self._stops[::-1], []
        try:
            for stop in stops:
                try:
                    stop()
                except Exception:  # the others must still stop and the outbox close
                    log.exception("a device part failed to stop")
        finally:
            self.outbox.close()
