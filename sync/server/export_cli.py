"""``sync-server export``: its options and what it does (write an audited export file).

Kept apart from ``sync.server.exports`` so the export service holds no command-line code;
``sync/server/cli.py`` attaches these to its ``export`` sub-command.
"""

from __future__ import annotations

from pathlib import Path

from sync.server.errors import ApiError
from sync.server.exports import FORMATS, export_to_file, parse_request

__all__ = ["add_export_arguments", "run_export_command"]


def add_export_arguments(parser) -> None:
    """Options of ``sync-server export`` (the same filters as the HTTP export's query parameters)."""
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="first local date")
    parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="last local date")
    parser.add_argument("--office", default=None, help="office id (default: every office)")
    parser.add_argument("--counter", default=None, help="only this counter number")
    parser.add_argument("--clerk", default=None, help="only this clerk id")
    parser.add_argument("--service", default=None, help="only this service id")
    parser.add_argument("--score", default=None, help="only this level number")
    parser.add_argument("--lang", default="vi", choices=["vi", "en"], help="language of headers and labels")
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write (replaced atomically)")


def run_export_command(db, args) -> int:
    """``sync-server export``: write the file, audit it as ``cli:<system user>``, print a summary."""
    import getpass
    import sys

    try:
        req = parse_request({"format": args.format, "from": args.date_from, "to": args.date_to,
                             "office_id": args.office, "counter_id": args.counter, "clerk_id": args.clerk,
                             "service_id": args.service, "score": args.score, "lang": args.lang})
    except ApiError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"error: --out: folder {out.parent} does not exist", file=sys.stderr)
        return 2
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    try:
        rows = export_to_file(db.engine, req, out, f"cli:{user}", [req.office_id] if req.office_id else None,
                              reader=db.reads.answering().engine)
    finally:
        db.dispose()
    print(f"{out}: {rows} ratings from {req.date_from} to {req.date_to} ({req.format})")
    return 0


