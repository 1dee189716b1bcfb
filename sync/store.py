"""A TinyDB storage that survives power cuts: the one durable file format on our devices.

TinyDB's stock ``JSONStorage`` truncates and rewrites its file in place, so a power cut or
a killed process mid-write leaves a half-written, unreadable file. ``AtomicJSONStorage``
writes the whole new content to a temporary file in the same directory, flushes and fsyncs
it, renames it over the old file with ``os.replace`` (atomic on POSIX) and fsyncs the
directory so the rename itself is on disk. At any instant the file is either the old
content or the new one, never a mix.

At open the file is parsed; a damaged file (truncated, garbage, not a JSON object) is moved
aside with a timestamp and ``StoreCorrupted`` is raised, naming both paths. It is never
silently replaced by an empty database. Write failures (disk full, read-only medium) raise
``StoreWriteError`` and leave the previous file untouched.

The storage keeps the last content it read or wrote in memory, because it is the only
writer (callers hold a lock file): a read then costs nothing, and the write cost depends
only on the size of this file, not on anything else the device stores.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from sync.errors import SyncError

__all__ = ["AtomicJSONStorage", "StoreCorrupted", "StoreWriteError", "write_atomically", "fsync_directory", "move_aside"]


class StoreCorrupted(SyncError):
    """A store file could not be read; it has been moved to ``moved_to`` for inspection."""

    def __init__(self, path: Path, moved_to: Path, reason: str):
        self.path, self.moved_to, self.reason = path, moved_to, reason
        super().__init__(f"damaged store file {path} ({reason}); it was moved to {moved_to} — "
                         f"nothing was deleted: keep that file and report it")


class StoreWriteError(SyncError, OSError):
    """A write did not reach the disk (e.g. the disk is full); the previous content is intact."""


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` so that a crash leaves either old or new content.

    Raises ``StoreWriteError`` (the old file untouched, the temporary file removed) when the
    bytes cannot be written.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise StoreWriteError(exc.errno, f"could not write {path}: {exc.strerror or exc}; "
                                         f"the previous content is intact") from exc


def move_aside(path: Path) -> Path:
    """Rename a damaged file to ``<name>.damaged-<timestamp>`` and return the new path."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    fsync_directory(path.parent)
    return target


class AtomicJSONStorage(Storage):
    """TinyDB storage writing atomically; pass it as ``TinyDB(path, storage=AtomicJSONStorage)``."""

    def __init__(self, path: str | os.PathLike, create_dirs: bool = True):
        self.path = Path(path)
        if create_dirs:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, Any] | None = None
        if self.path.exists():
            self._cache = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("top level is not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            reason = "empty file" if not raw else f"not valid JSON: {exc}"
            raise StoreCorrupted(self.path, move_aside(self.path), reason) from None
        return data

    def read(self) -> dict[str, Any] | None:
        # TinyDB mutates the returned object and passes it back to write(); if that write
        # fails the cache is dropped so memory never runs ahead of the disk.
        if self._cache is None and self.path.exists():
            self._cache = self._load()
        return self._cache

    def write(self, data: dict[str, Any]) -> None:
        try:
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            write_atomically(self.path, payload)
        except BaseException:
            self._cache = None
            raise
        self._cache = data

    def close(self) -> None:
        self._cache = None
