"""The ``tablet-rating`` command: the counter tablet that collects ratings, and its tools.

``tablet-rating`` with no subcommand starts the tablet app (fullscreen when
``kiosk.fullscreen`` is set; leaving it needs the admin PIN). ``--counter N`` picks the
counter and keeps this tablet's data in ``<data_dir>/tablet-<N>/`` so several tablets can run
on one machine (a demo, or a PC with several touchscreens), each with its own outbox.
The sync commands (``enroll``, ``sync-now``, ``sync-status``, ``export-pending``) come from
``sync.device_cli`` and use the same folder.

When the tablet cannot start — its configuration does not load, or another program holds its
outbox — it shows why on its screen (``sync.touch.startup_problem``) instead of exiting, looks
again every few seconds and restarts itself once the cause is gone.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from sync.cli import CommandLine, Option
from sync.config import Config, ConfigError
from sync.device_cli import add_device_commands
from tablet_rating.texts import tr


def _run_app(cfg: Config, args: argparse.Namespace) -> int:
    if args.counter is not None:
        try:
            cfg.counter(args.counter)
        except KeyError:
            known = ", ".join(str(c.id) for c in cfg.counters)
            print(f"error: --counter {args.counter}: no such counter in {cfg.source} (known: {known})",
                  file=sys.stderr)
            return 2
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our options are not Kivy's
    # SDL would turn SIGTERM into a window-close request, which the tablet refuses without the
    # PIN; a shutdown or service manager must still be able to stop it cleanly.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("graphics", "maxfps", "30")  # a still screen most of the day: spare the battery
    if cfg.kiosk.fullscreen and not args.windowed:
        KivyConfig.set("graphics", "fullscreen", "auto")
    from sync.outbox import OutboxLocked
    from sync.store import StoreCorrupted
    from tablet_rating.tablet_app import TabletApp

    try:
        problem = _start_problem(cfg, args.counter)
        if problem is not None:
            from sync.touch.startup_problem import show_problem

            return show_problem(problem, lambda: _start_problem(cfg, args.counter), lang=cfg.office.language,
                                fullscreen=cfg.kiosk.fullscreen and not args.windowed)
        app = TabletApp(cfg, counter_id=args.counter)
        signal.signal(signal.SIGTERM, lambda *_: app.exit_app())
        app.run()
    except OutboxLocked as exc:
        print(f"error: {exc}. Another tablet app is running with the same data; "
              f"give each one its own --counter N.", file=sys.stderr)
        return 1
    except StoreCorrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _start_problem(cfg: Config, counter_id: int | None) -> str | None:
    """Open and close this tablet's device folder (outbox, settings): None when it can start,
    else why not, in words for IT staff."""
    from sync.outbox import OutboxLocked
    from tablet_rating.device import TabletDevice, device_dir_for

    try:
        device = TabletDevice(cfg, device_dir_for(cfg, counter_id), counter_id=counter_id)
    except OutboxLocked as exc:
        counter = counter_id if counter_id is not None else cfg.tablet.counter_id
        return tr(cfg.office.language, "startup.outbox_locked", counter=counter, detail=exc)
    device.stop()
    return None


def _show_config_problem(error: ConfigError, args: argparse.Namespace) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our options are not Kivy's
    from sync.touch.startup_problem import show_until_fixed

    return show_until_fixed(error, args.config, fullscreen=not args.windowed)


def build_cli() -> CommandLine:
    counter = Option(("--counter",), {"type": int, "metavar": "N", "help": "counter this tablet serves (default: "
                     "tablet.counter_id); its data go to <data_dir>/tablet-N/, so several tablets can run on one machine"})
    windowed = Option(("--windowed",), {"action": "store_true", "help": "run in a window even if kiosk.fullscreen is set"})
    cli = CommandLine("tablet-rating", "Counter rating tablet of Thước Đo. Without a command, starts the tablet app.",
                      options=(counter, windowed), default=_run_app,
                      on_config_error=_show_config_problem)
    add_device_commands(cli, "tablet")
    return cli


def main(argv: list[str] | None = None) -> int:
    return build_cli().main(argv)


if __name__ == "__main__":
    sys.exit(main())
