"""The outbox keeps every record it acknowledged: kills, damage, a full disk, two writers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sync import records
from sync.outbox import SEGMENT_SIZE, Outbox, OutboxLocked, OutboxWriteError, StoreCorrupted

CHILD = Path(__file__).with_name("outbox_child.py")
ROOT = Path(__file__).resolve().parents[2]


def make_rating(outbox: Outbox):
    def make(seq: int) -> dict:
        return records.new_rating(office_id="phuong-ben-thanh", device_id=outbox.device_id, seq=seq,
                                  counter_id=2, score=3, scale=3, satisfied=True, lang="vi")
    return make


def fill(outbox: Outbox, n: int) -> list[str]:
    return [outbox.append_new(make_rating(outbox))["id"] for _ in range(n)]


def test_records_come_back_in_append_order_and_acks_remove_them(tmp_path):
    with Outbox(tmp_path / "outbox") as outbox:
        ids = fill(outbox, 450)
        assert len(outbox) == 450
        assert [r["id"] for r in outbox.pending(10)] == ids[:10]
        assert outbox.ack(ids[:300] + ["not-a-known-id"]) == 300
        assert len(outbox) == 150
        assert [r["id"] for r in outbox.pending()] == ids[300:]
        assert outbox.oldest_pending_age() >= 0
    with Outbox(tmp_path / "outbox") as reopened:
        assert [r["id"] for r in reopened.pending()] == ids[300:]
        assert [r["seq"] for r in reopened.pending(3)] == [301, 302, 303]


def test_fully_delivered_segments_are_deleted_and_seq_keeps_growing(tmp_path):
    path = tmp_path / "outbox"
    with Outbox(path) as outbox:
        ids = fill(outbox, SEGMENT_SIZE * 3 + 5)
        outbox.ack(ids)
        assert len(outbox) == 0 and outbox.oldest_pending_age() is None
        # only the newest segment (which takes the next appends) is left
        assert len(list(path.glob("seg-*.json"))) == 1
    with Outbox(path) as outbox:
        assert outbox.append_new(make_rating(outbox))["seq"] == SEGMENT_SIZE * 3 + 6


def test_an_invalid_record_is_refused_and_nothing_is_stored(tmp_path):
    with Outbox(tmp_path / "outbox") as outbox:
        bad = make_rating(outbox)(1)
        bad["score"] = 9
        with pytest.raises(records.RecordError, match="score"):
            outbox.append(bad)
        assert len(outbox) == 0


def test_a_second_writer_is_refused(tmp_path):
    with Outbox(tmp_path / "outbox"):
        with pytest.raises(OutboxLocked, match="already open in another process"):
            Outbox(tmp_path / "outbox")
        other = subprocess.run([sys.executable, "-c", f"from sync.outbox import Outbox; Outbox({str(tmp_path / 'outbox')!r})"],
                               capture_output=True, text=True, cwd=ROOT)
        assert other.returncode != 0 and "OutboxLocked" in other.stderr


def test_a_leftover_temp_file_is_ignored(tmp_path):
    path = tmp_path / "outbox"
    with Outbox(path) as outbox:
        ids = fill(outbox, 5)
    (path / ".seg-00000001.json.tmp-4242").write_bytes(b'{"records": {"1": {"rec')
    with Outbox(path) as outbox:
        assert [r["id"] for r in outbox.pending()] == ids
    assert not list(path.glob(".*tmp*"))


@pytest.mark.parametrize("damage", [b"", b'{"records": {"1": {"record": {"id"', b"\x00\xff garbage"])
def test_a_damaged_segment_is_moved_aside_and_reported_never_emptied(tmp_path, damage):
    path = tmp_path / "outbox"
    with Outbox(path) as outbox:
        fill(outbox, 3)
    segment = path / "seg-00000001.json"
    segment.write_bytes(damage)
    with pytest.raises(StoreCorrupted) as err:
        Outbox(path)
    assert "seg-00000001.json" in str(err.value) and "moved to" in str(err.value)
    moved = err.value.moved_to
    assert moved.exists() and moved.read_bytes() == damage
    with Outbox(path) as outbox:
        assert outbox.damaged_files() == [moved]


def test_concurrent_appends_and_acks_from_two_threads_lose_nothing(tmp_path):
    appended: list[str] = []
    acked: list[str] = []
    with Outbox(tmp_path / "outbox") as outbox:
        done = threading.Event()

        def uploader():
            while not done.is_set() or len(outbox):
                batch = outbox.pending(37)
                outbox.ack([r["id"] for r in batch])
                acked.extend(r["id"] for r in batch)
                time.sleep(0.001)

        worker = threading.Thread(target=uploader)
        worker.start()
        for _ in range(600):
            appended.append(outbox.append_new(make_rating(outbox))["id"])
        done.set()
        worker.join(30)
        assert sorted(acked) == sorted(appended)
        assert len(set(acked)) == len(acked)
        seqs = [outbox.append_new(make_rating(outbox))["seq"]]
        assert seqs == [601]


def run_child_and_kill(path: Path, seconds: float, ack_every: int = 0) -> tuple[list[str], set[str], set[str]]:
    """Run the writer child, kill -9 it after ``seconds``; return the appends it promised,
    the acks that returned, and the acks in flight at the kill (either outcome is right)."""
    proc = subprocess.Popen([sys.executable, str(CHILD), str(path), "--ack-every", str(ack_every)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(10)
    promised, acked, trying = [], set(), set()
    for line in (line.rstrip("\n") for line in lines):
        if line.startswith("A ") and len(line) == 38:
            promised.append(line[2:])
        elif line.startswith("T ") and len(line) == 38:
            trying.add(line[2:])
        elif line.startswith("K ") and len(line) == 38:
            acked.add(line[2:])
    return promised, acked, trying - acked


def test_every_returned_append_survives_kill_9_at_random_moments(tmp_path):
    path = tmp_path / "outbox"
    rng = random.Random(2015)
    promised_all: list[str] = []
    for _ in range(12):
        promised, _, _ = run_child_and_kill(path, rng.uniform(0.3, 0.9))
        promised_all.extend(promised)
        with Outbox(path) as outbox:  # opens cleanly after every kill
            pending = [r["id"] for r in outbox.pending()]
            assert len(pending) == len(set(pending)), "a record is stored twice"
            missing = set(promised_all) - set(pending)
            assert not missing, f"{len(missing)} acknowledged appends lost"
            seqs = [r["seq"] for r in outbox.pending()]
            assert seqs == sorted(seqs)
    assert len(promised_all) > 100


def test_acks_and_appends_survive_kill_9_while_segments_are_deleted(tmp_path):
    path = tmp_path / "outbox"
    rng = random.Random(3)
    promised_all, acked_all = [], set()
    for _ in range(8):
        promised, acked, in_flight = run_child_and_kill(path, rng.uniform(0.4, 1.2), ack_every=20)
        promised_all.extend(promised)
        acked_all |= acked
        with Outbox(path) as outbox:
            pending = {r["id"] for r in outbox.pending()}
            assert not (pending & acked_all), "an acknowledged record came back"
            assert set(promised_all) - acked_all - in_flight <= pending
            acked_all |= in_flight - pending  # an ack in flight at the kill that did land
            # reopening must not resurrect or duplicate anything either
            assert len(outbox.pending()) == len(pending)


def test_a_full_disk_refuses_new_records_loudly_and_keeps_old_ones(tmp_path):
    path = tmp_path / "outbox"
    proc = subprocess.run([sys.executable, str(CHILD), str(path), "--fsize", "60000"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1].startswith("FULL the record was NOT stored")
    promised = [line[2:] for line in lines if line.startswith("A ")]
    assert len(promised) > 10
    with Outbox(path) as outbox:
        assert [r["id"] for r in outbox.pending()] == promised
