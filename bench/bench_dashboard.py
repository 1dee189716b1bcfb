"""Benchmark: dashboard pages and the monthly report over N ratings and N tickets (PostgreSQL).

Seeds a fresh PostgreSQL database with ``--offices`` offices (default 120) and a year of
ratings and tickets generated IN the database (``INSERT … SELECT … FROM generate_series``, no
Python per row), then rebuilds the summaries the way ``sync-server rebuild-summaries`` does and
times that (rows per second). Then starts the real app (``create_app``) in-process, signs in as
a province admin and requests every page through the HTTP stack (routing, auth, summary
queries, templates, SVG charts), for two filters: all offices for the whole year (the
worst case) and one office for one month (the everyday case); the monthly report is one office
and one month by definition. Prints the median and slowest of ``--runs`` requests after a warm-up.
Targets (issue 14): ≤ 300 ms all offices × year, ≤ 100 ms one office × month at 10M rows,
and at 100k rows no more than 2× faster (compare two runs).

    python bench/bench_dashboard.py --rows 10000000        # 10M ratings + 10M tickets
    python bench/bench_dashboard.py --rows 100000          # the same pages over 100k
    python bench/bench_dashboard.py --quick                # 20,000 rows, to check it works
    python bench/bench_dashboard.py --url URL              # reuse a database kept with --keep

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); ``THUOCDO_BENCH_PG`` overrides.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_exports import create_database, drop_database

YEAR = 2025
FROM, TO = f"{YEAR}-01-01", f"{YEAR}-12-31"
PAGES = ["/dashboard", "/dashboard/breakdown", "/dashboard/feedback", "/dashboard/tickets", "/dashboard/devices"]
TARGETS_MS = {"all offices, year": 300.0, "one office, month": 100.0}
PASSWORD = "bench-mat-khau-dai-2025"


def office_ids(count: int) -> list[str]:
    return [f"bench-{i:03d}" for i in range(1, count + 1)]


def register_offices(url: str, count: int) -> None:
    """Migrate, then register ``count`` offices shaped like the demo office, two devices each."""
    import uuid

    from sync.config import load_config
    from sync.server.db import Database
    from sync.server.models import Device
    from sync.server.offices import import_office
    from sync.server.partitions import ensure_partitions

    db = Database(url)
    db.migrate()
    # The month partitions a server running through the year would have created ahead.
    with db.engine.begin() as conn:
        ensure_partitions(conn, date(YEAR, 1, 1), date(YEAR, 12, 31))
    cfg = load_config(ROOT / "config.yaml")
    with db.begin() as s:
        for i, office in enumerate(office_ids(count), start=1):
            import_office(s, dataclasses.replace(cfg, office=dataclasses.replace(cfg.office, id=office,
                                                                                 name=f"UBND phường số {i}")))
            for kind in ("tablet", "hub"):
                s.add(Device(id=f"{kind}-{office}", office_id=office, kind=kind, name=f"{kind} {office}",
                             token_hash=uuid.uuid4().hex + uuid.uuid4().hex, enrolled_at=datetime.now(UTC),
                             last_seen_at=datetime.now(UTC), pending=0, app_version="0.1.0", clock_skew_s=0.4))
    db.dispose()


# Rows made by PostgreSQL itself: office i % offices, spread evenly over the year, office hours
# 07:30–16:30 local time; levels 3/2/1 at 52/26/12 %, 8 % unrated, 2 % misuse.
_RATINGS = """
INSERT INTO ratings (id, office_id, device_id, source_device_id, seq, created_at, local_date, local_hour, counter_id,
                     clerk_id, ticket_id, ticket_number, service_id, score, scale, satisfied, reasons, comment, misuse,
                     lang, received_at)
