"""Fixtures for the counter tablet tests: office configs with any rating scale, a real hub.

``tablet_config(**changes)`` writes the shipped config.yaml with changes into a temporary
folder and loads it (``scale=5``, ``mode="standalone"``, ``prompt_timeout_s=1`` …).
``office_hub`` starts the real office hub (``kiosk.hub.OfficeHub``) on 127.0.0.1, port 0;
``hub_api`` drives it over HTTP as a clerk console would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]

_RATING_KEYS = {"scale", "prompt_timeout_s", "thanks_s", "cooldown_s", "levels", "reasons"}
_TABLET_KEYS = {"mode", "counter_id", "clerk_id"}


@pytest.fixture
def tablet_config(tmp_path):
    from sync.config import load_config

    def make(**changes):
        raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        raw["kiosk"]["catalog"] = str(ROOT / "assets/catalog/tthc.json")
        raw["kiosk"]["fullscreen"] = False
        for key, value in changes.items():
            if key in _RATING_KEYS:
                raw["rating"][key] = value
            elif key in _TABLET_KEYS:
                raw["tablet"][key] = value
            elif key == "hub_port":
                raw["hub"]["port"] = value
            else:
                raw[key] = value
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        return load_config(path)

    return make


class HubAPI:
    """The clerk console's calls, over the hub's real HTTP API."""

    def __init__(self, base_url: str, config):
        self.base_url = base_url
        self.config = config

    def _post(self, path: str, counter_id: int | None = None, json: dict | None = None) -> dict:
        headers = {}
        if counter_id is not None:
            headers["Authorization"] = f"Bearer {self.config.counter(counter_id).token}"
        response = requests.post(self.base_url + path, json=json or {}, headers=headers, timeout=5)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def issue(self, service_id: str) -> dict:
        return self._post("/api/v1/tickets", json={"service_id": service_id})

    def login(self, counter_id: int, clerk_id: str) -> dict:
        pin = self.config.clerk(clerk_id).pin
        return self._post(f"/api/v1/counters/{counter_id}/login", counter_id, {"clerk_id": clerk_id, "pin": pin})

    def call_next(self, counter_id: int) -> dict:
        return self._post(f"/api/v1/counters/{counter_id}/call-next", counter_id)

    def finish(self, counter_id: int) -> dict:
        return self._post(f"/api/v1/counters/{counter_id}/finish", counter_id)

    def serve_one(self, counter_id: int, service_id: str) -> dict:
        """Issue a ticket, call it to the counter, finish it; returns the ticket as issued."""
        ticket = self.issue(service_id)
        self.call_next(counter_id)
        self.finish(counter_id)
        return ticket.get("ticket", ticket)


@pytest.fixture
def office_hub(tmp_path):
    """Factory: ``office_hub(config, port=0)`` → a started OfficeHub (stopped after the test)."""
    from kiosk.hub import OfficeHub

    hubs = []

    def start(config, port: int = 0):
        hub = OfficeHub(config, state_dir=tmp_path / "hub-queue", host="127.0.0.1", port=port,
                        ping_interval_s=1.0)
        hub.start()
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        hub.close()
