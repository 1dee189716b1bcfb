"""From an unhappy citizen to a resolved case and an apology letter, through every real part.

The counter tablet (Kivy, simulated touches) records four unhappy ratings at one counter, the
first with a call-back number typed on its digit pad → its uploader sends them to the central
server (uvicorn) → ingest opens ONE burst alert → the server's worker mails the office manager
through a real SMTP server (aiosmtpd, STARTTLS, login) and POSTs the signed webhook to a real
HTTP receiver → the manager, in headless Chromium, sees the live count, opens the case, views
the number (logged), acknowledges, resolves, makes the letter → its PDF and DOCX carry the
office, the date and the matter → the monthly report counts the alert, the on-time resolution
and the letter.
"""

from __future__ import annotations

import io
import subprocess
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from sync.config import load_config
from sync.enrollment import enroll
from sync.server.alerts import webhook
from sync.server.admins import create_admin
from sync.server.models import Alert
from tablet_rating.tablet_app import TabletApp
from tablet_rating.session import PROMPT, REASONS, THANKS
from tests.central import Central
from tests.server.alerts.test_notify import Receiver, SmtpSink
from tests.tablet.test_app import exact, face, wait_for_screen

pytestmark = [pytest.mark.kivy, pytest.mark.browser, pytest.mark.slow]