SELECT md5('r' || i)::uuid::text, o, 'tablet-' || o, 'tablet-local', i, local AT TIME ZONE 'Asia/Ho_Chi_Minh',
       local::date, extract(hour FROM local)::int, c,
       CASE WHEN r2 < 0.03 THEN NULL ELSE (ARRAY['nguyen-van-an', 'tran-thi-binh', 'le-hoang-cuong', 'pham-thu-dung'])[c] END,
       NULL, 1000 + i % 999,
       (ARRAY['ho-tich', 'chung-thuc', 'lao-dong-xa-hoi', 'dat-dai-xay-dung'])[c], score, 3, score >= 2,
       CASE WHEN score = 1 THEN (ARRAY['["cho-lau"]', '["thai-do"]', '["huong-dan", "di-lai"]', '["khac"]'])[1 + i % 4]
            ELSE '[]' END,
       CASE WHEN score IS NOT NULL AND r2 > 0.95 THEN 'Cán bộ nhiệt tình, hướng dẫn rõ ràng' END,
       r1 < 0.02, 'vi', now()
FROM (SELECT i, 'bench-' || lpad((1 + i % %(offices)s)::text, 3, '0') AS o, 1 + (i / %(offices)s) % 4 AS c, r1, r2,
             CASE WHEN r1 < 0.10 THEN NULL WHEN r1 < 0.62 THEN 3 WHEN r1 < 0.88 THEN 2 ELSE 1 END AS score,
             timestamp '2025-01-01 07:30' + (i::bigint * 365 / %(n)s) * interval '1 day' + (r2 * 32400) * interval '1 second'
               AS local
      FROM (SELECT i, random() AS r1, random() AS r2 FROM generate_series(0, %(n)s - 1) AS i) AS g) AS s
"""

_TICKETS = """
INSERT INTO tickets (ticket_id, office_id, version, number, service_id, priority, status, issued_at, called_at,
                     served_at, finished_at, counter_id, clerk_id, transfers, recalls, wait_s, service_s, local_date,
                     local_hour, received_at)
SELECT md5('t' || i)::uuid::text, o, 3, 1000 + i % 999, svc, false, status, issued, issued + wait * interval '1 second',
       CASE WHEN status = 'finished' THEN issued + (wait + 20) * interval '1 second' END,
       CASE WHEN status = 'finished' THEN issued + (wait + 20 + service) * interval '1 second' END,
       1 + i % 4, 'nguyen-van-an', 0, 0, wait, CASE WHEN status = 'finished' THEN service END,
       local::date, extract(hour FROM local)::int, now()
FROM (SELECT i, o, local, local AT TIME ZONE 'Asia/Ho_Chi_Minh' AS issued, svc,
             CASE WHEN r1 < 0.85 THEN 'finished' WHEN r1 < 0.95 THEN 'no_show' ELSE 'transferred' END AS status,
             -ln(1 - r2) * 900 AS wait, -ln(1 - r3) * 600 + 60 AS service
      FROM (SELECT i, 'bench-' || lpad((1 + i % %(offices)s)::text, 3, '0') AS o,
                   (ARRAY['ho-tich', 'chung-thuc', 'lao-dong-xa-hoi', 'dat-dai-xay-dung', 'kinh-te',
                          'van-hoa-giao-duc'])[1 + i % 6] AS svc,
                   timestamp '2025-01-01 07:30' + (i::bigint * 365 / %(n)s) * interval '1 day'
                     + (random() * 32400) * interval '1 second' AS local,
                   random() AS r1, random() AS r2, random() AS r3
            FROM generate_series(0, %(n)s - 1) AS i) AS g) AS s
"""


@contextlib.contextmanager
def without_indexes(conn, table: str):
    """Drop ``table``'s primary key and indexes for a bulk load, and build them again after."""
    pk = conn.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                      "WHERE conrelid = %s::regclass AND contype = 'p'", (table,)).fetchall()
    indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                           "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", (table, table)).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for name, _ in pk:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for name, definition in pk:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        # a partitioned table's index reads "ON ONLY t": without ONLY it is built on every partition
        conn.execute(definition.replace(" ON ONLY ", " ON ", 1))


