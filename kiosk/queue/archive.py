"""The day's archive of tickets that reached an end (finished, cancelled, expired no-show):
``<state_dir>/archive/<day>.jsonl``, one ticket per line, appended and fsynced.

A ticket may be appended twice (a crash between the state save and the append repeats it at
the next start) and a power cut may tear the last line: reading keeps the latest version of
each ticket and skips torn lines, so neither shows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["DayArchive"]


class DayArchive:
    """The archive files in ``folder`` (one per business day, ``YYYY-MM-DD.jsonl``)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def append(self, day: str, tickets: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{day}.jsonl"
        lines = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets)
        with open(path, "ab") as handle:
            if handle.tell() > 0:
                with open(path, "rb") as check:
                    check.seek(-1, os.SEEK_END)
                    if check.read(1) != b"\n":
                        handle.write(b"\n")  # a write cut short by a power loss: keep lines apart
            handle.write(lines.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def read(self, day: str) -> list[dict]:
        """The tickets archived for ``day`` (YYYY-MM-DD), latest version of each, in issue order."""
        path = self.folder / f"{day}.jsonl"
        latest: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    ticket = json.loads(line)
                except ValueError:
                    continue  # a line torn by a power cut; its ticket is still in the live state
                if ticket["id"] not in latest or ticket["version"] >= latest[ticket["id"]]["version"]:
                    latest[ticket["id"]] = ticket
        return sorted(latest.values(), key=lambda t: (t["issued_at"], t["issue_seq"]))
