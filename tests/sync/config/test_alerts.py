"""The alerts section: defaults, every mistake named (in English and Vietnamese), the dashboard form."""

from __future__ import annotations

import pytest

from sync.config import build_alerts, load_config, parse_working_hours
from tests.sync.config.test_config import ROOT, problems_of, raw  # noqa: F401 (fixture)


def test_the_shipped_file_has_the_default_rules_on():
    alerts = load_config(ROOT / "config.yaml").alerts
    assert alerts.rules == ["burst", "severe", "trend", "silent"]
    assert (alerts.burst_window_min, alerts.burst_min_answers, alerts.burst_unsatisfied_share) == (15, 4, 0.5)
    assert alerts.periods() == [(7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60)]


@pytest.mark.parametrize("text, problem", [
    ("8-17", "expected periods like"), ("13:30-17:00,07:30-11:30", "comes before"), ("17:00-08:00", "before the end"),
    ("07:30-11:30,11:00-12:00", "overlaps"), ("07:60-08:00", "before the end")])
def test_working_hours_that_cannot_be_read_are_refused(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_working_hours(text)


def test_every_bad_alert_setting_is_named(tmp_path, raw):  # noqa: F811
    raw["alerts"].update(working_hours="sáng", working_days=[0, 8], trend_target=80, burst_min_answers=0,
                         rules=["burst", "bao-dong"])
    problems = problems_of(tmp_path, raw)
    assert any(p.startswith("alerts.rules[1]: expected one of") for p in problems)
    raw["alerts"]["rules"] = ["burst"]
    problems = problems_of(tmp_path, raw)
    assert sorted(p.split(":")[0] for p in problems) == [
        "alerts.burst_min_answers", "alerts.trend_target", "alerts.working_days[0]", "alerts.working_days[1]",
        "alerts.working_hours"]


def test_the_dashboard_form_gets_the_same_rules_in_both_languages():
    alerts, problems = build_alerts({"trend_target": 2})
    assert alerts is None
    (problem,) = problems
    assert str(problem) == "alerts.trend_target: expected a share above 0 and at most 1, found 2.0"
    assert problem.vi.startswith("alerts.trend_target: cần một tỷ lệ")
    alerts, problems = build_alerts({"burst_min_answers": 6})
    assert alerts.burst_min_answers == 6 and not problems


def test_a_webhook_needs_a_secret_to_sign_with(tmp_path, raw):  # noqa: F811
    raw["server"].update(webhook_url="https://chat.example.vn/hook", webhook_secret="ngan", smtp_url="mail.example.vn")
    problems = problems_of(tmp_path, raw)
    assert any(p.startswith("server.webhook_secret:") for p in problems)
    assert any(p.startswith("server.smtp_url: expected smtp://") for p in problems)
