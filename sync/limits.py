"""In-memory rate limits: the citizen page's lookups and ratings per token and per address at
hub and centre. (The centre's limits on device uploads, logins and enrollments live in its
database, shared by every server process: ``sync.server.limits``.)

A token bucket per key: ``rate`` tokens per second refill up to ``burst``; each request
takes one. ``take`` answers how many seconds to wait when the bucket is empty, which the
server sends as ``Retry-After``. Buckets live in the process (a restart forgets them, which
only makes limits more lenient for a moment). Thread-safe: FastAPI and Starlette run sync
handlers in a thread pool.
"""

from __future__ import annotations

import threading
import time

__all__ = ["TokenBuckets"]


class TokenBuckets:
    def __init__(self, rate: float, burst: float, clock=time.monotonic, max_keys: int = 100_000):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens of ``key``'s bucket: 0.0 if allowed, else seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return (cost - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key, (_, last) in list(self._buckets.items()):
            if now - last > full_after:
                del self._buckets[key]
