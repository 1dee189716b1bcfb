"""Importing the national portal's procedure export: bad records are skipped and reported,
the quirks of real exports are repaired, and a failed import keeps the catalog in use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.catalog import (
    CatalogError,
    active_catalog_path,
    clean_link,
    import_catalog,
    imported_catalog_path,
    load_catalog,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "assets" / "catalog" / "tthc.json"


def _records() -> list:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_catalog_loads_whole_with_every_field_mapped_to_a_service(office_config):
    catalog = load_catalog(SHIPPED, office_config)
    assert len(catalog) == 151 and catalog.problems == []
    assert catalog.unmapped_fields() == []
    assert catalog.service_for(catalog.get("1.001193")) == "ho-tich"
    assert catalog.service_for(catalog.get("2.000815")) == "chung-thuc"
    assert catalog.service_for(catalog.get("1.010803")) is None  # the portal gives no field
    fields = dict(catalog.fields())
    assert fields["Hộ tịch"] == 31 and fields[""] == 7


def test_real_export_quirks_are_repaired_not_rejected(office_config):
    catalog = load_catalog(SHIPPED, office_config)
    doubled = catalog.get("1.010803")
    assert doubled.link.startswith("https://dichvucong.gov.vn/")  # was "https://https://…"
    assert catalog.get("1.010772").link is None  # empty link
    assert all("\t" not in p.name and "  " not in p.name for p in catalog)
    assert clean_link("javascript:alert(1)") is None and clean_link("not a link") is None


def test_bad_records_are_skipped_with_position_and_reason(office_config, tmp_path):
    records = _records()[:5]
    records.insert(1, {"ten_tthc": "Không có mã"})
    records.insert(3, "not an object")
    records.append(dict(records[0]))  # duplicate code
    records.append({"ma_tthc": "1.999999", "ten_tthc": "Sai kiểu", "tphs": "giấy tờ"})
    source = tmp_path / "export.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    report = import_catalog(source, office_config)

    assert report.total == 9 and report.kept == 5
    reasons = {p.position: p.reason for p in report.problems}
    assert "missing procedure code" in reasons[2]
    assert "expected an object" in reasons[4]
    assert "duplicate code, already at record 1" in reasons[8]
    assert "'tphs' should be a list of objects" in reasons[9]
    assert report.target == imported_catalog_path(office_config)
    assert active_catalog_path(office_config) == report.target
    assert len(load_catalog(report.target, office_config)) == 5


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b'{"ma_tthc": "1.000001"}', "expected a JSON array"),
    (b'[{"stt": 1}, 5]', "no usable procedure"),
    (b"\xff\xfe garbage", "not UTF-8"),
])
def test_a_failed_import_keeps_the_previous_catalog(office_config, tmp_path, content, message):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_records()[:3], ensure_ascii=False), encoding="utf-8")
    import_catalog(good, office_config)
    before = imported_catalog_path(office_config).read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)

    with pytest.raises(CatalogError, match=message):
        import_catalog(bad, office_config)

    assert imported_catalog_path(office_config).read_bytes() == before
    assert not [p for p in imported_catalog_path(office_config).parent.iterdir() if p.name.startswith(".")]


def test_kiosk_catalog_commands(config_file, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    records = _records()[:4] + [{"ma_tthc": "", "ten_tthc": "x"}]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    def kiosk(*args):
        return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(config_file), *args],
                              check=False, capture_output=True, text=True, env=env, timeout=60)

    done = kiosk("catalog", "search", "lam giay khai sinh", "--json", "--limit", "3")
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert hits[0]["code"] == "1.001193" and hits[0]["service_id"] == "ho-tich" and len(hits) == 3

    done = kiosk("catalog", "import", str(source))
    assert done.returncode == 0, done.stderr
    assert "Imported 4 of 5" in done.stdout and "record 5: missing procedure code" in done.stdout

    done = kiosk("catalog", "import", str(tmp_path / "missing.json"))
    assert done.returncode == 1 and "file not found" in done.stderr

    done = kiosk("catalog", "search", "dang ky")
    assert done.returncode == 0 and done.stdout.count("\n") <= 4  # only the 4 imported procedures
