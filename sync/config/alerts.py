"""The alert settings' own rules, for config.yaml and for the dashboard form alike.

A province admin may change one office's ``alerts:`` settings on the dashboard; what they
type goes through ``build_alerts`` — the same builder and the same rules as the file — so a
bad value is refused with the same message (English and Vietnamese) wherever it comes from.
Pure Python (the tablet loads configs with these sections too).
"""

from __future__ import annotations

from typing import Any

from sync.config.building import Problems, build_value
from sync.config.schema import Alerts

__all__ = ["build_alerts", "check_alerts"]

_AT_LEAST = (("burst_window_min", 1), ("burst_min_answers", 1), ("trend_days", 1), ("silent_min_tickets", 1),
             ("late_after_min", 0), ("contact_retention_days", 0))


def check_alerts(alerts: Alerts, path: str, problems: Problems) -> None:
    try:
        alerts.periods()
    except ValueError as exc:
        problems.add(f"{path}.working_hours", str(exc),
                     f"cần các khoảng giờ dạng '07:30-11:30,13:30-17:00', nhưng gặp {alerts.working_hours!r}")
    if not alerts.working_days:
        problems.add(f"{path}.working_days", "list at least one working day", "cần ít nhất một ngày làm việc")
    for i, day in enumerate(alerts.working_days):
        if not 1 <= day <= 7:
            problems.add(f"{path}.working_days[{i}]", f"expected 1 (Monday) … 7 (Sunday), found {day}",
                         f"cần từ 1 (thứ Hai) đến 7 (Chủ nhật), nhưng gặp {day}")
    for name in ("burst_unsatisfied_share", "trend_target"):
        value = getattr(alerts, name)
        if not 0 < value <= 1:
            problems.add(f"{path}.{name}", f"expected a share above 0 and at most 1, found {value}",
                         f"cần một tỷ lệ lớn hơn 0 và không quá 1 (ví dụ 0.5), nhưng gặp {value}")
    for name, low in _AT_LEAST:
        value = getattr(alerts, name)
        if value < low:
            problems.add(f"{path}.{name}", f"expected {low} or more, found {value}",
                         f"cần từ {low} trở lên, nhưng gặp {value}")
    if not alerts.due_working_hours > 0:
        problems.add(f"{path}.due_working_hours", "expected more than 0 hours", "cần lớn hơn 0 giờ")
    if not 0 <= alerts.digest_hour <= 23:
        problems.add(f"{path}.digest_hour", f"expected an hour 0..23, found {alerts.digest_hour}",
                     f"cần một giờ từ 0 đến 23, nhưng gặp {alerts.digest_hour}")


def build_alerts(value: Any, path: str = "alerts") -> tuple[Alerts | None, Problems]:
    """Alert settings from plain data (a config section or a dashboard form), with every problem."""
    problems = Problems()
    built = build_value(Alerts, value, path, problems)
    if built is not None and not problems:
        check_alerts(built, path, problems)
    return (built if not problems else None), problems
