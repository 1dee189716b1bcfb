"""The queue's checkpoint + journal storage: a change costs one line, a torn last line is
dropped, a crash between checkpoint and journal reset replays nothing twice."""

from __future__ import annotations

import json

import pytest

from kiosk.queue.store import QueueStore
from sync.store import StoreCorrupted


def fresh(tmp_path, compact_every=400):
    store = QueueStore(tmp_path, "queue", compact_every)
    assert store.load() is None
    return store


def reopen(tmp_path, compact_every=400):
    store = QueueStore(tmp_path, "queue", compact_every)
    return store, store.load()


def test_changes_are_journalled_and_replayed(tmp_path):
    store = fresh(tmp_path)
    items = {"a": {"v": 1}}
    store.commit({"day": "2026-03-02", "calls": []}, {"a": {"v": 1}}, lambda: items)
    store.commit({"day": "2026-03-02", "calls": [1]}, {"b": {"v": 1}}, lambda: items)
    store.commit({"day": "2026-03-02", "calls": [1]}, {"a": None}, lambda: items)
    lines = (tmp_path / "queue.journal").read_text().splitlines()
    assert len(lines) == 3
    assert json.loads(lines[2])["meta"] == {}  # unchanged values are not written again
    store.close()
    _, (meta, items) = reopen(tmp_path)
    assert meta == {"day": "2026-03-02", "calls": [1]} and items == {"b": {"v": 1}}


def test_a_torn_last_line_is_dropped_and_cut_off(tmp_path):
    store = fresh(tmp_path)
    store.commit({"x": 1}, {"a": {"v": 1}}, dict)
    store.close()
    with open(tmp_path / "queue.journal", "ab") as journal:
        journal.write(b'{"n": 2, "items": {"a": {"v"')  # power cut in the middle of a write
    store, (meta, items) = reopen(tmp_path)
    assert items == {"a": {"v": 1}}
    store.commit({"x": 2}, {"a": {"v": 3}}, dict)  # the next line does not follow the garbage
    store.close()
    _, (meta, items) = reopen(tmp_path)
    assert (meta, items) == ({"x": 2}, {"a": {"v": 3}})


def test_the_journal_is_folded_into_a_checkpoint_and_old_lines_are_not_replayed(tmp_path):
    store = fresh(tmp_path, compact_every=3)
    state: dict = {}
    for v in range(1, 6):
        state["a"] = {"v": v}
        store.commit({"count": v}, {"a": {"v": v}}, lambda: dict(state))
    assert json.loads((tmp_path / "queue.json").read_text())["n"] == 4
    assert len((tmp_path / "queue.journal").read_text().splitlines()) == 1
    store.close()
    # A crash after the checkpoint but before the journal was emptied: stale lines are skipped.
    (tmp_path / "queue.journal").write_text('{"n":3,"items":{"a":{"v":3}},"meta":{"count":3}}\n'
                                            '{"n":5,"items":{"a":{"v":5}},"meta":{"count":5}}\n')
    _, (meta, items) = reopen(tmp_path)
    assert (meta, items) == ({"count": 5}, {"a": {"v": 5}})


def test_a_damaged_checkpoint_is_kept_aside_not_replaced(tmp_path):
    (tmp_path / "queue.json").write_text("{broken")
    with pytest.raises(StoreCorrupted):
        QueueStore(tmp_path, "queue").load()
    assert list(tmp_path.glob("queue.json.damaged-*"))
