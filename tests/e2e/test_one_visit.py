"""One citizen's visit through every real part of the product, end to end.

Kiosk (Kivy, simulated touches) → office hub → clerk console and lobby display (headless
Chromium) → counter tablet (Kivy) → the devices' uploaders → the central server → its CSV
and XLSX exports. Nothing is mocked: every part is the one an office runs, wired over
loopback exactly as over the office LAN and the internet. The second visit happens while the
central server is down; its rating arrives once the server is back.
"""

from __future__ import annotations

import csv
import io
import time

import openpyxl
import pytest
import requests
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from sync.config import load_config
from sync.enrollment import enroll
from tests.central import Central
from tests.conftest import SCREENSHOTS

pytestmark = [pytest.mark.kivy, pytest.mark.browser, pytest.mark.slow]

ADMIN = ("tinh-admin", "mat-khau-du-dai-2026")
COUNTER = 1
CLERK = "Nguyễn Văn An"


def wait_for(condition, timeout: float, what: str, step=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if step:
            step()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def office(tmp_path, config_file):
    """The shipped office, its central server, and the kiosk device (hub and uploader)."""
    first = load_config(config_file)
    central = Central(first, f"sqlite:///{tmp_path / 'central.db'}")
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    raw["sync"].update(server_url=central.url, interval_s=1, heartbeat_s=60)
    raw["kiosk"]["fullscreen"] = False
    config_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cfg = load_config(config_file)

    from kiosk.device import KioskDevice
    from sync.server.admins import create_admin

    with central.db.begin() as session:
        create_admin(session, ADMIN[0], ADMIN[1], "province_admin")
    enroll(central.url, central.code("kiosk", "Máy lấy số"), cfg.data_path)
    tablet_dir = cfg.data_path / f"tablet-{COUNTER}"
    enroll(central.url, central.code("tablet", "Quầy 1"), tablet_dir)
    device = KioskDevice(cfg, host="127.0.0.1", port=0)
    device.start()
    assert device.uploader is not None
    state = {"central": central, "cfg": cfg, "device": device, "hub": device.hub, "tablet_dir": tablet_dir,
             "db": central.db.engine.url}
    yield state
    device.close()
    state["central"].close()


def take_ticket_at_the_kiosk(kivy_driver, device) -> int:
    from kiosk.app import KioskApp

    app = KioskApp(device)
    drive = kivy_driver(app)
    drive.run_for(app.debounce_s + 0.1)  # a citizen's taps are further apart than the debounce
    drive.tap(drive.find_text("Lấy số thứ tự"))
    drive.run_for(app.debounce_s + 0.1)
    drive.tap(drive.find_text("Hộ tịch"))
    drive.wait_until(lambda: app.manager.current == "ticket", what="the ticket screen")
    drive.wait_until(lambda: not app.flow.print_thread.is_alive(), what="printing")
    number = int(app.manager.get_screen("ticket").number)
    drive.screenshot("kiosk-ticket")
    drive.stop()
    return number


def start_tablet(kivy_driver, cfg, hub, tablet_dir):
    from tablet_rating.tablet_app import TabletApp

    app = TabletApp(cfg, tablet_dir)
    drive = kivy_driver(app)
    app.device.apply_settings(app.device.settings.__class__(
        counter_id=COUNTER, hub_url=hub.base_url, mode="linked", lang="vi", clerk_id=None))
    drive.wait_until(lambda: app.session.hub_online, timeout=15, what="the tablet to reach the hub")
    return app, drive


def call_and_finish_on_the_console(chromium, hub, cfg, number: int, first_visit: bool) -> None:
    wait = WebDriverWait(chromium, 10)
    if first_visit:
        chromium.get(f"{hub.base_url}/display")
        wait.until(lambda d: "Bến Thành" in d.find_element(By.ID, "office").text)
        display = chromium.current_window_handle
        chromium.switch_to.new_window("tab")
        chromium.get(f"{hub.base_url}/console#counter={COUNTER}&token={cfg.counter(COUNTER).token}")
        wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
        Select(chromium.find_element(By.ID, "login-clerk")).select_by_visible_text(CLERK)
        chromium.find_element(By.ID, "login-pin").send_keys(cfg.clerks[0].pin)
        chromium.find_element(By.ID, "login-go").click()
        wait.until(lambda d: d.find_element(By.ID, "work").is_displayed())
        chromium.display_tab, chromium.console_tab = display, chromium.current_window_handle
    chromium.switch_to.window(chromium.console_tab)
    chromium.find_element(By.XPATH, "//button[contains(., 'Gọi số tiếp theo')]").click()
    wait.until(lambda d: d.find_element(By.ID, "current-number").text == str(number))
    chromium.switch_to.window(chromium.display_tab)
    WebDriverWait(chromium, 1.5).until(lambda d: d.find_element(By.ID, "latest-number").text == str(number))
    assert chromium.find_element(By.ID, "latest-counter").text == f"Quầy {COUNTER}"
    (SCREENSHOTS / "test_one_visit").mkdir(parents=True, exist_ok=True)
    chromium.save_screenshot(str(SCREENSHOTS / "test_one_visit" / f"display-{number}.png"))
    chromium.switch_to.window(chromium.console_tab)
    chromium.find_element(By.XPATH, "//button[contains(., 'Hoàn thành')]").click()
    wait.until(lambda d: d.find_element(By.ID, "current-number").text != str(number))


def rate_lowest_with_a_reason(drive, app) -> None:
    drive.wait_until(lambda: app.sm.current == "prompt", timeout=15, what="the rating prompt")
    drive.step(3)
    faces = drive.find(lambda w: type(w).__name__ == "FaceButton")
    drive.tap(min(faces, key=lambda f: f.score))
    drive.wait_until(lambda: app.sm.current == "reasons", what="the reasons screen")
    drive.run_for(0.6)
    drive.tap(drive.find_text("Thời gian chờ lâu"))
    drive.run_for(0.6)
    drive.tap(drive.find_text("Gửi"))
    drive.wait_until(lambda: app.sm.current == "thanks", what="the thank-you screen")


def admin_export(central, fmt: str) -> bytes:
    token = requests.post(f"{central.url}/api/v1/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]},
                          timeout=10).json()["token"]
    today = time.strftime("%Y-%m-%d")
    response = requests.get(f"{central.url}/api/v1/exports/ratings", timeout=30,
                            params={"format": fmt, "from": "2020-01-01", "to": "2099-12-31"},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert today
    return response.content


def exported_rows(central) -> tuple[list[dict], list[list]]:
    text = admin_export(central, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    book = openpyxl.load_workbook(io.BytesIO(admin_export(central, "xlsx")), read_only=True)
    sheet = book.worksheets[0]
    return rows, [list(r) for r in sheet.iter_rows(values_only=True)]


def test_one_visit_end_to_end_and_again_while_the_central_server_is_down(
        kivy_driver, chromium, office, tmp_path):
    cfg, hub, central = office["cfg"], office["hub"], office["central"]

    # --- the first visit --------------------------------------------------------------
    number = take_ticket_at_the_kiosk(kivy_driver, office["device"])
    assert number == cfg.service("ho-tich").numbers.first
    app, drive = start_tablet(kivy_driver, cfg, hub, office["tablet_dir"])
    call_and_finish_on_the_console(chromium, hub, cfg, number, first_visit=True)
    rate_lowest_with_a_reason(drive, app)
    drive.screenshot("tablet-thanks")
    wait_for(lambda: len(central.rating_ids()) == 1, 30, "the rating to reach the central server", drive.step)

    rows, sheet = exported_rows(central)
    assert len(rows) == 1
    (row,) = rows
    values = " | ".join(row.values())
    for expected in (cfg.office.name, "Quầy 1", "nguyen-van-an", CLERK, "Hộ tịch", str(number),
                     "Không hài lòng", "Thời gian chờ lâu"):
        assert expected in values, f"{expected!r} missing from the CSV row {row}"
    header, (xrow,) = sheet[0], sheet[1:]
    xvalues = " | ".join(str(v) for v in xrow)
    for expected in (cfg.office.name, CLERK, "Hộ tịch", str(number), "Thời gian chờ lâu"):
        assert expected in xvalues, f"{expected!r} missing from the XLSX row {dict(zip(header, xrow))}"

    def ticket_row():
        with central.db.engine.connect() as conn:
            return conn.execute(central.text("SELECT status, wait_s, service_s, counter_id, clerk_id FROM tickets "
                                             "WHERE number = :n"), {"n": number}).mappings().first()
    wait_for(lambda: (t := ticket_row()) is not None and t["status"] == "finished", 30,
             "the finished ticket at the central server", drive.step)
    ticket = ticket_row()
    assert ticket["wait_s"] is not None and ticket["wait_s"] >= 0
    assert ticket["service_s"] is not None and ticket["service_s"] >= 0
    assert (ticket["counter_id"], ticket["clerk_id"]) == (COUNTER, "nguyen-van-an")
    drive.stop()

    # --- the same visit again, the central server down during the rating ---------------
    port, database_url = central.port, f"sqlite:///{tmp_path / 'central.db'}"
    central.close()
    second = take_ticket_at_the_kiosk(kivy_driver, office["device"])
    assert second == number + 1
    app, drive = start_tablet(kivy_driver, cfg, hub, office["tablet_dir"])
    call_and_finish_on_the_console(chromium, hub, cfg, second, first_visit=False)
    rate_lowest_with_a_reason(drive, app)
    assert len(app.device.outbox) == 1  # kept on the tablet while the server is away
    drive.run_for(2)
    assert len(app.device.outbox) == 1

    office["central"] = central = Central(load_config(cfg.source), database_url, port=port)
    wait_for(lambda: len(central.rating_ids()) == 2, 90, "the second rating once the server is back", drive.step)
    rows, _ = exported_rows(central)
    assert sorted(int(r[k]) for r in rows for k in r if k.lower().startswith(("số thứ tự", "ticket"))) == \
        [number, second]
