"""The ``kiosk`` command: the lobby kiosk with its embedded office hub, and its tools."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from kiosk.catalog_cli import add_catalog_commands
from sync.config import Config, add_config_argument, load_config_or_exit
from sync.device_cli import add_device_commands


def _check_config(cfg: Config, args: argparse.Namespace) -> int:
    print(f"{cfg.source}: OK — office {cfg.office.id!r}, {len(cfg.services)} services, "
          f"{len(cfg.counters)} counters, {len(cfg.clerks)} clerks")
    return 0


def _hub(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.hub.server import serve_forever

    return serve_forever(cfg)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Lobby kiosk and office hub of Thước Đo.")
    add_config_argument(parser)
    parser.add_argument("--windowed", action="store_true", help="run the kiosk app in a window even if "
                                                                "kiosk.fullscreen is set (demo, development)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("check-config", help="validate the configuration file and exit").set_defaults(func=_check_config)
    sub.add_parser("hub", help="run the office hub alone (queue API, clerk console, lobby display) "
                               "until Ctrl-C").set_defaults(func=_hub)
    add_device_commands(sub, "kiosk")
    add_catalog_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = load_config_or_exit(args.config)
    if not getattr(args, "func", None):  # plain `kiosk`: the touchscreen app with its hub
        from kiosk.app.run import run_kiosk

        if args.windowed:
            cfg = dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, fullscreen=False))
        return run_kiosk(cfg)
    return args.func(cfg, args)


if __name__ == "__main__":
    sys.exit(main())
