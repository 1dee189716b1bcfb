"""Sync commands shared by the ``kiosk`` and ``tablet-rating`` programs.

``add_device_commands(subparsers, kind)`` adds, to either program:

``enroll --server URL --code CODE``  trade an admin's one-time code for this device's token
``sync-now``                        upload everything pending once; exit 1 if anything is left
``sync-status``                     pending count, oldest pending age, last upload, last error
``export-pending --out FILE``       pending records to a file for ``sync-server import-batch``

A kiosk keeps its data directly in the data directory (``<data_dir>/outbox``); each counter
tablet has its own folder ``<data_dir>/tablet-<counter>/`` (so several tablets can run on one
machine in a demo), chosen with ``--counter N`` (default ``tablet.counter_id``).

Exit codes: 0 done, 1 something is left or failed (the message says what), 2 bad usage/config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sync.cli import CommandLine
from sync.config import Config

__all__ = ["add_device_commands", "device_dir"]


def device_dir(cfg: Config, kind: str, counter: int | None = None) -> Path:
    """The folder holding this device's outbox, credentials, schedule and quarantine."""
    if kind == "tablet":
        return cfg.data_path / f"tablet-{counter if counter is not None else cfg.tablet.counter_id}"
    return cfg.data_path


def add_device_commands(cli: CommandLine, kind: str) -> None:
    """Add enroll, sync-now, sync-status and export-pending to ``cli`` (kind: kiosk|tablet).

    For a tablet, ``--counter N`` is one of the program's options (``CommandLine``), so it is
    accepted before or after these commands.
    """
    if kind not in ("kiosk", "tablet"):
        raise ValueError(f"kind must be 'kiosk' or 'tablet', not {kind!r}")

    def add(name: str, help_text: str, func) -> argparse.ArgumentParser:
        return cli.command(name, help_text, lambda cfg, args: _checked(func, cfg, args, kind))

    enroll = add("enroll", "enroll this device with the central server using a one-time code", _enroll)
    enroll.add_argument("--server", required=True, metavar="URL", help="central server address, e.g. https://…")
    enroll.add_argument("--code", required=True, metavar="CODE", help="one-time code from the server's admin")
    add("sync-now", "upload every pending record now; exit 1 if anything is left", _sync_now)
    add("sync-status", "show pending records, last upload and last error", _sync_status)
    export = add("export-pending", "write pending records to a file for `sync-server import-batch`", _export_pending)
    export.add_argument("--out", required=True, metavar="FILE", help="file to write (e.g. on a USB stick)")


def _checked(func, cfg: Config, args, kind: str) -> int:
    counter = getattr(args, "counter", None)
    if kind == "tablet" and counter is not None:
        try:
            cfg.counter(counter)
        except KeyError:
            known = ", ".join(str(c.id) for c in cfg.counters)
            print(f"error: --counter {counter}: no such counter in {cfg.source} (known: {known})", file=sys.stderr)
            return 2
    return func(cfg, args, kind)


def _dir(cfg: Config, args, kind: str) -> Path:
    return device_dir(cfg, kind, getattr(args, "counter", None))


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _open_outbox(path: Path):
    from sync.outbox import Outbox, OutboxLocked

    try:
        return Outbox(path / "outbox")
    except OutboxLocked:
        _err(f"the outbox in {path} is in use by the running app — it uploads by itself; "
             f"close the app first, or use its admin screen")
        return None


def _enroll(cfg: Config, args, kind: str) -> int:
    from sync.enrollment import EnrollmentError, enroll
    from sync.session import session_for

    try:
        creds = enroll(args.server, args.code, _dir(cfg, args, kind), session=session_for(cfg))
    except EnrollmentError as exc:
        return _err(str(exc))
    print(f"enrolled: device {creds.device_id} of office {creds.office_id} at {creds.server_url}")
    if creds.office_id != cfg.office.id:
        print(f"warning: this config is for office {cfg.office.id!r} but the server enrolled the device "
              f"for {creds.office_id!r}; check office.id in {cfg.source}", file=sys.stderr)
    if not cfg.sync.server_url:
        print(f"note: sync.server_url is empty in {cfg.source}, so the app keeps records locally; "
              f"set it to {creds.server_url} to upload in the background")
    return 0


