"""The package builds cleanly: pip's output at install time is not drowned in setuptools
warnings (the licence is an SPDX expression), and the kiosk gets its USB printer library."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_building_the_metadata_prints_no_warning(tmp_path):
    script = ("import sys; from setuptools import build_meta; "
              "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-W", "always", "-c", script, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr  # e.g. SetuptoolsDeprecationWarning on project.license
    metadata = (tmp_path / done.stdout.split()[-1] / "METADATA").read_text(encoding="utf-8")
    assert "License-Expression: AGPL-3.0-or-later" in metadata


def test_the_kiosk_extra_brings_the_usb_printer_library():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.startswith("pyusb") for dep in project["optional-dependencies"]["kiosk"])
