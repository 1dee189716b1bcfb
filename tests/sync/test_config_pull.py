"""Config pull: the device fetches its office configuration and applies what changed, safely."""

from __future__ import annotations

import dataclasses
import json

from sync.config import Label
from sync.config_pull import OVERLAY_FILE, ConfigPuller, apply_overlay, with_stored_overlay
from sync.enrollment import enroll
from sync.server.offices import import_office, public_config
from tests.sync.faultproxy import FaultProxy


def _puller(central, device_dir, url=None):
    creds = enroll(central.url, central.code(), device_dir)
    return ConfigPuller(url or central.url, creds.token, device_dir)


def test_the_first_pull_stores_the_office_config_and_an_unchanged_one_costs_a_304(central, office_config, tmp_path):
    device_dir = tmp_path / "device"
    with FaultProxy(("127.0.0.1", central.port)) as proxy:
        puller = _puller(central, device_dir, proxy.url)
        update = puller.pull(office_config)
        assert set(update.changed) == {"office", "services", "counters", "clerks", "rating"}
        assert update.etag and update.problems == ()
        assert update.config.services == office_config.services  # same content, same typed config
        assert update.config.counters == office_config.counters  # hub tokens kept from the device's file
        stored = json.loads((device_dir / OVERLAY_FILE).read_text())
        assert stored["etag"] == update.etag and "token" not in json.dumps(stored["config"]["counters"])
        assert puller.pull(office_config) is None
        assert len(proxy.log) == 2


def test_a_renamed_service_and_a_new_scale_apply_without_a_restart(central, office_config, tmp_path):
    device_dir = tmp_path / "device"
    puller = _puller(central, device_dir)
    puller.pull(office_config)
    renamed = dataclasses.replace(office_config.services[0], name=Label("Hộ tịch – Khai sinh", "Civil status"))
    changed_cfg = dataclasses.replace(office_config, services=[renamed, *office_config.services[1:]],
                                      rating=dataclasses.replace(office_config.rating, scale=5))
    with central.db.begin() as s:
        import_office(s, changed_cfg)
    update = puller.pull(office_config)
    assert update.changed == ("services", "rating")
    assert update.config.service("ho-tich").name.vi == "Hộ tịch – Khai sinh"
    assert len(update.config.levels) == 5 and update.config.levels[2].label.vi == "Bình thường"
    assert update.config.clerks == office_config.clerks  # PINs untouched
    # at the next start the stored config is applied before anything is shown
    restarted = with_stored_overlay(office_config, device_dir)
    assert restarted.service("ho-tich").name.vi == "Hộ tịch – Khai sinh" and restarted.rating.scale == 5


def test_a_part_this_device_cannot_use_is_kept_as_it_was_and_named(office_config):
    overlay = public_config(office_config)
    overlay["counters"].append({"id": 9, "name": {"vi": "Quầy 9", "en": "Counter 9"}, "services": ["ho-tich"]})
    overlay["clerks"][0]["name"] = "Nguyễn Văn An (tổ trưởng)"
    merged, problems = apply_overlay(office_config, overlay)
    assert [p for p in problems if p.startswith("counters[4].token")], problems
    assert [c.id for c in merged.counters] == [1, 2, 3, 4]  # the new counter needs a hub token first
    assert merged.clerk("nguyen-van-an").name == "Nguyễn Văn An (tổ trưởng)"  # the safe part applied
    assert merged.clerk("nguyen-van-an").pin == office_config.clerk("nguyen-van-an").pin


def test_server_text_cannot_pull_in_the_devices_environment(office_config, monkeypatch):
    monkeypatch.setenv("KIOSK_ADMIN_PIN", "9876")
    overlay = public_config(office_config)
    overlay["clerks"][0]["name"] = "${KIOSK_ADMIN_PIN}"
    merged, problems = apply_overlay(office_config, overlay)
    assert merged is office_config and "environment" in problems[0]
