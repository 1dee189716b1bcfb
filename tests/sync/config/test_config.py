"""The office configuration: the shipped file loads, and every mistake is named precisely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sync.config import ConfigError, describe_keys, load_config

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def problems_of(tmp_path, data) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, data))
    return err.value.problems


def test_the_shipped_config_is_a_realistic_ward_office():
    cfg = load_config(ROOT / "config.yaml")
    assert len(cfg.counters) == 4
    assert 5 <= len(cfg.services) <= 6
    assert len(cfg.clerks) >= 3
    assert cfg.office.timezone == "Asia/Ho_Chi_Minh"
    assert [lv.label.vi for lv in cfg.levels] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    assert cfg.level_for_score(3).label.vi == "Rất hài lòng"
    assert cfg.level_for_score(1).satisfied is False
    assert cfg.database_url.startswith("sqlite:///") and cfg.database_url.endswith("data/server.db")
    assert cfg.service("ho-tich").numbers.first == 1001


def test_the_shipped_services_cover_every_field_of_the_shipped_catalog():
    import json

    cfg = load_config(ROOT / "config.yaml")
    catalog = json.loads((ROOT / "assets/catalog/tthc.json").read_text(encoding="utf-8"))
    covered = {f for s in cfg.services for f in s.catalog_fields}
    fields = {p["linh_vuc"] for p in catalog if p["linh_vuc"].strip()}
    assert fields <= covered, fields - covered


def test_an_unknown_service_on_a_counter_is_named_with_the_known_ones(tmp_path, raw):
    raw["counters"][2]["services"] = ["ho_tich"]
    problems = problems_of(tmp_path, raw)
    assert any(p.startswith("counters[2].services[0]: unknown service 'ho_tich' (known: ho-tich, chung-thuc")
               for p in problems), problems


def test_a_misspelt_key_is_reported_as_a_likely_typo(tmp_path, raw):
    raw["kiosk"]["idel_timeout_s"] = 30
    problems = problems_of(tmp_path, raw)
    assert "kiosk.idel_timeout_s: unknown key — did you mean 'idle_timeout_s'?" in problems


def test_wrong_types_say_what_was_expected_and_what_was_found(tmp_path, raw):
    raw["hub"]["port"] = "tám nghìn"
    raw["rating"]["scale"] = 7
    raw["services"][0]["numbers"] = "1001 to 1999"
    problems = problems_of(tmp_path, raw)
    assert "hub.port: expected a whole number, found str 'tám nghìn'" in problems
    assert "rating.scale: expected one of 3, 4, 5, found int 7" in problems
    assert any(p.startswith("services[0].numbers: expected a number block like '1001-1999'") for p in problems)


def test_every_problem_is_reported_at_once(tmp_path, raw):
    del raw["office"]["name"]
    raw["clerks"][0]["pin"] = "12"
    raw["services"][1]["numbers"] = "1500-2500"
    raw["counters"][1]["id"] = 1
    problems = problems_of(tmp_path, raw)
    assert any(p.startswith("office.name: missing") for p in problems)
    # rule checks run once the shapes are right, so fix the shape error and look again
    raw["office"]["name"] = "UBND"
    problems = problems_of(tmp_path, raw)
    assert "clerks[0].pin: expected 4 to 8 digits" in problems
    assert any(p.startswith("services[1].numbers: block 1500-2500 overlaps services[0]") for p in problems)
    assert "counters[1].id: duplicate counter 1 (also counters[0])" in problems


def test_secrets_come_from_the_environment(tmp_path, raw, monkeypatch):
    raw["server"]["database_url"] = "${TEST_DB_URL}"
    path = write(tmp_path, raw)
    monkeypatch.delenv("TEST_DB_URL", raising=False)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "server.database_url: environment variable TEST_DB_URL is not set" in err.value.problems[0]
    monkeypatch.setenv("TEST_DB_URL", "postgresql+psycopg://u@db/tthc")
    assert load_config(path).database_url == "postgresql+psycopg://u@db/tthc"


def test_counter_tokens_default_from_the_environment_and_can_be_overridden(monkeypatch):
    monkeypatch.setenv("HUB_TOKEN_1", "a-real-secret-from-the-env-1234")
    assert load_config(ROOT / "config.yaml").counter(1).token == "a-real-secret-from-the-env-1234"


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("office:\n  id: x\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "line" in err.value.problems[0] and "not valid YAML" in err.value.problems[0]


def test_text_is_nfc_normalised(tmp_path, raw):
    import unicodedata

    raw["office"]["name"] = unicodedata.normalize("NFD", "Phường Bến Thành")
    cfg = load_config(write(tmp_path, raw))
    assert cfg.office.name == unicodedata.normalize("NFC", "Phường Bến Thành")


def test_four_and_five_level_scales_are_selectable(tmp_path, raw):
    raw["rating"]["scale"] = 5
    cfg = load_config(write(tmp_path, raw))
    assert [lv.label.vi for lv in cfg.levels][2] == "Bình thường"
    assert [lv.satisfied for lv in cfg.levels] == [True, True, False, False, False]


def test_every_key_has_help_text():
    keys = describe_keys()
    assert len(keys) > 50
    assert all(help_text.strip() for _, help_text in keys)


@pytest.mark.parametrize("command", ["kiosk", "tablet-rating", "sync-server"])
def test_every_command_refuses_a_bad_config_naming_the_key_in_the_office_language(tmp_path, raw, command):
    raw["counters"][0]["services"] = ["khong-co"]
    raw["office"]["language"] = "vi"
    path = write(tmp_path, raw)
    exe = Path(sys.executable).parent / command
    result = subprocess.run([str(exe), "check-config", "--config", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "counters[0].services[0]: không có lĩnh vực 'khong-co' (các mã có: " in result.stderr
    assert "tệp cấu hình có 1 lỗi" in result.stderr and "Sửa các dòng trên" in result.stderr
    assert "unknown service" not in result.stderr
    raw["office"]["language"] = "en"
    path = write(tmp_path, raw)
    result = subprocess.run([str(exe), "--config", str(path), "check-config"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "counters[0].services[0]: unknown service 'khong-co'" in result.stderr
    assert "không có" not in result.stderr


def test_a_missing_slideshow_folder_and_an_unknown_second_language_are_named(tmp_path, raw):
    raw["hub"]["second_language"] = "fr"
    assert problems_of(tmp_path, raw) == ["hub.second_language: expected one of '', 'en', found str 'fr'"]
    raw["hub"]["second_language"] = "en"
    raw["hub"]["display_media"] = "anh-man-hinh"
    problems = problems_of(tmp_path, raw)
    assert any(p.startswith("hub.display_media: no such folder:") and "anh-man-hinh" in p for p in problems), problems
    (tmp_path / "anh-man-hinh").mkdir()
    assert load_config(write(tmp_path, raw)).hub.display_media == "anh-man-hinh"
