"""A day of tickets with two hub restarts and a central server hung past the request timeout
ends true: nothing pending, nothing quarantined, every ticket's final state on the server,
and what the server shows for the hub equals what the hub says (``sync-status``)."""

from __future__ import annotations

import time

from kiosk.queue import QueueEngine
from sync.enrollment import enroll
from sync.outbox import Outbox, peek_pending
from sync.quarantine import QUARANTINE_FILE
from sync.uploader import Uploader
from tests.central import Central
from tests.sync.faultproxy import FaultProxy


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Hub:
    """The hub's record path as the office runs it: queue engine → outbox → uploader."""

    def __init__(self, cfg, folder, server_url, token):
        self.outbox = Outbox(folder / "outbox")
        self.engine = QueueEngine(cfg, folder / "queue", outbox=self.outbox)
        self.uploader = Uploader(self.outbox, server_url=server_url, token=token, device_dir=folder,
                                 batch_size=5, interval_s=0.2, heartbeat_s=1, timeouts=(2.0, 1.0),
                                 backoff_cap_s=0.5).start()

    def stop(self):
        self.uploader.stop()
        self.engine.close()
        self.outbox.close()


def _serve(hub: Hub, final: dict, issued: int, counter: int = 1) -> None:
    """Issue ``issued`` tickets of counter 1's service, then call and finish each."""
    for _ in range(issued):
        t = hub.engine.issue("ho-tich")
        final[t.id] = (t.version, t.status)
    for _ in range(issued):
        for t in (hub.engine.call_next(counter), hub.engine.finish(counter)):
            final[t.id] = (t.version, t.status)
        hub.uploader.notify()


def test_restarts_and_a_hang_leave_nothing_pending_nothing_quarantined_and_the_truth_on_the_server(
        tmp_path, office_config):
    central = Central(office_config, f"sqlite:///{tmp_path / 'central.db'}")
    proxy = FaultProxy(("127.0.0.1", central.port))
    folder = tmp_path / "hub"
    try:
        creds = enroll(central.url, central.code("hub", "Hub"), folder)
        final: dict[str, tuple[int, str]] = {}
        hub = Hub(office_config, folder, proxy.url, creds.token)
        hub.engine.login(1, "nguyen-van-an", "1111")
        _serve(hub, final, 4)
        _wait(lambda: len(hub.outbox) == 0, 60, "the first uploads")
        hub.stop()  # restart 1: a normal restart once everything was delivered
        hub = Hub(office_config, folder, proxy.url, creds.token)
        proxy.faults.extend(["delay:2.5"] * 3)  # the centre hangs past the 1 s read timeout, commits late
        _serve(hub, final, 4)
        _wait(lambda: not proxy.faults, 60, "the hung requests")
        hub.stop()  # restart 2, right after the hang
        hub = Hub(office_config, folder, proxy.url, creds.token)
        _serve(hub, final, 3)
        _wait(lambda: len(hub.outbox) == 0, 60, "the outbox to empty")
        _wait(lambda: central.device(creds.device_id)["pending"] == 0, 30, "a report of 0 pending")
        status = hub.uploader.status()
        assert (status.pending, status.quarantined, status.last_error) == (0, 0, None)
        assert not (folder / QUARANTINE_FILE).exists()
        assert central.quarantined() == 0
        with central.db.engine.connect() as conn:
            stored = {row[0]: (row[1], row[2]) for row in
                      conn.execute(central.text("SELECT ticket_id, version, status FROM tickets"))}
        assert stored == final and all(status == "finished" for _, status in final.values())
        row = central.device(creds.device_id)
        assert (row["pending"], row["quarantined"]) == (0, 0)
        hub.stop()
        assert peek_pending(folder / "outbox") == (0, None)
    finally:
        proxy.close()
        central.close()
