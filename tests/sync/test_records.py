"""Record schema v1 and the Vietnamese text helpers: what devices and the server agree on."""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from sync import records
from sync.text import fold, nfc, tidy, words


def rating(**overrides) -> dict:
    fields = dict(office_id="phuong-ben-thanh", device_id="tablet-1", seq=1, counter_id=3, score=3,
                  scale=3, satisfied=True, lang="vi", clerk_id="nguyen-van-an",
                  ticket_id=str(uuid.uuid4()), ticket_number=1015, service_id="ho-tich")
    fields.update(overrides)
    return records.new_rating(**fields)


def test_a_rating_record_has_the_wire_fields():
    rec = rating(reasons=["cho-lau"], comment="Chờ hơi lâu")
    assert rec["kind"] == "rating"
    assert uuid.UUID(rec["id"])
    assert rec["created_at"][-6] in "+-"  # ISO-8601 with an offset
    assert rec["reasons"] == ["cho-lau"] and rec["misuse"] is False
    assert records.validate(rec) == rec


def test_an_unrated_prompt_is_a_rating_with_null_score_and_satisfied():
    rec = rating(score=None, satisfied=None)
    assert rec["score"] is None and rec["satisfied"] is None
    with pytest.raises(records.RecordError, match="satisfied: must be null exactly when score is null"):
        rating(score=None, satisfied=False)


def test_every_problem_is_named_by_field():
    rec = rating()
    rec.update(score=0, lang="fr", seq=-1, colour="red")
    del rec["counter_id"]
    with pytest.raises(records.RecordError) as err:
        records.validate(rec)
    problems = err.value.problems
    assert "score: expected an integer 1..10, found 0" in problems
    assert "lang: expected 'vi' or 'en', found 'fr'" in problems
    assert "seq: expected an integer >= 1, found -1" in problems
    assert "colour: unknown field for a rating record" in problems
    assert "counter_id: missing" in problems


def test_a_score_above_the_scale_is_refused():
    with pytest.raises(records.RecordError, match="score: 4 is above the scale of 3 levels"):
        rating(score=4)


def test_booleans_are_not_integers_and_timestamps_need_an_offset():
    rec = rating()
    rec["counter_id"] = True
    rec["created_at"] = "2026-11-22T09:00:00"
    with pytest.raises(records.RecordError) as err:
        records.validate(rec)
    assert "counter_id: expected an integer, found True" in err.value.problems
    assert any(p.startswith("created_at: timestamp '2026-11-22T09:00:00' has no UTC offset") for p in err.value.problems)


def test_comments_are_nfc_and_at_most_500_characters():
    decomposed = unicodedata.normalize("NFD", "Cán bộ nhiệt tình")
    rec = rating(score=1, satisfied=False, comment=decomposed)
    assert rec["comment"] == unicodedata.normalize("NFC", "Cán bộ nhiệt tình")
    with pytest.raises(records.RecordError, match="comment: text longer than 500"):
        rating(score=1, satisfied=False, comment="x" * 501)


def test_a_ticket_snapshot_record():
    rec = records.new_ticket(office_id="o", device_id="kiosk", seq=9, ticket_id=str(uuid.uuid4()), version=2,
                             number=2015, service_id="ho-tich", priority=False, status="called",
                             issued_at=records.now_iso(), called_at=records.now_iso(), counter_id=3)
    assert rec["kind"] == "ticket" and rec["transfers"] == 0 and rec["finished_at"] is None
    with pytest.raises(records.RecordError, match="status: expected one of"):
        records.validate({**rec, "status": "lost"})


def test_a_non_object_or_unknown_kind_is_refused():
    with pytest.raises(records.RecordError, match="expected a JSON object"):
        records.validate(["not", "a", "record"])
    with pytest.raises(records.RecordError, match="kind: expected one of rating, ticket"):
        records.validate({"kind": "complaint"})


def test_folding_removes_every_diacritic_including_d_bar():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("CHỨNG THỰC BẢN SAO") == "chung thuc ban sao"
    assert fold(unicodedata.normalize("NFD", "Người có công")) == "nguoi co cong"
    assert words("Giấy chứng nhận quyền sử dụng đất (sổ đỏ)") == [
        "giay", "chung", "nhan", "quyen", "su", "dung", "dat", "so", "do"]


def test_nfc_keeps_line_breaks_and_tidy_collapses_white_space():
    assert nfc("a\nb") == "a\nb"
    assert tidy("  Hộ\ttịch \n\n cấp xã ") == "Hộ tịch cấp xã"


def test_values_no_database_could_store_are_refused_by_the_schema():
    rec = rating()
    for field, value, message in [("kind", ["rating"], "kind: expected one of rating, ticket"),
                                  ("seq", 2**40, "seq: expected an integer >= 1, found 1099511627776"),
                                  ("clerk_id", "an\x00", "clerk_id: contains a NUL character")]:
        with pytest.raises(records.RecordError, match=message):
            records.validate({**rec, field: value})
