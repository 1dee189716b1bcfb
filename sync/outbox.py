"""The outbox: where a device keeps every record until the central server has acknowledged it.

A kiosk or tablet appends each record (a rating, a ticket snapshot) here *before* telling
the citizen it is done; the uploader later reads the oldest pending records, sends them and
acknowledges what the server confirmed. Nothing else on a device writes records.

Layout of ``<data directory>/outbox/``::

    LOCK                  lock file: one writer process per outbox
    device.json           this device's id and the last sequence number it handed out
    seg-00000001.json     segments: small TinyDB files of at most SEGMENT_SIZE records
    seg-00000002.json     (written by AtomicJSONStorage: temp file, fsync, rename, fsync dir)

Why segments: stock TinyDB rewrites its whole file on every insert, so the cost of storing
one rating would grow with the backlog (27 ms at 10,000 documents). Here an append rewrites
only the newest segment, so its cost is bounded whatever the backlog; a segment whose
records are all acknowledged is deleted.

Thread-safe within one process (the UI thread appends while the uploader thread reads and
acks); a second process opening the same outbox gets ``OutboxLocked``.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable

from tinydb import TinyDB

from sync import records
from sync.errors import SyncError
from sync.store import AtomicJSONStorage, StoreCorrupted, StoreWriteError, fsync_directory, write_atomically

__all__ = ["SEGMENT_SIZE", "Outbox", "OutboxLocked", "OutboxWriteError", "StoreCorrupted", "peek_pending"]

SEGMENT_SIZE = 100
_TABLE = "records"


class OutboxLocked(SyncError):
    """Another process already writes this outbox."""


class OutboxWriteError(SyncError):
    """A record could not be stored durably (e.g. disk full). Older records are intact."""


class _Segment:
    """One segment file: its TinyDB and which of its documents are still pending."""

    def __init__(self, number: int, path: Path):
        self.number = number
        self.db = TinyDB(path, storage=AtomicJSONStorage, create_dirs=False)
        self.table = self.db.table(_TABLE, cache_size=0)
        self.size = len(self.table)
        self.pending = 0
        self.path = path

    def close(self) -> None:
        self.db.close()


def peek_pending(path: str | os.PathLike) -> tuple[int, float | None]:
    """(pending count, oldest pending age in s) read from the files, without opening the outbox.

    For ``sync-status`` while the app holds the outbox: every segment is written whole by
    rename, so each file read is one consistent moment of it; a segment deleted meanwhile was
    fully delivered. Records behind a request still in flight are pending until acked.
    """
    count, oldest = 0, None
    for seg_path in sorted(Path(path).glob("seg-*.json")):
        try:
            table = json.loads(seg_path.read_text(encoding="utf-8")).get(_TABLE, {})
        except FileNotFoundError:
            continue
        except ValueError:
            continue  # unreadable: the app reports it (damaged_files) when it opens the outbox
        for doc in table.values():
            if not doc.get("acked"):
                count += 1
                appended = doc.get("t", 0.0)
                oldest = appended if oldest is None else min(oldest, appended)
    return count, (None if oldest is None else max(0.0, time.time() - oldest))


class Outbox:
    """Durable, ordered queue of records waiting for the central server.

    ``append(record)`` returns only once the record is on disk; ``pending(limit)`` gives the
    oldest unacknowledged records; ``ack(ids)`` marks them delivered; ``len(outbox)`` is the
    pending count.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._lock_file = self._acquire_process_lock()
        try:
            self._open()
        except BaseException:
            self._release_process_lock()
            raise

    # -- opening -------------------------------------------------------------------------

    def _acquire_process_lock(self):
        handle = open(self.path / "LOCK", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise OutboxLocked(f"the outbox {self.path} is already open in another process "
                               f"(pid {holder}); only one program may write it at a time") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _release_process_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _open(self) -> None:
        for leftover in self.path.glob(".*.tmp-*"):
            leftover.unlink()  # a write interrupted before its rename: never acknowledged
        self._identity = self._load_identity()
        self._segments: dict[int, _Segment] = {}
        self._pending: dict[str, tuple[int, int, float]] = {}  # id -> (segment, doc_id, appended_at)
        self._order: list[str] = []  # pending ids, oldest first (acked ones removed lazily)
        self._records: dict[str, dict] = {}
        problems = []
        for seg_path in sorted(self.path.glob("seg-*.json")):
            number = int(seg_path.stem.split("-")[1])
            try:
                segment = _Segment(number, seg_path)
            except StoreCorrupted as exc:
                problems.append(exc)
                continue
            self._segments[number] = segment
            for doc in segment.table.all():
                record = doc["record"]
                self._identity["last_seq"] = max(self._identity["last_seq"], record.get("seq", 0))
                if not doc.get("acked"):
                    self._pending[record["id"]] = (number, doc.doc_id, doc.get("t", 0.0))
                    self._order.append(record["id"])
                    self._records[record["id"]] = record
                    segment.pending += 1
        for segment in list(self._segments.values()):
            self._drop_if_delivered(segment)  # a crash may have come between ack and delete
        if problems:
            raise problems[0]

    def _load_identity(self) -> dict:
        path = self.path / "device.json"
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data.get("device_id"), str) and isinstance(data.get("last_seq"), int):
                    return data
            except ValueError:
                pass
            from sync.store import move_aside

            moved = move_aside(path)
            raise StoreCorrupted(path, moved, "device identity file unreadable")
        identity = {"device_id": str(uuid.uuid4()), "last_seq": 0}
        write_atomically(path, json.dumps(identity).encode())
        return identity

    # -- public API ------------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        """This device's id, made once when the outbox was first created."""
        return self._identity["device_id"]

    def append(self, record: dict) -> dict:
        """Validate ``record`` and store it durably; return the stored (cleaned) record.

        Raises ``records.RecordError`` for an invalid record and ``OutboxWriteError`` when the
        disk refuses the write; in both cases nothing already stored is touched.
        """
        record = records.validate(record)
        with self._lock:
            if record["id"] in self._pending:
                raise ValueError(f"record {record['id']} is already in the outbox")
            segment = self._writable_segment()
            appended_at = time.time()
            try:
                doc_id = segment.table.insert({"record": record, "acked": False, "t": appended_at})
            except StoreWriteError as exc:
                if segment.size == 0:
                    self._drop_segment(segment)
                raise OutboxWriteError(f"the record was NOT stored: {exc}") from exc
            segment.size += 1
            segment.pending += 1
            self._pending[record["id"]] = (segment.number, doc_id, appended_at)
            self._order.append(record["id"])
            self._records[record["id"]] = record
            self._identity["last_seq"] = max(self._identity["last_seq"], record["seq"])
            return record

    def append_new(self, make_record: Callable[[int], dict]) -> dict:
        """Build a record with the next sequence number and append it, as one step.

        ``make_record(seq)`` returns the record; the outbox hands out ``seq`` so concurrent
        writers in one process never reuse a number.
        """
        with self._lock:
            return self.append(make_record(self._identity["last_seq"] + 1))

    def pending(self, limit: int | None = None) -> list[dict]:
        """The oldest unacknowledged records, in the order they were appended."""
        with self._lock:
            self._compact_order()
            ids = self._order if limit is None else self._order[:limit]
            return [dict(self._records[i]) for i in ids]

    def ack(self, ids: Iterable[str]) -> int:
        """Mark records as delivered; unknown or already acked ids are ignored. Returns the count."""
        with self._lock:
            by_segment: dict[int, list[tuple[str, int]]] = {}
            for record_id in ids:
                where = self._pending.get(record_id)
                if where is not None:
                    by_segment.setdefault(where[0], []).append((record_id, where[1]))
            acked = 0
            for number, entries in sorted(by_segment.items()):
                segment = self._segments[number]
                segment.table.update({"acked": True}, doc_ids=[doc_id for _, doc_id in set(entries)])
                for record_id, _ in set(entries):
                    del self._pending[record_id]
                    del self._records[record_id]
                    segment.pending -= 1
                    acked += 1
                self._drop_if_delivered(segment)
            return acked

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def pending_besides(self, ids: Iterable[str]) -> int:
        """How many records are pending apart from ``ids`` (those of batches in flight)."""
        with self._lock:
            return len(self._pending) - sum(1 for i in set(ids) if i in self._pending)

    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest pending record was appended, or None when nothing is pending."""
        with self._lock:
            self._compact_order()
            if not self._order:
                return None
            return max(0.0, time.time() - self._pending[self._order[0]][2])

    def damaged_files(self) -> list[Path]:
        """Files moved aside because they were unreadable: staff should be told about them."""
        return sorted(self.path.glob("*.damaged-*"))

    def close(self) -> None:
        with self._lock:
            for segment in self._segments.values():
                segment.close()
            self._segments.clear()
            self._save_identity()
            self._release_process_lock()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- segments --------------------------------------------------------------------------

    def _writable_segment(self) -> _Segment:
        newest = max(self._segments) if self._segments else 0
        if newest and self._segments[newest].size < SEGMENT_SIZE:
            return self._segments[newest]
        previous = self._segments.get(newest)
        segment = _Segment(newest + 1, self.path / f"seg-{newest + 1:08d}.json")
        self._segments[segment.number] = segment
        if previous is not None:
            # The previous segment is no longer the newest, so it may now be deleted when
            # fully delivered; its sequence number is kept in device.json first.
            self._save_identity()
            self._drop_if_delivered(previous)
        return segment

    def _drop_if_delivered(self, segment: _Segment) -> None:
        newest = max(self._segments)
        if segment.number == newest or segment.size < SEGMENT_SIZE:
            return  # the newest segment still takes appends (and remembers the last seq)
        if segment.pending == 0:
            self._drop_segment(segment)

    def _drop_segment(self, segment: _Segment) -> None:
        segment.close()
        del self._segments[segment.number]
        try:
            segment.path.unlink()
        except FileNotFoundError:
            pass
        fsync_directory(self.path)

    def _save_identity(self) -> None:
        write_atomically(self.path / "device.json", json.dumps(self._identity).encode())

    def _compact_order(self) -> None:
        if len(self._order) != len(self._pending):
            self._order = [i for i in self._order if i in self._pending]
