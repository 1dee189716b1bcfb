"""Fixtures shared by the kiosk part's tests (queue, hub, kiosk app): a clock tests move by
hand, a real outbox, the demo office's counter tokens and clerk PINs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

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


def auth(counter_id: int) -> dict:
    return {"Authorization": f"Bearer {TOKENS[counter_id]}"}
