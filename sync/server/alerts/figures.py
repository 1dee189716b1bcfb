"""The alert loop's figures for one office and month, as the monthly report prints them.

* alerts raised — alerts opened in the month (office-local dates), also per rule;
* cases resolved, and of them resolved on time (closed before their due time);
* median time to resolve — opening to resolution, wall-clock, over cases resolved in the month;
* letters sent — apology letters marked sent in the month.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from sync.server.models import Alert, Letter, Office

__all__ = ["CaseFigures", "case_figures"]


@dataclass
class CaseFigures:
    raised: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    resolved_on_time: int = 0
    dismissed: int = 0
    median_resolve_s: float | None = None
    letters_sent: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.resolved_on_time / self.resolved if self.resolved else None


def case_figures(conn: Connection, office_id: str, date_from: date, date_to: date) -> CaseFigures:
    zone = ZoneInfo(conn.scalar(select(Office.timezone).where(Office.id == office_id)) or "Asia/Ho_Chi_Minh")
    start = datetime.combine(date_from, time(0), zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(0), zone).astimezone(UTC)
    figures = CaseFigures()
    figures.by_rule = dict(conn.execute(
        select(Alert.rule, func.count()).where(Alert.office_id == office_id, Alert.opened_at >= start,
                                               Alert.opened_at < end).group_by(Alert.rule)).all())
    figures.raised = sum(figures.by_rule.values())
    closed = conn.execute(select(Alert.status, Alert.opened_at, Alert.closed_at, Alert.due_at).where(
        Alert.office_id == office_id, Alert.closed_at >= start, Alert.closed_at < end)).all()
    resolved = [c for c in closed if c.status == "resolved"]
    figures.resolved = len(resolved)
    figures.dismissed = sum(1 for c in closed if c.status == "dismissed")
    figures.resolved_on_time = sum(1 for c in resolved if c.closed_at <= c.due_at)
    if resolved:
        figures.median_resolve_s = statistics.median((c.closed_at - c.opened_at).total_seconds() for c in resolved)
    figures.letters_sent = conn.scalar(select(func.count()).select_from(Letter).where(
        Letter.office_id == office_id, Letter.sent_at >= start, Letter.sent_at < end)) or 0
    return figures
