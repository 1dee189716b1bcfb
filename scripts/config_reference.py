"""Writes docs/configuration.md: every config.yaml key with its help text.

The keys and their help live in ``sync/config/schema.py`` (settings declared as data); this keeps
the reference page in step with them. ``tests/test_docs.py`` fails when the page
is out of date, so run this after adding or changing a setting:

    .venv/bin/python scripts/config_reference.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.config import describe_keys  # noqa: E402

TARGET = ROOT / "docs" / "configuration.md"

HEADER = """# Configuration reference

One `config.yaml` describes one office; every command reads it (`--config PATH`, default
`./config.yaml`). The shipped file is a commented example ward office. Paths are relative to
the config file. Any text value may be written `${NAME}` or `${NAME:-default}` to read it from
the environment — use that for secrets (counter tokens, PINs, the database URL, the server's
secret key). A mistake is reported with the key path, what was expected and what was found.

This page is generated from `sync/config/schema.py` by `python scripts/config_reference.py`.

| key | meaning |
|---|---|
"""


def render() -> str:
    rows = ["| `%s` | %s |" % (key, help_text.replace("|", "\\|")) for key, help_text in describe_keys()]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
