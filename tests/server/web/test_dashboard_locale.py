"""Dashboard details that depend on where it is read: dates typed and shown as dd/mm/yyyy
whatever the browser's language, the export's score filter offering the office's own levels,
and the monthly report's "Lập lúc" in the office's local time in the workbook as on the page."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from selenium.webdriver.common.by import By

from sync.server.i18n import parse_day
from tests.server.dashkit import FROM, OFFICE_A, OFFICE_B, TO, dash  # noqa: F401
from tests.server.web.test_dashboard_browser import _login, _shot, _submit, served  # noqa: F401


def test_dates_are_read_as_typed_the_vietnamese_way():
    assert parse_day("02/03/2026").isoformat() == "2026-03-02"  # 2 March, not 3 February
    assert parse_day(" 2/3/2026 ").isoformat() == "2026-03-02"
    assert parse_day("2026-03-02").isoformat() == "2026-03-02"  # links and scripts
    for bad in ("31/02/2026", "03-02-2026", "2/3/26", ""):
        with pytest.raises(ValueError):
            parse_day(bad)


@pytest.mark.browser
def test_the_filter_bar_shows_and_takes_dd_mm_yyyy_in_any_browser_language(served, tmp_path):  # noqa: F811
    from tests.conftest import start_chromium

    driver = start_chromium(tmp_path / "chromium-en-us")
    try:
        driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-US"})  # an English PC
        _login(driver, served, "tinh")
        driver.get(f"{served}/dashboard?from={FROM}&to={TO}")
        first, last = driver.find_element(By.NAME, "from"), driver.find_element(By.NAME, "to")
        assert (first.get_attribute("type"), first.get_attribute("value")) == ("text", "01/06/2025")
        assert last.get_attribute("value") == "31/07/2025"
        first.clear()
        first.send_keys("15/06/2025")
        last.clear()
        last.send_keys("2/7/2025")
        _submit(driver, driver.find_element(By.ID, "apply"))
        assert "from=15%2F06%2F2025" in driver.current_url
        assert driver.find_element(By.NAME, "from").get_attribute("value") == "15/06/2025"
        assert driver.find_element(By.NAME, "to").get_attribute("value") == "02/07/2025"
        assert not driver.find_elements(By.CSS_SELECTOR, ".filters .warn")
        _shot(driver, "20-filter-dd-mm-yyyy-en-us-browser")
        # the filter follows the navigation as the same days
        _submit(driver, driver.find_element(By.LINK_TEXT, "Chi tiết"))
        assert driver.find_element(By.NAME, "from").get_attribute("value") == "15/06/2025"
        driver.get(f"{served}/dashboard?from=31%2F02%2F2025&to={TO}")
        assert driver.find_elements(By.CSS_SELECTOR, ".filters .warn")  # a day that does not exist is flagged
    finally:
        driver.quit()


def _score_options(dash, username: str, office_id: str) -> list[str]:  # noqa: F811
    page = dash.client.get(f"/dashboard/exports?from={FROM}&to={TO}&office_id={office_id}",
                           headers=dash.token(username))
    assert page.status_code == 200, page.text
    select = re.search(r'<select name="score" id="export-score">(.*?)</select>', page.text, re.DOTALL).group(1)
    return re.findall(r"<option value=\"(\d+)\">([^<]*)</option>", select)


def test_the_export_score_filter_offers_the_levels_of_the_offices_scale(dash):  # noqa: F811
    three = _score_options(dash, "quanly-a", OFFICE_A)
    assert [s for s, _ in three] == ["3", "2", "1"]
    assert three[0][1] == "3 — Rất hài lòng" and three[2][1] == "1 — Không hài lòng"
    five = _score_options(dash, "quanly-b", OFFICE_B)
    assert [s for s, _ in five] == ["5", "4", "3", "2", "1"]


def test_the_monthly_workbook_says_when_it_was_made_in_the_offices_time(dash):  # noqa: F811
    before = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None, second=0, microsecond=0)
    answer = dash.client.get(f"/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-06&format=xlsx",
                             headers=dash.token("tinh"))
    summary = openpyxl.load_workbook(io.BytesIO(answer.content))["Tổng hợp"]
    assert summary["A4"].value == "Lập lúc"
    made = summary["B4"].value
    assert before <= made <= before + timedelta(minutes=2), f"{made} is not the office's time ({before})"
    page = dash.client.get(f"/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-06&format=html",
                           headers=dash.token("tinh")).text
    shown = re.search(r"Lập lúc: (\d\d/\d\d/\d{4} \d\d:\d\d)", page).group(1)
    assert abs(datetime.strptime(shown, "%d/%m/%Y %H:%M") - made) <= timedelta(minutes=1)
