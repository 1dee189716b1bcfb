"""Benchmark: admin dashboard pages over 1,000,000 ratings (and 1,000,000 tickets) in PostgreSQL.

Seeds a fresh PostgreSQL database with ``bench_exports.seed`` (10 offices, a year of ratings
and tickets, bulk-loaded with COPY; dropped afterwards unless ``--keep``), starts the real app
(``create_app``) in-process, signs in as a province admin and requests every dashboard page
through the HTTP stack (routing, auth, queries, templates, SVG charts). Each page is timed
for two filters: the whole year over all offices (the worst case) and one office for one
month (the everyday case). Reports the median and slowest of 5 requests after a warm-up.
DESIGN.md §5 target: ≤ 500 ms per page over 1,000,000 ratings.

    python bench/bench_dashboard.py                 # 1,000,000 ratings
    python bench/bench_dashboard.py --quick         # 20,000 ratings, to check it works
    python bench/bench_dashboard.py --url URL       # reuse a database seeded by bench_exports --keep

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); ``THUOCDO_BENCH_PG`` overrides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_exports import FROM, TO, create_database, drop_database, office_ids, seed

PAGES = ["/dashboard", "/dashboard/breakdown", "/dashboard/feedback", "/dashboard/tickets", "/dashboard/devices",
         "/dashboard/exports"]
TARGET_MS = 500.0
PASSWORD = "bench-mat-khau-dai-2025"


def measure(url: str, runs: int) -> list[tuple[str, str, float, float, int]]:
    from fastapi.testclient import TestClient

    from sync.config import load_config
    from sync.server.app import create_app
    from sync.api.security import hash_password
    from sync.server.models import Admin

    app = create_app(load_config(HERE.parent / "config.yaml"), database_url=url)
    with app.state.db.begin() as s:
        if not s.query(Admin).filter_by(username="bench").first():
            s.add(Admin(username="bench", password_hash=hash_password(PASSWORD), role="province_admin",
                        failed_logins=0, created_at=datetime.now(UTC)))
    client = TestClient(app)
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    results = []
    one_office = office_ids()[0]
    for label, query in (("all offices, year", f"from={FROM}&to={TO}"),
                         ("one office, month", f"from=2025-06-01&to=2025-06-30&office_id={one_office}")):
        for page in PAGES:
            url_path = f"{page}?{query}"
            first = client.get(url_path)
            assert first.status_code == 200, (url_path, first.text[:500])
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                answer = client.get(url_path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200
            results.append((page, label, statistics.median(times), max(times), len(answer.content)))
    client.close()
    app.state.db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 ratings instead of 1,000,000")
    parser.add_argument("--rows", type=int, default=None, help="number of ratings (overrides --quick)")
    parser.add_argument("--url", default=None, help="an already seeded database (not dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 1_000_000)
    name = None
    url = args.url
    if url is None:
        name, url = create_database()
        print(f"seeding {n:,} ratings and {n:,} tickets into {name} …", flush=True)
        seeded = seed(url, n)
        print(f"  seeded in {seeded['total_s']:.1f} s", flush=True)
    try:
        results = measure(url, args.runs)
    finally:
        if name and not args.keep:
            drop_database(name)
        elif name:
            print(f"kept database {url}")
    print()
    print(f"{'page':<22} {'filter':<19} {'median ms':>10} {'max ms':>8} {'KB':>6} {'target':>10}")
    ok = True
    for page, label, median, slowest, size in results:
        passed = median <= TARGET_MS
        if n >= 1_000_000 or args.url:
            ok &= passed
        print(f"{page:<22} {label:<19} {median:>10.0f} {slowest:>8.0f} {size / 1024:>6.0f} "
              f"{'≤500 ' + ('OK' if passed else 'MISS'):>10}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other work on the machine inflates the times)")
    if n < 1_000_000 and not args.url:
        print("(quick run: run without --quick for the 1,000,000-rating figures)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
