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
