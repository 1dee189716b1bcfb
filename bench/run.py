"""Runs every benchmark in bench/ one after the other and prints their tables.

    python bench/run.py            # full runs (minutes: 1,000,000-row exports, 100,000-record sync…)
    python bench/run.py --quick    # small runs of each, to check they work
    python bench/run.py outbox     # only bench_outbox.py (any name fragment)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and not any(w in script.stem for w in wanted):
            continue
        print(f"\n=== {script.name} {'(quick)' if quick else ''}", flush=True)
        result = subprocess.run([sys.executable, str(script)] + (["--quick"] if quick else []), cwd=HERE.parent)
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
