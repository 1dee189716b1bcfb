"""The day's tickets as CSV from the hub, for offices without a central server: every ticket
of the day (ended ones from the archive, the others from the live queue), readable by staff
only, opening in a spreadsheet as it is."""

from __future__ import annotations

import csv
import io

from kiosk.hub.day_csv import HEADER
from tests.kiosk.conftest import PINS, auth


def test_the_days_tickets_come_as_csv_with_a_counter_token(hub, api):
    engine = hub.engine
    engine.login(1, "nguyen-van-an", PINS["nguyen-van-an"])
    first = engine.issue("ho-tich", priority=True)
    engine.issue("ho-tich")
    engine.issue("chung-thuc")
    engine.call_next(1)
    engine.recall(1)
    engine.finish(1)  # archived
    engine.call_next(1)
    engine.no_show(1)  # still live (may be put back)

    assert api.get("/api/v1/tickets/day.csv").status_code == 401
    assert api.get("/api/v1/tickets/day.csv", headers={"Authorization": "Bearer wrong-token-123456"}).status_code == 401
    response = api.get("/api/v1/tickets/day.csv", headers=auth(3))  # any counter of the office
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    day = engine.snapshot()["day"]
    assert f'filename="ve-{hub.config.office.id}-{day}.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    by_number = {row[0]: dict(zip(HEADER, row)) for row in rows[1:]}
    assert sorted(by_number) == ["1001", "1002", "2001"]
    done = by_number["1001"]
    assert (done["linh_vuc"], done["uu_tien"], done["trang_thai"], done["quay"], done["can_bo"],
            done["so_lan_goi_lai"], done["ma_ve"]) == ("Hộ tịch", "có", "hoàn thành", "Quầy 1", "Nguyễn Văn An",
                                                       "1", first.id)
    assert done["xong_luc"] and float(done["phuc_vu_phut"]) >= 0
    assert by_number["1002"]["trang_thai"] == "vắng mặt"
    assert by_number["2001"]["trang_thai"] == "đang chờ" and by_number["2001"]["goi_luc"] == ""


def test_another_day_comes_from_the_archive_and_a_bad_day_is_refused(hub, api):
    assert api.get("/api/v1/tickets/day.csv?day=03-12-2026", headers=auth(1)).json()["error"]["code"] == "bad_day"
    rows = api.get("/api/v1/tickets/day.csv?day=2020-01-01", headers=auth(1)).content.decode("utf-8-sig")
    assert rows.splitlines() == [",".join(HEADER)]


def test_the_console_checks_its_counter_token_without_changing_anything(hub, api):
    assert api.get("/api/v1/counters/2/auth", headers=auth(2)).json() == {"counter_id": 2}
    assert api.get("/api/v1/counters/2/auth", headers=auth(1)).status_code == 401
    assert api.get("/api/v1/counters/9/auth", headers=auth(1)).status_code == 404


def test_text_that_looks_like_a_formula_stays_text(office_config):
    from kiosk.hub.day_csv import day_csv

    ticket = {"id": "t-1", "number": 1001, "service_id": "=HYPERLINK(\"http://x\")", "priority": False,
              "status": "waiting", "issued_at": "2026-03-02T08:00:00.000+07:00", "issue_seq": 1,
              "clerk_id": "@SUM(1)", "counter_id": None}
    (row,) = list(csv.reader(io.StringIO(day_csv(office_config, [ticket]).decode("utf-8-sig"))))[1:]
    assert row[1] == "'=HYPERLINK(\"http://x\")" and row[10] == "'@SUM(1)"
    assert row[4] == "02/03/2026 08:00:00"  # the office's wall clock, day first
