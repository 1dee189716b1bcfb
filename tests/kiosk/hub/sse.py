"""A small server-sent events reader for tests and the benchmark: follows a hub's
``/api/v1/events`` in a thread and hands out parsed events with their arrival time."""

from __future__ import annotations

import json
import queue
import threading
import time

import httpx


class EventReader:
    def __init__(self, base_url: str):
        self.events: queue.Queue = queue.Queue()
        self.comments = 0
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10, read=None))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", "/api/v1/events") as response:
                kind, data = None, []
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments += 1
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "" and kind:
                        self.events.put((kind, json.loads("\n".join(data)), time.perf_counter()))
                        kind, data = None, []
        except httpx.HTTPError:
            self.events.put(("closed", {}, time.perf_counter()))

    def next(self, kind: str, timeout: float = 5.0, where=lambda data: True) -> tuple[dict, float]:
        """The next event of ``kind`` matching ``where`` (others are skipped): (data, arrival)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind!r} event within {timeout} s")
            try:
                got, data, at = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if got == kind and where(data):
                return data, at

    def close(self) -> None:
        self._stop.set()
        self._client.close()
