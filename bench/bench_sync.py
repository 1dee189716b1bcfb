"""Benchmark: how fast a device's backlog drains to the central server over loopback.

An office cut off for days comes back online with a large backlog. This starts the real
central server (``sync-server run``, its own process, fresh SQLite database unless
``--database-url`` says otherwise), enrolls a device with a one-time code, puts N pending
rating records in the device's outbox and times ``Uploader.drain()`` until the outbox is
empty, then checks the server holds exactly those N records. DESIGN.md §5 target:
100,000 records in ≤ 60 s.

The backlog is written segment by segment (one TinyDB write per 200 records, the outbox's
own file layout — see sync/outbox.py) instead of 100,000 single fsynced appends, which would
take ~20 minutes on this disk and measure the outbox, not the sync. The bench reopens it
with ``Outbox`` and checks the count before timing, so a layout change fails loudly.

    python bench/bench_sync.py                    # 100,000 records
    python bench/bench_sync.py --quick            # 5,000 records
    python bench/bench_sync.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from tinydb import TinyDB  # noqa: E402

from sync import outbox as outbox_module  # noqa: E402
from sync import records  # noqa: E402
from sync.enrollment import enroll  # noqa: E402
from sync.outbox import Outbox  # noqa: E402
from sync.store import AtomicJSONStorage, write_atomically  # noqa: E402
from sync.uploader import Uploader  # noqa: E402

OFFICE = "phuong-ben-thanh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_backlog(outbox_dir: Path, count: int) -> list[str]:
    """Write ``count`` pending ratings in the outbox's segment layout; return their ids."""
    outbox_dir.mkdir(parents=True)
    device_id = str(uuid.uuid4())
    ids = []
    size = outbox_module.SEGMENT_SIZE
    now = time.time()
    for number, start in enumerate(range(0, count, size), start=1):
        docs = []
        for seq in range(start + 1, min(count, start + size) + 1):
            record = records.new_rating(office_id=OFFICE, device_id=device_id, seq=seq, counter_id=1 + seq % 4,
                                        score=1 + seq % 3, scale=3, satisfied=seq % 3 != 0, lang="vi",
                                        clerk_id="nguyen-van-an", service_id="ho-tich", ticket_number=1000 + seq % 999,
                                        reasons=["cho-lau"] if seq % 3 == 0 else [],
                                        comment="Chờ hơi lâu" if seq % 3 == 0 else None)
            ids.append(record["id"])
            docs.append({"record": record, "acked": False, "t": now})
        db = TinyDB(outbox_dir / f"seg-{number:08d}.json", storage=AtomicJSONStorage)
        db.table(outbox_module._TABLE, cache_size=0).insert_multiple(docs)
        db.close()
    write_atomically(outbox_dir / "device.json", json.dumps({"device_id": device_id, "last_seq": count}).encode())
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 records instead of 100,000")
    parser.add_argument("--records", type=int, default=None, help="backlog size (overrides --quick)")
    parser.add_argument("--batch-size", type=int, default=None, help="records per batch (default: config's 200)")
    parser.add_argument("--database-url", default=None, help="server database (default: fresh SQLite file)")
    args = parser.parse_args()
    count = args.records or (5_000 if args.quick else 100_000)

    work = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=ROOT / "build" if (ROOT / "build").is_dir() else None))
    server = None
    try:
        config = work / "config.yaml"
        config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        from sync.config import load_config

        cfg = load_config(config)
        batch_size = args.batch_size or cfg.sync.batch_size
        db_args = ["--database-url", args.database_url] if args.database_url else []
        base = [sys.executable, "-m", "sync.server.cli", "--config", str(config), *db_args]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        subprocess.run([*base, "import-office", str(config)], check=True, env=env, cwd=ROOT, capture_output=True)
        out = subprocess.run([*base, "enroll-device", "--office", OFFICE, "--kind", "kiosk", "--name", "bench"],
                             check=True, env=env, cwd=ROOT, capture_output=True, text=True).stdout
        code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b", out).group(1)
        port = _free_port()
        server = subprocess.Popen([*base, "run", "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"the central server did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)

        device_dir = work / "device"
        creds = enroll(url, code, device_dir)
        started = time.perf_counter()
        ids = build_backlog(device_dir / "outbox", count)
        built_s = time.perf_counter() - started
        with Outbox(device_dir / "outbox") as outbox:
            if len(outbox) != count:
                raise SystemExit(f"backlog check failed: the outbox sees {len(outbox)} of {count} records")
            uploader = Uploader(outbox, server_url=url, token=creds.token, device_dir=device_dir,
                                batch_size=batch_size)
            started = time.perf_counter()
            device_cpu, server_cpu = _own_cpu_s(), _process_cpu_s(server.pid)
            rounds = uploader.drain(max_wait_s=60)
            drain_s = time.perf_counter() - started
            device_cpu, server_cpu = _own_cpu_s() - device_cpu, _process_cpu_s(server.pid) - server_cpu
            left = len(outbox)
        failures = [r for r in rounds if not r.ok]
        accepted = sum(r.accepted for r in rounds if r.ok)
        duplicate = sum(r.duplicate for r in rounds if r.ok)
        stored = _stored_ids(cfg, args.database_url)
        exact = sorted(stored) == sorted(ids)
        print(f"Backlog drain over loopback (central server: {'PostgreSQL' if args.database_url else 'SQLite'}, "
              f"batches of {batch_size})")
        print(f"{'records':>9} | {'drain s':>8} | {'records/s':>9} | {'batches':>7} | {'retries':>7} | "
              f"{'accepted':>8} | {'dup':>5} | {'left':>5} | {'server exact':>12} | {'target':>8}")
        print(f"{count:>9,} | {drain_s:>8.1f} | {count / drain_s:>9,.0f} | {len(rounds):>7} | {len(failures):>7} | "
              f"{accepted:>8,} | {duplicate:>5} | {left:>5} | {'yes' if exact else 'NO':>12} | "
              f"{'≤ 60 s' if count == 100_000 else '—':>8}")
        print(f"CPU during the drain: device {device_cpu:.1f} s, server {server_cpu:.1f} s; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows both)")
        print(f"(building the backlog took {built_s:.1f} s and is not part of the drain time)")
        if failures:
            print(f"retried after: {failures[-1].error}")
        return 0 if exact and not left else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _own_cpu_s() -> float:
    usage = os.times()
    return usage.user + usage.system


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc), including its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stored_ids(cfg, database_url: str | None) -> list[str]:
    from sqlalchemy import text

    from sync.server.db import Database

    db = Database(database_url or cfg.database_url)
    try:
        with db.engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT id FROM ratings"))]
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
