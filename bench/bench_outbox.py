"""Benchmark: how long a device takes to store one rating durably, as the backlog grows.

Measures ``Outbox.append`` (validation, atomic write, fsync of file and directory) with
0, 10,000 and 50,000 records already pending, beside stock TinyDB ``insert`` with its
default ``JSONStorage`` on the same disk (which rewrites the whole file per insert and does
not even fsync). DESIGN.md §5 target: p99 ≤ 15 ms at every backlog size.

    python bench/bench_outbox.py            # full run
    python bench/bench_outbox.py --quick    # smaller backlogs, for a smoke run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import TinyDB  # noqa: E402

from sync import records  # noqa: E402
from sync.outbox import Outbox  # noqa: E402


def rating(device_id: str, seq: int) -> dict:
    return records.new_rating(office_id="phuong-ben-thanh", device_id=device_id, seq=seq, counter_id=3,
                              score=1, scale=3, satisfied=False, lang="vi", clerk_id="nguyen-van-an",
                              ticket_id="0d0b7a36-5a3f-4a44-9f0e-3f1b8d7c2a11", ticket_number=1015,
                              service_id="ho-tich", reasons=["cho-lau", "huong-dan"],
                              comment="Chờ lâu, hướng dẫn chưa rõ ràng")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_outbox(backlog: int, samples: int, directory: Path) -> list[float]:
    with Outbox(directory / f"outbox-{backlog}") as outbox:
        for _ in range(backlog):  # fill quickly, then measure real appends on top
            outbox.append_new(lambda seq: rating(outbox.device_id, seq))
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            outbox.append_new(lambda seq: rating(outbox.device_id, seq))
            times.append((time.perf_counter() - start) * 1000)
        return times


def bench_tinydb(backlog: int, samples: int, directory: Path) -> list[float]:
    db = TinyDB(directory / f"tinydb-{backlog}.json")
    doc = rating("bench", 1)
    db.insert_multiple(dict(doc, seq=i + 1) for i in range(backlog))
    times = []
    for i in range(samples):
        start = time.perf_counter()
        db.insert(dict(doc, seq=backlog + i + 1))
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="backlogs 0 and 2,000 only, fewer samples")
    args = parser.parse_args()
    backlogs = [0, 2_000] if args.quick else [0, 10_000, 50_000]
    samples = 100 if args.quick else 400
    tinydb_samples = 30 if args.quick else 60
    print("Durable append latency (milliseconds; fsync included for the outbox)")
    print(f"{'pending':>9} | {'outbox p50':>10} {'outbox p99':>10} | {'TinyDB p50':>10} {'TinyDB p99':>10} | {'ratio p50':>9}")
    with tempfile.TemporaryDirectory(prefix="thuocdo-bench-") as tmp:
        for backlog in backlogs:
            ours = bench_outbox(backlog, samples, Path(tmp))
            stock = bench_tinydb(backlog, tinydb_samples, Path(tmp))
            print(f"{backlog:>9,} | {statistics.median(ours):>10.2f} {percentile(ours, 99):>10.2f} | "
                  f"{statistics.median(stock):>10.2f} {percentile(stock, 99):>10.2f} | "
                  f"{statistics.median(stock) / statistics.median(ours):>8.1f}x")
    print("Target (DESIGN.md §5): outbox p99 <= 15 ms at every backlog size.")


if __name__ == "__main__":
    main()
