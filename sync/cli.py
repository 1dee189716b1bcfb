"""The one command-line layer of ``kiosk``, ``tablet-rating`` and ``sync-server``.

Every command is built with ``CommandLine``: it owns the parser tree, adds the options that
belong to the whole program (``--config PATH`` always, e.g. ``--counter N`` for the tablet)
to the root *and* to every subcommand, so they work before or after the subcommand at any
depth (``kiosk --config X hub`` and ``kiosk catalog search --config X "khai sinh"``). On a
subcommand they default to "not given" (``argparse.SUPPRESS``), so a value written before the
subcommand is never hidden by the subcommand's default. ``--config`` defaults to the
environment variable ``THUOCDO_CONFIG``, then ``./config.yaml``.

``CommandLine.main`` parses, loads the configuration once with ``sync.config.load_config``
and runs the chosen command as ``func(config, args) -> exit code``. A broken configuration
or a mistyped command line is told in the office's language (``office.language``, read from
the file as far as it can be read; both languages when even that fails): what is wrong,
where, and how to fix it; exit status 2. A program may pass ``on_config_error(error, args)``:
when the command is its default one (the touchscreen app itself) that handler gets the
``ConfigError`` instead — the apps show it on their screen until the file is fixed
(``sync.touch.startup_problem``), since nobody reads a kiosk's console. Subcommands always
print and exit 2. ``check-config`` is the one shared command that validates the file.

Pure Python (argparse): the counter tablet runs this on Android.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sync.config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config

__all__ = ["CONFIG_ENV", "CommandLine", "Option", "load_config_or_exit", "office_language"]

CONFIG_ENV = "THUOCDO_CONFIG"

Command = Callable[[Config, argparse.Namespace], int]
ConfigErrorHandler = Callable[[ConfigError, argparse.Namespace], int]


@dataclass(frozen=True)
class Option:
    """An option of the whole program, accepted before or after any subcommand."""

    flags: tuple[str, ...]
    kwargs: dict = field(default_factory=dict)


def _config_option() -> Option:
    return Option(("--config",), {"default": os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH), "metavar": "PATH",
                                  "help": f"office configuration file (default: ${CONFIG_ENV}, else ./config.yaml)"})


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors said in the office's language, with how to fix them.

    ``parsing`` is shared by the whole tree: it holds the argv being parsed, so the error hook
    can find the ``--config`` file (and its language) wherever on the line it was written.
    """

    def __init__(self, *args, parsing: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsing = parsing

    def error(self, message: str):
        argv = self.parsing.get("argv")
        lang = office_language(_config_in_argv(sys.argv[1:] if argv is None else argv))
        self.print_usage(sys.stderr)
        print(_usage_error(message, self.prog, lang), file=sys.stderr)
        raise SystemExit(2)


class CommandLine:
    """A program's parser tree with its program-wide options on every command."""

    def __init__(self, prog: str, description: str, *, options: tuple[Option, ...] = (),
                 default: Command | None = None, on_config_error: ConfigErrorHandler | None = None):
        self.options = (_config_option(), *options)
        self.default = default
        self.on_config_error = on_config_error
        self._parsing: dict = {}
        self.parser = _Parser(prog=prog, description=description, parsing=self._parsing)
        self._add_options(self.parser, root=True)
        self.parser.set_defaults(func=default)
        self._commands = self.parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
        self.command("check-config", "validate the configuration file and exit", _check_config)

    def _add_options(self, parser: argparse.ArgumentParser, *, root: bool) -> None:
        for option in self.options:
            kwargs = dict(option.kwargs)
            if not root:
                kwargs["default"] = argparse.SUPPRESS
            parser.add_argument(*option.flags, **kwargs)

    def command(self, name: str, help_text: str, func: Command | None, *, under=None) -> argparse.ArgumentParser:
        """Add subcommand ``name`` (below group ``under`` if given) running ``func(config, args)``."""
        parent = under if under is not None else self._commands
        parser = parent.add_parser(name, help=help_text, description=help_text, parsing=self._parsing)
        self._add_options(parser, root=False)
        if func is not None:
            parser.set_defaults(func=func)
        return parser

    def group(self, name: str, help_text: str, *, dest: str):
        """Add a subcommand with its own subcommands (``kiosk catalog import|search``);
        pass the result as ``under=`` to ``command``."""
        parser = self.command(name, help_text, None)
        return parser.add_subparsers(dest=dest, metavar="ACTION", required=True, parser_class=_Parser)

    def subcommands(self) -> list[list[str]]:
        """Every runnable command path, e.g. ``[["hub"], ["catalog", "search"]]`` (for the tests)."""
        out: list[list[str]] = []

        def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
            actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            if not actions:
                out.append(path)
                return
            for name, child in actions[0].choices.items():
                walk(child, [*path, name])

        walk(self.parser, [])
        return [p for p in out if p]

    def main(self, argv: list[str] | None = None) -> int:
        """Parse ``argv``, load the configuration, run the command; return its exit status."""
        self._parsing["argv"] = argv
        try:
            args = self.parser.parse_args(argv)
        finally:
            self._parsing["argv"] = None
        if args.func is None:
            self.parser.print_help()
            return 2
        if self.on_config_error is None or args.func is not self.default:
            return args.func(load_config_or_exit(args.config), args)
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            return self.on_config_error(exc, args)
        return args.func(config, args)


def load_config_or_exit(path: str | os.PathLike) -> Config:
    """Load the configuration, or tell every problem in the office's language and exit with 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc.message(office_language(path)), file=sys.stderr)
        raise SystemExit(2) from None


def _check_config(config: Config, args: argparse.Namespace) -> int:
    print(f"{config.source}: OK — office {config.office.id!r}, {len(config.services)} services, "
          f"{len(config.counters)} counters, {len(config.clerks)} clerks")
    return 0


def office_language(config_path: str | os.PathLike | None) -> str | None:
    """``office.language`` of the file at ``config_path`` ('vi' when the office says nothing),
    or None when the file cannot be read as YAML at all (then both languages are used)."""
    import yaml

    if config_path is None:
        return None
    try:
        raw = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    office = raw.get("office") if isinstance(raw, dict) else None
    language = office.get("language", "vi") if isinstance(office, dict) else "vi"
    return language if language in ("vi", "en") else "vi"


def _config_in_argv(argv: list[str]) -> str:
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith("--config="):
            return word.split("=", 1)[1]
    return os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH)


# argparse's messages, and what they say in Vietnamese
_USAGE_VI = [
    (r"unrecognized arguments: (.*)", "không nhận ra tham số: {0}"),
    (r"the following arguments are required: (.*)", "thiếu tham số bắt buộc: {0}"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", "tham số {0}: lựa chọn không hợp lệ {1} (chọn một trong: {2})"),
    (r"argument (\S+): invalid (\w+) value: (.*)", "tham số {0}: giá trị {2} không hợp lệ (cần kiểu {1})"),
    (r"argument (\S+): expected one argument", "tham số {0}: cần một giá trị theo sau"),
    (r"argument (\S+): (.*)", "tham số {0}: {1}"),
]


def _usage_error(message: str, prog: str, lang: str | None) -> str:
    english = f"{prog}: error: {message}\nTo fix it: see `{prog} --help` for the commands and their options."
    vietnamese = None
    for pattern, template in _USAGE_VI:
        found = re.fullmatch(pattern, message)
        if found:
            vietnamese = (f"{prog}: lỗi: {template.format(*found.groups())}\n"
                          f"Cách sửa: xem `{prog} --help` để biết các lệnh và tham số.")
            break
    if lang == "en" or vietnamese is None:
        return english
    return vietnamese if lang == "vi" else f"{vietnamese}\n{english}"
