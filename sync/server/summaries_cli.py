"""``sync-server rebuild-summaries [--from --to --office]``: recompute the summary tables.

For upgrades and repairs: the summaries of the range (widened to whole months) and office are
deleted and computed again from the raw rows, with a progress bar on the terminal. Running it
twice gives the same tables (idempotent); uploads may continue meanwhile (on PostgreSQL they
wait for the rebuilt rows' locks — for the whole tables when everything is rebuilt; on SQLite
for the one writer).

On PostgreSQL the ratings' summaries and the tickets' are rebuilt at the same time, each in
its own transaction on its own connection: they share no table, and PostgreSQL runs an
``INSERT … SELECT`` on one core, so this is what puts a second core to work (measured over
10M ratings and 10M tickets: see ``docs/deployment.md``). Should one of them fail, the other
is still a complete, consistent rebuild of its own tables; run the command again. SQLite has
one writer: there both run one after the other in one transaction.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sync.server.summaries import SOURCES, rebuild, rebuild_steps

__all__ = ["add_rebuild_arguments", "rebuild_database", "run_rebuild_command"]


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
    done = [0]
    lock = threading.Lock()

    def progress(table: str, total: int) -> None:
        with lock:
            done[0] += 1
            filled = round(30 * done[0] / total)
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done[0]}/{total} {table:<14}", end="",
                  file=sys.stderr, flush=True)

    try:
        read = rebuild_database(db, date_from, date_to, args.office, progress)
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    rows = read["ratings"] + read["tickets"]
    print(file=sys.stderr)
    print(f"summaries rebuilt from {read['ratings']} ratings and {read['tickets']} tickets in {seconds:.1f} s "
          f"({rows / seconds if seconds else 0:,.0f} rows/s)")
    return 0


def rebuild_database(db, date_from: date | None = None, date_to: date | None = None, office_id: str | None = None,
                     progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Rebuild the summaries of ``db`` (see the module docstring); ``progress(table, total
    steps)`` after each statement. Returns the raw rows read per source table."""
    with db.engine.connect() as conn:
        total = rebuild_steps(conn)

    def step(table: str) -> None:
        if progress:
            progress(table, total)

    if db.engine.dialect.name != "postgresql":
        with db.engine.begin() as conn:
            return rebuild(conn, date_from, date_to, office_id, step)

    def one(source: str) -> dict[str, int]:
        with db.engine.begin() as conn:
            return rebuild(conn, date_from, date_to, office_id, step, sources=(source,))

    with ThreadPoolExecutor(len(SOURCES)) as pool:
        parts = list(pool.map(one, SOURCES))
    return {source: n for part in parts for source, n in part.items()}