def _credentials(path: Path):
    from sync.enrollment import EnrollmentError, load_credentials

    try:
        creds = load_credentials(path)
    except EnrollmentError as exc:
        _err(str(exc))
        return None
    if creds is None:
        _err("this device is not enrolled yet: run `enroll --server URL --code CODE` with a code from the admin")
    return creds


def _sync_now(cfg: Config, args, kind: str) -> int:
    from sync.session import session_for
    from sync.uploader import Uploader

    path = _dir(cfg, args, kind)
    creds = _credentials(path)
    if creds is None:
        return 1
    outbox = _open_outbox(path)
    if outbox is None:
        return 1
    with outbox:
        server_url = cfg.sync.server_url or creds.server_url
        uploader = Uploader(outbox, server_url=server_url, token=creds.token, device_dir=path,
                            batch_size=cfg.sync.batch_size, session=session_for(cfg))
        before = len(outbox)
        print(f"{before} record(s) pending; uploading to {server_url}")
        rounds = uploader.drain() if before else [uploader.sync_once(heartbeat=True)]
        totals = {k: sum(getattr(r, k) for r in rounds if r.ok) for k in ("accepted", "duplicate", "rejected")}
        print(f"accepted {totals['accepted']}, already on the server {totals['duplicate']}, "
              f"refused and quarantined {totals['rejected']}")
        paused = sum(1 for r in rounds[:-1] if not r.ok)
        if paused:
            print(f"the server asked to slow down {paused} time(s); waited as asked")
        if rounds and not rounds[-1].ok:
            print(f"error: {rounds[-1].error}", file=sys.stderr)
        left = len(outbox)
        if left:
            print(f"{left} record(s) still pending", file=sys.stderr)
            return 1
        if rounds and not rounds[-1].ok:
            return 1
        print("nothing left to upload")
        return 0


def _sync_status(cfg: Config, args, kind: str) -> int:
    from sync.enrollment import EnrollmentError, load_credentials
    from sync.outbox import peek_pending
    from sync.quarantine import QUARANTINE_FILE, Quarantine
    from sync.schedule import read_state
    from sync.status import SyncStatus

    path = _dir(cfg, args, kind)
    try:
        creds = load_credentials(path)
    except EnrollmentError as exc:
        creds = None
        print(f"credentials: {exc}")
    state = read_state(path)
    server_url = cfg.sync.server_url or (creds.server_url if creds else "")
    print(f"device folder: {path}")
    print(f"enrolled: {'yes, device ' + creds.device_id + ' of office ' + creds.office_id if creds else 'no'}")
    pending, oldest = peek_pending(path / "outbox")
    status = SyncStatus(pending=pending, oldest_pending_age_s=oldest, last_success_at=state.get("last_success_at"),
                        last_error=state.get("last_error"), last_error_at=state.get("last_error_at"),
                        quarantined=len(Quarantine(path / QUARANTINE_FILE)), failures=state.get("failures", 0),
                        next_attempt_at=state.get("next_attempt_at"), server_url=server_url)
    for line in status.lines():
        print(line)
    if status.quarantined:
        print(f"quarantined records are kept in {path / QUARANTINE_FILE} (copy it for the admin)")
    return 0


def _export_pending(cfg: Config, args, kind: str) -> int:
    from sync.enrollment import EnrollmentError, load_credentials
    from sync.pending_file import write_pending_file
    from sync.quarantine import QUARANTINE_FILE, Quarantine

    path = _dir(cfg, args, kind)
    try:
        creds = load_credentials(path)
    except EnrollmentError:
        creds = None
    outbox = _open_outbox(path)
    if outbox is None:
        return 1
    with outbox:
        try:
            count = write_pending_file(outbox, args.out, office_id=creds.office_id if creds else cfg.office.id,
                                   device_id=creds.device_id if creds else None)
        except OSError as exc:
            return _err(f"cannot write {args.out}: {exc}")
    print(f"wrote {count} pending record(s) to {args.out}; import it with `sync-server import-batch {args.out}`. "
          f"The records stay pending here and count once when uploaded later.")
    quarantined = len(Quarantine(path / QUARANTINE_FILE))
    if quarantined:
        print(f"note: {quarantined} record(s) the server refused are not in this file; they are kept in "
              f"{path / QUARANTINE_FILE} for the admin")
    return 0
