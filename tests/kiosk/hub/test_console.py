"""The clerk console in headless Chromium against a real hub: a wrong PIN's message goes away
once the right PIN is in, "Gọi lại" says it called again and the lobby hears it again, a
wrong counter token is caught when the page opens, and the day's tickets download as CSV."""

from __future__ import annotations

import csv
import io
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.kiosk.conftest import TOKENS
from tests.kiosk.hub.test_pages import body, open_console, shot, wait

pytestmark = pytest.mark.browser


def test_the_wrong_pin_message_goes_once_the_right_pin_is_in(hub, chromium):
    driver = chromium
    driver.get(f"{hub.base_url}/console#counter=1&token={TOKENS[1]}")
    wait(driver, lambda d: d.find_element(By.ID, "login").is_displayed())
    driver.find_element(By.ID, "login-pin").send_keys("0000")
    driver.find_element(By.ID, "login-go").click()
    message = driver.find_element(By.ID, "message")
    wait(driver, lambda d: "Sai cán bộ hoặc mã PIN." in message.text)
    driver.find_element(By.ID, "login-pin").send_keys("1111")
    driver.find_element(By.ID, "login-go").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())
    assert "Sai cán bộ" not in message.get_attribute("textContent")
    assert "show" not in message.get_attribute("class")
    shot(driver, "console-after-wrong-then-right-pin")


def test_recall_confirms_on_the_console_and_the_lobby_hears_the_call_again(hub, chromium):
    hub.engine.issue("ho-tich")
    driver = chromium
    driver.get(f"{hub.base_url}/display")
    display = driver.current_window_handle
    wait(driver, lambda d: body(d, "online") == "1")
    driver.switch_to.new_window("window")
    open_console(driver, hub, 1, "Nguyễn Văn An", "1111")
    driver.find_element(By.ID, "btn-next").click()
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "1001")
    driver.switch_to.window(display)
    wait(driver, lambda d: body(d, "announced") == "1", timeout=30)

    driver.switch_to.window(driver.window_handles[1])
    driver.find_element(By.ID, "btn-recall").click()
    wait(driver, lambda d: "Đã gọi lại số 1001" in d.find_element(By.ID, "message").text)
    assert "show" in driver.find_element(By.ID, "message").get_attribute("class")
    wait(driver, lambda d: "Số lần gọi lại: 1" in d.find_element(By.ID, "current-meta").text)
    shot(driver, "console-recall-confirmed")
    driver.switch_to.window(display)
    wait(driver, lambda d: body(d, "announced") == "2", timeout=30)  # the same call, spoken again
    assert driver.find_element(By.ID, "player").get_attribute("currentSrc").endswith("/1/1001.wav")


def test_a_wrong_counter_token_is_caught_when_the_page_opens(hub, chromium):
    driver = chromium
    driver.get(f"{hub.base_url}/console#counter=2&token={TOKENS[1]}")  # counter 1's token on counter 2
    wait(driver, lambda d: d.find_element(By.ID, "setup").is_displayed())
    error = driver.find_element(By.ID, "setup-error")
    assert error.is_displayed() and "Mã bảo mật không đúng" in error.text
    assert not driver.find_element(By.ID, "work").is_displayed()
    assert not driver.find_element(By.ID, "login").is_displayed()
    shot(driver, "console-wrong-token")

    Select(driver.find_element(By.ID, "setup-counter")).select_by_visible_text("Quầy 2")
    driver.find_element(By.ID, "setup-token").send_keys("still-not-the-token")
    driver.find_element(By.ID, "setup-save").click()
    time.sleep(0.5)
    assert driver.find_element(By.ID, "setup").is_displayed() and error.is_displayed()

    driver.find_element(By.ID, "setup-token").send_keys(TOKENS[2])
    driver.find_element(By.ID, "setup-save").click()
    wait(driver, lambda d: d.find_element(By.ID, "login").is_displayed())
    assert not error.is_displayed()


def test_the_days_tickets_download_from_the_console(hub, chromium, tmp_path):
    hub.engine.issue("ho-tich")
    hub.engine.issue("kinh-te")
    driver = chromium
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    open_console(driver, hub, 1, "Nguyễn Văn An", "1111")
    driver.find_element(By.ID, "day-csv").click()
    day = hub.engine.snapshot()["day"]
    target = downloads / f"ve-{hub.config.office.id}-{day}.csv"
    wait(driver, lambda d: target.exists() and target.stat().st_size > 0, timeout=10)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["1001", "5001"]
