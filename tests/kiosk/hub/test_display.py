"""The lobby display in headless Chromium against a real hub: the current call and the last
five, a call that finished leaves "Đang mời", no voice call is read out more than a minute
late, the notice ticker shows the whole notice, and the slideshow of the office's pictures."""

from __future__ import annotations

import time

import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from tests.conftest import start_chromium
from tests.kiosk.conftest import PINS
from tests.kiosk.hub.test_pages import body, shot, wait

pytestmark = pytest.mark.browser


def _staff(engine, *counters):
    names = {1: "nguyen-van-an", 2: "tran-thi-binh", 3: "le-hoang-cuong", 4: "pham-thu-dung"}
    for counter_id in counters:
        engine.login(counter_id, names[counter_id], PINS[names[counter_id]])


def test_the_display_shows_the_last_five_calls_and_clears_the_current_one_when_it_is_finished(hub, chromium):
    engine = hub.engine
    _staff(engine, 1, 2)
    for _ in range(7):
        engine.issue("ho-tich")
    driver = chromium
    driver.get(f"{hub.base_url}/display")
    wait(driver, lambda d: body(d, "online") == "1")
    for i in range(7):
        counter_id = 1 + i % 2
        if i >= 2:
            engine.finish(counter_id)
        engine.call_next(counter_id)
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "1007")
    recent = [li.find_element(By.TAG_NAME, "b").text for li in driver.find_elements(By.CSS_SELECTOR, "#recent li")]
    assert recent == ["1006", "1005", "1004", "1003", "1002"]  # newest first, the current one not repeated
    assert "Quầy 2" in driver.find_element(By.CSS_SELECTOR, '#recent li[data-ticket="1006"]').text
    hub.report_fault("printer", "Máy in vé hết giấy")
    wait(driver, lambda d: d.find_element(By.ID, "faults").is_displayed())
    time.sleep(1.2)
    for panel in ("aside", ".recent"):  # every line whole inside its panel, fault banner and all
        cut = driver.execute_script(
            "const box = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return [...document.querySelectorAll(arguments[0] + ' li')].filter((li) => {"
            "  const r = li.getBoundingClientRect(); return r.bottom > box.bottom + 1 || r.right > box.right + 1;"
            "}).map((li) => li.textContent);", panel)
        assert cut == [], f"cut off in {panel}: {cut}"
    shot(driver, "display-recent-calls")

    engine.finish(1)  # 1007 was called to counter 1: it is done
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "—")
    assert "idle" in driver.find_element(By.ID, "latest").get_attribute("class")
    assert driver.find_element(By.ID, "latest-service").text == "Chờ gọi số tiếp theo"
    assert driver.find_elements(By.CSS_SELECTOR, '#recent li[data-ticket="1007"]')  # still listed for latecomers
    assert not driver.find_elements(By.CSS_SELECTOR, '.tile.hot')
    engine.no_show(2)  # 1006 at counter 2: the current call was 1007, nothing else changes
    engine.issue("ho-tich")
    engine.call_next(2)
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "1008")
    engine.transfer(2, to_service_id="chung-thuc")
    wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "—")
    shot(driver, "display-current-call-cleared")


def test_calls_made_while_sound_was_refused_are_not_read_out_a_minute_late(hub, tmp_path):
    # A browser started by hand refuses sound until a tap: calls pile up meanwhile.
    driver = start_chromium(tmp_path / "chromium", autoplay=False)
    try:
        _staff(hub.engine, 1, 2, 3)
        for service_id in ("ho-tich", "ho-tich", "lao-dong-xa-hoi", "ho-tich"):
            hub.engine.issue(service_id)
        driver.get(f"{hub.base_url}/display")
        wait(driver, lambda d: body(d, "online") == "1")
        for counter_id in (1, 2, 3):
            hub.engine.call_next(counter_id)
        wait(driver, lambda d: body(d, "queued") == "3")
        sound = driver.find_element(By.ID, "sound")
        wait(driver, lambda d: sound.is_displayed())
        assert body(driver, "announced") is None  # nothing was played
        shot(driver, "display-sound-refused")

        # A minute and a second later (the page's clock moved on), one more call comes in.
        driver.execute_script("const real = Date.now.bind(Date); Date.now = () => real() + 61000;")
        hub.engine.finish(1)
        hub.engine.call_next(1)
        wait(driver, lambda d: d.find_element(By.ID, "latest-number").text == "1003")
        sound.click()
        wait(driver, lambda d: body(d, "announced") == "1", timeout=30)
        assert body(driver, "skipped") == "3"  # the three old calls were dropped, not read out
        assert driver.find_element(By.ID, "player").get_attribute("currentSrc").endswith("/1/1003.wav")
        assert not sound.is_displayed()
    finally:
        driver.quit()