def seed(url: str, n: int, offices: int) -> dict:
    """Register the offices, generate ``n`` ratings and ``n`` tickets, rebuild the summaries."""
    register_offices(url, offices)
    raw = url.replace("postgresql+psycopg://", "postgresql://", 1)
    times = {}
    with psycopg.connect(raw) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        for table, sql in (("ratings", _RATINGS), ("tickets", _TICKETS)):
            # indexes are built once after the load (a sort) instead of row by row
            with without_indexes(conn, table):
                conn.execute(sql.replace("%(offices)s", str(offices)).replace("%(n)s", str(n)))
            conn.commit()
        times["raw_s"] = time.perf_counter() - started
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ratings")
        conn.execute("VACUUM ANALYZE tickets")
    times["rebuild_s"] = rebuild(url)
    return times


def rebuild(url: str) -> float:
    """``sync-server rebuild-summaries`` (the same function), timed."""
    from sync.server.db import Database
    from sync.server.summaries_cli import rebuild_database

    db = Database(url)
    started = time.perf_counter()
    rebuild_database(db)
    elapsed = time.perf_counter() - started
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("rating_counts", "rating_days", "rating_reasons", "ticket_counts", "ticket_times"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    db.dispose()
    return elapsed


def measure(url: str, runs: int, office: str) -> list[tuple[str, str, float, float, int]]:
    from fastapi.testclient import TestClient

    from sync.api.security import hash_password
    from sync.config import load_config
    from sync.server.app import create_app
    from sync.server.models import Admin

    app = create_app(load_config(ROOT / "config.yaml"), database_url=url)
    with app.state.db.begin() as s:
        if not s.query(Admin).filter_by(username="bench").first():
            s.add(Admin(username="bench", password_hash=hash_password(PASSWORD), role="province_admin",
                        failed_logins=0, created_at=datetime.now(UTC)))
    client = TestClient(app)
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    requests = [(page, "all offices, year", f"{page}?from={FROM}&to={TO}") for page in PAGES]
    requests += [(page, "one office, month", f"{page}?from=2025-06-01&to=2025-06-30&office_id={office}")
                 for page in PAGES]
    requests.append(("/dashboard/reports/monthly", "one office, month",
                     f"/dashboard/reports/monthly?office_id={office}&month=2025-06"))
    results = []
    for page, label, path in requests:
        first = client.get(path)
        assert first.status_code == 200, (path, first.text[:500])
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        results.append((page, label, statistics.median(times), max(times), len(answer.content)))
    client.close()
    app.state.db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 1,000,000")
    parser.add_argument("--rows", type=int, default=None, help="number of ratings and of tickets (overrides --quick)")
    parser.add_argument("--offices", type=int, default=120)
    parser.add_argument("--url", default=None, help="an already seeded database (not dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 1_000_000)
    name, url = None, args.url
    if url is None:
        name, url = create_database()
        print(f"seeding {n:,} ratings and {n:,} tickets over {args.offices} offices into {name} …", flush=True)
        seeded = seed(url, n, args.offices)
        print(f"  raw rows generated in {seeded['raw_s']:.1f} s; summaries rebuilt in {seeded['rebuild_s']:.1f} s "
              f"= {2 * n / seeded['rebuild_s']:,.0f} rows/s (target ≥ 200,000)", flush=True)
    try:
        results = measure(url, args.runs, office_ids(args.offices)[0])
    finally:
        if name and not args.keep:
            drop_database(name)
        elif name:
            print(f"kept database {url}")
    print()
    print(f"{'page':<28} {'filter':<19} {'median ms':>10} {'max ms':>8} {'KB':>6} {'target':>10}")
    for page, label, median, slowest, size in results:
        target = TARGETS_MS[label]
        print(f"{page:<28} {label:<19} {median:>10.1f} {slowest:>8.1f} {size / 1024:>6.0f} "
              f"{f'≤{target:.0f} ' + ('OK' if median <= target else 'MISS'):>10}")
    if args.url is not None:  # a kept database: say what it holds, not the default
        with psycopg.connect(args.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            n_ratings, n_tickets = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("ratings", "tickets"))
    else:
        n_ratings = n_tickets = n
    print(f"rows: {n_ratings:,} ratings + {n_tickets:,} tickets; load average during the run: {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs (other work on the machine inflates the times)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
