"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {"kiosk": "kiosk.cli", "tablet-rating": "tablet_rating.cli", "sync-server": "sync.server.cli"}


def test_the_configuration_reference_is_generated_from_the_current_settings():
    import scripts.config_reference as reference

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == reference.render(), "run: .venv/bin/python scripts/config_reference.py"


def test_every_configuration_key_of_the_shipped_file_is_known_and_documented():
    from sync.config import describe_keys

    documented = {key for key, _ in describe_keys()}
    import yaml

    def keys(node, prefix=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield f"{prefix}{k}"
                yield from keys(v, f"{prefix}{k}.")
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, dict):
                    yield from keys(item, prefix[:-1] + "[].")

    shipped = set(keys(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))))
    shipped = {k for k in shipped if not re.search(r"\.(vi|en|first|last)$", k)}  # parts of labels and blocks
    assert shipped <= documented, shipped - documented


def subcommands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(subcommands(sub, f"{prefix} {name}"))
    return found


def test_every_command_and_subcommand_is_in_the_command_reference():
    page = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    missing = []
    for prog, module in COMMANDS.items():
        parser = importlib.import_module(module).build_cli().parser
        for command in [prog] + subcommands(parser, prog):
            if f"`{command}" not in page:
                missing.append(command)
    assert not missing, f"document these in docs/commands.md: {missing}"