SECRET = "bi-mat-webhook-cua-tinh-2026"
MANAGER = ("quanly-benthanh", "mat-khau-quan-ly-2026")
PHONE = "0912345678"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


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
def world(tmp_path, config_file, monkeypatch):
    smtp = SmtpSink(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", smtp.cafile)
    receiver = Receiver()
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    raw["server"].update(smtp_url=f"smtp://thuocdo:mat%3Akhau%401@localhost:{smtp.port}",
                         mail_from="canhbao@motcua.example.gov.vn", webhook_url=receiver.url,
                         webhook_secret=SECRET, public_url="https://motcua.example.gov.vn")
    raw["kiosk"]["fullscreen"] = False
    raw["tablet"].update(mode="standalone", clerk_id="nguyen-van-an", counter_id=1)
    raw["rating"].update(thanks_s=1, cooldown_s=1)
    config_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    central = Central(load_config(config_file), f"sqlite:///{tmp_path / 'central.db'}")
    raw["sync"].update(server_url=central.url, interval_s=1, heartbeat_s=60)
    config_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with central.db.begin() as s:
        create_admin(s, *MANAGER, "office_manager", "phuong-ben-thanh", email="quanly@phuong.example.vn")
        create_admin(s, "tinh-admin", "mat-khau-cua-tinh-2026", "province_admin", email="tinh@so.example.vn")
    tablet_dir = tmp_path / "tablet"
    enroll(central.url, central.code("tablet", "Máy tính bảng quầy 1"), tablet_dir)
    yield {"central": central, "smtp": smtp, "receiver": receiver, "cfg": load_config(config_file),
           "tablet_dir": tablet_dir}
    central.close()
    receiver.stop()
    smtp.stop()


def rate_unhappy(drive, app, phone: str | None = None) -> dict:
    wait_for_screen(drive, app, PROMPT, timeout=6)
    drive.run_for(1.1)  # past the standalone cooldown: a real answer, not a misuse flag
    drive.tap(face(drive, 1))
    wait_for_screen(drive, app, REASONS)
    drive.run_for(0.6)
    if phone:
        drive.tap(exact(drive, "Tôi muốn được liên hệ lại"))
        drive.step(3)
        pad = app.sm.get_screen(REASONS).phone_pad
        for key in [*phone, "submit"]:
            drive.tap(pad.key_button(key), frames=2)
        drive.step(3)
        drive.run_for(0.6)
    drive.tap(exact(drive, "Thời gian chờ lâu"))
    drive.run_for(0.6)
    drive.tap(exact(drive, "Gửi"))
    wait_for_screen(drive, app, THANKS)
    return app.session.last_record


def test_four_unhappy_ratings_become_one_case_a_letter_and_a_line_in_the_report(world, kivy_driver, chromium):
    central, smtp, receiver, cfg = world["central"], world["smtp"], world["receiver"], world["cfg"]
    app = TabletApp(cfg, world["tablet_dir"])
    drive = kivy_driver(app)
    recorded = [rate_unhappy(drive, app, PHONE if i == 0 else None) for i in range(4)]
    assert recorded[0]["contact_phone"] == PHONE and not any(r["misuse"] for r in recorded)

    def alerts():
        with central.db.engine.connect() as conn:
            return conn.execute(select(Alert)).all()

    wait_for(lambda: not app.device.outbox.pending(), 15, "the tablet's uploads", step=lambda: drive.step(2))
    uploaded = time.monotonic()
    wait_for(lambda: alerts(), 5, "the burst alert")
    assert time.monotonic() - uploaded <= 5
    (alert,) = alerts()
    assert alert.rule == "burst" and alert.counter_id == 1 and "4 trên 4" in alert.summary

    wait_for(lambda: smtp.messages and receiver.deliveries, 10, "the email and the webhook")
    (mail,) = smtp.messages
    assert mail["To"] == "quanly@phuong.example.vn" and "Cảnh báo" in mail["Subject"]
    case_url = f"https://motcua.example.gov.vn/dashboard/cases/{alert.id}"
    assert case_url in mail.get_content() and PHONE not in mail.get_content()
    ((headers, body),) = receiver.deliveries
    assert webhook.verify(SECRET, headers["X-ThuocDo-Timestamp"], body, headers["X-ThuocDo-Signature"])
    assert PHONE.encode() not in body

    # the manager, on the dashboard
    wait = WebDriverWait(chromium, 10, ignored_exceptions=(StaleElementReferenceException,))  # pages reload after each action
    chromium.get(f"{central.url}/login?next=/dashboard/cases")
    chromium.find_element(By.NAME, "username").send_keys(MANAGER[0])
    chromium.find_element(By.NAME, "password").send_keys(MANAGER[1])
    chromium.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(lambda d: d.find_elements(By.ID, "cases"))
    wait.until(lambda d: d.find_element(By.ID, "case-count").text == "1")
    assert "4 trên 4" in chromium.find_element(By.ID, "cases").text
    shots = chromium.screenshot_dir / "test_unhappy_citizen"
    shots.mkdir(parents=True, exist_ok=True)
    chromium.save_screenshot(str(shots / "inbox.png"))
    chromium.find_element(By.LINK_TEXT, f"#{alert.id}").click()
    wait.until(lambda d: d.find_elements(By.ID, "acknowledge"))
    assert PHONE not in chromium.page_source
    chromium.find_element(By.ID, "show-contact").click()
    wait.until(lambda d: d.find_elements(By.ID, "phone-1"))
    assert chromium.find_element(By.ID, "phone-1").text == PHONE
    chromium.find_element(By.ID, "acknowledge").click()
    wait.until(lambda d: d.find_element(By.ID, "case-status").text == "Đã tiếp nhận")
    chromium.find_element(By.ID, "close-text").send_keys("Đã gọi điện xin lỗi bà Hoa, bố trí thêm người ở quầy 1")
    chromium.find_element(By.ID, "resolve").click()
    wait.until(lambda d: d.find_element(By.ID, "case-status").text == "Đã giải quyết")
    recipient = chromium.find_element(By.ID, "letter-recipient")
    recipient.clear()
    recipient.send_keys("Bà Nguyễn Thị Hoa")
    matter = chromium.find_element(By.ID, "letter-matter")
    matter.clear()
    matter.send_keys("công dân phải chờ lâu tại quầy 1 mà không được hướng dẫn")
    chromium.find_element(By.ID, "make-letter").click()
    wait.until(lambda d: d.find_elements(By.ID, "letter-pdf-1"))
    chromium.find_element(By.ID, "letter-sent-1").click()
    wait.until(lambda d: "đã gửi" in d.find_element(By.ID, "letter-1").text)
    chromium.set_window_size(1366, 2300)  # the whole case page in one picture
    chromium.save_screenshot(str(shots / "case.png"))
    chromium.set_window_size(1366, 900)
    wait.until(lambda d: d.find_element(By.ID, "case-count").text == "0")  # the live count follows

    cookies = {c["name"]: c["value"] for c in chromium.get_cookies()}
    today = datetime.now(HANOI)
    dd = f"{today.day:02d}" if today.day < 10 else str(today.day)
    mm = f"{today.month:02d}" if today.month < 3 else str(today.month)
    pdf = requests.get(f"{central.url}/dashboard/cases/{alert.id}/letters/1.pdf", cookies=cookies, timeout=10)
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf.content, capture_output=True,
                                   check=True).stdout.decode("utf-8").split())
    for expected in ("THƯ XIN LỖI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", f"ngày {dd} tháng {mm} năm {today.year}",
                     "UBND phường Bến Thành — Bộ phận một cửa trân trọng cảm ơn Bà Nguyễn Thị Hoa",
                     "công dân phải chờ lâu tại quầy 1 mà không được hướng dẫn",
                     "Đã gọi điện xin lỗi bà Hoa, bố trí thêm người ở quầy 1"):
        assert expected in text, expected
    from docx import Document

    docx = requests.get(f"{central.url}/dashboard/cases/{alert.id}/letters/1.docx", cookies=cookies, timeout=10)
    doc = Document(io.BytesIO(docx.content))
    words = " ".join([p.text for p in doc.paragraphs] +
                     [p.text for t in doc.tables for cell in t._cells for p in cell.paragraphs])
    for expected in ("UBND PHƯỜNG BẾN THÀNH", f"ngày {dd} tháng {mm} năm {today.year}",
                     "công dân phải chờ lâu tại quầy 1 mà không được hướng dẫn"):
        assert expected in words, expected

    report = requests.get(f"{central.url}/dashboard/reports/monthly", cookies=cookies, timeout=20, params={
        "office_id": "phuong-ben-thanh", "month": today.strftime("%Y-%m"), "format": "html"})
    assert report.status_code == 200, report.text
    chromium.get(report.url)
    for element, value in (("cases-raised", "1"), ("cases-resolved", "1"), ("cases-on-time", "1"),
                           ("letters-sent", "1")):
        assert chromium.find_element(By.ID, element).text == value
    assert "—" not in chromium.find_element(By.ID, "cases-median").text
