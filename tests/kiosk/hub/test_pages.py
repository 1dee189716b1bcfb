"""The clerk console and the lobby display in headless Chromium, against a real hub:
a click on "Gọi số tiếp theo" shows the number on the display within a second and queues
its voice call; the display marks itself offline and recovers when the hub restarts."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import SCREENSHOTS
from tests.kiosk.conftest import TOKENS

pytestmark = pytest.mark.browser
SHOTS = SCREENSHOTS / "test_hub_pages"


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait(driver, condition, timeout=10):
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: condition(d))


def body(driver, name):
    return driver.find_element(By.TAG_NAME, "body").get_attribute(f"data-{name}")


def open_console(driver, hub, counter_id, clerk_name, pin):
    driver.get(f"{hub.base_url}/console#counter={counter_id}&token={TOKENS[counter_id]}")
    wait(driver, lambda d: d.find_element(By.ID, "login").is_displayed())
    Select(driver.find_element(By.ID, "login-clerk")).select_by_visible_text(clerk_name)
    driver.find_element(By.ID, "login-pin").send_keys(pin)
    driver.find_element(By.ID, "login-go").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())


def test_calling_on_the_console_shows_the_number_on_the_display_within_a_second(hub, chromium):
    hub.engine.issue("chung-thuc")
    hub.engine.issue("ho-tich", priority=True)
    hub.engine.issue("dat-dai-xay-dung")
    hub.report_fault("printer", "Máy in vé hết giấy")
    driver = chromium
    driver.get(f"{hub.base_url}/display")
    display = driver.current_window_handle
    wait(driver, lambda d: "Bến Thành" in d.find_element(By.ID, "office").text)
    driver.switch_to.new_window("window")
    console = driver.current_window_handle
    open_console(driver, hub, 2, "Trần Thị Bình", "2222")
    assert "Trần Thị Bình" in driver.find_element(By.ID, "clerk-name").text
    shot(driver, "console-ready")

    button = driver.find_element(By.XPATH, "//button[contains(., 'Gọi số tiếp theo')]")
    button.click()
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "1001")
    assert "Ưu tiên" in driver.find_element(By.ID, "current-service").text  # priority first
    clicked_at = int(body(driver, "call-clicked-at"))
    shot(driver, "console-serving")

    driver.switch_to.window(display)
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "1001", timeout=5)
    shown_at = int(body(driver, "last-call-at"))
    assert shown_at - clicked_at <= 1000, f"the display showed the call {shown_at - clicked_at} ms after the click"
    assert driver.find_element(By.ID, "latest-counter").text == "Quầy 2"
    tile = driver.find_element(By.CSS_SELECTOR, '.tile[data-counter="2"]')
    assert "1001" in tile.text and "hot" in tile.get_attribute("class")
    assert driver.find_element(By.CSS_SELECTOR, '#waiting b[data-service="ho-tich"]').text == "0"
    assert driver.find_element(By.CSS_SELECTOR, '#waiting b[data-service="chung-thuc"]').text == "1"
    assert "Máy in vé hết giấy" in driver.find_element(By.ID, "faults").text
    player = driver.find_element(By.ID, "player")
    wait(driver, lambda d: player.get_attribute("currentSrc").endswith("/api/v1/announcements/2/1001.wav"))
    time.sleep(1.2)  # let the call's highlight animation settle before the picture
    shot(driver, "display-called")

    # A second call while the first is still being spoken waits its turn.
    driver.switch_to.window(console)
    driver.find_element(By.TAG_NAME, "body").send_keys("h")  # shortcut: Hoàn thành
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "—")
    driver.find_element(By.TAG_NAME, "body").send_keys("n")  # shortcut: Gọi số tiếp theo
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "2001")
    driver.switch_to.window(display)
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "2001")
    if body(driver, "announced") in (None, "0"):  # the first call is still playing
        assert body(driver, "queued") == "2"
        assert player.get_attribute("currentSrc").endswith("/1001.wav"), "the first call was cut off"
    wait(driver, lambda d: body(d, "announced") == "2", timeout=30)
    assert driver.execute_script("return document.getElementById('player').error") is None


def test_the_console_switches_to_english_and_refuses_a_wrong_pin(hub, chromium):
    driver = chromium
    driver.get(f"{hub.base_url}/console#counter=1&token={TOKENS[1]}")
    wait(driver, lambda d: d.find_element(By.ID, "login").is_displayed())
    driver.find_element(By.ID, "login-pin").send_keys("0000")
    driver.find_element(By.ID, "login-go").click()
    wait(driver, lambda d: "Sai cán bộ hoặc mã PIN" in d.find_element(By.ID, "message").text)
    driver.find_element(By.ID, "lang").click()
    assert driver.find_element(By.ID, "login-go").text == "Log in"
    driver.find_element(By.ID, "login-pin").clear()
    driver.find_element(By.ID, "login-pin").send_keys("1111")
    driver.find_element(By.ID, "login-go").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())
    assert "Call next" in driver.find_element(By.ID, "btn-next").text
    shot(driver, "console-english")


def test_the_display_shows_an_offline_marker_and_recovers_when_the_hub_restarts(hub, chromium):
    driver = chromium
    driver.get(f"{hub.base_url}/display?lang=en")
    wait(driver, lambda d: body(d, "online") == "1")
    assert driver.find_element(By.ID, "offline").is_displayed() is False
    port = int(hub.base_url.rsplit(":", 1)[1])
    hub.stop()
    wait(driver, lambda d: d.find_element(By.ID, "offline").is_displayed())
    assert "reconnecting" in driver.find_element(By.ID, "offline").text
    shot(driver, "display-offline-english")
    hub.engine.issue("kinh-te")  # the kiosk keeps issuing while the hub's server is down
    hub.port = port
    hub.start()
    wait(driver, lambda d: body(d, "online") == "1", timeout=20)
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#waiting b[data-service="kinh-te"]').text == "1")
    assert driver.find_element(By.ID, "offline").is_displayed() is False


def test_the_console_marks_a_no_show_puts_it_back_transfers_and_pauses(hub, chromium):
    first = hub.engine.issue("ho-tich")
    hub.engine.issue("ho-tich")
    driver = chromium
    open_console(driver, hub, 1, "Nguyễn Văn An", "1111")
    driver.find_element(By.ID, "btn-next").click()
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "1001")
    driver.find_element(By.XPATH, "//button[contains(., 'Vắng mặt')]").click()
    requeue = wait(driver, lambda d: d.find_elements(By.XPATH, "//ul[@id='no-shows']//button[.='Đưa lại vào hàng']"))
    assert driver.find_element(By.ID, "current-number").text == "—"
    assert "1001" in driver.find_element(By.ID, "no-shows").text
    requeue[0].click()
    wait(driver, lambda d: d.find_element(By.ID, "no-shows").text == "")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#waiting b[data-service="ho-tich"]').text == "2")
    driver.find_element(By.ID, "btn-next").click()
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "1001")  # its original place

    driver.find_element(By.XPATH, "//button[contains(., 'Chuyển')]").click()
    wait(driver, lambda d: d.find_element(By.ID, "transfer-dialog").is_displayed())
    Select(driver.find_element(By.ID, "transfer-service")).select_by_visible_text("Chứng thực")
    shot(driver, "console-transfer")
    driver.find_element(By.ID, "transfer-ok").click()
    wait(driver, lambda d: d.find_element(By.ID, "current-number").text == "—")
    moved = hub.engine.ticket(first.id)
    assert (moved.service_id, moved.status, moved.transfers) == ("chung-thuc", "waiting", 1)

    driver.find_element(By.XPATH, "//button[contains(., 'Tạm nghỉ')]").click()
    wait(driver, lambda d: d.find_element(By.ID, "paused-banner").is_displayed())
    assert driver.find_element(By.ID, "btn-next").get_attribute("disabled") == "true"
    assert "Tiếp tục" in driver.find_element(By.ID, "btn-pause").text
    shot(driver, "console-paused")
    driver.find_element(By.ID, "btn-pause").click()
    wait(driver, lambda d: not d.find_element(By.ID, "paused-banner").is_displayed())
    assert hub.engine.counter_view(1)["paused"] is False
