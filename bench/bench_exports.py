"""Benchmark: rating exports of 1,000,000 ratings from PostgreSQL — CSV and XLSX time and peak memory.

Creates a fresh PostgreSQL database ``thuocdo_bench_<random>`` (dropped afterwards unless
``--keep``), registers 10 offices, and generates ratings (and as many tickets) spread over a
year inside PostgreSQL (``INSERT … SELECT … generate_series``) — directly, not through the ingest API, which has its own benchmark. Then it
runs ``export_to_file`` (the code behind ``sync-server export`` and ``GET
/api/v1/exports/ratings``) in a fresh child process per export and reports wall time, rows/s
and the child's peak RSS. A one-day export is measured too: its peak RSS next to the full
export's shows memory stays flat whatever the size. DESIGN.md §5 targets: CSV ≤ 20 s,
XLSX ≤ 120 s for 1,000,000 ratings; issue 14: CSV of 10,000,000 ratings at ≥ 100,000 rows/s
with flat memory.

    python bench/bench_exports.py            # 1,000,000 ratings
    python bench/bench_exports.py --quick    # 20,000 ratings, to check it works
    python bench/bench_exports.py --keep     # keep the seeded database; then --reuse URL
    python bench/bench_exports.py --rows 10000000 --formats csv --no-tickets   # province scale, CSV
    python bench/bench_exports.py --reuse URL --replica-url URL2   # read from a streaming replica

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); ``THUOCDO_BENCH_PG`` overrides the
admin URL. ``bench_dashboard.py`` reuses ``seed`` from here.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg

PG_ADMIN = os.environ.get("THUOCDO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
OFFICES = 10
YEAR = 2025
FROM, TO = f"{YEAR}-01-01", f"{YEAR}-12-31"
TARGETS = {"csv": 20.0, "xlsx": 120.0}  # seconds for 1,000,000 ratings
CSV_AT_SCALE_ROWS_S = 100_000  # rows/s for 10,000,000 ratings


def create_database() -> tuple[str, str]:
    name = f"thuocdo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    return name, f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def office_ids() -> list[str]:
    return [f"bench-{i:02d}" for i in range(1, OFFICES + 1)]


def seed(url: str, n: int, tickets: bool = True) -> dict:
    """Migrate the database at ``url``, register ``OFFICES`` offices from the demo config and
    generate ``n`` ratings (and ``n`` tickets) in it with ``generate_series``; returns timings."""
    from sync.config import load_config
    from sync.server.db import Database
    from sync.server.models import Device
    from sync.server.offices import import_office
    from sync.server.partitions import ensure_partitions

    db = Database(url)
    db.migrate()
    with db.engine.begin() as conn:  # the seeded year's month partitions, as a server running then made them
        ensure_partitions(conn, date(YEAR, 1, 1), date(YEAR, 12, 1))
    template = (ROOT / "config.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp, db.begin() as s:
        for i, office in enumerate(office_ids(), start=1):
            text = template.replace("id: phuong-ben-thanh", f"id: {office}").replace(
                "UBND phường Bến Thành", f"UBND phường số {i}")
            text = text.replace("catalog: assets/catalog/tthc.json", f"catalog: {ROOT / 'assets/catalog/tthc.json'}")
            path = Path(tmp) / f"{office}.yaml"
            path.write_text(text, encoding="utf-8")
            import_office(s, load_config(path))
            for kind in ("tablet", "hub"):
                s.add(Device(id=f"{kind}-{office}", office_id=office, kind=kind, name=f"{kind} {office}",
                             token_hash=uuid.uuid4().hex + uuid.uuid4().hex, enrolled_at=datetime.now(UTC),
                             last_seen_at=datetime.now(UTC), pending=0, app_version="0.1.0",
                             clock_skew_s=0.4))
    db.dispose()
    raw = url.replace("postgresql+psycopg://", "postgresql://", 1)
    started = time.perf_counter()
    with psycopg.connect(raw) as conn:
        conn.execute("SELECT setseed(0.2025)")
        conn.execute(_RATINGS_SQL, {"n": n, "year_start": f"{YEAR}-01-01 07:30:00+07"})
        # the id table that makes uploads idempotent (models: rating_ids), as ingest fills it
        conn.execute("INSERT INTO rating_ids (id, local_date, content_hash) SELECT id, local_date, repeat('0', 64) "
                     "FROM ratings")
        conn.commit()
        rated_s = time.perf_counter() - started
        if tickets:
            conn.execute(_TICKETS_SQL, {"n": n, "year_start": f"{YEAR}-01-01 07:30:00+07"})
            conn.commit()
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ratings")
        conn.execute("VACUUM ANALYZE tickets")
    return {"ratings_s": rated_s, "total_s": time.perf_counter() - started}


# Rows made in the database by generate_series (a million a few seconds), spread over the
# year in order within office hours, ten offices in turn, four counters, ~52 % "Rất hài lòng",
# 26 % "Hài lòng", 12 % "Không hài lòng", 8 % not rated, 2 % misuse, reasons on low scores,
# comments (one a formula, escaped in exports) on ~5 %.
_RATINGS_SQL = """
INSERT INTO ratings (id, office_id, device_id, source_device_id, seq, created_at, local_date, local_hour,
                     counter_id, clerk_id, ticket_id, ticket_number, service_id, score, scale, satisfied,
                     reasons, comment, misuse, lang, channel, received_at)
