"""Rating exports: what admins download is exactly what the database holds, readable without a
lookup table, safe to open in a spreadsheet, limited to the admin's office, and audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select, update

from sync.config import OFFICIAL_REASONS, STANDARD_LEVELS
from sync.server import cli, exports, xlsx
from sync.server.exports import COLUMNS, csv_chunks, csv_export, escape_cell, parse_request, rating_rows
from sync.server.models import Clerk, Counter, Device, ExportAudit, Rating, Service
from tests.server.dashkit import FROM, OFFICE_A, OFFICE_B, TO, TRICKY_COMMENTS, dash  # noqa: F401

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
REASON_VI = {r.code: r.label.vi for r in OFFICIAL_REASONS}
CLERKS = {"nguyen-van-an": "Nguyễn Văn An", "tran-thi-binh": "Trần Thị Bình", "le-hoang-cuong": "Lê Hoàng Cường"}
SERVICES = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "lao-dong-xa-hoi": "Lao động – Người có công",
            "dat-dai-xay-dung": "Đất đai – Xây dựng", "kinh-te": "Kinh tế – Nông nghiệp",
            "van-hoa-giao-duc": "Văn hóa – Giáo dục"}


def _stored(app, **where) -> dict[str, Rating]:
    with app.state.db.session() as s:
        stmt = select(Rating)
        for key, value in where.items():
            stmt = stmt.where(getattr(Rating, key) == value)
        return {r.id: r for r in s.scalars(stmt)}


def _device_names(app) -> dict[str, str]:
    with app.state.db.session() as s:
        return {d.id: d.name for d in s.scalars(select(Device))}


def _expected_text_row(r: Rating, devices: dict) -> list[str]:
    """One CSV row written out independently of the exporter, from the stored rating."""
    local = r.created_at.astimezone(ZONE)
    level = "" if r.score is None else STANDARD_LEVELS[r.scale][r.scale - r.score].label.vi
    reasons = "; ".join(REASON_VI[c] for c in json.loads(r.reasons))
    clerk_name = CLERKS.get(r.clerk_id, "") if r.office_id == OFFICE_A else \
        {"nguyen-van-an": "Phạm Thị Dung", "tran-thi-binh": "Võ Văn Em"}.get(r.clerk_id, "")
    return [r.id, local.date().isoformat(), local.strftime("%H:%M:%S"),
            "UBND phường Bến Thành — Bộ phận một cửa" if r.office_id == OFFICE_A else "UBND xã An Phú — Bộ phận một cửa",
            f"Quầy {r.counter_id}", r.clerk_id or "", clerk_name, SERVICES.get(r.service_id, ""),
            "" if r.ticket_number is None else str(r.ticket_number), "" if r.score is None else str(r.score), level,
            {True: "Có", False: "Không", None: ""}[r.satisfied], reasons, escape_cell(r.comment or ""),
            "Có" if r.misuse else "Không", {"tablet": "Máy tính bảng", "phone": "Điện thoại"}[r.channel],
            devices[r.device_id],
            r.received_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")]


def test_a_csv_export_holds_every_rating_of_the_range_with_names_and_a_bom(dash):
    admin = dash.login("tinh")
    answer = admin.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == [c[1] for c in COLUMNS]
    stored = _stored(dash.app)
    devices = _device_names(dash.app)
    assert len(rows) - 1 == len(stored) == len(dash.ratings)
    got = {row[0]: row for row in rows[1:]}
    assert set(got) == set(stored)
    for rid, rating in stored.items():
        assert got[rid] == _expected_text_row(rating, devices), rid
    # rows come in time order
    assert [row[0] for row in rows[1:]] == [r.id for r in sorted(stored.values(), key=lambda r: (r.created_at, r.id))]


def test_cells_that_would_run_as_formulas_are_escaped_in_csv_and_xlsx(dash):
    admin = dash.login("tinh")
    text = admin.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}").content.decode("utf-8-sig")
    comments = {row[13] for row in csv.reader(io.StringIO(text))}
    for dangerous in TRICKY_COMMENTS[:4]:
        assert dangerous not in comments and "'" + dangerous in comments
    assert TRICKY_COMMENTS[4] in comments  # ordinary text is untouched
    book = openpyxl.load_workbook(io.BytesIO(admin.get(
        f"/api/v1/exports/ratings?format=xlsx&from={FROM}&to={TO}").content), read_only=True)
    cells = {row[13] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert "'" + TRICKY_COMMENTS[0] in cells and TRICKY_COMMENTS[0] not in cells
    assert escape_cell("-5") == "'-5" and escape_cell("@x") == "'@x" and escape_cell("+1") == "'+1"
    assert escape_cell("\t=1") == "'\t=1" and escape_cell("") == "" and escape_cell("Quầy 1") == "Quầy 1"


def test_an_xlsx_export_is_typed_with_a_frozen_header_and_matches_the_database(dash):
    headers = dash.token("tinh")
    answer = dash.client.get(f"/api/v1/exports/ratings?format=xlsx&from={FROM}&to={TO}&office_id={OFFICE_B}",
                             headers=headers)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width > 20  # office names get room
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c[1] for c in COLUMNS]
    stored = _stored(dash.app, office_id=OFFICE_B)
    assert len(rows) - 1 == len(stored)
    for row in rows[1:]:
        r = stored[row[0]]
        local = r.created_at.astimezone(ZONE).replace(tzinfo=None)
        assert isinstance(row[1], datetime) and row[1].date() == local.date()  # a real date cell
        assert row[2] == local.time()
        assert row[9] == r.score and (row[9] is None or isinstance(row[9], int))
        if r.score is not None:
            assert row[10] == STANDARD_LEVELS[5][5 - r.score].label.vi
        assert row[11] == r.satisfied  # boolean cell (empty when not rated)
        assert row[14] is bool(r.misuse)
        assert row[15] in ("Máy tính bảng", "Điện thoại")
        assert row[17] == r.received_at.astimezone(ZONE).replace(tzinfo=None, microsecond=0)


def test_filters_narrow_the_export_to_exactly_the_matching_ratings(dash):
    admin = dash.login("tinh")
    for param, value in (("counter_id", 4), ("clerk_id", "tran-thi-binh"), ("service_id", "ho-tich"), ("score", 1)):
        answer = admin.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}&office_id={OFFICE_A}&{param}={value}")
        ids = {row[0] for row in list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]}
        expected = set(_stored(dash.app, office_id=OFFICE_A, **{param: value}))
        assert ids == expected and expected, param


def test_the_date_range_uses_office_local_dates_inclusive(dash):
    admin = dash.login("tinh")
    answer = admin.get("/api/v1/exports/ratings?format=csv&from=2025-06-15&to=2025-06-15")
    ids = {row[0] for row in list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]}
    stored = _stored(dash.app)
    assert ids == {rid for rid, r in stored.items() if r.created_at.astimezone(ZONE).date() == date(2025, 6, 15)}


def test_an_office_manager_exports_only_their_own_office(dash):
    manager = dash.login("quanly-b")
    answer = manager.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}")
    ids = {row[0] for row in list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]}
    assert ids == set(_stored(dash.app, office_id=OFFICE_B))
    other = manager.get(f"/api/v1/exports/ratings?format=xlsx&from={FROM}&to={TO}&office_id={OFFICE_A}")
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    bearer = dash.client.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}&office_id={OFFICE_A}",
                             headers=dash.token("quanly-b"))
    assert bearer.status_code == 403


def test_bad_parameters_are_refused_with_the_parameter_named_and_anonymous_callers_get_401(dash):
    admin = dash.login("tinh")
    for query, word in (("format=pdf&from=2025-06-01&to=2025-06-30", "format"), ("format=csv&to=2025-06-30", "from"),
                        ("format=csv&from=2025-13-01&to=2025-06-30", "from"),
                        ("format=csv&from=2025-06-30&to=2025-06-01", "to"),
                        ("format=csv&from=2025-06-01&to=2025-06-30&counter_id=abc", "counter_id"),
                        ("format=csv&from=2025-06-01&to=2025-06-30&score=0", "score")):
        answer = admin.get(f"/api/v1/exports/ratings?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["error"]["message"].startswith(word), answer.json()
    anonymous = dash.client.get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}")
    assert anonymous.status_code == 401


def test_every_export_is_audited_with_who_what_and_how_many_rows(dash, tmp_path, config_file):
    dash.login("quanly-a").get(f"/api/v1/exports/ratings?format=csv&from={FROM}&to={TO}&counter_id=2")
    dash.client.get(f"/api/v1/exports/ratings?format=xlsx&from=2025-07-01&to={TO}", headers=dash.token("tinh"))
    out = tmp_path / "thang6.xlsx"
    code = cli.main(["--config", str(config_file), "--database-url", dash.app.state.db.url, "export", "--format",
                     "xlsx", "--from", "2025-06-01", "--to", "2025-06-30", "--office", OFFICE_A, "--out", str(out)])
    assert code == 0 and out.exists()
    with dash.app.state.db.session() as s:
        audit = list(s.scalars(select(ExportAudit).order_by(ExportAudit.id)))
    stored = _stored(dash.app)
    june_a = [r for r in stored.values() if r.office_id == OFFICE_A and r.local_date.month == 6]
    assert [(a.username.split(":")[0], a.kind) for a in audit] == [
        ("quanly-a", "ratings.csv"), ("tinh", "ratings.xlsx"), ("cli", "ratings.xlsx")]
    assert audit[0].rows == len([r for r in stored.values() if r.office_id == OFFICE_A and r.counter_id == 2])
    assert json.loads(audit[0].filters)["counter_id"] == 2
    assert audit[1].rows == len([r for r in stored.values() if r.local_date.month == 7])
    in_file = sum(1 for _ in openpyxl.load_workbook(out, read_only=True).active.iter_rows(min_row=2))
    assert audit[2].rows == len(june_a) == in_file
    page = dash.login("tinh").get("/dashboard/exports").text
    assert "quanly-a" in page and "ratings.csv" in page
    assert "Nhật ký xuất dữ liệu" not in dash.login("quanly-a").get("/dashboard/exports").text


def test_the_csv_writer_streams_in_chunks_instead_of_building_the_file(dash):
    counter = [0]
    rows = ((f"id-{i}", date(2025, 6, 1), time(9, 0), "Đơn vị", "Quầy 1", "", "", "", i, 3, "Rất hài lòng", True, "",
             "", False, "Máy tính bảng", "tablet", None) for i in range(10_000))
    chunks = csv_chunks(rows, "vi", counter, chunk_rows=1000)
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbf") and counter[0] == 0  # header out before any row is read
    rest = list(chunks)
    assert len(rest) == 10 and counter[0] == 10_000


def test_postgresql_copy_and_the_python_writer_produce_the_same_csv_bytes(dash, monkeypatch):
    engine = dash.app.state.db.engine
    monkeypatch.setattr(exports, "PIECE_ROWS", 7)  # many pieces, copied two at a time on PostgreSQL
    with engine.begin() as conn:  # names that would run as formulas are escaped alike
        conn.execute(update(Clerk).values(name="=HYPERLINK(\"x\")"))
        conn.execute(update(Counter).where(Counter.id == 1).values(name_vi="-Quầy", name_en="+Counter"))
        conn.execute(update(Service).values(name_vi="@Hộ tịch", name_en="@Civil"))
    for lang in ("vi", "en"):
        req = parse_request({"format": "csv", "from": FROM, "to": TO, "lang": lang})
        counted = [0]
        fast = b"".join(csv_export(engine, req, None, counted))
        plain = b"".join(csv_chunks(rating_rows(engine, req, None), lang))
        assert fast == plain
        assert counted[0] == fast.count(b"\n") - 1 > 7 * 3
    assert b"Very satisfied" in fast and b"Counter 4" in fast
    assert b"'+Counter" in fast and b"'@Civil" in fast and b"'=HYPERLINK" in fast


def test_an_xlsx_past_the_sheet_row_limit_continues_on_new_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)  # Excel's 1,048,576, shrunk to keep the test small
    path = tmp_path / "many.xlsx"
    with xlsx.StreamingXlsx(path) as book:
        book.sheet("Đánh giá", ["n", "ngày", "chữ"], ["int", "date", "text"], [8, 12, 20])
        for i in range(25):
            book.row([i, date(2025, 6, 1), f"<dòng & {i}>"])
        assert book.total_rows == 25
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Đánh giá", "Đánh giá (2)", "Đánh giá (3)"]
    values = []
    for sheet in workbook:
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("n", "ngày", "chữ") and sheet.freeze_panes == "A2"
        values += [r[0] for r in rows[1:]]
        assert all(isinstance(r[1], datetime) for r in rows[1:]) and rows[1][2].startswith("<dòng & ")
    assert values == list(range(25))


def test_uploads_go_on_while_a_long_export_is_being_read(dash):
    """The export reads a snapshot; a device uploading in the middle of it is not blocked."""
    req = parse_request({"format": "csv", "from": FROM, "to": TO})
    chunks = csv_export(dash.app.state.db.engine, req, None, [0])
    next(chunks)
    next(chunks)  # the export's read is open now
    from sync import records

    record = records.new_rating(office_id=OFFICE_A, device_id="tablet-local", seq=10_000, counter_id=1, score=3,
                                scale=3, satisfied=True, lang="vi", created_at="2025-06-20T09:00:00+07:00")
    answer = dash.client.post("/api/v1/batches", headers=dash.devices[(OFFICE_A, "tablet")]["headers"], json={
        "batch_id": "00000000-0000-4000-8000-000000000002", "sent_at": records.now_iso(), "records": [record]})
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted"
    list(chunks)  # and the export finishes normally
