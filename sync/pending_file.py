"""The pending-records file: a device's unsent records carried to the centre on a USB stick.

An office without internet runs ``kiosk export-pending --out FILE`` (or ``tablet-rating
export-pending``); an admin runs ``sync-server import-batch FILE`` on the central server. This
module is the one home of that file's format — ``write_pending_file`` on the device,
``read_pending_file`` on the server — so both ends agree on it by construction::

    {"format": "thuocdo-pending-v1", "office_id": "…", "device_id": "…" | null,
     "exported_at": "…", "records": [ …records as in an upload… ]}

The records stay pending on the device: when it is online again it uploads them and the
server answers ``duplicate`` for those already imported, so nothing is counted twice.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sync import records
from sync.errors import SyncError
from sync.outbox import Outbox

__all__ = ["PENDING_FORMAT", "PendingFile", "PendingFileError", "read_pending_file", "write_pending_file"]

PENDING_FORMAT = "thuocdo-pending-v1"


class PendingFileError(SyncError):
    """The file is not a readable pending-records file; the message names what is wrong."""


@dataclass(frozen=True)
class PendingFile:
    office_id: str
    device_id: str | None
    records: list


def write_pending_file(outbox: Outbox, out: str | os.PathLike, *, office_id: str, device_id: str | None) -> int:
    """Write every pending record of ``outbox`` to ``out``; return how many were written."""
    pending = outbox.pending()
    document = {"format": PENDING_FORMAT, "office_id": office_id, "device_id": device_id,
                "exported_at": records.now_iso(), "records": pending}
    target = Path(out)
    payload = json.dumps(document, ensure_ascii=False, indent=1).encode()
    # Written to a temporary name, fsynced, then renamed: a stick pulled out too early leaves
    # no half file under the final name. (No directory fsync: USB sticks are often FAT,
    # where it is not supported; the file's own fsync is what matters.)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(pending)


def read_pending_file(path: str | os.PathLike) -> PendingFile:
    """Read and check a pending-records file; raise ``PendingFileError`` saying what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PendingFileError(f"cannot read {path}: {exc}") from None
    problem = None
    if not isinstance(document, dict) or document.get("format") != PENDING_FORMAT:
        problem = f"format: expected {PENDING_FORMAT!r} (a file written by `export-pending`)"
    elif not isinstance(document.get("office_id"), str):
        problem = "office_id: missing"
    elif not isinstance(document.get("records"), list):
        problem = "records: expected a list"
    elif document.get("device_id") is not None and not isinstance(document["device_id"], str):
        problem = "device_id: expected text or null"
    if problem:
        raise PendingFileError(f"{path}: {problem}")
    return PendingFile(office_id=document["office_id"], device_id=document.get("device_id"),
                       records=document["records"])
