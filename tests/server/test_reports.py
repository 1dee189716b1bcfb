"""The monthly office report: exact counts from the database, shares computed from those
counts (formulas in the workbook), a printable page, office scope and the audit log."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import openpyxl
from sqlalchemy import select

from sync.server.models import ExportAudit, Rating, Ticket
from tests.server.dashkit import OFFICE_A, OFFICE_B, dash  # noqa: F401


def _june(app, office_id: str) -> list[Rating]:
    with app.state.db.session() as s:
        return list(s.scalars(select(Rating).where(Rating.office_id == office_id,
                                                   Rating.local_date >= date(2025, 6, 1),
                                                   Rating.local_date <= date(2025, 6, 30))))


def test_the_monthly_workbook_has_exact_counts_and_shares_computed_from_them(dash):
    answer = dash.client.get(f"/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-06&format=xlsx",
                             headers=dash.token("tinh"))
    assert answer.status_code == 200 and "bao-cao-phuong-ben-thanh-2025-06.xlsx" in answer.headers["content-disposition"]
    values = openpyxl.load_workbook(io.BytesIO(answer.content), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert values.sheetnames == ["Tổng hợp", "Cán bộ", "Quầy", "Lĩnh vực", "Lượt phục vụ"]
    stored = _june(dash.app, OFFICE_A)
    rated = [r for r in stored if r.score is not None and not r.misuse]
    summary = {row[0]: row[1] for row in values["Tổng hợp"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Tổng lượt hỏi"] == len(stored)
    assert summary["Số đánh giá"] == len(rated)
    assert summary["Hài lòng"] == sum(1 for r in rated if r.satisfied)
    assert summary["Không đánh giá"] == sum(1 for r in stored if r.score is None and not r.misuse)
    assert summary["Bấm bất thường"] == sum(1 for r in stored if r.misuse)
    assert abs(summary["Tỷ lệ hài lòng"] - summary["Hài lòng"] / summary["Số đánh giá"]) < 1e-12
    counts = Counter(r.score for r in rated)
    assert summary["3 — Rất hài lòng"] == counts[3] and summary["1 — Không hài lòng"] == counts[1]
    sheet_f = formulas["Tổng hợp"]
    assert any(isinstance(c.value, str) and c.value.startswith("=IF(B8>0,B9/B8") for row in sheet_f.iter_rows()
               for c in row)

    clerks = list(values["Cán bộ"].iter_rows(values_only=True))
    header = clerks[0]
    assert header[:4] == ("Cán bộ", "Số đánh giá", "Hài lòng", "Tỷ lệ hài lòng")
    by_name = {row[0]: dict(zip(header, row, strict=False)) for row in clerks[1:]}
    an = [r for r in rated if r.clerk_id == "nguyen-van-an"]
    row = by_name["Nguyễn Văn An"]
    assert row["Số đánh giá"] == len(an) and row["Hài lòng"] == sum(1 for r in an if r.satisfied)
    assert row["3 — Rất hài lòng"] == sum(1 for r in an if r.score == 3)
    assert abs(row["Tỷ lệ hài lòng"] - row["Hài lòng"] / row["Số đánh giá"]) < 1e-12
    assert formulas["Cán bộ"]["D2"].value.startswith("=IF(B2>0,C2/B2")
    counters = {r[0]: r[1] for r in list(values["Quầy"].iter_rows(values_only=True))[1:]}
    assert counters == {f"Quầy {c}": n for c, n in Counter(r.counter_id for r in rated).items()}

    with dash.app.state.db.session() as s:
        tickets = [t for t in s.scalars(select(Ticket).where(Ticket.office_id == OFFICE_A))
                   if t.local_date.month == 6]
    statuses = Counter(t.status for t in tickets)
    assert summary["Hoàn thành"] == statuses["finished"] and summary["Vắng mặt"] == statuses["no_show"]
    assert summary["Số phiếu đã cấp"] == len(tickets)
    assert abs(summary["Tỷ lệ vắng mặt"] - statuses["no_show"] / (statuses["finished"] + statuses["no_show"])) < 1e-12


def test_a_five_level_office_gets_its_own_level_words(dash):
    answer = dash.client.get(f"/dashboard/reports/monthly?office_id={OFFICE_B}&month=2025-07&format=xlsx",
                             headers=dash.token("quanly-b"))
    book = openpyxl.load_workbook(io.BytesIO(answer.content), data_only=True)
    header = next(book["Cán bộ"].iter_rows(values_only=True))
    assert "3 — Bình thường" in header and "1 — Rất không hài lòng" in header


def test_the_printable_page_shows_the_same_figures_and_every_report_is_audited(dash):
    admin = dash.login("quanly-a")
    page = admin.get(f"/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-06")
    assert page.status_code == 200 and "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in page.text
    stored = _june(dash.app, OFFICE_A)
    rated = [r for r in stored if r.score is not None and not r.misuse]
    rate = f"{sum(r.satisfied for r in rated) / len(rated) * 100:.1f}%".replace(".", ",")
    assert f'id="report-rate">{rate}<' in page.text and f"n = {len(rated)}" in page.text
    assert "window.print()" in page.text and "@media print" in dash.client.get("/static/dashboard.css").text
    assert admin.get(f"/dashboard/reports/monthly?office_id={OFFICE_A}&month=2025-6x").status_code == 400
    assert admin.get(f"/dashboard/reports/monthly?office_id={OFFICE_B}&month=2025-06").status_code == 403
    with dash.app.state.db.session() as s:
        audit = list(s.scalars(select(ExportAudit)))
    assert [(a.username, a.kind, a.rows) for a in audit] == [("quanly-a", "report.html", len(stored))]
