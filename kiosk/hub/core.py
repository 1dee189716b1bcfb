"""``HubCore``: everything the office hub knows and does, without HTTP.

It owns the queue engine (``kiosk.queue``), the tickets' phone pages (``kiosk.hub.citizen``),
the voice announcer (renders each call while the
display receives the event), the event broadcaster (engine events → server-sent events) and
the board of device faults (printer out of paper, voice missing…), and it assembles the state
the pages read. The routes (``kiosk.hub.routes``) serve one; ``kiosk.hub.office_hub`` adds
the LAN server on top.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from kiosk.hub.citizen import CitizenTickets
from kiosk.hub.events import Broadcaster
from kiosk.hub.voice import Announcer, VoiceUnavailable
from kiosk.queue import QueueEngine
from sync.config import Config

__all__ = ["MEDIA_KINDS", "HubCore"]

MEDIA_KINDS = {".jpg": "image", ".jpeg": "image", ".png": "image", ".webp": "image",
               ".mp4": "video", ".webm": "video"}


class HubCore:
    """Queue engine + announcer + broadcaster + faults of one office.

    ``state_dir`` defaults to ``<data_dir>/queue``; ``ping_interval_s`` is how often an idle
    event stream gets a keep-alive, ``housekeeping_s`` how often the queue's ``tick`` runs
    while the hub serves.
    """

    def __init__(self, config: Config, outbox=None, *, state_dir: Path | None = None,
                 clock: Callable[[], datetime] | None = None,
                 ping_interval_s: float = 15.0, housekeeping_s: float = 10.0):
        self.config = config
        self.ping_interval_s = ping_interval_s
        self.housekeeping_s = housekeeping_s
        self.engine = QueueEngine(config, Path(state_dir) if state_dir else config.data_path / "queue",
                                  outbox=outbox, clock=clock)
        self.announcer = Announcer(self.engine.state_dir / "announcements", config.hub.read_numbers,
                                   second_language=config.hub.second_language)
        self.broadcaster = Broadcaster()
        self._faults: dict[str, dict] = {}
        self._faults_lock = threading.Lock()
        self._voice = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-voice")
        self.engine.subscribe(self._on_event)
        self.citizen = CitizenTickets(config, self.engine, publish=self.broadcaster.publish, clock=clock)

    # -- state the pages read -------------------------------------------------------------

    def state(self) -> dict:
        """The engine's snapshot plus what only the hub knows (faults, clerks, voice)."""
        snapshot = self.engine.snapshot()
        snapshot["faults"] = self.faults()
        snapshot["clerks"] = [{"id": c.id, "name": c.name} for c in self.config.clerks]
        snapshot["read_numbers"] = self.config.hub.read_numbers
        snapshot["language"] = self.config.office.language
        snapshot["timezone"] = self.config.office.timezone
        snapshot["display_media"] = self.display_media()
        snapshot["display_media_seconds"] = self.config.hub.display_media_seconds
        return snapshot

    def display_media(self) -> list[dict]:
        """The pictures and videos of ``hub.display_media``, in name order, as
        ``{"url": "/media/<name>", "kind": "image"|"video"}`` (at most 100)."""
        if not self.config.hub.display_media:
            return []
        folder = self.config.path(self.config.hub.display_media)
        try:
            names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in MEDIA_KINDS and p.is_file())
        except OSError:
            return []  # the folder went away (a USB stick pulled out): show the queue alone
        return [{"url": f"/media/{quote(name)}", "kind": MEDIA_KINDS[Path(name).suffix.lower()]}
                for name in names[:100]]

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

    def close(self) -> None:
        """Finish the voice work in hand and release the queue's files."""
        self._voice.shutdown(wait=True)
        self.engine.close()
