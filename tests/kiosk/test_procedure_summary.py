"""Every shipped procedure told for a citizen: a time limit in plain words, the fee, the papers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.catalog import Channel, Document, load_catalog
from kiosk.procedure_summary import ASK_AT_COUNTER, fee_text, must_bring, summarise, time_limit

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "catalog" / "tthc.json"
CATALOG = load_catalog(SHIPPED)
_PLAIN = re.compile(r"^\d+ (tháng \d+ )?(ngày làm việc|ngày|giờ|tháng)(, tùy trường hợp)?$"
                    r"|^\d+ đến \d+ (ngày làm việc|ngày|giờ|tháng), tùy trường hợp$")


@pytest.mark.parametrize("proc", CATALOG.procedures, ids=lambda p: p.code)
def test_every_shipped_procedure_has_a_time_limit_in_plain_words(proc):
    summary = summarise(proc)
    assert "Khác" not in summary.time_limit
    assert summary.time_limit == ASK_AT_COUNTER or _PLAIN.match(summary.time_limit), summary.time_limit
    assert summary.title == proc.name and summary.fee and summary.where
    assert "Thông tư" not in summary.fee and len(summary.fee) <= 100


def test_the_portal_s_n_other_means_n_working_days_and_descriptions_are_read():
    assert summarise(CATALOG.get("1.001193")).time_limit == "1 ngày làm việc"  # the portal says "1 Khác"
    assert summarise(CATALOG.get("1.004746")).time_limit == "5 ngày làm việc"  # "5 Khác"
    assert summarise(CATALOG.get("1.000288")).time_limit.startswith("2 tháng 15 ngày làm việc")  # "Khác" + text
    assert time_limit((Channel("Trực tiếp", "Khác", "", "Trong thời hạn 01 (một) ngày làm việc kể từ…"),)) == \
        "1 ngày làm việc"
    assert time_limit((Channel("Trực tiếp", "10 ngày làm việc", "", ""),
                       Channel("Trực tiếp", "2 ngày làm việc", "", ""))) == "2 đến 10 ngày làm việc, tùy trường hợp"
    assert time_limit((Channel("Trực tiếp", "Khác", "", ""),)) == ASK_AT_COUNTER
    assert time_limit(()) == ASK_AT_COUNTER


def test_fees_in_plain_words():
    assert summarise(CATALOG.get("1.000894")).fee == "Miễn phí"  # "Lệ phí: 0 VNĐ (Miễn lệ phí. Phí cấp bản sao…)"
    assert fee_text((Channel("Trực tiếp", "", "Phí: 2.000 VND (/trang)", ""),)) == "2.000 đồng/trang"
    assert fee_text((Channel("Trực tiếp", "", "Lệ phí: 70.000 VNĐ", ""),)) == "70.000 đồng"


def test_the_checklist_has_the_papers_everyone_brings_and_folds_the_special_cases():
    summary = summarise(CATALOG.get("1.001193"))  # birth registration: it opened with "abandoned child"
    assert summary.must_bring[0] == "Giấy chứng sinh"
    assert not any(line.lower().startswith("trường hợp") for line in summary.must_bring)
    assert any("bỏ rơi" in case for case in summary.special_cases)
    assert all(len(line) <= 91 for line in summary.must_bring)
    common, special = must_bring((Document("- Tờ khai (theo mẫu)", True, False),
                                  Document("Văn bản ủy quyền trong trường hợp ủy quyền", True, False),
                                  Document("Lưu ý: người tiếp nhận kiểm tra…", False, False)))
    assert common == ("Tờ khai (theo mẫu)",) and len(special) == 2
    assert summary.online  # the portal offers it online
