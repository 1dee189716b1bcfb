"""A citizen who follows the queue on their phone and rates from it, end to end.

The kiosk (Kivy, simulated touches) issues a ticket and prints it; the QR code is decoded
from the printer's bytes and opened in headless Chromium with a phone's viewport. The page
shows the place in the queue, follows the clerk's calls live, shows the counter within a
second of the call, alerts (vibration + notification) when two are ahead and when called,
and takes the rating after the service. The rating travels in the hub's outbox to the
central server, where the dashboard counts it under "phone"; the counter tablet, whose
prompt for that ticket was open, closes it, and a tablet rating of the same ticket that
reaches the centre anyway is refused.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sync import records
from tests.conftest import SCREENSHOTS, start_chromium
from tests.e2e.test_one_visit import ADMIN, COUNTER, office, start_tablet, wait_for  # noqa: F401 (fixture)
from tests.kiosk.test_printer import decoded_qr, raster_pictures

pytestmark = [pytest.mark.kivy, pytest.mark.browser, pytest.mark.slow]

SHOTS = SCREENSHOTS / "test_phone_visit"
# Headless Chromium cannot vibrate or show a notification: record the calls the page makes.
RECORD_ALERTS = """
window.__alerts = [];
navigator.vibrate = function (pattern) { window.__alerts.push(["vibrate", JSON.stringify(pattern)]); return true; };
window.Notification = function (title) { window.__alerts.push(["notification", title]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


@pytest.fixture
def phone(tmp_path):
    driver = start_chromium(tmp_path / "phone", autoplay=False)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_ALERTS})
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def take_ticket_and_scan_it(kivy_driver, device) -> tuple[int, str]:
    from kiosk.app import KioskApp

    app = KioskApp(device)
    drive = kivy_driver(app)
    drive.run_for(app.debounce_s + 0.1)
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.run_for(app.debounce_s + 0.1)
    drive.tap(drive.find_text("Hộ tịch"))
    drive.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), what="printing")
    drive.step(3)
    drive.screenshot("kiosk-ticket-with-qr")
    number = int(app.manager.get_screen("ticket").number)
    (url,) = decoded_qr(raster_pictures(app.printer.last_job))  # the QR code as printed
    drive.stop()
    return number, url


