"""The tablet's line to the office hub: plain HTTP with ``requests``, in a background thread.

The counter tablet must stay pure Python for Android, so it never imports the hub's code or
a web framework: it reads the hub's JSON API like any other client.

* ``GET /api/v1/counters/{id}`` — asked before each (re)connection: is the hub there, and
  does it know this counter? (A clear "offline" instead of a hanging stream.)
* ``GET /api/v1/events`` — the hub's Server-Sent Events stream, read with ``stream=True``
  and parsed line by line (``event:``, ``data:``, ``id:``, blank line = dispatch). The hub
  starts every stream with a ``state`` event holding every counter, registered before that
  state is read, so no change falls between the snapshot and the stream; this counter's part
  is passed on as a ``counter`` event (clerk, paused, last finished ticket: the tablet
  catches up after an outage). Then ``finished``, ``counter`` and ``rated`` (the ticket was
  rated, e.g. on the citizen's phone) events about this counter are passed on; the hub's
  ``: ping`` comments keep the read timeout from firing.
* ``POST /api/v1/counters/{id}/rated`` — after the tablet stored a rating of a ticket
  (``tell_rated``), so the ticket's phone page stops offering one.

When the hub cannot be reached the link reports offline and retries with exponential
backoff and jitter (capped at ``max_backoff_s``), forever, until ``stop()``. A quiet stream
that hits the read timeout is simply reopened (the hub is still there). Clerk photos named
by a ``photo_url`` are downloaded once into ``<device dir>/photos/`` so the UI shows a local
file. Events and status changes are handed to callbacks *in this thread*: the app wraps them
with ``Clock.schedule_once`` to run them on the UI thread.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

__all__ = ["HubLink", "parse_sse"]

log = logging.getLogger(__name__)

COUNTER_PATH = "/api/v1/counters/{id}"
EVENTS_PATH = "/api/v1/events"
RATED_PATH = "/api/v1/counters/{id}/rated"
_FORWARDED = ("finished", "counter", "state", "rated")
_MIN_STREAM_S = 1.0


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str, str, str | None]]:
    """Turn SSE text lines into ``(event, data, id)`` tuples (the default event is 'message')."""
    event, data, event_id = "message", [], None
    for line in lines:
        if line == "":
            if data:
                yield event, "\n".join(data), event_id
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue  # a comment: the hub's keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


class HubLink:
    """Follows one counter on the hub; see the module docstring.

    ``on_event(name, data)`` receives 'counter' (the counter's state) and 'finished'
    ({counter_id, ticket, clerk, …}) for this counter; ``on_online(bool)`` the reachability.
    """

    def __init__(self, base_url: str, counter_id: int, *, token: str | None = None,
                 on_event: Callable[[str, dict], None], on_online: Callable[[bool], None],
                 photo_dir: str | Path | None = None, connect_timeout_s: float = 3.0,
                 read_timeout_s: float = 30.0, max_backoff_s: float = 10.0):
        if not re.match(r"^https?://[^/\s]+", base_url or ""):
            raise ValueError(f"hub URL: expected http(s)://host:port, found {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.counter_id = counter_id
        self.on_event = on_event
        self.on_online = on_online
        self.photo_dir = Path(photo_dir) if photo_dir else None
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self.max_backoff_s = max_backoff_s
        self._session = requests.Session()
        self._session.trust_env = False  # a proxy from the environment must not sit between tablet and hub
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.headers["Accept"] = "application/json"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: requests.Response | None = None
        self._photos: dict[str, str] = {}
        self.online: bool | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> HubLink:
        self._thread = threading.Thread(target=self._run, name=f"hub-link-{self.counter_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            try:
                response.close()  # unblocks the streaming read
            except (OSError, AttributeError) as exc:  # a half-dead socket; we are leaving anyway
                log.debug("closing the hub stream: %s", exc)
        if self._thread is not None:
            self._thread.join(timeout)
        self._session.close()

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._probe()
            except (requests.RequestException, ValueError) as exc:
                log.info("hub %s unreachable: %s", self.base_url, exc)
                self._set_online(False)
                failures += 1
                delay = min(self.max_backoff_s, 0.5 * 2 ** min(failures, 10))
                self._stop.wait(delay * (0.5 + random.random() / 2))
                continue
            failures = 0
            self._set_online(True)
            opened = time.monotonic()
            try:
                self._follow_stream()
            except requests.RequestException as exc:
                # a read timeout on a quiet stream lands here too: reconnect, and let the probe
                # above decide whether the hub is really gone
                log.info("hub event stream ended: %s", exc)
            except (AttributeError, OSError, ValueError):
                if not self._stop.is_set():
                    raise
                return  # stop() closed the stream under the read: urllib3 then fails inside its own read
            if time.monotonic() - opened < _MIN_STREAM_S:
                self._stop.wait(_MIN_STREAM_S)  # a stream that keeps ending at once: do not hammer

    def _probe(self) -> None:
        """Is the hub there and does it know this counter? Raises when not."""
        url = self.base_url + COUNTER_PATH.format(id=self.counter_id)
        response = self._session.get(url, timeout=self.timeouts[0])
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict) or data.get("counter_id") != self.counter_id:
            raise ValueError(f"{url} did not answer with counter {self.counter_id}")

    def _follow_stream(self) -> None:
        response = self._session.get(self.base_url + EVENTS_PATH, stream=True, timeout=self.timeouts,
                                     headers={"Accept": "text/event-stream"})
        self._response = response
        try:
            response.raise_for_status()
            lines = (raw.decode("utf-8", "replace") for raw in response.iter_lines(chunk_size=1024))
            for event, data, _ in parse_sse(lines):
                if self._stop.is_set():
                    return
                if event not in _FORWARDED:
                    continue
                try:
                    payload = json.loads(data)
                except ValueError:
                    log.warning("hub sent a %s event that is not JSON: %.200s", event, data)
                    continue
                if event == "state" and isinstance(payload, dict):
                    event = "counter"
                    payload = next((c for c in payload.get("counters") or []
                                    if isinstance(c, dict) and c.get("counter_id") == self.counter_id), None)
                if isinstance(payload, dict) and payload.get("counter_id") == self.counter_id:
                    self._deliver(event, payload)
        finally:
            self._response = None
            response.close()

    def tell_rated(self, ticket_id: str) -> None:
        """Tell the hub (in the background, best effort) that this tablet stored a rating of
        ``ticket_id``, so the ticket's phone page no longer offers one. When the hub cannot
        be reached the central server still refuses a second rating of the ticket."""
        def post() -> None:
            url = self.base_url + RATED_PATH.format(id=self.counter_id)
            try:
                self._session.post(url, json={"ticket_id": ticket_id}, timeout=self.timeouts[0]).raise_for_status()
            except requests.RequestException as exc:
                log.info("could not tell the hub that ticket %s was rated: %s", ticket_id, exc)

        threading.Thread(target=post, name="hub-rated", daemon=True).start()

    # -- helpers ---------------------------------------------------------------------------

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.on_online(online)

    def _deliver(self, event: str, payload: dict) -> None:
        for holder in (payload, payload.get("last_finished") or {}):
            clerk = holder.get("clerk")
            if isinstance(clerk, dict) and clerk.get("photo_url"):
                clerk["photo"] = self._photo(clerk)
        self.on_event(event, payload)

    def _photo(self, clerk: dict) -> str | None:
        """A local copy of the clerk's photo (downloaded once), or None when unavailable."""
        url = clerk["photo_url"]
        if url in self._photos:
            return self._photos[url]
        if self.photo_dir is None:
            return None
        full = url if url.startswith(("http://", "https://")) else self.base_url + "/" + url.lstrip("/")
        try:
            response = self._session.get(full, timeout=self.timeouts[0])
            response.raise_for_status()
        except requests.RequestException as exc:
            log.info("clerk photo %s unavailable: %s", full, exc)
            return None
        kind = response.headers.get("Content-Type", "")
        suffix = ".png" if "png" in kind else ".jpg"
        safe = re.sub(r"[^a-z0-9_-]", "_", str(clerk.get("id", "clerk")).lower())
        self.photo_dir.mkdir(parents=True, exist_ok=True)
        path = self.photo_dir / f"{safe}{suffix}"
        path.write_bytes(response.content)
        self._photos[url] = str(path)
        return str(path)
