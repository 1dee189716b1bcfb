"""The admin dashboard: figures equal what the database holds, office managers never see
another office, and the actions on it (enroll, revoke, language) do what they say."""

from __future__ import annotations

import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

from sqlalchemy import select

from sync.server import charts, stats, summaries
from sync.server.i18n import TEXT
from sync.server.models import Rating, Ticket
from tests.server.dashkit import FROM, OFFICE_A, OFFICE_B, TO, csrf_of, dash  # noqa: F401

PAGES = ["/dashboard", "/dashboard/breakdown", "/dashboard/feedback", "/dashboard/tickets", "/dashboard/devices",
         "/dashboard/exports"]


def _ratings(app, office_id: str | None = None) -> list[Rating]:
    with app.state.db.session() as s:
        stmt = select(Rating)
        if office_id:
            stmt = stmt.where(Rating.office_id == office_id)
        return list(s.scalars(stmt))


def _pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%".replace(".", ",")


def test_pages_need_a_login_and_login_returns_to_the_page_asked_for(dash):
    for page in PAGES:
        answer = dash.client.get(page, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    wrong = dash.client.post("/login", data={"username": "tinh", "password": "sai-mat-khau-123"})
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    right = dash.client.post("/login", data={"username": "tinh", "password": "mat-khau-rat-dai-2025",
                                             "next": "/dashboard/tickets?from=2025-06-01"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/dashboard/tickets?from=2025-06-01"
    assert "httponly" in right.headers["set-cookie"].lower()
    elsewhere = dash.client.post("/login", data={"username": "tinh", "password": "mat-khau-rat-dai-2025",
                                                 "next": "//evil.example/"}, follow_redirects=False)
    assert elsewhere.headers["location"] == "/dashboard"  # no open redirect


def test_the_overview_shows_the_satisfaction_rate_with_n_and_level_counts_from_the_database(dash):
    stored = _ratings(dash.app, OFFICE_A)
    rated = [r for r in stored if r.score is not None and not r.misuse]
    satisfied = [r for r in rated if r.satisfied]
    page = dash.login("tinh").get(f"/dashboard?from={FROM}&to={TO}&office_id={OFFICE_A}").text
    kpi = page[page.index('id="sat-rate"'):]
    assert _pct(len(satisfied), len(rated)) in kpi[:400] and f"n = {len(rated)}" in kpi[:400]
    levels = page[page.index('id="levels"'):]
    counts = Counter(r.score for r in rated)
    for score, words in ((3, "Rất hài lòng"), (2, "Hài lòng"), (1, "Không hài lòng")):
        row = re.search(rf"{score} — {words}</td><td class=\"num\">(\d+)</td><td class=\"num\">([\d,]+%)", levels)
        assert row and int(row.group(1)) == counts[score] and row.group(2) == _pct(counts[score], len(rated))
    unrated = sum(1 for r in stored if r.score is None and not r.misuse)
    assert f"<div class=\"value\">{unrated}</div>" in page
    # all offices: both scales shown, and the office table lists both offices
    everything = dash.login("tinh").get(f"/dashboard?from={FROM}&to={TO}").text
    assert "Thang 5 mức" in everything and "Thang 3 mức" in everything
    assert "UBND xã An Phú" in everything and "UBND phường Bến Thành" in everything


def test_breakdowns_by_counter_clerk_service_and_hour_add_up_to_the_database(dash):
    stored = [r for r in _ratings(dash.app, OFFICE_A) if r.score is not None and not r.misuse]
    scope = stats.Scope(date(2025, 6, 1), date(2025, 7, 31), (OFFICE_A,))
    with dash.app.state.db.engine.connect() as conn:
        for dim in ("counter_id", "clerk_id", "service_id", "local_hour"):
            tallies = stats.tally_by(conn, scope, dim)
            for (key,), tally in tallies.items():
                group = [r for r in stored if getattr(r, dim) == key]
                assert (tally.rated, tally.satisfied) == (len(group), sum(1 for r in group if r.satisfied)), (dim, key)
    page = dash.login("quanly-a").get(f"/dashboard/breakdown?from={FROM}&to={TO}").text
    counter4 = [r for r in stored if r.counter_id == 4]
    row = re.search(r"<td>Quầy 4</td><td class=\"num\">([\d,]+%)</td><td class=\"num\">(\d+)</td>", page)
    assert row.groups() == (_pct(sum(r.satisfied for r in counter4), len(counter4)), str(len(counter4)))
    assert "Lê Hoàng Cường" in page and "13:00–13:59" in page
    channels = page[page.index('id="by-channel"'):]
    for channel, words in (("tablet", "Máy tính bảng tại quầy"), ("phone", "Điện thoại của công dân")):
        group = [r for r in stored if r.channel == channel]
        row = re.search(rf"<td>{words}</td><td class=\"num\">([\d,]+%)</td><td class=\"num\">(\d+)</td>", channels)
        assert group and row.groups() == (_pct(sum(r.satisfied for r in group), len(group)), str(len(group)))


def test_clerks_are_ranked_by_wilson_lower_bound_and_small_samples_are_flagged(dash):
    assert stats.wilson_lower_bound(0, 0) is None
    assert abs(stats.wilson_lower_bound(3, 3) - 0.4385) < 1e-3
    assert abs(stats.wilson_lower_bound(480, 500) - 0.9386) < 1e-3
    few, many = stats.Tally(), stats.Tally()
    few.add_ratings(3, 3, True, False, 3)
    many.add_ratings(3, 3, True, False, 480)
    many.add_ratings(3, 1, False, False, 20)
    ranked = stats.ranking({("a", "few"): few, ("a", "many"): many}, min_n=30)
    assert [r.key[1] for r in ranked] == ["many", "few"] and [r.enough for r in ranked] == [True, False]
    # one week: every clerk has fewer than 30 answers, so all are flagged and none ranked
    page = dash.login("tinh").get(f"/dashboard/breakdown?from=2025-06-10&to=2025-06-16&office_id={OFFICE_A}").text
    clerks = page[page.index('id="clerks"'):]
    assert clerks.count("Chưa đủ 30 đánh giá") == 3
    full = dash.login("tinh").get(f"/dashboard/breakdown?from={FROM}&to={TO}&office_id={OFFICE_A}").text
    table = full[full.index('id="clerks"'):full.index("</table>", full.index('id="clerks"'))]
    order = [name for name in re.findall(r"<td>([^<]+) <span class=\"muted\">", table)]
    with dash.app.state.db.engine.connect() as conn:
        tallies = stats.tally_by(conn, stats.Scope(date(2025, 6, 1), date(2025, 7, 31), (OFFICE_A,)), "clerk_id")
    best_first = sorted((t.wilson, k[0]) for k, t in tallies.items() if k[0])[::-1]
    names = {"nguyen-van-an": "Nguyễn Văn An", "tran-thi-binh": "Trần Thị Bình", "le-hoang-cuong": "Lê Hoàng Cường"}
    assert order == [names[c] for _, c in best_first]


def test_trend_periods_add_up_to_the_total_by_day_week_and_month(dash):
    scope = stats.Scope(date(2025, 6, 1), date(2025, 7, 31), None)
    with dash.app.state.db.engine.connect() as conn:
        overall = stats.tally_by(conn, scope)[()]
        daily = stats.rollup(stats.tally_by(conn, scope, "local_date"), lambda k: k[0])
    for granularity, periods in (("day", 61), ("week", 10), ("month", 2)):
        trend = stats.trend(daily, scope.date_from, scope.date_to, granularity)
        assert len(trend) == periods
        assert sum(t.rated for _, t in trend) == overall.rated
        assert sum(t.satisfied for _, t in trend) == overall.satisfied
    page = dash.login("tinh").get(f"/dashboard?from={FROM}&to={TO}&g=month").text
    assert "06/2025" in page and "07/2025" in page


def test_low_score_reasons_and_recent_comments_come_from_the_stored_ratings(dash):
    stored = _ratings(dash.app, OFFICE_A)
    low = [r for r in stored if r.score is not None and not r.misuse and not r.satisfied]
    counts = Counter(code for r in low for code in json.loads(r.reasons))
    page = dash.login("quanly-a").get(f"/dashboard/feedback?from={FROM}&to={TO}").text
    table = page[page.index('id="reasons"'):]
    assert f"n = {len(low)}" in page
    row = re.search(r"<td>Thời gian chờ lâu</td><td class=\"num\">(\d+)</td>", table)
    assert int(row.group(1)) == counts["cho-lau"]
    comments = page[page.index('id="comments"'):]
    newest = max((r for r in stored if r.comment and not r.misuse), key=lambda r: r.created_at)
    first_comment = re.search(r'<td class="comment">([^<]*)</td>', comments).group(1)
    assert first_comment == newest.comment.replace('"', "&#34;")


def test_ticket_statistics_match_percentiles_computed_from_the_stored_tickets(dash):
    # counts are exact; percentiles come from 1-minute histograms: within a minute of the exact ones
    bound = summaries.FINE_S
    with dash.app.state.db.session() as s:
        tickets = list(s.scalars(select(Ticket)))
    scope = stats.Scope(date(2025, 6, 1), date(2025, 7, 31), (OFFICE_A,))
    with dash.app.state.db.engine.connect() as conn:
        ts = stats.ticket_stats(conn, scope)
    for column, target in (("wait_s", ts.wait), ("service_s", ts.service)):
        values = [getattr(t, column) for t in tickets if getattr(t, column) is not None]
        q = statistics.quantiles(values, n=10, method="inclusive")
        assert target[("all",)].n == len(values)
        assert max(values) < summaries.FINE_UNTIL
        assert abs(target[("all",)].p50 - q[4]) < bound and abs(target[("all",)].p90 - q[8]) < bound
        for service in {t.service_id for t in tickets}:
            group = [getattr(t, column) for t in tickets if t.service_id == service and getattr(t, column) is not None]
            assert abs(target[("service", service)].p50 - statistics.median(group)) < bound
    by_status = Counter(t.status for t in tickets)
    assert ts.no_show_rate == by_status["no_show"] / (by_status["finished"] + by_status["no_show"])
    page = dash.login("tinh").get(f"/dashboard/tickets?from={FROM}&to={TO}&office_id={OFFICE_A}").text
    assert _pct(by_status["no_show"], by_status["finished"] + by_status["no_show"]) in page
    assert "phút" in page and f"<div class=\"value\">{len(tickets)}</div>" in page


def test_an_office_manager_only_ever_sees_their_own_office(dash):
    manager = dash.login("quanly-a")
    for page in PAGES:
        own = manager.get(f"{page}?from={FROM}&to={TO}")
        assert own.status_code == 200, page
        assert "UBND xã An Phú" not in own.text and "Phạm Thị Dung" not in own.text, page
        other = manager.get(f"{page}?from={FROM}&to={TO}&office_id={OFFICE_B}")
        assert other.status_code == 403, page
    overview = manager.get(f"/dashboard?from={FROM}&to={TO}").text
    rated_a = sum(1 for r in _ratings(dash.app, OFFICE_A) if r.score is not None and not r.misuse)
    assert f"n = {rated_a}" in overview
    devices = manager.get("/dashboard/devices").text
    assert "Máy tính bảng xã" not in devices and "Máy tính bảng quầy 1" in devices
    report = manager.get(f"/dashboard/reports/monthly?office_id={OFFICE_B}&month=2025-06")
    assert report.status_code == 403
    assert "Nhật ký xuất dữ liệu" not in manager.get("/dashboard/exports").text


def test_the_enrollment_code_button_makes_a_working_code_and_revoke_stops_the_device(dash):
    admin = dash.login("quanly-b")
    page = admin.get("/dashboard/devices").text
    for viewer in (admin, dash.login("tinh")):  # the province admin's page has the office import form
        title = re.search(r"<title>(.*?)</title>", viewer.get("/dashboard/devices").text, re.S).group(1)
        assert "<" not in title and "Thước Đo" in title  # a plain page title, no form inside it
    refused = admin.post("/dashboard/devices/enroll", data={"kind": "tablet", "name": "Quầy 2", "csrf_token": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    shown = admin.post("/dashboard/devices/enroll", data={"kind": "tablet", "name": "Máy tính bảng quầy 2",
                                                          "csrf_token": csrf_of(page)})
    assert shown.status_code == 200
    code = re.search(r'id="enroll-code">([A-Z0-9-]+)<', shown.text).group(1)
    assert "<svg" in shown.text[shown.text.index('id="enrolled"'):]  # the QR
    enrolled = dash.client.post("/api/v1/devices/enroll", json={"code": code})
    assert enrolled.status_code == 200 and enrolled.json()["office_id"] == OFFICE_B
    token = {"Authorization": f"Bearer {enrolled.json()['token']}"}
    heartbeat = {"batch_id": "00000000-0000-4000-8000-000000000001", "sent_at": "2025-07-01T08:00:00+07:00",
                 "records": []}
    assert dash.client.post("/api/v1/batches", json=heartbeat, headers=token).status_code == 200
    device_id = enrolled.json()["device_id"]
    # a manager of another office cannot revoke it
    other = dash.login("quanly-a")
    other_csrf = csrf_of(other.get("/dashboard/devices").text)
    assert other.post(f"/dashboard/devices/{device_id}/revoke", data={"csrf_token": other_csrf}).status_code == 404
    revoked = admin.post(f"/dashboard/devices/{device_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert revoked.status_code == 200 and "Đã thu hồi" in revoked.text
    assert dash.client.post("/api/v1/batches", json=heartbeat, headers=token).status_code == 401


def test_the_dashboard_switches_to_english_and_remembers_it(dash):
    admin = dash.login("tinh")
    english = admin.get(f"/dashboard?from={FROM}&to={TO}&lang=en").text
    assert "Satisfaction rate" in english and "Tỷ lệ hài lòng" not in english
    assert "Clerk ranking" in admin.get("/dashboard/breakdown").text  # cookie kept
    assert "Tỷ lệ hài lòng" in admin.get("/dashboard?lang=vi").text


def test_every_dashboard_text_exists_in_vietnamese_and_english():
    for key, (vi, en) in TEXT.items():
        assert vi.strip() and en.strip(), key
    assert len({vi for vi, _ in TEXT.values()}) > 100


def test_charts_are_well_formed_svg_and_escape_labels():
    svgs = [charts.hbar_chart([("<b>Quầy & 1</b>", 0.8, "n = 5"), ("Quầy 2", None, "n = 0")], title="A&B",
                              flag=[True]),
            charts.column_chart(["8h", "9h"], [3, 0], title="giờ"),
            charts.line_chart([("01/06", 0.5, 2), ("02/06", None, 0), ("03/06", 1.0, 1)], title="xu hướng"),
            charts.stacked_bar([("Rất hài lòng", 3, "#1a7f37"), ("Không hài lòng", 1, "#b3261e")], title="mức"),
            charts.hbar_chart([], title="x", empty="Chưa có dữ liệu")]
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
    assert "&lt;b&gt;Quầy &amp; 1&lt;/b&gt;" in svgs[0]
    assert "75,0%" in svgs[3] and "Chưa có dữ liệu" in svgs[4]
    assert charts.level_colors([True, True, False]) == ["#1a7f37", "#4caf50", "#b3261e"]


def test_a_province_admin_registers_an_office_from_its_config_file_and_bad_files_are_explained(dash, config_file):
    admin = dash.login("tinh")
    csrf = csrf_of(admin.get("/dashboard/devices").text)
    text = config_file.read_text(encoding="utf-8").replace("id: phuong-ben-thanh", "id: phuong-moi")
    done = admin.post("/dashboard/offices/import", data={"csrf_token": csrf},
                      files={"file": ("config.yaml", text.encode("utf-8"), "text/yaml")})
    assert done.status_code == 200 and "Đã đăng ký/cập nhật đơn vị phuong-moi: 6 lĩnh vực, 4 quầy" in done.text
    with dash.app.state.db.engine.connect() as conn:
        assert "phuong-moi" in conn.exec_driver_sql("SELECT id FROM offices").scalars().all()
    bad = admin.post("/dashboard/offices/import", data={"csrf_token": csrf},
                     files={"file": ("sai.yaml", b"office:\n  id: X Y\n", "text/yaml")})
    assert "Không nhận tệp sai.yaml" in bad.text and "services" in bad.text
    manager = dash.login("quanly-a")
    refused = manager.post("/dashboard/offices/import", data={"csrf_token": csrf_of(manager.get("/dashboard").text)},
                           files={"file": ("config.yaml", text.encode("utf-8"), "text/yaml")})
    assert refused.status_code == 403


def test_the_breakdowns_read_in_one_pass_equal_each_read_alone(dash):
    """tally_groupings (GROUPING SETS on PostgreSQL) gives exactly what one tally_by per grouping gives,
    over whole months and edge days, for every office and for one."""
    groupings = [("office_id", "counter_id"), ("office_id", "clerk_id"), ("office_id", "service_id"), ("local_hour",),
                 ("channel",)]
    with dash.app.state.db.engine.connect() as conn:
        for scope in (stats.Scope(date(2025, 6, 1), date(2025, 7, 31), None),
                      stats.Scope(date(2025, 6, 10), date(2025, 7, 20), (OFFICE_A,))):
            together = stats.tally_groupings(conn, scope, groupings)
            assert together == [stats.tally_by(conn, scope, *dims) for dims in groupings]
            assert sum(t.total for t in together[0].values()) > 0
