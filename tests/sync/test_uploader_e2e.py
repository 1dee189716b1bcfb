"""End to end against the real central server: whatever the network does, every record the
device appended is on the server exactly once and the outbox ends empty.

The server is ``sync.server.app.create_app`` under uvicorn on a loopback port with a fresh
database (SQLite, and PostgreSQL where the fixture says so); between it and the device sits
``FaultProxy``, which drops, delays, resets, loses replies, truncates and impersonates captive
portals and overloaded servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from sync.enrollment import enroll
from sync.outbox import Outbox
from sync.uploader import Uploader
from tests.sync.conftest import ROOT_DIR, append_ratings
from tests.sync.faultproxy import FaultProxy

ALL_FAULTS = ["drop", "delay:2", "reset_request", "lose_reply", "truncate", "http_500", "http_429:1", "captive",
              "redirect"]


def wait_until(condition, timeout_s: float = 90.0) -> None:
    """Liveness guard only: the condition must become true eventually (not a timing check)."""
    deadline = time.time() + timeout_s
    while not condition():
        if time.time() > deadline:
            raise AssertionError("condition not reached before the guard deadline")
        time.sleep(0.05)


def background_uploader(outbox, proxy, token, device_dir, rounds=None, **kwargs) -> Uploader:
    kwargs = {"batch_size": 25, "timeouts": (1, 1), "backoff_cap_s": 0.3, "interval_s": 0.2, "heartbeat_s": 3600,
              **kwargs}
    return Uploader(outbox, server_url=proxy.url, token=token, device_dir=device_dir,
                    on_round=rounds.append if rounds is not None else None, **kwargs).start()


def test_every_network_fault_then_calm_leaves_each_record_on_the_server_exactly_once(central, outbox, tmp_path):
    device_dir = tmp_path / "device"
    creds = enroll(central.url, central.code(), device_dir)
    rounds = []
    with FaultProxy(("127.0.0.1", central.port)) as proxy:
        proxy.faults.extend(ALL_FAULTS)
        uploader = background_uploader(outbox, proxy, creds.token, device_dir, rounds)
        appended = []
        try:
            for _ in range(6):
                appended += append_ratings(outbox, 20)
                uploader.notify()
                time.sleep(0.1)
            wait_until(lambda: len(outbox) == 0 and not proxy.faults)
        finally:
            uploader.stop()
        assert set(ALL_FAULTS) <= set(proxy.log)
    stored = central.rating_ids()
    assert sorted(stored) == sorted(r["id"] for r in appended)  # none lost, none twice
    assert central.quarantined() == 0
    assert len(outbox) == 0
    assert any(not r.ok for r in rounds) and rounds[-1].ok
    assert sum(r.duplicate for r in rounds) > 0  # a reply was lost after the commit: resent, counted once
    status = uploader.status()
    assert status.pending == 0 and status.failures == 0 and status.quarantined == 0


def test_random_faults_during_a_busy_day_lose_nothing_and_double_nothing(central, outbox, tmp_path):
    device_dir = tmp_path / "device"
    creds = enroll(central.url, central.code(), device_dir)
    with FaultProxy(("127.0.0.1", central.port), seed=4) as proxy:
        proxy.chaos = 0.6
        uploader = background_uploader(outbox, proxy, creds.token, device_dir)
        appended = []
        try:
            for _ in range(15):
                appended += append_ratings(outbox, 20)
                uploader.notify()
                time.sleep(0.15)
            wait_until(lambda: len(outbox) == 0 or len(proxy.log) >= 60)
            proxy.calm()
            wait_until(lambda: len(outbox) == 0)
        finally:
            uploader.stop()
        faults_seen = {entry for entry in proxy.log if entry != "pass"}
    assert len(faults_seen) >= 5
    assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    assert central.quarantined() == 0


def test_an_uploader_killed_mid_batch_and_restarted_delivers_each_record_once(central, tmp_path):
    device_dir = tmp_path / "device"
    creds = enroll(central.url, central.code(), device_dir)
    with Outbox(device_dir / "outbox") as outbox:
        appended = append_ratings(outbox, 300)
    env = dict(os.environ, PYTHONPATH=str(ROOT_DIR))
    with FaultProxy(("127.0.0.1", central.port), seed=9) as proxy:
        # Slow, lossy network: batches are often in flight (or committed, reply pending) at the kill.
        proxy.chaos = 0.5
        for kill in range(4):
            child = subprocess.Popen([sys.executable, "-m", "tests.sync.uploader_child", str(device_dir), proxy.url,
                                      creds.token], env=env, cwd=ROOT_DIR, stdout=subprocess.PIPE)
            assert child.stdout.readline().strip() == b"started"
            seen = len(proxy.log)
            # The proxy logs a request as soon as its first bytes arrive: killing right then
            # lands in the middle of a batch (sent, maybe committed, not yet acknowledged).
            wait_until(lambda seen=seen, child=child: len(proxy.log) >= seen + 3 + kill or child.poll() is not None)
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            child.stdout.close()
        # at most 3 + 4 + 5 + 6 (+1 racing each kill) batches of 10 went through: the kills came before the end
        assert len(central.rating_ids()) < len(appended)
        proxy.calm()
        child = subprocess.Popen([sys.executable, "-m", "tests.sync.uploader_child", str(device_dir), proxy.url,
                                  creds.token], env=env, cwd=ROOT_DIR, stdout=subprocess.DEVNULL)
        assert child.wait(120) == 0
    assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    assert central.quarantined() == 0
    with Outbox(device_dir / "outbox") as outbox:
        assert len(outbox) == 0


def test_a_device_clock_hours_off_is_accepted_and_its_skew_shows_on_the_server(central, outbox, tmp_path):
    device_dir = tmp_path / "device"
    creds = enroll(central.url, central.code("tablet", "Quầy 2 tablet"), device_dir)
    behind = timedelta(hours=5)
    device_now = datetime.now(timezone(timedelta(hours=7))) - behind
    appended = append_ratings(outbox, 10, created_at=device_now.isoformat(timespec="milliseconds"))
    uploader = Uploader(outbox, server_url=central.url, token=creds.token, device_dir=device_dir,
                        clock=lambda: time.time() - behind.total_seconds())
    rounds = uploader.drain()
    assert [r.ok for r in rounds] == [True] and rounds[0].accepted == 10
    assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    device = central.device(creds.device_id)
    assert abs(device["clock_skew_s"] - behind.total_seconds()) < 60  # receipt minus device's sent_at
    assert device["pending"] == 0 and device["app_version"]  # what is left once the batch is stored
