"""Sync commands shared by the ``kiosk`` and ``tablet-rating`` programs.

``add_device_commands(subparsers, kind)`` adds, to either program:

``enroll --server URL --code CODE``  trade an admin's one-time code for this device's token
``sync-now``                        upload everything pending once; exit 1 if anything is left
``sync-status``                     pending count, oldest pending age, last upload, last error
``export-pending --out FILE``       pending records to a file for ``sync-server import-batch``

A kiosk keeps its data directly in the data directory (``<data_dir>/outbox``); each counter
tablet has its own folder ``<data_dir>/tablet-<counter>/`` (so several tablets can run on one
machine in a demo), chosen with ``--counter N`` (default ``tablet.counter_id``).

Everything they print is in the office's language (``office.language``); error details that
come from the network or the server are quoted as they are, for the IT staff who fix the cause.

Exit codes: 0 done, 1 something is left or failed (the message says what), 2 bad usage/config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sync.cli import CommandLine
from sync.config import Config
from sync.words import WordTable

__all__ = ["DEVICE_COMMAND_WORDS", "add_device_commands", "device_dir"]

DEVICE_COMMAND_WORDS = WordTable({
    "error": ("lỗi: {message}", "error: {message}"),
    "no_counter": ("--counter {counter}: không có quầy này trong {source} (các quầy: {known})",
                   "--counter {counter}: no such counter in {source} (known: {known})"),
    "outbox_in_use": ("hộp thư đi trong {path} đang được ứng dụng sử dụng — ứng dụng tự gửi dữ liệu; "
                      "hãy đóng ứng dụng trước, hoặc dùng màn hình quản trị của nó",
                      "the outbox in {path} is in use by the running app — it uploads by itself; "
                      "close the app first, or use its admin screen"),
    "enrolled": ("đã đăng ký: thiết bị {device} của cơ quan {office} tại {server}",
                 "enrolled: device {device} of office {office} at {server}"),
    "other_office": ("cảnh báo: cấu hình này dành cho cơ quan {configured!r} nhưng máy chủ đăng ký thiết bị cho "
                     "{enrolled!r}; kiểm tra office.id trong {source}",
                     "warning: this config is for office {configured!r} but the server enrolled the device "
                     "for {enrolled!r}; check office.id in {source}"),
    "no_server_url": ("lưu ý: sync.server_url trong {source} đang trống nên ứng dụng giữ dữ liệu trên máy; "
                      "đặt thành {server} để tự gửi dữ liệu",
                      "note: sync.server_url is empty in {source}, so the app keeps records locally; "
                      "set it to {server} to upload in the background"),
    "not_enrolled": ("thiết bị này chưa được đăng ký: chạy `enroll --server URL --code CODE` với mã do quản trị "
                     "viên cấp",
                     "this device is not enrolled yet: run `enroll --server URL --code CODE` with a code from "
                     "the admin"),
    "uploading": ("{count} bản ghi chờ gửi; đang gửi tới {server}", "{count} record(s) pending; uploading to {server}"),
    "totals": ("đã nhận {accepted}, máy chủ đã có {duplicate}, bị từ chối và cách ly {rejected}",
               "accepted {accepted}, already on the server {duplicate}, refused and quarantined {rejected}"),
    "slowed": ("máy chủ yêu cầu gửi chậm lại {count} lần; đã chờ theo yêu cầu",
               "the server asked to slow down {count} time(s); waited as asked"),
    "left": ("còn {count} bản ghi chờ gửi", "{count} record(s) still pending"),
    "nothing_left": ("không còn gì để gửi", "nothing left to upload"),
    "credentials": ("thông tin đăng ký: {message}", "credentials: {message}"),
    "device_folder": ("thư mục thiết bị: {path}", "device folder: {path}"),
    "enrolled_yes": ("đã đăng ký: có, thiết bị {device} của cơ quan {office}",
                     "enrolled: yes, device {device} of office {office}"),
    "enrolled_no": ("đã đăng ký: chưa", "enrolled: no"),
    "quarantine_kept": ("bản ghi bị cách ly được giữ trong {path} (sao chép cho quản trị viên)",
                        "quarantined records are kept in {path} (copy it for the admin)"),
    "cannot_write": ("không ghi được {path}: {detail}", "cannot write {path}: {detail}"),
    "exported": ("đã ghi {count} bản ghi chờ gửi vào {path}; nhập bằng `sync-server import-batch {path}`. "
                 "Các bản ghi vẫn chờ gửi ở đây và chỉ được tính một lần khi gửi sau.",
                 "wrote {count} pending record(s) to {path}; import it with `sync-server import-batch {path}`. "
                 "The records stay pending here and count once when uploaded later."),
    "quarantine_not_exported": ("lưu ý: {count} bản ghi máy chủ đã từ chối không có trong tệp này; chúng được "
                                "giữ trong {path} cho quản trị viên",
                                "note: {count} record(s) the server refused are not in this file; they are kept "
                                "in {path} for the admin"),
})


def _say(cfg: Config, key: str, *, err: bool = False, **values) -> None:
    print(DEVICE_COMMAND_WORDS(cfg.office.language, key, **values), file=sys.stderr if err else sys.stdout)


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
            _err(cfg, DEVICE_COMMAND_WORDS(cfg.office.language, "no_counter", counter=counter,
                                           source=cfg.source, known=known))
            return 2
    return func(cfg, args, kind)


def _dir(cfg: Config, args, kind: str) -> Path:
    return device_dir(cfg, kind, getattr(args, "counter", None))


def _err(cfg: Config, message: str) -> int:
    _say(cfg, "error", err=True, message=message)
    return 1


def _open_outbox(cfg: Config, path: Path):
    from sync.outbox import Outbox, OutboxLocked

    try:
        return Outbox(path / "outbox")
    except OutboxLocked:
        _err(cfg, DEVICE_COMMAND_WORDS(cfg.office.language, "outbox_in_use", path=path))
        return None


def _enroll(cfg: Config, args, kind: str) -> int:
    from sync.enrollment import EnrollmentError, enroll
    from sync.session import session_for

    try:
        creds = enroll(args.server, args.code, _dir(cfg, args, kind), session=session_for(cfg))
    except EnrollmentError as exc:
        return _err(cfg, exc.message(cfg.office.language))
    _say(cfg, "enrolled", device=creds.device_id, office=creds.office_id, server=creds.server_url)
    if creds.office_id != cfg.office.id:
        _say(cfg, "other_office", err=True, configured=cfg.office.id, enrolled=creds.office_id, source=cfg.source)
    if not cfg.sync.server_url:
        _say(cfg, "no_server_url", source=cfg.source, server=creds.server_url)
    return 0


def _credentials(cfg: Config, path: Path):
    from sync.enrollment import EnrollmentError, load_credentials

    try:
        creds = load_credentials(path)
    except EnrollmentError as exc:
        _err(cfg, exc.message(cfg.office.language))
        return None
    if creds is None:
        _err(cfg, DEVICE_COMMAND_WORDS(cfg.office.language, "not_enrolled"))
    return creds


def _sync_now(cfg: Config, args, kind: str) -> int:
    from sync.session import session_for
    from sync.uploader import Uploader

    path = _dir(cfg, args, kind)
    creds = _credentials(cfg, path)
    if creds is None:
        return 1
    outbox = _open_outbox(cfg, path)
    if outbox is None:
        return 1
    with outbox:
        server_url = cfg.sync.server_url or creds.server_url
        uploader = Uploader(outbox, server_url=server_url, token=creds.token, device_dir=path,
                            batch_size=cfg.sync.batch_size, session=session_for(cfg))
        before = len(outbox)
        _say(cfg, "uploading", count=before, server=server_url)
        rounds = uploader.drain() if before else [uploader.sync_once(heartbeat=True)]
        totals = {k: sum(getattr(r, k) for r in rounds if r.ok) for k in ("accepted", "duplicate", "rejected")}
        _say(cfg, "totals", **totals)
        paused = sum(1 for r in rounds[:-1] if not r.ok)
        if paused:
            _say(cfg, "slowed", count=paused)
        if rounds and not rounds[-1].ok:
            _err(cfg, rounds[-1].error)
        left = len(outbox)
        if left:
            _say(cfg, "left", err=True, count=left)
            return 1
        if rounds and not rounds[-1].ok:
            return 1
        _say(cfg, "nothing_left")
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
        _say(cfg, "credentials", message=exc.message(cfg.office.language))
    state = read_state(path)
    server_url = cfg.sync.server_url or (creds.server_url if creds else "")
    _say(cfg, "device_folder", path=path)
    if creds:
        _say(cfg, "enrolled_yes", device=creds.device_id, office=creds.office_id)
    else:
        _say(cfg, "enrolled_no")
    pending, oldest = peek_pending(path / "outbox")
    status = SyncStatus(pending=pending, oldest_pending_age_s=oldest, last_success_at=state.get("last_success_at"),
                        last_error=state.get("last_error"), last_error_at=state.get("last_error_at"),
                        quarantined=len(Quarantine(path / QUARANTINE_FILE)), failures=state.get("failures", 0),
                        next_attempt_at=state.get("next_attempt_at"), server_url=server_url)
    for line in status.lines(cfg.office.language):
        print(line)
    if status.quarantined:
        _say(cfg, "quarantine_kept", path=path / QUARANTINE_FILE)
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
    outbox = _open_outbox(cfg, path)
    if outbox is None:
        return 1
    with outbox:
        try:
            count = write_pending_file(outbox, args.out, office_id=creds.office_id if creds else cfg.office.id,
                                   device_id=creds.device_id if creds else None)
        except OSError as exc:
            return _err(cfg, DEVICE_COMMAND_WORDS(cfg.office.language, "cannot_write", path=args.out, detail=exc))
    _say(cfg, "exported", count=count, path=args.out)
    quarantined = len(Quarantine(path / QUARANTINE_FILE))
    if quarantined:
        _say(cfg, "quarantine_not_exported", count=quarantined, path=path / QUARANTINE_FILE)
    return 0
