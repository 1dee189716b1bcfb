"""The one command-line layer: ``--config`` (and the other program options) anywhere on the line.

Every subcommand of ``kiosk``, ``tablet-rating`` and ``sync-server`` is parsed with
``--config PATH`` before it, between a group and its action, and after it (with the
subcommand's required arguments filled in), and must pick that file and that command. Then
the fast commands really run with ``--config`` after the subcommand, ``THUOCDO_CONFIG`` is
honoured, and a mistyped command line is explained in the office's language.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COMMANDS = {"kiosk": "kiosk.cli", "tablet-rating": "tablet_rating.cli", "sync-server": "sync.server.cli"}
BIN = Path(sys.executable).parent


def _parser_at(parser: argparse.ArgumentParser, path: list[str]) -> argparse.ArgumentParser:
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _required_arguments(parser: argparse.ArgumentParser) -> list[str]:
    """Values for the subcommand's positionals and required options, valid for their types."""
    words = []
    for action in parser._actions:
        if not (action.required or not action.option_strings) or isinstance(action, argparse._SubParsersAction):
            continue
        if isinstance(action, argparse._HelpAction):
            continue
        value = str(next(iter(action.choices))) if action.choices else "1"
        words.extend([action.option_strings[0], value] if action.option_strings else [value])
    return words


def _all_cases():
    for prog, module in COMMANDS.items():
        cli = importlib.import_module(module).build_cli()
        for path in cli.subcommands():
            yield pytest.param(prog, module, path, id=f"{prog} {' '.join(path)}")


@pytest.mark.parametrize(("prog", "module", "path"), list(_all_cases()))
def test_every_subcommand_takes_config_before_between_and_after_it(prog, module, path, tmp_path):
    cli = importlib.import_module(module).build_cli()
    required = _required_arguments(_parser_at(cli.parser, path))
    expected = _parser_at(cli.parser, path).get_default("func")
    config = str(tmp_path / "office.yaml")
    lines = [["--config", config, *path, *required], [*path, *required, "--config", config]]
    if len(path) > 1:
        lines.append([path[0], "--config", config, *path[1:], *required])
    for argv in lines:
        args = cli.parser.parse_args(argv)
        assert args.config == config, argv
        assert args.func is expected, argv


def test_program_options_work_on_either_side_too():
    tablet = importlib.import_module("tablet_rating.cli").build_cli()
    assert tablet.parser.parse_args(["sync-status", "--counter", "3"]).counter == 3
    assert tablet.parser.parse_args(["--counter", "3", "sync-status"]).counter == 3
    assert tablet.parser.parse_args(["sync-status"]).counter is None
    server = importlib.import_module("sync.server.cli").build_cli()
    assert server.parser.parse_args(["migrate", "--database-url", "sqlite://"]).database_url == "sqlite://"
    assert server.parser.parse_args(["--database-url", "sqlite://", "migrate"]).database_url == "sqlite://"
    kiosk = importlib.import_module("kiosk.cli").build_cli()
    assert kiosk.parser.parse_args(["hub", "--windowed"]).windowed is True
    assert kiosk.parser.parse_args(["hub"]).windowed is False


def _run(command: str, *argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / command), *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.mark.parametrize("argv", [
    ("kiosk", "check-config"), ("kiosk", "sync-status"), ("tablet-rating", "check-config"),
    ("tablet-rating", "sync-status"), ("tablet-rating", "sync-status", "--counter", "2"),
    ("sync-server", "check-config"), ("kiosk", "catalog", "search", "khai sinh", "--limit", "3"),
], ids=" ".join)
def test_fast_commands_really_run_with_config_after_the_subcommand(argv, config_file):
    done = _run(*argv, "--config", str(config_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_sync_server_migrate_takes_config_after_the_subcommand(config_file, tmp_path):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    done = _run("sync-server", "migrate", "--config", str(config_file), "--database-url", url)
    assert done.returncode == 0, done.stderr
    assert "migrated" in done.stdout
    again = _run("sync-server", "--database-url", url, "migrate", "--config", str(config_file))
    assert again.returncode == 0 and "already at the latest schema" in again.stdout


def test_thuocdo_config_names_the_file_when_no_option_does(config_file, tmp_path):
    done = _run("kiosk", "check-config", env={"THUOCDO_CONFIG": str(config_file)})
    assert done.returncode == 0 and str(config_file.resolve()) in done.stdout
    missing = tmp_path / "khong-co.yaml"
    wins = _run("kiosk", "check-config", "--config", str(config_file), env={"THUOCDO_CONFIG": str(missing)})
    assert wins.returncode == 0, "--config must win over THUOCDO_CONFIG"


def _office_in(config_file: Path, tmp_path: Path, language: str) -> Path:
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    raw["office"]["language"] = language
    target = tmp_path / f"office-{language}.yaml"
    target.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return target


def test_a_mistyped_command_line_is_explained_in_the_office_language(config_file, tmp_path):
    vi = _office_in(config_file, tmp_path, "vi")
    wrong = _run("kiosk", "sync-status", "--config", str(vi), "--bogus")
    assert wrong.returncode == 2
    assert "kiosk: lỗi: không nhận ra tham số: --bogus" in wrong.stderr
    assert "Cách sửa: xem `kiosk --help`" in wrong.stderr
    missing = _run("tablet-rating", "enroll", "--config", str(vi), "--server", "https://x.example")
    assert missing.returncode == 2 and "thiếu tham số bắt buộc: --code" in missing.stderr
    en = _office_in(config_file, tmp_path, "en")
    wrong = _run("sync-server", "--config", str(en), "export", "--format", "pdf")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr and "lỗi" not in wrong.stderr
    assert "To fix it: see `sync-server export --help`" in wrong.stderr


def test_a_config_that_cannot_be_read_is_explained_in_both_languages(tmp_path):
    done = _run("tablet-rating", "check-config", "--config", str(tmp_path / "khong-co.yaml"))
    assert done.returncode == 2
    assert "không tìm thấy tệp" in done.stderr and "file not found" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("office: [\n", encoding="utf-8")
    done = _run("kiosk", "--config", str(bad), "hub")
    assert done.returncode == 2 and "sai cú pháp YAML" in done.stderr and "not valid YAML" in done.stderr


def test_only_the_app_itself_hands_a_broken_config_to_its_screen(tmp_path, capsys):
    from sync.cli import CommandLine
    from sync.config import ConfigError

    seen = []
    cli = CommandLine("demo", "an app with one tool", default=lambda config, args: 0,
                      on_config_error=lambda error, args: seen.append(error) or 7)
    cli.command("tool", "a tool", lambda config, args: 0)
    bad = tmp_path / "bad.yaml"
    bad.write_text("office: [\n", encoding="utf-8")
    assert cli.main(["--config", str(bad)]) == 7
    assert isinstance(seen[0], ConfigError)
    for subcommand in ("tool", "check-config"):
        with pytest.raises(SystemExit) as exited:
            cli.main(["--config", str(bad), subcommand])
        assert exited.value.code == 2
        assert "not valid YAML" in capsys.readouterr().err
    assert len(seen) == 1


def test_device_subcommands_with_a_broken_config_still_print_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("office: [\n", encoding="utf-8")
    for argv in (("kiosk", "sync-status"), ("tablet-rating", "sync-status"), ("kiosk", "check-config")):
        done = _run(*argv, "--config", str(bad))
        assert done.returncode == 2, argv
        assert "not valid YAML" in done.stderr