def test_a_notice_that_fits_stands_still_and_a_long_one_scrolls_whole(make_hub, chromium):
    driver = chromium
    short = make_hub()  # the shipped notice
    driver.get(f"{short.base_url}/display")
    wait(driver, lambda d: d.find_element(By.ID, "notice").get_attribute("class") == "still")
    item = driver.find_element(By.CSS_SELECTOR, "#notice .item")
    assert item.text == short.config.hub.notice
    left, right, width = driver.execute_script(
        "const r = document.querySelector('#notice .item').getBoundingClientRect();"
        "return [r.left, r.right, window.innerWidth];")
    assert 0 <= left and right <= width, "the notice runs off the screen"

    notice = ("Từ ngày 01/7/2025 hồ sơ đất đai nộp tại Trung tâm phục vụ hành chính công phường; "
              "công dân mang theo căn cước công dân bản chính và bản sao giấy tờ liên quan. Xin cảm ơn!")
    long = make_hub(notice=notice)
    driver.get(f"{long.base_url}/display")
    wait(driver, lambda d: d.find_element(By.ID, "notice").get_attribute("class") == "scroll")
    items = driver.find_elements(By.CSS_SELECTOR, "#notice .item")
    assert [i.get_attribute("textContent") for i in items] == [notice, notice]  # a seamless loop of the whole text
    first = driver.execute_script("return document.getElementById('notice').getBoundingClientRect().left")
    time.sleep(1)
    later = driver.execute_script("return document.getElementById('notice').getBoundingClientRect().left")
    assert later < first - 20  # it moves
    seconds = float(driver.execute_script("return getComputedStyle(document.getElementById('notice')).animationDuration")[:-1])
    assert seconds > 10, "a long notice must scroll slowly enough to read"
    shot(driver, "display-long-notice")


def test_the_display_shows_the_offices_pictures_in_turn(make_hub, chromium, tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    Image.new("RGB", (1600, 900), (200, 30, 30)).save(folder / "1-dich-vu-cong.png")
    Image.new("RGB", (1600, 900), (30, 120, 200)).save(folder / "2-nop-ho-so.jpg")
    (folder / "ghi-chu.txt").write_text("not shown", encoding="utf-8")
    hub = make_hub(display_media=str(folder), display_media_seconds=3)
    driver = chromium
    driver.get(f"{hub.base_url}/display")
    wait(driver, lambda d: body(d, "media") == "/media/1-dich-vu-cong.png")
    assert driver.find_element(By.ID, "media").is_displayed()
    assert not driver.find_element(By.ID, "counters-box").is_displayed()
    assert driver.execute_script("return document.getElementById('media-image').naturalWidth") == 1600
    shot(driver, "display-slideshow")
    wait(driver, lambda d: body(d, "media") == "/media/2-nop-ho-so.jpg", timeout=6)
    wait(driver, lambda d: body(d, "media") == "/media/1-dich-vu-cong.png", timeout=6)

    import httpx

    assert httpx.get(f"{hub.base_url}/media/ghi-chu.txt").status_code == 404  # only pictures and videos
    assert httpx.get(f"{hub.base_url}/media/..%2Fconfig.yaml").status_code == 404
