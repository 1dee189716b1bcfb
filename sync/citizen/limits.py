"""Abuse limits of the citizen's page, the same at hub and centre: per address and per token.

The page needs no login (the token is the key), so these are what stops a script from
walking short codes, hammering a page or stuffing ratings. Each is a token bucket
(``sync.limits.TokenBuckets``); ``wait`` answers 0 when allowed, else the seconds to send
as ``Retry-After`` with a 429. A published hub behind a reverse proxy sees one address for
everyone: the per-token limits still hold there.
"""

from __future__ import annotations

from sync.limits import TokenBuckets

__all__ = ["CitizenLimits"]


class CitizenLimits:
    def __init__(self):
        self.views_per_address = TokenBuckets(rate=2.0, burst=120)  # a family's phones polling, with room
        self.views_per_token = TokenBuckets(rate=1.0, burst=60)
        self.codes_per_address = TokenBuckets(rate=10 / 600, burst=10)  # short codes tried: 10 per 10 minutes
        self.ratings_per_address = TokenBuckets(rate=20 / 3600, burst=10)  # ratings sent: 20 an hour, 10 at once
        self.ratings_per_token = TokenBuckets(rate=5 / 3600, burst=5)  # tries on one ticket: 5 an hour

    def view(self, address: str, token: str) -> float:
        return max(self.views_per_address.take(address), self.views_per_token.take(token))

    def code(self, address: str) -> float:
        return self.codes_per_address.take(address)

    def rating(self, address: str, token: str) -> float:
        return max(self.ratings_per_address.take(address), self.ratings_per_token.take(token))
