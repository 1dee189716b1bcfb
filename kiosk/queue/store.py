"""Durable storage for the queue's live state: a checkpoint file plus an append-only journal.

Why not rewrite one JSON file per change: a busy morning has hundreds of citizens waiting,
and rewriting all of them for every click made each operation cost grow with the queue
(≈40 ms with 200 waiting on the office PC). Here a change costs one appended line — the
tickets it touched and the small fields that differ — and one fsync, whatever the queue's
length. Every ``compact_every`` changes the whole state is written as a new checkpoint
(``sync.store.AtomicJSONStorage``: temp file, fsync, rename) and the journal is emptied.

Crash safety:

* A line is acknowledged only after its fsync; a line cut short by a power cut is the last
  one, never acknowledged, and is cut off at the next start (so later lines never follow
  garbage). A failed write is truncated away at once for the same reason.
* Each line carries a change number ``n``; the checkpoint records the last ``n`` it
  includes, so a crash between writing a checkpoint and emptying the journal replays nothing
  twice.

The state is ``meta`` (named values, e.g. counters and numbering) and ``items`` (tickets by
id); a line holds ``items`` that changed (``null`` = removed) and ``meta`` keys whose JSON
differs from what is already stored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from sync.store import AtomicJSONStorage, StoreWriteError

__all__ = ["QueueStore"]

_FORMAT = 2


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class QueueStore:
    """``load()`` once, then ``commit()`` after every change. One writer process only."""

    def __init__(self, directory: Path, name: str = "queue", compact_every: int = 400):
        self.checkpoint_path = Path(directory) / f"{name}.json"
        self.journal_path = Path(directory) / f"{name}.journal"
        self.compact_every = compact_every
        self._checkpoint = AtomicJSONStorage(self.checkpoint_path)
        self._fd: int | None = None
        self._n = 0
        self._lines = 0
        self._size = 0
        self._stored_meta: dict[str, str] = {}

    def load(self) -> tuple[dict, dict] | None:
        """The saved ``(meta, items)``, or None when nothing was ever saved.

        Raises ``sync.store.StoreCorrupted`` when the checkpoint is unreadable (it is moved
        aside, never replaced by an empty queue)."""
        data = self._checkpoint.read()
        meta: dict = dict(data.get("meta", {})) if data else {}
        items: dict = dict(data.get("items", {})) if data else {}
        self._n = data.get("n", 0) if data else 0
        good = 0
        raw = self.journal_path.read_bytes() if self.journal_path.exists() else b""
        while True:
            end = raw.find(b"\n", good)
            if end < 0:
                break
            try:
                change = json.loads(raw[good:end])
                n = change["n"]
            except (ValueError, KeyError, TypeError):
                break  # a torn last line: never acknowledged
            if n > self._n:
                for item_id, item in change.get("items", {}).items():
                    if item is None:
                        items.pop(item_id, None)
                    else:
                        items[item_id] = item
                meta.update(change.get("meta", {}))
                self._n = n
            self._lines += 1
            good = end + 1
        self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o600)
        if good < len(raw):
            os.ftruncate(self._fd, good)
            os.fsync(self._fd)
        os.lseek(self._fd, good, os.SEEK_SET)
        self._size = good
        self._stored_meta = {key: _dumps(value) for key, value in meta.items()}
        return (meta, items) if data or self._lines else None

    def commit(self, meta: dict, changed_items: dict[str, dict | None],
               all_items: Callable[[], dict[str, dict]], checkpoint: bool = False) -> None:
        """Make a change durable: one journal line, or a full checkpoint when the journal is
        long (or ``checkpoint`` is asked for). Raises ``StoreWriteError`` on a failed write,
        leaving the stored state as it was before the call."""
        n = self._n + 1
        if checkpoint or self._lines >= self.compact_every:
            self._checkpoint.write({"format": _FORMAT, "n": n, "meta": meta, "items": all_items()})
            self._n = n
            self._stored_meta = {key: _dumps(value) for key, value in meta.items()}
            try:
                os.ftruncate(self._fd, 0)
                os.lseek(self._fd, 0, os.SEEK_SET)
                os.fsync(self._fd)
            except OSError:
                pass  # the checkpoint already holds everything; old lines are skipped by number
            self._lines = 0
            self._size = 0
            return
        dumped = {key: _dumps(value) for key, value in meta.items()}
        changed_meta = {key: meta[key] for key, text in dumped.items() if self._stored_meta.get(key) != text}
        line = (_dumps({"n": n, "items": changed_items, "meta": changed_meta}) + "\n").encode("utf-8")
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, self._size)
                os.lseek(self._fd, self._size, os.SEEK_SET)
            except OSError:
                pass
            raise StoreWriteError(exc.errno, f"could not write {self.journal_path}: {exc.strerror or exc}; "
                                             f"the queue's saved state is unchanged") from exc
        self._n = n
        self._lines += 1
        self._size += len(line)
        self._stored_meta.update({key: dumped[key] for key in changed_meta})

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass  # already unusable: nothing more to release
            self._fd = None
