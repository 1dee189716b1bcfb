"""A running office hub on a free loopback port (real outbox, real queue), and a client."""

from __future__ import annotations

import pytest


@pytest.fixture
def hub(office_config, tmp_path, outbox):
    from kiosk.hub import OfficeHub

    office_hub = OfficeHub(office_config, outbox, state_dir=tmp_path / "queue", port=0, ping_interval_s=0.5)
    office_hub.start()
    yield office_hub
    office_hub.close()


@pytest.fixture
def api(hub):
    import httpx

    with httpx.Client(base_url=hub.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def make_hub(office_config, tmp_path, outbox):
    """A running hub whose ``hub:`` settings are changed, e.g. ``make_hub(notice="…")``."""
    import dataclasses

    from kiosk.hub import OfficeHub

    hubs = []

    def make(**hub_settings) -> OfficeHub:
        config = dataclasses.replace(office_config, hub=dataclasses.replace(office_config.hub, **hub_settings))
        office_hub = OfficeHub(config, outbox, state_dir=tmp_path / f"queue{len(hubs)}", port=0, ping_interval_s=0.5)
        hubs.append(office_hub)
        office_hub.start()
        return office_hub

    yield make
    for office_hub in hubs:
        office_hub.close()
