"""Estimated waits: people ahead × moving average of recent service times for the service ÷
open counters serving it (``hub.default_service_min`` before there is history).

``ServiceTimes`` keeps the last service times of each service (saved with the queue's state);
the engine records one at every finish and asks for a wait at every issue and snapshot.
"""

from __future__ import annotations

from kiosk.queue.ticket import CounterState

__all__ = ["RECENT_DURATIONS", "ServiceTimes"]

RECENT_DURATIONS = 20  # service times kept per service for the moving average


class ServiceTimes:
    """Recent service times (minutes) per service, and the waits they predict."""

    def __init__(self, config, durations: dict[str, list[float]]):
        self.config = config
        self.durations = durations  # saved as it is in the queue state

    def record(self, service_id: str, minutes: float) -> None:
        recent = self.durations.setdefault(service_id, [])
        recent.append(round(max(minutes, 0.0), 3))
        del recent[:-RECENT_DURATIONS]

    def average(self, service_id: str) -> float:
        """Moving average of recent service times (minutes), or the configured default."""
        recent = self.durations.get(service_id) or []
        return sum(recent) / len(recent) if recent else float(self.config.hub.default_service_min)

    def wait_for(self, service_id: str, people_ahead: int, counters: dict[int, CounterState]) -> float:
        """Minutes a ticket with ``people_ahead`` before it probably waits."""
        minutes = people_ahead * self.average(service_id) / self._open_counters(service_id, counters)
        return round(minutes, 1)

    def _open_counters(self, service_id: str, counters: dict[int, CounterState]) -> int:
        serving = [c for c in self.config.counters if service_id in c.services]
        open_now = [c for c in serving if counters[c.id].clerk_id and not counters[c.id].paused]
        return len(open_now) or len(serving) or 1
