"""Benchmark: central server ingest — records stored per second into PostgreSQL over HTTP.

Starts the real server (``sync-server run`` under uvicorn) against a fresh PostgreSQL database
``thuocdo_bench_<random>`` (dropped afterwards), enrolls one device per client, and lets
several client processes POST batches of 500 records at once, about 10 % of each batch being
records already sent (as after a lost reply). The summary tables are kept at ingest, in the
same transaction. ``--kind ratings`` (default): each client is the rating tablet of one
counter of a busy ward (four counters, ~1,100 ratings a day together), recording a rating every
60–130 s of office hours on weekdays from July 2025 and uploading them in order, as tablets do;
7 % are unhappy, and one day in five has a spell of 40 minutes where most are, so the burst rule
finds bursts as it would in an office. ``--kind tickets``: ticket snapshots, each ticket sent as versions 1 (waiting), 2
(called) and 3 (finished) in consecutive batches, so most snapshots move a ticket's times
between summary buckets. Before the clock starts, each client sends ``--warmup`` batches and
the tables are analysed, as autovacuum keeps them on a server that has been running (a
database timed from empty is planned on the statistics of empty tables); ``--warmup 0``
times the cold start. Reports new records stored per second and batch latency, and checks
the database holds each record exactly once. Target (issue 14): ≥ 10,000 new ratings/s with
``--workers 2``, tickets likewise.

    python bench/bench_ingest.py                   # 4 clients x 30 batches x 500 ratings, 2 server workers
    python bench/bench_ingest.py --kind tickets    # the same with ticket snapshots
    python bench/bench_ingest.py --quick           # 2 clients x 4 batches, to check it works
    python bench/bench_ingest.py --rounds 5        # five runs and their median (the machine's speed varies)

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); ``THUOCDO_BENCH_PG`` overrides the
admin URL.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg
import requests

from sync import records

PG_ADMIN = os.environ.get("THUOCDO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 500
DUPLICATE_SHARE = 0.10
TARGET = 10000.0
# Clients start this far apart, as devices never connect at the same instant: connections that
# arrive together are all taken by whichever server process wakes first (asyncio accepts many
# per wake-up), and the other process then idles (seen: 4 connections to one process, 0 to the other).
CLIENT_STAGGER_S = 0.1


CLERKS = ("nguyen-van-an", "tran-thi-binh", "le-hoang-cuong", "pham-thu-dung")
OFFICE_PERIODS = ((7 * 3600 + 1800, 11 * 3600 + 1800), (13 * 3600 + 1800, 17 * 3600))  # seconds after midnight
FIRST_DAY = date(2025, 7, 1)
OFFICE_ZONE = timezone(timedelta(hours=7))


def _rating_times(rng: random.Random):
    """When one tablet records its ratings: one every 60–130 s of office hours, weekdays from 1 July 2025."""
    day = FIRST_DAY
    while True:
        if day.isoweekday() <= 5:
            midnight = datetime.combine(day, time_of_day(0), OFFICE_ZONE)
            for start, end in OFFICE_PERIODS:
                at = start + rng.randint(0, 60)
                while at < end:
                    yield midnight + timedelta(seconds=at)
                    at += rng.randint(60, 130)
        day += timedelta(days=1)


def _rating(device: str, client: int, seq: int, at: datetime, rng: random.Random) -> dict:
    """A rating as a counter's tablet records it: 7 % unhappy, one in seven of those with a comment
    (a severe case); on one day in five, 10:00–10:40, 60 % unhappy (a burst for the alert rule)."""
    bad_spell = at.day % 5 == 2 and time_of_day(10) <= at.time() < time_of_day(10, 40)
    draw = rng.random()
    score = 1 if draw < (0.6 if bad_spell else 0.07) else 2 if draw < 0.3 else 3
    return records.new_rating(
        office_id="phuong-ben-thanh", device_id=device, seq=seq, counter_id=1 + client % 4,
        score=score, scale=3, satisfied=score >= 2, lang="vi", clerk_id=CLERKS[client % 4],
        ticket_id=str(uuid.uuid4()), ticket_number=1000 + seq % 999, service_id="ho-tich",
        reasons=["cho-lau"] if score == 1 else [],
        comment="Chờ lâu quá" if score == 1 and rng.random() < 1 / 7 else None, created_at=at.isoformat())


def _tickets(device: str, first_seq: int, count: int) -> list[list[dict]]:
    """``count`` tickets as three lists of snapshots: versions 1, 2 and 3."""
    versions: list[list[dict]] = [[], [], []]
    services = ["ho-tich", "chung-thuc", "lao-dong-xa-hoi"]
    for i in range(count):
        seq = first_seq + 3 * i
        day, hour, minute = 1 + seq % 28, 7 + seq % 9, seq % 40
        issued = f"2025-07-{day:02d}T{hour:02d}:{minute:02d}:00+07:00"
        called = f"2025-07-{day:02d}T{hour:02d}:{minute + 5 + seq % 15:02d}:00+07:00"
        finished = f"2025-07-{day:02d}T{hour + 1:02d}:{seq % 50:02d}:00+07:00"
        ticket_id = str(uuid.uuid4())
        common = {"office_id": "phuong-ben-thanh", "device_id": device, "ticket_id": ticket_id, "number": 1000 + i % 999,
                  "service_id": services[seq % 3], "priority": False, "issued_at": issued}
        versions[0].append(records.new_ticket(**common, seq=seq, version=1, status="waiting"))
        versions[1].append(records.new_ticket(**common, seq=seq + 1, version=2, status="called", called_at=called,
                                              counter_id=1))
        versions[2].append(records.new_ticket(**common, seq=seq + 2, version=3, status="finished", called_at=called,
                                              served_at=called, finished_at=finished, counter_id=1))
    return versions


def make_bodies(client: int, batches: int, kind: str = "ratings") -> tuple[list[bytes], int]:
    """Pre-built JSON bodies (so the client's own CPU stays out of the measurement); each
    batch after the first repeats ~10 % of the previous batch's records."""
    bodies, unique, previous, seq = [], 0, [], 0
    device = f"bench-{kind}-{client}"
    repeat = int(BATCH * DUPLICATE_SHARE)
    waiting: list[list[dict]] = []  # ticket snapshots of later versions, sent in the next batches
    rng = random.Random(client)
    times = _rating_times(rng)
    for number in range(batches):
        fresh_count = BATCH - (repeat if previous else 0)
        if kind == "ratings":
            fresh = []
            for _ in range(fresh_count):
                seq += 1
                fresh.append(_rating(device, client, seq, next(times), rng))
        else:
            fresh = []
            while waiting and len(fresh) + len(waiting[0]) <= fresh_count:
                fresh += waiting.pop(0)
            count = max(0, fresh_count - len(fresh))
            v1, v2, v3 = _tickets(device, seq + 1, count)
            seq += 3 * count
            fresh += v1
            waiting += [v2, v3]
        batch = fresh + previous[:repeat] if previous else fresh
        unique += len(fresh)
        previous = fresh
        bodies.append(json.dumps({"batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(),
                                  "records": batch, "pending": (batches - number) * BATCH,
                                  "app_version": "bench"}).encode())
    return bodies, unique


def client_run(args) -> dict:
    base, token, bodies, start_at = args
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    latencies = []
    while time.time() < start_at:
        time.sleep(0.001)
    cpu0 = time.process_time()
    for body in bodies:
        t0 = time.perf_counter()
        answer = session.post(f"{base}/api/v1/batches", data=body, headers=headers, timeout=120)
        latencies.append(time.perf_counter() - t0)
        if answer.status_code == 429:
            raise SystemExit(f"rate limited: {answer.text}")
        answer.raise_for_status()
        for result in answer.json()["results"]:
            counts[result["status"]] += 1
    return {"counts": counts, "latencies": latencies, "finished": time.time(), "cpu": time.process_time() - cpu0}


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(name: str) -> dict[int, float]:
    """CPU time used so far by each PostgreSQL backend connected to database ``name``."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        backends = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    return {pid: cpu_seconds(pid) for pid in backends if Path(f"/proc/{pid}").exists()}


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, over all cores (Linux /proc/stat)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / tick, (idle + iowait) / tick


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants still running (the server's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
        except OSError:
            continue
        todo.extend(children.get(current, []))
    return total


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sync.server.cli", "--config", str(ROOT / "config.yaml"),
                             "--database-url", database_url, "run", "--port", "0", "--workers", str(workers),
                             "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    for line in proc.stdout:
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            # With several workers the socket listens only once a worker has started.
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if requests.get(f"{found.group(1)}/healthz", timeout=2).status_code == 200:
                        return proc, found.group(1)
                except requests.ConnectionError:
                    time.sleep(0.2)
            break
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--batches", type=int, default=None, help="batches per client")
    parser.add_argument("--workers", type=int, default=2, help="server processes (sync-server run --workers)")
    parser.add_argument("--kind", choices=["ratings", "tickets"], default="ratings", help="what the devices upload")
    parser.add_argument("--warmup", type=int, default=2, help="batches per client sent before timing (then ANALYZE)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="independent runs, each on a fresh database; the target is judged on their median")
    opts = parser.parse_args()
    clients = opts.clients or (2 if opts.quick else 4)
    batches = opts.batches or (4 if opts.quick else 30)
    results = [one_round(opts, clients, batches) for _ in range(max(1, opts.rounds))]
    rates = [rate for rate, _ in results]
    if len(rates) > 1:
        median = statistics.median(rates)
        print(f"\n{len(rates)} rounds: {', '.join(f'{r:,.0f}' for r in rates)} new {opts.kind}/s; median {median:,.0f}"
              f" — target (issue 14) ≥ {TARGET:,.0f}/s: {'met' if median >= TARGET else 'NOT met'} on the median")
    return 0 if all(ok for _, ok in results) else 1


def one_round(opts, clients: int, batches: int) -> tuple[float, bool]:
    """One measurement on a fresh database: prints its table; (new records per second, stored exactly once)."""
    from sync.config import load_config
    from sync.server.db import Database
    from sync.server.devices import create_enrollment_code
    from sync.server.offices import import_office

    name = f"thuocdo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    proc = None
    try:
        db = Database(url)
        db.migrate()
        with db.begin() as s:
            import_office(s, load_config(ROOT / "config.yaml"))
            codes = [create_enrollment_code(s, "phuong-ben-thanh", "tablet", f"bench {i}")[0] for i in range(clients)]
        print(f"preparing {clients} x {batches} batches of {BATCH} {opts.kind} …", flush=True)
        with multiprocessing.Pool(clients) as pool:
            prepared = pool.starmap(make_bodies, [(i, opts.warmup + batches, opts.kind) for i in range(clients)])
        proc, base = start_server(url, opts.workers)
        tokens = [requests.post(f"{base}/api/v1/devices/enroll", json={"code": c}, timeout=10).json()["token"]
                  for c in codes]
        warm = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for i in range(clients):
            for key, value in client_run((base, tokens[i], prepared[i][0][:opts.warmup], 0))["counts"].items():
                warm[key] += value
        if opts.warmup:
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute("ANALYZE")
        with multiprocessing.Pool(clients) as pool:
            pool.map(abs, range(clients))  # the client processes started before the clock does
            start_at = time.time() + 0.5
            running = pool.map_async(client_run, [(base, tokens[i], prepared[i][0][opts.warmup:],
                                                   start_at + i * CLIENT_STAGGER_S)
                                                  for i in range(clients)])
            time.sleep(max(0.0, start_at - time.time()))
            server_cpu0 = tree_cpu_seconds(proc.pid)
            pg_cpu0 = database_cpu_seconds(name)
            machine0 = machine_cpu_seconds()
            outcomes = running.get()
        elapsed = max(o["finished"] for o in outcomes) - start_at
        server_cpu = tree_cpu_seconds(proc.pid) - server_cpu0
        machine = [b - a for a, b in zip(machine0, machine_cpu_seconds(), strict=True)]
        pg_cpu = sum(cpu - pg_cpu0.get(pid, 0.0) for pid, cpu in database_cpu_seconds(name).items())
        with db.session() as s:
            from sqlalchemy import func, select

            from sync.server.models import Rating, TicketRecord

            stored = s.scalar(select(func.count()).select_from(Rating if opts.kind == "ratings" else TicketRecord))
        db.dispose()
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    unique = sum(p[1] for p in prepared)
    sent = clients * batches * BATCH
    counts = {k: sum(o["counts"][k] for o in outcomes) for k in ("accepted", "duplicate", "rejected")}
    latencies = sorted(x for o in outcomes for x in o["latencies"])
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    rate = counts["accepted"] / elapsed
    client_cpu = sum(o["cpu"] for o in outcomes)
    cores = os.cpu_count() or 1
    per_k = {"server": server_cpu, "postgres": pg_cpu, "clients": client_cpu}
    ours = server_cpu + pg_cpu + client_cpu
    # Each server process runs its Python work on one core at a time, so an idle machine would
    # be bound by the smaller of: all CPU shared over the cores, or the server's own processes.
    projected = min(counts["accepted"] / (ours / cores),
                    counts["accepted"] / server_cpu * min(opts.workers, cores))
    rows = [
        ("clients (processes, one device each)", f"{clients}"),
        ("server processes (run --workers)", f"{opts.workers}"),
        ("warm-up before timing", f"{clients * opts.warmup} batches, then ANALYZE" if opts.warmup else "none (cold)"),
        ("batches x records", f"{clients * batches} x {BATCH}"),
        ("records sent", f"{sent:,}"),
        ("accepted / duplicate / rejected", f"{counts['accepted']:,} / {counts['duplicate']:,} / {counts['rejected']:,}"),
        (f"{opts.kind} records in the database", f"{stored:,} (expected {unique:,})"),
        ("wall time", f"{elapsed:.2f} s"),
        ("records processed", f"{sent / elapsed:,.0f} records/s"),
        (f"new {opts.kind} stored", f"{rate:,.0f} {opts.kind}/s (summaries kept at ingest)"),
        ("batch latency p50 / p95", f"{statistics.median(latencies) * 1000:.0f} / {p95 * 1000:.0f} ms"),
        ("target (issue 14)", f"≥ {TARGET:,.0f} {opts.kind}/s: {'met' if rate >= TARGET else 'NOT met'}"),
        ("machine CPU busy during the run", (f"{machine[0] / sum(machine):.0%} of {cores} cores "
                                             f"(this benchmark's processes: {ours / elapsed / cores:.0%})")),
        (f"CPU per 1,000 new {opts.kind}", ", ".join(f"{k} {v * 1000 / counts['accepted'] * 1000:.0f} ms"
                                               for k, v in per_k.items())),
        ("if the cores were ours alone", f"{projected:,.0f} {opts.kind}/s (estimated from the CPU time used)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nCentral ingest into PostgreSQL over HTTP ({os.cpu_count()} cores)")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    ok = stored == unique == counts["accepted"] + warm["accepted"] and counts["rejected"] + warm["rejected"] == 0
    if not ok:
        print(f"ERROR: the database does not hold each of the {opts.kind} exactly once")
    return rate, ok


if __name__ == "__main__":
    sys.exit(main())
