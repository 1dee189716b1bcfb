"""The ``kiosk`` command: the lobby kiosk with its embedded office hub, and its tools.

Built on the one command-line layer (``sync.cli.CommandLine``): ``--config PATH`` and
``--windowed`` work before or after any subcommand. Without a subcommand it starts the
touchscreen app with its hub; if the configuration does not load, the kiosk shows what is
wrong on its screen until the file is fixed, then restarts (``sync.touch.startup_problem``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from kiosk.catalog_cli import add_catalog_commands
from sync.cli import CommandLine, Option
from sync.config import Config, ConfigError
from sync.device_cli import add_device_commands


def _run_kiosk(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.app.launch import run_kiosk

    if args.windowed:
        cfg = dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, fullscreen=False))
    return run_kiosk(cfg)


def _show_config_problem(error: ConfigError, args: argparse.Namespace) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our options are not Kivy's
    from sync.touch.startup_problem import show_until_fixed

    return show_until_fixed(error, args.config, fullscreen=not args.windowed)


def _hub(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.device import run_hub_alone

    return run_hub_alone(cfg)


def build_cli() -> CommandLine:
    cli = CommandLine("kiosk", "Lobby kiosk and office hub of Thước Đo. Without a command, starts the kiosk app.",
                      options=(Option(("--windowed",), {"action": "store_true", "help": "run the kiosk app in a "
                               "window even if kiosk.fullscreen is set (demo, development)"}),),
                      default=_run_kiosk, on_config_error=_show_config_problem)
    cli.command("hub", "run the office hub alone (queue API, clerk console, lobby display) until Ctrl-C", _hub)
    add_device_commands(cli, "kiosk")
    add_catalog_commands(cli)
    return cli


def main(argv: list[str] | None = None) -> int:
    return build_cli().main(argv)


if __name__ == "__main__":
    sys.exit(main())
