"""Cases on the dashboard and the API: states, audit, contact views, letters, escalation, erasure."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from sync.server.alerts import cases
from sync.server.alerts.sweep import run_sweep
from sync.server.models import Alert, CaseEvent, Notification, RatingContact
from tests.server.alerts.conftest import recent


def _burst(kit, phone=None):
    t = recent(5)
    kit.upload([kit.rating(t + timedelta(seconds=i), 1, reasons=["cho-lau"], phone=phone if i == 0 else None)
                for i in range(4)])
    return kit.alerts()[-1].id


def _events(kit, alert_id):
    with kit.app.state.db.engine.connect() as conn:
        return [(e.actor, e.action) for e in conn.execute(
            select(CaseEvent).where(CaseEvent.alert_id == alert_id).order_by(CaseEvent.id)).all()]


def test_a_case_goes_open_acknowledged_resolved_with_its_trail(kit):
    alert_id = _burst(kit)
    browser, csrf = kit.login("quanly")
    page = browser.get(f"/dashboard/cases/{alert_id}")
    assert page.status_code == 200 and "4 trên 4" in page.text
    bad = browser.post(f"/dashboard/cases/{alert_id}/close", data={"outcome": "resolved", "text": "x",
                                                                   "csrf_token": csrf})
    assert bad.status_code == 409 and "acknowledge" in bad.json()["error"]["message"]
    for path, data in (("acknowledge", {}), ("note", {"text": "Đã gọi điện cho công dân"}),
                       ("close", {"outcome": "resolved", "text": "Đã xin lỗi và nhắc nhở cán bộ"})):
        answer = browser.post(f"/dashboard/cases/{alert_id}/{path}", data={**data, "csrf_token": csrf},
                              follow_redirects=False)
        assert answer.status_code == 303, answer.text
    assert [a for _, a in _events(kit, alert_id)] == ["opened", "acknowledged", "note", "resolved"]
    assert kit.alerts()[0].status == "resolved"
    # closed bursts free the office for a new one; their ratings never count again
    assert kit.alerts()[0].dedup_key == f"closed-{alert_id}"
    _burst(kit)
    assert [a.status for a in kit.alerts()] == ["resolved", "open"]


def test_a_form_without_the_csrf_token_is_refused(kit):
    alert_id = _burst(kit)
    browser, _ = kit.login("quanly")
    assert browser.post(f"/dashboard/cases/{alert_id}/acknowledge", data={}).status_code == 403


def test_the_contact_is_for_the_assigned_manager_and_province_admins_and_every_view_is_logged(kit):
    alert_id = _burst(kit, phone="0987654321")
    assert kit.alerts()[0].assigned_admin_id is not None
    other, csrf = kit.login("quanly2")
    page = other.get(f"/dashboard/cases/{alert_id}")
    assert "0987654321" not in page.text and "show-contact" not in page.text
    assert other.post(f"/dashboard/cases/{alert_id}/contact", data={"csrf_token": csrf}).status_code == 403
    manager, csrf = kit.login("quanly")
    assert "0987654321" not in manager.get(f"/dashboard/cases/{alert_id}").text
    shown = manager.post(f"/dashboard/cases/{alert_id}/contact", data={"csrf_token": csrf})
    assert "0987654321" in shown.text
    province, csrf = kit.login("tinh")
    assert "0987654321" in province.post(f"/dashboard/cases/{alert_id}/contact", data={"csrf_token": csrf}).text
    assert [e for e in _events(kit, alert_id) if e[1] == "contact_viewed"] == [
        ("quanly", "contact_viewed"), ("tinh", "contact_viewed")]
    # never in exports
    export = kit.client.get("/api/v1/exports/ratings?format=csv&from=2000-01-01&to=2100-01-01",
                            headers=kit.token("tinh"))
    assert export.status_code == 200 and "0987654321" not in export.text
    assert "0987654321" not in kit.client.get("/api/v1/alerts", headers=kit.token("tinh")).text


def test_numbers_are_erased_the_set_time_after_the_case_closes(kit):
    alert_id = _burst(kit, phone="0987654321")
    with kit.app.state.db.begin() as s:
        actor = cases.Actor(None, "tinh", "province_admin", None)
        cases.close(s.connection(), alert_id, actor, "dismissed", "nhầm")
    run_sweep(kit.app.state.db, datetime.now(UTC) + timedelta(days=89))
    with kit.app.state.db.engine.connect() as conn:
        assert conn.scalar(select(RatingContact.phone)) == "0987654321"
    run_sweep(kit.app.state.db, datetime.now(UTC) + timedelta(days=90, minutes=1))
    with kit.app.state.db.engine.connect() as conn:
        assert conn.scalar(select(RatingContact.phone)) is None
    assert ("system", "contact_erased") in _events(kit, alert_id)


def test_an_overdue_case_escalates_once_to_the_province_admins(kit):
    alert_id = _burst(kit)
    with kit.app.state.db.engine.begin() as conn:
        conn.execute(update(Alert).values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    run_sweep(kit.app.state.db)
    run_sweep(kit.app.state.db)
    assert [a for _, a in _events(kit, alert_id)].count("escalated") == 1
    with kit.app.state.db.engine.connect() as conn:
        escalations = conn.execute(select(Notification.channel, Notification.target)
                                   .where(Notification.event == "escalated")).all()
    assert sorted(escalations) == [("email", "tinh@so.example.vn"), ("webhook", "")]


def test_letter_pdf_and_docx_carry_office_date_and_matter(kit, tmp_path):
    from docx import Document

    alert_id = _burst(kit)
    manager, csrf = kit.login("quanly")
    answer = manager.post(f"/dashboard/cases/{alert_id}/letter", data={
        "recipient": "Bà Nguyễn Thị Hoa", "matter": "cán bộ hướng dẫn hồ sơ khai sinh chưa rõ ràng",
        "actions": "gọi điện xin lỗi, hướng dẫn lại và nhắc nhở cán bộ", "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = manager.get(f"/dashboard/cases/{alert_id}").text
    assert "letter-pdf-" in page
    pdf = manager.get(f"/dashboard/cases/{alert_id}/letters/1.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "l.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "l.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    dd = f"{today.day:02d}" if today.day < 10 else str(today.day)
    mm = f"{today.month:02d}" if today.month < 3 else str(today.month)
    # the header's left column (superior body, office, number) read on its own: its lines wrap
    left = subprocess.run(["pdftotext", "-enc", "UTF-8", "-r", "72", "-x", "60", "-y", "40", "-W", "200", "-H", "110",
                           str(tmp_path / "l.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert " ".join(left.split()) == "UBND TP. HỒ CHÍ MINH UBND PHƯỜNG BẾN THÀNH — BỘ PHẬN MỘT CỬA Số: /TXL"
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "THƯ XIN LỖI",
                     "UBND phường Bến Thành — Bộ phận một cửa trân trọng cảm ơn",
                     "Kính gửi: Bà Nguyễn Thị Hoa",
                     f"Bến Thành, ngày {dd} tháng {mm} năm {today.year}", "UBND TP. HỒ CHÍ MINH",
                     "cán bộ hướng dẫn hồ sơ khai sinh chưa rõ ràng",
                     "gọi điện xin lỗi, hướng dẫn lại và nhắc nhở cán bộ", "TRƯỞNG BỘ PHẬN MỘT CỬA"):
        assert expected in flat, (expected, flat)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "l.pdf")], capture_output=True, text=True).stdout
    assert "DejaVuSerif" in fonts and " yes " in fonts  # embedded
    docx = manager.get(f"/dashboard/cases/{alert_id}/letters/1.docx")
    (tmp_path / "l.docx").write_bytes(docx.content)
    doc = Document(str(tmp_path / "l.docx"))
    words = " ".join([p.text for p in doc.paragraphs] +
                     [p.text for t in doc.tables for cell in t._cells for p in cell.paragraphs])
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "UBND PHƯỜNG BẾN THÀNH — BỘ PHẬN MỘT CỬA",
                     f"ngày {dd} tháng {mm} năm {today.year}", "cán bộ hướng dẫn hồ sơ khai sinh chưa rõ ràng"):
        assert expected in words
    assert "letter" in [a for _, a in _events(kit, alert_id)]


def test_alerts_api_needs_a_token_filters_and_lists_newest_first(kit):
    assert kit.client.get("/api/v1/alerts").status_code == 401
    first = _burst(kit)
    kit.upload([kit.rating(recent(1), 1, reasons=["thai-do"])])
    headers = kit.token("tinh")
    body = kit.client.get("/api/v1/alerts", headers=headers).json()
    assert [a["rule"] for a in body["alerts"]] == ["severe", "burst"]
    assert {"id", "office_id", "rule", "opened_at", "status"} <= set(body["alerts"][0])
    with kit.app.state.db.begin() as s:
        cases.close(s.connection(), first, cases.Actor(None, "tinh", "province_admin", None), "dismissed", "thử")
    assert [a["rule"] for a in kit.client.get("/api/v1/alerts?status=open", headers=headers).json()["alerts"]] \
        == ["severe"]
    assert kit.client.get("/api/v1/alerts?office=xa-khac", headers=headers).json() == {"alerts": []}
    assert kit.client.get("/api/v1/alerts?office=xa-khac", headers=kit.token("quanly")).status_code == 403
    assert kit.client.get("/api/v1/alerts?status=bogus", headers=headers).status_code == 422


def test_a_province_admin_tunes_an_office_and_managers_may_not(kit):
    province, csrf = kit.login("tinh")
    form = {"csrf_token": csrf, "office_id": "phuong-ben-thanh", "rule_burst": "1", "burst_window_min": "10",
            "burst_min_answers": "6", "burst_unsatisfied_share": "0,5", "trend_days": "30", "trend_target": "0.8",
            "silent_min_tickets": "5", "late_after_min": "15", "due_working_hours": "4", "digest_hour": "17",
            "working_hours": "07:30-11:30,13:30-17:00"}
    assert province.post("/dashboard/alert-settings", data=form, follow_redirects=False).status_code == 303
    assert 'id="saved"' in province.get("/dashboard/alert-settings?office_id=phuong-ben-thanh&saved=1").text
    kit.upload([kit.rating(recent(5) + timedelta(seconds=i), 1, reasons=["cho-lau"]) for i in range(4)])
    assert kit.alerts() == []  # 4 answers no longer reach the office's minimum of 6
    bad = province.post("/dashboard/alert-settings", data={**form, "working_hours": "sáng"})
    assert "alerts.working_hours" in bad.text
    manager, csrf = kit.login("quanly")
    assert manager.post("/dashboard/alert-settings", data={**form, "csrf_token": csrf}).status_code == 403
