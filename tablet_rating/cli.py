"""The ``tablet-rating`` command: the counter tablet that collects ratings, and its tools.

``tablet-rating`` with no subcommand starts the tablet app (fullscreen when
``kiosk.fullscreen`` is set; leaving it needs the admin PIN). ``--counter N`` picks the
counter and keeps this tablet's data in ``<data_dir>/tablet-<N>/`` so several tablets can run
on one machine (a demo, or a PC with several touchscreens), each with its own outbox.
The sync commands (``enroll``, ``sync-now``, ``sync-status``, ``export-pending``) come from
``sync.device_cli`` and use the same folder.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from sync.cli import CommandLine, Option
from sync.config import Config
from sync.device_cli import add_device_commands


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

    app = TabletApp(cfg, counter_id=args.counter)
    signal.signal(signal.SIGTERM, lambda *_: app.exit_app())
    try:
        app.run()
    except OutboxLocked as exc:
        print(f"error: {exc}. Another tablet app is running with the same data; "
              f"give each one its own --counter N.", file=sys.stderr)
        return 1
    except StoreCorrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def build_cli() -> CommandLine:
    counter = Option(("--counter",), {"type": int, "metavar": "N", "help": "counter this tablet serves (default: "
                     "tablet.counter_id); its data go to <data_dir>/tablet-N/, so several tablets can run on one machine"})
    windowed = Option(("--windowed",), {"action": "store_true", "help": "run in a window even if kiosk.fullscreen is set"})
    cli = CommandLine("tablet-rating", "Counter rating tablet of Thước Đo. Without a command, starts the tablet app.",
                      options=(counter, windowed), default=_run_app)
    add_device_commands(cli, "tablet")
    return cli


def main(argv: list[str] | None = None) -> int:
    return build_cli().main(argv)


if __name__ == "__main__":
    sys.exit(main())
