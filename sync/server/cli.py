"""The ``sync-server`` command: the central server (run, migrate, create-admin, enroll-device, export).

Sub-commands that change the database open it from the server section of ``--config`` (or
``--database-url``), so an admin runs them on the server machine next to ``sync-server run``:

* ``run`` — serve the API (and dashboard) with uvicorn; an empty database is migrated first.
* ``migrate`` — bring the database schema to this version (run after every upgrade).
* ``create-admin NAME --role province_admin|office_manager [--office ID] [--email ADDR]`` — the password is
  asked twice at a prompt, or read from the first line of stdin when piped; never from argv,
  where it would end up in the shell history and the process list.
* ``enroll-device --office ID --kind tablet|kiosk|hub --name TEXT`` — print a one-time code.
* ``revoke-device DEVICE_ID`` — stop a device's token from working.
* ``import-office FILE`` — register or update an office from its config.yaml (idempotent).
* ``import-batch FILE`` — store records a device exported to a file (``export-pending``), with
  the same rules as an upload; for offices without internet.
* ``rebuild-summaries [--from --to --office]`` — recompute the dashboard summaries.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from sync.cli import CommandLine, Option, office_language
from sync.config import Config, ConfigError, load_config


def _url(cfg: Config, args: argparse.Namespace) -> str:
    return args.database_url or cfg.database_url


def _database(cfg: Config, args: argparse.Namespace, *, migrate_if_empty: bool = True):
    """Open the database; migrate it when it is empty, refuse when its schema is older."""
    from sync.server.db import Database, current_revision, head_revision

    db = Database(_url(cfg, args), replica_url=cfg.server.replica_url,
                  replica_max_lag_s=cfg.server.replica_max_lag_s)
    if db.is_empty() and migrate_if_empty:
        db.migrate()
    elif current_revision(db.engine) != head_revision():
        db.dispose()
        print("error: the database schema is older than this server: run `sync-server migrate` first",
              file=sys.stderr)
        raise SystemExit(2)
    return db


_ENV_CONFIG = "THUOCDO_SERVER_CONFIG"
_ENV_DATABASE = "THUOCDO_SERVER_DATABASE_URL"


def _run(cfg: Config, args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from sync.server.app import create_app
    from sync.server.errors import SchemaOutdated

    url = _url(cfg, args)
    try:
        # Built here even with several workers: it migrates an empty database exactly once,
        # before any worker starts, and refuses an outdated schema with a clear message.
        app = create_app(cfg, database_url=url)
    except SchemaOutdated as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host = args.host or cfg.server.host
    port = args.port if args.port is not None else cfg.server.port
    print(f"Thước Đo central server starting (database: {app.state.db.dialect}, {args.workers} worker(s)); "
          "uvicorn prints the address below", flush=True)
    if args.workers == 1:
        uvicorn.run(app, host=host, port=port, log_level=args.log_level, access_log=False)
        return 0
    app.state.db.dispose()
    os.environ[_ENV_CONFIG] = cfg.source
    os.environ[_ENV_DATABASE] = url
    uvicorn.run("sync.server.cli:worker_app", factory=True, workers=args.workers, host=host, port=port,
                log_level=args.log_level, access_log=False)
    return 0


def worker_app():
    """The app of one uvicorn worker process (``run --workers N``), built from the same config.

    Workers share everything through the database — rate limits, lockouts, sessions,
    enrollment codes — so N workers (or N ``run`` processes on several hosts) act as one.
    """
    import os

    from sync.server.app import create_app

    return create_app(load_config(os.environ[_ENV_CONFIG]), database_url=os.environ[_ENV_DATABASE])


def _migrate(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.db import Database, current_revision

    db = Database(_url(cfg, args))
    try:
        before = current_revision(db.engine)
        after = db.migrate()
    finally:
        db.dispose()
    if before == after:
        print(f"database already at the latest schema ({after})")
    else:
        print(f"database migrated from {before or 'empty'} to {after}")
    return 0


def _read_password(username: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise ValueError("password: the two entries differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _create_admin(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.admins import create_admin

    try:
        password = _read_password(args.username)
        db = _database(cfg, args)
        try:
            with db.begin() as s:
                admin = create_admin(s, args.username, password, args.role, args.office, email=args.email)
                where = f" of office {admin.office_id}" if admin.office_id else " (all offices)"
                print(f"admin {admin.username!r} created: {admin.role}{where}")
        finally:
            db.dispose()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _enroll_device(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.devices import create_enrollment_code

    db = _database(cfg, args)
    try:
        with db.begin() as s:
            code, expires = create_enrollment_code(s, args.office, args.kind, args.name, int(args.hours * 3600))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"Enrollment code for {args.kind} {args.name!r} of office {args.office}:")
    print(f"\n    {code}\n")
    print(f"Valid once, until {expires.astimezone().isoformat(timespec='minutes')}. "
          f"On the device run `{'tablet-rating' if args.kind == 'tablet' else 'kiosk'} enroll --server URL --code {code}`.")
    return 0


def _revoke_device(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.devices import revoke_device

    db = _database(cfg, args)
    try:
        with db.begin() as s:
            found = revoke_device(s, args.device_id)
    finally:
        db.dispose()
    if not found:
        print(f"error: no device {args.device_id!r}", file=sys.stderr)
        return 2
    print(f"device {args.device_id} revoked: its token no longer works")
    return 0


def _import_office(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.offices import import_office

    try:
        office_cfg = load_config(args.file)
    except ConfigError as exc:
        print(exc.message(office_language(args.file)), file=sys.stderr)
        return 2
    db = _database(cfg, args)
    try:
        with db.begin() as s:
            summary = import_office(s, office_cfg)
    finally:
        db.dispose()
    state = "added" if summary.created else ("updated" if summary.changed else "unchanged")
    print(f"office {summary.office_id} {state}: {summary.services} services, {summary.counters} counters, "
          f"{summary.clerks} clerks")
    return 0


USB_DEVICE = "usb-import"


def _import_batch(cfg: Config, args: argparse.Namespace) -> int:
    from sync.pending_file import PendingFileError, read_pending_file
    from sync.server.ingest import ingest_records, load_office_facts
    from sync.server.models import Device

    try:
        document = read_pending_file(args.file)
    except PendingFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    office_id = document.office_id
    db = _database(cfg, args)
    try:
        with db.engine.begin() as conn:
            office = load_office_facts(conn, office_id)
            if office is None:
                print(f"error: office {office_id!r} is not registered: run `sync-server import-office` first",
                      file=sys.stderr)
                return 2
            device_id = USB_DEVICE
            if document.device_id:
                known = conn.execute(Device.__table__.select().where(Device.id == document.device_id,
                                                                     Device.office_id == office_id)).first()
                device_id = document.device_id if known else USB_DEVICE
            outcome = ingest_records(conn, office, device_id, document.records, datetime.now(UTC))
    finally:
        db.dispose()
    print(f"{args.file}: {len(document.records)} records for office {office_id} (device {device_id}): "
          f"{outcome.count('accepted')} accepted, {outcome.count('duplicate')} duplicate, "
          f"{outcome.count('rejected')} rejected")
    for result in outcome.results:
        if result["status"] == "rejected":
            print(f"  rejected {result['id']}: {result['error']}")
    return 0 if not outcome.count("rejected") else 1


def _export(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.export_cli import run_export_command

    return run_export_command(_database(cfg, args), args)


def _rebuild_summaries(cfg: Config, args: argparse.Namespace) -> int:
    from sync.server.summaries_cli import run_rebuild_command

    return run_rebuild_command(_database(cfg, args), args)


def build_cli() -> CommandLine:
    database = Option(("--database-url",), {"metavar": "URL", "default": None,
                      "help": "database to use instead of server.database_url of the config"})
    cli = CommandLine("sync-server", "Central server of Thước Đo.", options=(database,))
    sub = cli.command

    p = sub("run", "serve the API and dashboard (migrates an empty database first)", _run)
    p.add_argument("--host", default=None, help="listen address (default: server.host)")
    p.add_argument("--port", type=int, default=None, help="port (default: server.port)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--workers", type=int, default=1, choices=range(1, 17), metavar="N",
                   help="server processes sharing the port (default 1; use the number of cores on a busy server)")

    sub("migrate", "bring the database schema up to date", _migrate)

    p = sub("create-admin", "add a dashboard admin (password asked, or read from stdin)", _create_admin)
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["province_admin", "office_manager"])
    p.add_argument("--office", default=None, help="office id (office managers only)")
    p.add_argument("--email", default=None, help="address for alert emails, escalations and the daily digest")

    p = sub("enroll-device", "print a one-time enrollment code for a new device", _enroll_device)
    p.add_argument("--office", required=True, help="office id, as in the office's config.yaml")
    p.add_argument("--kind", required=True, choices=["tablet", "kiosk", "hub"])
    p.add_argument("--name", required=True, help="a name admins recognise, e.g. 'Quầy 3 tablet'")
    p.add_argument("--hours", type=float, default=24.0, help="how long the code stays valid (default 24)")

    p = sub("revoke-device", "stop a device's token from working", _revoke_device)
    p.add_argument("device_id")

    p = sub("import-office", "register or update an office from its config.yaml (idempotent)", _import_office)
    p.add_argument("file", help="the office's config.yaml")

    from sync.server.export_cli import add_export_arguments

    p = sub("export", "write the ratings of a date range to a CSV or XLSX file (audited)", _export)
    add_export_arguments(p)

    p = sub("import-batch", "store records exported by a device (export-pending file)", _import_batch)
    p.add_argument("file")

    from sync.server.summaries_cli import add_rebuild_arguments

    p = sub("rebuild-summaries", "recompute the dashboard summaries from the stored rows (idempotent)",
            _rebuild_summaries)
    add_rebuild_arguments(p)
    return cli


def main(argv: list[str] | None = None) -> int:
    return build_cli().main(argv)


if __name__ == "__main__":
    sys.exit(main())
