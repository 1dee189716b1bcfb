"""Procedure search benchmark: latency over 5,000 procedures and accuracy on citizen queries.

Why: the kiosk searches as the citizen types, so every key press runs a query; DESIGN.md §5
asks p99 ≤ 5 ms per query over 5,000 procedures, and issue #6 asks top-1 ≥ 90 % and
top-3 ≥ 97 % on a set of realistic queries (tests/kiosk/search_queries.tsv), compared with a
naive ranking by word overlap with the procedure name. The search was tuned on that set, so
a smaller held-out set (tests/kiosk/search_queries_holdout.tsv, never tuned on) is reported
too.

The 5,000-procedure catalog is generated from the shipped one (assets/catalog/tthc.json):
each synthetic procedure is a real one with a new code, a real field, and its name extended
by the tail of another real name, so the vocabulary and word frequencies stay realistic.

    python bench/bench_search.py            # full run
    python bench/bench_search.py --quick    # fewer timing rounds
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.catalog import Procedure, load_catalog
from kiosk.search import SearchIndex
from sync.text import words

QUERIES = ROOT / "tests" / "kiosk" / "search_queries.tsv"
HOLDOUT = ROOT / "tests" / "kiosk" / "search_queries_holdout.tsv"


def read_queries(path: Path = QUERIES) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, code, *_ = line.split("\t")
            rows.append((query, code))
    return rows


def synthetic_catalog(real: list[Procedure], size: int, seed: int = 6) -> list[Procedure]:
    rng = random.Random(seed)
    fields = sorted({p.field for p in real})
    out = list(real)
    while len(out) < size:
        base, other = rng.choice(real), rng.choice(real)
        tail = other.name.split()[rng.randint(1, max(1, len(other.name.split()) - 1)):]
        out.append(dataclasses.replace(
            base, code=f"9.{len(out):06d}", name=f"{base.name} {' '.join(tail)}".strip(),
            field=rng.choice(fields)))
    return out


class NaiveOverlap:
    """Baseline: rank names by how many distinct folded query words they contain."""

    def __init__(self, procedures: list[Procedure]):
        self.procedures = procedures
        self.names = [set(words(p.name)) for p in procedures]

    def search(self, text: str, limit: int = 3) -> list[Procedure]:
        q = set(words(text))
        scored = [(len(q & n), -i) for i, n in enumerate(self.names)]
        best = sorted((s for s in scored if s[0] > 0), reverse=True)[:limit]
        return [self.procedures[-i] for _, i in best]


def accuracy(search, queries: list[tuple[str, str]]) -> tuple[float, float]:
    top1 = top3 = 0
    for query, code in queries:
        codes = [p.code for p in search(query)]
        top1 += codes[:1] == [code]
        top3 += code in codes[:3]
    return 100.0 * top1 / len(queries), 100.0 * top3 / len(queries)


def timed(search, texts: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query (CPU time does not count waiting for a
    processor, so it stays meaningful on a machine loaded by other programs)."""
    wall, cpu = [], []
    for _ in range(rounds):
        for text in texts:
            start, start_cpu = time.perf_counter(), time.thread_time()
            search(text)
            cpu.append((time.thread_time() - start_cpu) * 1000.0)
            wall.append((time.perf_counter() - start) * 1000.0)
    return wall, cpu


def intrinsic_cpu(index: SearchIndex, texts: list[str], repeats: int) -> list[float]:
    """For every whole query and every typing prefix, its lowest CPU time over ``repeats``
    runs: what the query costs when nothing else disturbs the processor caches."""
    out = []
    for text, typing in [(t, False) for t in texts] + [(p, True) for p in typing_prefixes(texts)]:
        best = float("inf")
        for _ in range(repeats):
            start = time.thread_time()
            index.search(text, limit=20, typing=typing)
            best = min(best, time.thread_time() - start)
        out.append(best * 1000.0)
    return out


def typing_prefixes(queries: list[str]) -> list[str]:
    """Every state of the search box while the queries are typed letter by letter."""
    return [q[:i] for q in queries for i in range(2, len(q) + 1)]


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100.0 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer timing rounds")
    parser.add_argument("--size", type=int, default=5000, help="procedures in the synthetic catalog")
    args = parser.parse_args(argv)

    real = load_catalog(ROOT / "assets" / "catalog" / "tthc.json").procedures
    queries = read_queries()
    index = SearchIndex(real)
    ours = accuracy(lambda q: [h.procedure for h in index.search(q, limit=3)], queries)
    naive = accuracy(NaiveOverlap(real).search, queries)
    holdout = read_queries(HOLDOUT)
    held = accuracy(lambda q: [h.procedure for h in index.search(q, limit=3)], holdout)
    held_naive = accuracy(NaiveOverlap(real).search, holdout)

    big = synthetic_catalog(real, args.size)
    start = time.perf_counter()
    big_index = SearchIndex(big)
    build_ms = (time.perf_counter() - start) * 1000.0
    texts = [q for q, _ in queries]
    rounds = 2 if args.quick else 10
    full, full_cpu = timed(lambda q: big_index.search(q, limit=20), texts, rounds)
    typing, typing_cpu = timed(lambda q: big_index.search(q, limit=20, typing=True), typing_prefixes(texts),
                               1 if args.quick else 3)

    print(f"Procedure search — {len(queries)} citizen queries (tests/kiosk/search_queries.tsv), "
          f"{len(real)} real procedures; latency over {len(big)} procedures; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'measure':<44}{'value':>12}  target")
    print(f"{'top-1 accuracy, kiosk search':<44}{ours[0]:>10.1f} %  ≥ 90 %")
    print(f"{'top-3 accuracy, kiosk search':<44}{ours[1]:>10.1f} %  ≥ 97 %")
    print(f"{'top-1 accuracy, naive word overlap':<44}{naive[0]:>10.1f} %")
    print(f"{'top-3 accuracy, naive word overlap':<44}{naive[1]:>10.1f} %")
    print(f"{f'held-out set ({len(holdout)} queries) top-1 / top-3':<44}{held[0]:>6.0f} / {held[1]:.0f} %"
          f"  (naive {held_naive[0]:.0f} / {held_naive[1]:.0f} %)")
    print(f"{'index build, 5,000 procedures':<44}{build_ms:>10.1f} ms")
    for label, wall, cpu in (("whole queries", full, full_cpu), ("as you type, every prefix", typing, typing_cpu)):
        print(f"{f'query p50 ({label})':<44}{statistics.median(wall):>10.3f} ms   CPU {statistics.median(cpu):.3f} ms")
        print(f"{f'query p99 ({label})':<44}{pct(wall, 99):>10.3f} ms   CPU {pct(cpu, 99):.3f} ms  target ≤ 5 ms")
    print(f"{'query max (as you type)':<44}{max(typing):>10.3f} ms   CPU {max(typing_cpu):.3f} ms")
    intrinsic = intrinsic_cpu(big_index, texts, 3 if args.quick else 5)
    print(f"{'p99 of each query’s best-of-N CPU time':<44}{pct(intrinsic, 99):>10.3f} ms   "
          f"(max {max(intrinsic):.3f} ms; the cost without other programs' interference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
