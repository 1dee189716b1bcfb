"""The queue engine on a temporary folder with a real outbox and the hand-moved clock."""

from __future__ import annotations

import pytest

from kiosk.queue import QueueEngine


@pytest.fixture
def engine(office_config, tmp_path, outbox, clock):
    return QueueEngine(office_config, tmp_path / "queue", outbox=outbox, clock=clock)
