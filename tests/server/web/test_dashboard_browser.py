"""The dashboard in a real browser: headless Chromium logs in, filters, opens every page,
creates an enrollment code, switches to English and opens the printable report; each page
is saved to build/screenshots/test_dashboard_browser/ for people to look at."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.server.dashkit import FROM, OFFICE_A, PASSWORD, TO, build_kit

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path, config_file):
    """The populated server (SQLite) under uvicorn on a free loopback port."""
    kit = build_kit(f"sqlite:///{tmp_path / 'central.db'}", config_file)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(kit.app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    # a script's export (bearer token), so the export log has something to show
    answer = kit.client.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}&office_id={OFFICE_A}",
                            headers=kit.token("tinh"))
    assert answer.status_code == 200
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    kit.client.close()
    kit.app.state.db.dispose()


def _submit(driver, element) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(lambda _: _replaced(page))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _replaced(page) -> bool:
    """Whether the old page's root element is gone. Chromedriver reports a replaced node as
    "stale" or, while the new page is being built, as "node does not belong to the document"."""
    try:
        page.is_enabled()
    except WebDriverException:
        return True
    return False


def _shot(driver, name: str) -> None:
    folder = driver.screenshot_dir / "test_dashboard_browser"
    folder.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, min(max(900, height + 20), 4000))
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1366, 900)


def _login(driver, base: str, username: str) -> None:
    driver.get(f"{base}/dashboard")
    assert "/login" in driver.current_url
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    _submit(driver, driver.find_element(By.ID, "login"))


def test_a_province_admin_logs_in_filters_and_opens_every_page(served, chromium):
    driver = chromium
    driver.get(f"{served}/login")
    driver.find_element(By.NAME, "username").send_keys("tinh")
    driver.find_element(By.NAME, "password").send_keys("sai-mat-khau-123")
    _submit(driver, driver.find_element(By.ID, "login"))
    assert "Sai tên đăng nhập hoặc mật khẩu" in driver.page_source
    _shot(driver, "01-login-wrong-password")

    _login(driver, served, "tinh")
    assert driver.current_url.endswith("/dashboard")
    # filter: the dataset's two months, then one office
    for name, value in (("from", FROM), ("to", TO)):
        field = driver.find_element(By.NAME, name)
        driver.execute_script("arguments[0].value = arguments[1]", field, value)
    _submit(driver, driver.find_element(By.ID, "apply"))
    assert "Tỷ lệ hài lòng" in driver.page_source and "n = " in driver.page_source
    _shot(driver, "02-overview-all-offices")

    Select(driver.find_element(By.NAME, "office_id")).select_by_value(OFFICE_A)
    _submit(driver, driver.find_element(By.ID, "apply"))
    assert f"office_id={OFFICE_A}" in driver.current_url
    _shot(driver, "03-overview-one-office")

    for i, (link, marker, name) in enumerate((
            ("Chi tiết", "Xếp hạng cán bộ", "breakdown"), ("Lý do & góp ý", "Góp ý gần đây", "feedback"),
            ("Lượt phục vụ", "Tỷ lệ vắng mặt", "tickets"), ("Thiết bị", "Tình trạng thiết bị", "devices"),
            ("Xuất dữ liệu & báo cáo", "Nhật ký xuất dữ liệu", "exports")), start=4):
        _submit(driver, driver.find_element(By.LINK_TEXT, link))
        assert marker in driver.page_source, link
        assert f"office_id={OFFICE_A}" in driver.current_url  # the filter follows the navigation
        _shot(driver, f"{i:02d}-{name}")
    assert "ratings.csv" in driver.page_source  # the export log lists the script's export

    _submit(driver, driver.find_element(By.LINK_TEXT, "Thiết bị"))
    driver.find_element(By.NAME, "name").send_keys("Máy tính bảng quầy 2")
    _submit(driver, driver.find_element(By.ID, "enroll-button"))
    code = driver.find_element(By.ID, "enroll-code").text
    assert len(code) == 14 and code.count("-") == 2
    assert driver.find_elements(By.CSS_SELECTOR, "#enrolled svg")
    _shot(driver, "09-enrollment-code")

    _submit(driver, driver.find_element(By.LINK_TEXT, "English"))
    assert "Satisfaction" in driver.page_source or "Device health" in driver.page_source
    _submit(driver, driver.find_element(By.LINK_TEXT, "Overview"))
    assert "Satisfaction rate" in driver.page_source
    _shot(driver, "10-overview-english")

    driver.get(f"{served}/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-06&format=html&lang=vi")
    assert "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in driver.page_source
    _shot(driver, "11-monthly-report")


def test_an_office_manager_sees_only_their_office_in_the_browser(served, chromium):
    driver = chromium
    _login(driver, served, "quanly-a")
    driver.get(f"{served}/dashboard/breakdown?from={FROM}&to={TO}")
    assert "UBND xã An Phú" not in driver.page_source
    assert not driver.find_elements(By.NAME, "office_id") or \
        driver.find_element(By.NAME, "office_id").tag_name != "select"
    _shot(driver, "12-manager-breakdown")
    driver.get(f"{served}/dashboard/exports?from={FROM}&to={TO}")
    assert "Nhật ký xuất dữ liệu" not in driver.page_source
    _shot(driver, "13-manager-exports")
