"""Server-sent events: fan the queue's changes out to every display, console and tablet.

The queue engine tells its listeners from whatever thread made the change (a web request's
worker thread, or the kiosk app's UI thread). ``Broadcaster.publish`` hands each event to
the hub's asyncio loop with ``call_soon_threadsafe``; the loop copies it into one bounded
queue per connected client, and each client's response streams its queue as SSE
(``event: <type>`` / ``data: <json>``). A client too slow to keep up (its queue full) is
disconnected; browsers' ``EventSource`` and the tablet reconnect by themselves and get a
fresh ``state`` event first, so nothing is missed for good.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

__all__ = ["Broadcaster", "format_event"]

_CLOSE = object()
_CLIENT_QUEUE = 1000


def format_event(kind: str, data: dict) -> bytes:
    """One SSE message (``data`` as compact JSON on a single line)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {kind}\ndata: {payload}\n\n".encode()


class Broadcaster:
    """Thread-safe publisher; one asyncio queue per subscribed client."""

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[asyncio.Queue] = set()

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def publish(self, kind: str, data: dict) -> None:
        """Send an event to every client; callable from any thread. Dropped when not serving."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._fan_out, format_event(kind, data))
        except RuntimeError:
            pass  # the loop stopped between the check and the call: the hub is shutting down

    def close_all(self) -> None:
        """End every stream (the hub is stopping)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._fan_out, _CLOSE)
            except RuntimeError:
                pass

    def _fan_out(self, message) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self._clients.discard(queue)
                while not queue.empty():  # make room for the close marker
                    queue.get_nowait()
                queue.put_nowait(_CLOSE)

    def open(self) -> asyncio.Queue:
        """Register a client (in the loop's thread) before its first state is read, so no
        change can fall between that state and the stream."""
        queue: asyncio.Queue = asyncio.Queue(_CLIENT_QUEUE)
        self._clients.add(queue)
        return queue

    def discard(self, queue: asyncio.Queue) -> None:
        self._clients.discard(queue)

    async def stream(self, queue: asyncio.Queue, first: bytes, ping_interval_s: float) -> AsyncIterator[bytes]:
        """The byte stream of one client: ``first`` (the current state), then events, with a
        comment line every ``ping_interval_s`` so proxies and clients see the link alive."""
        try:
            yield b"retry: 2000\n" + first
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), ping_interval_s)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if message is _CLOSE:
                    return
                yield message
        finally:
            self._clients.discard(queue)