def counter_op(hub, cfg, action: str, **body) -> dict:
    answer = requests.post(f"{hub.base_url}/api/v1/counters/{COUNTER}/{action}", json=body or None, timeout=10,
                           headers={"Authorization": f"Bearer {cfg.counter(COUNTER).token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def ratings_of(central, ticket_id: str) -> list[tuple]:
    with central.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(central.text(
            "SELECT channel, score, clerk_id FROM ratings WHERE ticket_id = :t AND score IS NOT NULL"), {"t": ticket_id})]


def dashboard_breakdown(central) -> str:
    with requests.Session() as browser:
        login = browser.post(f"{central.url}/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                                           "next": "/dashboard"}, allow_redirects=False, timeout=10)
        assert login.status_code == 303, login.text
        return browser.get(f"{central.url}/dashboard/breakdown?from=2020-01-01&to=2099-12-31", timeout=30).text


def test_a_citizen_follows_the_queue_on_the_phone_and_rates_from_it(kivy_driver, phone, office):
    cfg, hub, central = office["cfg"], office["hub"], office["central"]
    for _ in range(2):  # two citizens came before
        requests.post(f"{hub.base_url}/api/v1/tickets", json={"service_id": "ho-tich"}, timeout=10).raise_for_status()
    number, url = take_ticket_and_scan_it(kivy_driver, office["device"])
    assert url.startswith(f"{cfg.citizen_base_url}/t/")

    # --- the page shows the place in the queue ---------------------------------------------
    page = url.replace(cfg.citizen_base_url, hub.base_url)  # the test's hub listens on a free port
    phone.get(page)
    wait = WebDriverWait(phone, 5)
    wait.until(lambda d: text_of(d, "number") == str(number))
    assert text_of(phone, "headline") == "Trước bạn còn 2 người" and "Chờ khoảng" in text_of(phone, "detail")
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone.find_element(By.ID, "lang").click()  # the English switch, without reloading
    wait.until(lambda d: text_of(d, "headline") == "2 people ahead of you")
    phone.find_element(By.ID, "lang").click()
    wait.until(lambda d: text_of(d, "headline") == "Trước bạn còn 2 người")
    phone.find_element(By.ID, "alerts").click()
    wait.until(lambda d: d.find_element(By.ID, "alerts-note").is_displayed())
    shot(phone, "phone-waiting")

    # --- a clerk calls: the page follows, and shows the counter within a second ------------
    app, drive = start_tablet(kivy_driver, cfg, hub, office["tablet_dir"])
    counter_op(hub, cfg, "login", clerk_id="nguyen-van-an", pin=cfg.clerks[0].pin)
    counter_op(hub, cfg, "call-next")
    counter_op(hub, cfg, "finish")
    wait.until(lambda d: text_of(d, "headline") == "Trước bạn còn 1 người")
    assert ["notification", f"{number} · Sắp đến lượt bạn: còn 2 người phía trước"] in \
        phone.execute_script("return window.__alerts")  # once, when two were ahead
    counter_op(hub, cfg, "call-next")
    counter_op(hub, cfg, "finish")
    wait.until(lambda d: text_of(d, "headline") == "Bạn là người tiếp theo")
    called = counter_op(hub, cfg, "call-next")
    assert called["ticket"]["number"] == number
    ticket_id = called["ticket"]["id"]
    started = time.monotonic()
    WebDriverWait(phone, 1.0, poll_frequency=0.02).until(lambda d: text_of(d, "headline") == "Mời bạn đến Quầy 1")
    shown_after = time.monotonic() - started
    alerts = phone.execute_script("return window.__alerts")
    assert ["notification", f"{number} · Mời bạn đến Quầy 1"] in alerts
    assert sum(1 for kind, _ in alerts if kind == "vibrate") >= 3  # the test tap, two ahead, called
    shot(phone, "phone-called")
    print(f"the page showed the call {shown_after * 1000:.0f} ms after the clerk's call returned")

    # --- finish: the tablet asks, but the citizen rates on the phone -----------------------
    counter_op(hub, cfg, "finish")
    drive.wait_until(lambda: app.sm.current == "prompt", timeout=15, what="the tablet's prompt")
    wait.until(lambda d: d.find_element(By.ID, "rating").is_displayed())
    assert "Nguyễn Văn An" in text_of(phone, "rate-prompt")
    phone.find_element(By.XPATH, "//label[contains(., 'Không hài lòng')]").click()
    wait.until(lambda d: d.find_element(By.ID, "reasons").is_displayed())
    phone.find_element(By.XPATH, "//label[contains(., 'Thời gian chờ lâu')]").click()
    phone.find_element(By.NAME, "comment").send_keys("Chờ gần một tiếng")
    shot(phone, "phone-rating")
    phone.find_element(By.ID, "send").click()
    wait.until(lambda d: text_of(d, "message") == "Cảm ơn bạn đã đánh giá!")
    assert not phone.find_element(By.ID, "rating").is_displayed()
    shot(phone, "phone-thanks")
    drive.wait_until(lambda: app.sm.current == "idle", timeout=10, what="the tablet's prompt to close")
    drive.screenshot("tablet-after-phone-rating")

    # --- the rating reaches the central dashboard as a phone rating ------------------------
    wait_for(lambda: ratings_of(central, ticket_id) == [("phone", 1, "nguyen-van-an")], 30,
             "the phone rating at the central server", drive.step)
    breakdown = dashboard_breakdown(central)
    channels = breakdown[breakdown.index('id="by-channel"'):]
    assert re.search(r"<td>Điện thoại của công dân</td><td class=\"num\">0,0%</td><td class=\"num\">1</td>", channels)

    # --- a second rating from the tablet is refused ----------------------------------------
    session = app.session
    ticket = {"id": ticket_id, "number": number, "service_id": "ho-tich"}
    assert not session.ticket_finished(ticket, None)  # no second prompt for this ticket
    # … and a tablet rating of it that reaches the centre anyway (an offline tablet) is refused
    app.device.outbox.append_new(lambda seq: records.new_rating(
        office_id=cfg.office.id, device_id=app.device.outbox.device_id, seq=seq, counter_id=COUNTER, score=3,
        scale=3, satisfied=True, lang="vi", clerk_id="nguyen-van-an", ticket_id=ticket["id"],
        ticket_number=number, service_id="ho-tich"))
    app.device.uploader.notify()
    wait_for(lambda: app.device.uploader.status().quarantined == 1, 30, "the centre to refuse the tablet's rating",
             drive.step)
    assert ratings_of(central, ticket_id) == [("phone", 1, "nguyen-van-an")]
    drive.stop()
