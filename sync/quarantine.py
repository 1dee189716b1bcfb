"""The device's quarantine: records the server refused, kept in a file and never sent again.

``<device dir>/quarantine.jsonl`` is append-only JSON lines. A refused record is written
there (fsynced) *before* it is acked in the outbox, so it is never dropped silently: it is
kept, counted on the status screen and in ``sync-status``, and the file can be handed to an
admin. The server keeps its own copy with the reason, where an admin accepts or discards it.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from sync.store import fsync_directory

__all__ = ["QUARANTINE_FILE", "Quarantine"]

QUARANTINE_FILE = "quarantine.jsonl"


class Quarantine:
    """Records the server rejected: kept in an append-only JSON-lines file, never retried.

    Each line is ``{"record": …, "error": …, "rejected_at": …, "batch_id": …}``. A line is
    fsynced before the record is acked in the outbox, so a crash in between only means the
    record is sent once more (and skipped here when it is rejected again).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._needs_newline = False
        if self.path.exists():
            data = self.path.read_bytes()
            self._needs_newline = bool(data) and not data.endswith(b"\n")
            for line in data.splitlines():
                try:
                    self._ids.add(json.loads(line)["record"]["id"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a crash: its record is still pending in the outbox

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._ids

    def add(self, entries: list[dict]) -> None:
        """Durably append ``entries`` (each with ``record`` and ``error``) not already kept."""
        with self._lock:
            fresh = [e for e in entries if e["record"]["id"] not in self._ids]
            if not fresh:
                return
            payload = b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in fresh)
            if self._needs_newline:
                payload = b"\n" + payload
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_directory(self.path.parent)
            self._needs_newline = False
            self._ids.update(e["record"]["id"] for e in fresh)

    def entries(self) -> list[dict]:
        """Every readable quarantined entry, oldest first (for the admin screen and exports)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
