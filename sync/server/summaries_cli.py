"""``sync-server rebuild-summaries [--from --to --office]``: recompute the summary tables.

For upgrades and repairs: the summaries of the range (widened to whole months) and office are
deleted and computed again from the raw rows, in one transaction, with a progress bar on the
terminal. Running it twice gives the same tables (idempotent); uploads may continue meanwhile
(on PostgreSQL they wait for the rebuilt rows' locks; on SQLite for the one writer).
"""

from __future__ import annotations

import sys
import time
from datetime import date

from sync.server.summaries import rebuild, rebuild_steps

__all__ = ["add_rebuild_arguments", "run_rebuild_command"]


def add_rebuild_arguments(parser) -> None:
    parser.add_argument("--from", dest="date_from", default=None, metavar="YYYY-MM-DD",
                        help="first local date (default: the oldest stored)")
    parser.add_argument("--to", dest="date_to", default=None, metavar="YYYY-MM-DD",
                        help="last local date (default: the newest stored)")
    parser.add_argument("--office", default=None, help="only this office id (default: every office)")


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--{name}: expected a date written YYYY-MM-DD, found {value!r}") from None


def run_rebuild_command(db, args) -> int:
    try:
        date_from, date_to = _day("from", args.date_from), _day("to", args.date_to)
        if date_from and date_to and date_to < date_from:
            raise ValueError(f"--to: {date_to} is before --from {date_from}")
    except ValueError as exc:
        db.dispose()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with db.engine.begin() as conn:
            total = rebuild_steps(conn)
            done = [0]

            def progress(table: str) -> None:
                done[0] += 1
                filled = round(30 * done[0] / total)
                print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done[0]}/{total} {table:<14}", end="",
                      file=sys.stderr, flush=True)

            read = rebuild(conn, date_from, date_to, args.office, progress)
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    rows = read["ratings"] + read["tickets"]
    print(file=sys.stderr)
    print(f"summaries rebuilt from {read['ratings']} ratings and {read['tickets']} tickets in {seconds:.1f} s "
          f"({rows / seconds if seconds else 0:,.0f} rows/s)")
    return 0
