"""Fixtures for the queue engine and the office hub: a clock tests move by hand, an engine
on a temporary folder with a real outbox, and a running hub on a free loopback port."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.queue import QueueEngine
from sync.outbox import Outbox

TOKENS = {1: "demo-quay-1-doi-token-nay", 2: "demo-quay-2-doi-token-nay",
          3: "demo-quay-3-doi-token-nay", 4: "demo-quay-4-doi-token-nay"}
PINS = {"nguyen-van-an": "1111", "tran-thi-binh": "2222", "le-hoang-cuong": "3333", "pham-thu-dung": "4444"}


class FakeClock:
    """Office-local time that only moves when a test says so."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox")
    yield box
    box.close()


@pytest.fixture
def engine(office_config, tmp_path, outbox, clock):
    return QueueEngine(office_config, tmp_path / "queue", outbox=outbox, clock=clock)


def auth(counter_id: int) -> dict:
    return {"Authorization": f"Bearer {TOKENS[counter_id]}"}


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
