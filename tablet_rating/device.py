"""One counter tablet's working parts, without the screen: outbox, settings, session, hub link.

``TabletDevice`` opens the outbox in the tablet's device folder, loads the settings, builds
the ``RatingSession`` and follows the counter on the hub (linked mode). The Kivy app is a
thin shell around it: it passes ``call_soon`` so the hub link's events run on the UI thread,
and listens to the session to change screens. Tests and the benchmark use it directly.

Device folder: ``<data_dir>/tablet-<N>`` with N the counter given by ``--counter N`` (default
``tablet.counter_id``), the same folder ``tablet-rating enroll/sync-status/sync-now`` use
(``sync.device_cli.device_dir``); on Android ``<data_dir>`` is the app's private user data
folder. The outbox is ``<device folder>/outbox``, hub photos go to ``<device folder>/photos``.

Start-up and teardown (office overlay, outbox, uploader, the hub link stopped before the outbox
closes) are the shared ``sync.device_runtime.DeviceRuntime``. When the device has been enrolled
(``tablet-rating enroll`` or its settings screen), the uploader runs next to the UI and is woken
after every stored rating; the status dot then also turns
grey ("offline") while uploads fail. The office configuration the central server holds
(clerks, rating scale, reasons) is applied at start and, when it changes, between ratings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from sync.config import Config
from sync.device_cli import device_dir as _device_dir
from sync.device_runtime import DeviceRuntime
from sync.status import age_in_words
from sync.uploader import Uploader
from tablet_rating.hub_link import HubLink
from tablet_rating.session import ERROR, LINKED, OFFLINE, RatingSession
from tablet_rating.settings import TabletSettings
from tablet_rating.texts import tr

__all__ = ["TabletDevice", "device_dir_for"]

log = logging.getLogger(__name__)


def device_dir_for(config: Config, counter_id: int | None = None, data_root: str | Path | None = None) -> Path:
    """The folder this tablet keeps its data in (see the module docstring)."""
    folder = _device_dir(config, "tablet", counter_id)
    return Path(data_root) / folder.name if data_root else folder


class TabletDevice:
    """Outbox + settings + rating session + hub link of one tablet."""

    def __init__(self, config: Config, device_dir: str | Path, *, counter_id: int | None = None,
                 call_soon: Callable[..., None] | None = None, offline_fallback_s: float | None = None):
        self.call_soon = call_soon or (lambda fn, *args: fn(*args))
        self.runtime = DeviceRuntime(
            config, device_dir, on_config_change=lambda update: self.call_soon(self._office_changed, update))
        self.device_dir = self.runtime.device_dir
        self.config = config = self.runtime.config
        self.outbox = self.runtime.outbox
        self.link: HubLink | None = None
        try:
            self.settings = TabletSettings.load(self.device_dir, config, counter_id)
            extra = {"offline_fallback_s": offline_fallback_s} if offline_fallback_s is not None else {}
            self.session = RatingSession(config, self.outbox, counter_id=self.settings.counter_id,
                                         mode=self.settings.mode, lang=self.settings.lang,
                                         clerk_id=self.settings.clerk_id, **extra)
        except BaseException:
            self.runtime.close()
            raise
        self.runtime.attach(self._stop_link)
        self.session.on_record = self._on_record

    @property
    def uploader(self) -> Uploader | None:
        """The running uploader (owned by the device runtime), or None when not enrolled."""
        return self.runtime.uploader

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> TabletDevice:
        self.runtime.start_uploader()
        self._start_link()
        return self

    def stop(self) -> None:
        """Stop the hub link and the uploader, then close the outbox (``DeviceRuntime.close``)."""
        self.runtime.close()

    def status(self) -> str:
        """The status dot: the session's view, turned 'offline' while uploads fail."""
        status = self.session.status()
        if status != ERROR and self.uploader is not None and self.uploader.status().failures:
            return OFFLINE
        return status

    def apply_settings(self, settings: TabletSettings) -> None:
        """New settings from the admin screen: check, save, and follow the new counter/hub."""
        settings = settings.check(self.config)
        settings.save(self.device_dir)
        relink = (settings.counter_id, settings.hub_url, settings.mode) != (
            self.settings.counter_id, self.settings.hub_url, self.settings.mode)
        self.settings = settings
        if relink:
            self._stop_link()
            self.session.forget_hub()
        self.session.reconfigure(counter_id=settings.counter_id, mode=settings.mode, lang=settings.lang,
                                 clerk_id=settings.clerk_id)
        if relink:
            self._start_link()

    def enroll(self, server_url: str, code: str) -> str:
        """Trade an admin's one-time code for this tablet's upload token, then start uploading
        (``DeviceRuntime.enroll``: the uploader it replaces is stopped first).

        Blocking (network): the app runs it off the UI thread. Returns the office id the
        server enrolled the tablet in; raises ``EnrollmentError`` with a message for staff.
        """
        return self.runtime.enroll(server_url, code).office_id

    # -- what staff see ----------------------------------------------------------------------

    def status_lines(self, lang: str) -> list[str]:
        """The sync status in words, for the settings screen."""
        pending = len(self.outbox)
        lines = [tr(lang, "status.pending", n=pending) if pending else tr(lang, "status.synced")]
        if self.session.write_error:
            lines.insert(0, tr(lang, "status.write_error", detail=self.session.write_error))
        age = self.outbox.oldest_pending_age()
        if age is not None:
            lines.append(tr(lang, "status.oldest", age=age_in_words(age)))
        if self.settings.mode != LINKED:
            lines.append(tr(lang, "status.hub_unused"))
        else:
            online = self.session.hub_online
            lines.append(f"{tr(lang, 'status.hub_online' if online else 'status.hub_offline')} "
                         f"({self.settings.hub_url})")
        lines.append(tr(lang, "status.device", id=self.outbox.device_id))
        if self.uploader is not None:
            lines.extend(self._upload_lines(lang))
        else:
            lines.append(self.runtime.enrollment_problem or tr(lang, "status.not_enrolled"))
        damaged = self.outbox.damaged_files()
        if damaged:
            lines.append(tr(lang, "status.damaged", n=len(damaged)))
        return lines

    def _upload_lines(self, lang: str) -> list[str]:
        status = self.uploader.status()
        now = time.time()
        lines = [tr(lang, "status.server", url=status.server_url)]
        if status.last_success_at:
            lines.append(tr(lang, "status.last_upload", age=age_in_words(max(0.0, now - status.last_success_at))))
        else:
            lines.append(tr(lang, "status.never_uploaded"))
        if status.failures:
            lines.append(tr(lang, "status.failing", n=status.failures, error=status.last_error or "?",
                            age=age_in_words(max(0.0, (status.next_attempt_at or now) - now))))
        if status.quarantined:
            lines.append(tr(lang, "status.quarantined", n=status.quarantined))
        return lines

    # -- inside ------------------------------------------------------------------------------

    def _office_changed(self, update) -> None:
        """The central server changed this office's configuration (clerks, scale, reasons…)."""
        for problem in update.problems:
            log.warning("office configuration from the server not applied: %s", problem)
        if update.config is not None:
            self.config = update.config
            self.session.office_changed(update.config)

    def _on_record(self, record: dict) -> None:
        self.runtime.notify_uploader()
        if self.link is not None and record.get("ticket_id") and record.get("score") is not None:
            self.link.tell_rated(record["ticket_id"])  # so the citizen's phone page stops offering it

    def _start_link(self) -> None:
        if self.settings.mode != LINKED:
            return
        counter = self.config.counter(self.settings.counter_id)
        self.link = HubLink(self.settings.hub_url, counter.id, token=counter.token,
                            on_event=lambda name, data: self.call_soon(self._on_hub_event, name, data),
                            on_online=lambda online: self.call_soon(self.session.set_hub_online, online),
                            photo_dir=self.device_dir / "photos")
        self.link.start()

    def _stop_link(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None

    def _on_hub_event(self, name: str, data: dict) -> None:
        if data.get("counter_id") != self.session.counter_id:
            return  # an event still in flight from before a counter change
        if name == "finished":
            self.session.ticket_finished(data.get("ticket") or {}, data.get("clerk"))
        elif name == "counter":
            self.session.counter_snapshot(data)
        elif name == "rated" and data.get("channel") == "phone" and isinstance(data.get("ticket_id"), str):
            self.session.rated_elsewhere(data["ticket_id"])