SELECT md5('r' || i)::uuid::text, office, 'tablet-' || office, 'tablet-local', i, moment,
       (moment AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
       extract(hour FROM moment AT TIME ZONE 'Asia/Ho_Chi_Minh')::int,
       counter, CASE WHEN c < 0.03 THEN NULL
                     ELSE (ARRAY['nguyen-van-an', 'tran-thi-binh', 'le-hoang-cuong', NULL])[counter] END,
       NULL, 1000 + i %% 999,
       (ARRAY[ARRAY['ho-tich', 'ho-tich'], ARRAY['ho-tich', 'chung-thuc'],
              ARRAY['lao-dong-xa-hoi', 'van-hoa-giao-duc'], ARRAY['dat-dai-xay-dung', 'kinh-te']])
           [counter][1 + (s < 0.5)::int],
       score, 3, score >= 2,
       CASE WHEN score = 1 THEN (ARRAY['["cho-lau"]', '["thai-do"]', '["huong-dan", "di-lai"]', '["khac"]',
                                       '["cho-lau", "giai-quyet"]'])[1 + i %% 5] ELSE '[]' END,
       CASE WHEN score IS NOT NULL AND t < 0.05
            THEN (ARRAY['Cán bộ nhiệt tình, hướng dẫn rõ ràng', 'Chờ hơi lâu', '=1+1 thử công thức',
                        'Phòng chờ nóng, cần thêm quạt', 'Rất hài lòng với thái độ phục vụ'])[1 + i %% 5] END,
       roll < 0.02, 'vi', 'tablet', now()
FROM (SELECT i, 'bench-' || lpad((1 + i %% 10)::text, 2, '0') AS office, 1 + (i / 10) %% 4 AS counter,
             %(year_start)s::timestamptz + make_interval(days => (i::bigint * 365 / %(n)s)::int)
                 + make_interval(secs => floor(random() * 9 * 3600)) AS moment,
             random() AS c, random() AS s, random() AS t, roll,
             CASE WHEN roll >= 0.02 AND roll < 0.10 THEN NULL WHEN roll < 0.62 THEN 3
                  WHEN roll < 0.88 THEN 2 ELSE 1 END AS score
      FROM (SELECT i, random() AS roll FROM generate_series(0, %(n)s - 1) AS i) AS g) AS rows
"""

_TICKETS_SQL = """
INSERT INTO tickets (ticket_id, office_id, version, number, service_id, priority, status, issued_at, called_at,
                     served_at, finished_at, counter_id, clerk_id, transfers, recalls, wait_s, service_s,
                     local_date, local_hour, received_at)
SELECT md5('t' || i)::uuid::text, 'bench-' || lpad((1 + i %% 10)::text, 2, '0'), 3, 1000 + i %% 999,
       (ARRAY['ho-tich', 'chung-thuc', 'lao-dong-xa-hoi', 'dat-dai-xay-dung', 'kinh-te', 'van-hoa-giao-duc'])
           [1 + i %% 6],
       false, status, issued, issued + make_interval(secs => wait),
       CASE WHEN service IS NOT NULL THEN issued + make_interval(secs => wait + 20) END,
       CASE WHEN service IS NOT NULL THEN issued + make_interval(secs => wait + 20 + service) END,
       1 + i %% 4, 'nguyen-van-an', 0, 0, wait, service,
       (issued AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, extract(hour FROM issued AT TIME ZONE 'Asia/Ho_Chi_Minh')::int,
       now()
FROM (SELECT i, status, issued, -ln(1 - random()) * 900 AS wait,
             CASE WHEN status = 'finished' THEN -ln(1 - random()) * 600 + 60 END AS service
      FROM (SELECT i, CASE WHEN roll < 0.85 THEN 'finished' WHEN roll < 0.95 THEN 'no_show' ELSE 'transferred' END
                       AS status,
                   %(year_start)s::timestamptz + make_interval(days => (i::bigint * 365 / %(n)s)::int)
                       + make_interval(secs => floor(random() * 9 * 3600)) AS issued
            FROM (SELECT i, random() AS roll FROM generate_series(0, %(n)s - 1) AS i) AS g) AS t) AS rows
"""


def _child(args) -> int:
    """One export in this (fresh) process; prints its figures as JSON."""
    from sync.server.db import Database
    from sync.server.exports import ExportRequest, export_to_file

    db = Database(args.url, replica_url=args.replica_url or "")
    req = ExportRequest(args.format, date.fromisoformat(args.date_from), date.fromisoformat(args.date_to))
    started = time.perf_counter()
    source = db.reads.answering()
    rows = export_to_file(db.engine, req, args.out, "bench", reader=source.engine)
    elapsed = time.perf_counter() - started
    db.dispose()
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "bytes": os.path.getsize(args.out), "source": source.role}))
    return 0


def run_export(url: str, fmt: str, date_from: str, date_to: str, out: str, replica_url: str | None = None) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", "--url", url, "--format", fmt, "--from", date_from,
                             "--to", date_to, "--out", out, *(["--replica-url", replica_url] if replica_url else [])],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 ratings instead of 1,000,000")
    parser.add_argument("--rows", type=int, default=None, help="number of ratings (overrides --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", metavar="URL", default=None,
                        help="export from a database seeded earlier with --keep (not dropped)")
    parser.add_argument("--formats", default="csv,xlsx", help="formats to export, e.g. csv (default csv,xlsx)")
    parser.add_argument("--no-tickets", action="store_true", help="seed ratings only (exports read only ratings)")
    parser.add_argument("--replica-url", metavar="URL", default=None,
                        help="read the exports from this streaming replica of the database (server.replica_url)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--from", dest="date_from", help=argparse.SUPPRESS)
    parser.add_argument("--to", dest="date_to", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    n = args.rows or (20_000 if args.quick else 1_000_000)
    name, url = (None, args.reuse) if args.reuse else create_database()
    try:
        if name:
            what = f"{n:,} ratings" + ("" if args.no_tickets else f" and {n:,} tickets")
            print(f"seeding {what} into PostgreSQL database {name} …", flush=True)
            seeded = seed(url, n, tickets=not args.no_tickets)
            print(f"  ratings generated: {seeded['ratings_s']:.1f} s ({n / seeded['ratings_s']:,.0f} rows/s); "
                  f"with tickets and VACUUM ANALYZE: {seeded['total_s']:.1f} s", flush=True)
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in args.formats.split(","):
                for label, d_from, d_to in (("one day", "2025-06-02", "2025-06-02"), ("whole year", FROM, TO)):
                    out = os.path.join(tmp, f"export.{fmt}")
                    r = run_export(url, fmt, d_from, d_to, out, args.replica_url)
                    target = TARGETS[fmt] if label == "whole year" else None
                    rows.append((fmt.upper(), label, r, target))
                    print(f"  {fmt} {label}: {r['rows']:,} rows in {r['seconds']:.2f} s", flush=True)
        print()
        print(f"{'export':<6} {'range':<11} {'rows':>10} {'time s':>8} {'rows/s':>9} {'peak RSS MB':>12} "
              f"{'file MB':>8} {'read from':>9} {'target':>12}")
        ok = True
        for fmt, label, r, target in rows:
            verdict = ""
            if target is not None and fmt == "CSV" and r["rows"] >= 10_000_000:
                passed = r["rows"] / r["seconds"] >= CSV_AT_SCALE_ROWS_S
                ok &= passed
                verdict = f"≥100k/s {'OK' if passed else 'MISS'}"
            elif target is not None and r["rows"] >= 1_000_000:
                passed = r["seconds"] <= target
                ok &= passed
                verdict = f"≤{target:.0f} s {'OK' if passed else 'MISS'}"
            elif target is not None:
                verdict = "(1M only)"
            print(f"{fmt:<6} {label:<11} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows'] / max(r['seconds'], 1e-9):>9,.0f} "
                  f"{r['peak_rss_mb']:>12.0f} {r['bytes'] / 1e6:>8.1f} {r['source']:>9} {verdict:>12}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
              "(other work on the machine inflates the times)")
        if n < 1_000_000:
            print("(quick run: the targets apply to 1,000,000 rows; run without --quick for those figures)")
        return 0 if ok else 1
    finally:
        if args.keep and name:
            print(f"kept database {url}")
        elif name:
            drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
