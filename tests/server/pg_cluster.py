"""Real PostgreSQL for the scale tests: a streaming replica of the machine's server, and a
``sync-server run`` process.

``StreamingReplica`` copies the running primary on 127.0.0.1:5432 with ``pg_basebackup -R``
(a hot standby that streams WAL from it) into a temporary folder and starts it with
``pg_ctl`` on a free port, as the ``postgres`` OS user (PostgreSQL refuses to run as root).
No mock: the test writes to the primary and reads what the standby replayed. The copy is of
the whole cluster (PostgreSQL cannot copy one database), so a large database someone left on
the machine makes it slower, never wrong.

What the primary needs for that: ``wal_level`` ``replica`` or ``logical`` and free WAL senders
(``max_wal_senders``) — both need a restart to change, so they are checked and reported, never
changed — and a ``pg_hba.conf`` line that lets ``postgres`` open a *replication* connection
from 127.0.0.1 (``all`` in pg_hba does not cover replication). That line needs only a reload:
``allow_replication`` appends it to the primary's own hba file when it is missing and the file
is writable (tests and CI run as root), then calls ``pg_reload_conf()``.

``needs_postgres()`` is the one rule for these tests: PostgreSQL is required on CI; elsewhere
they skip with the reason when it is absent.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("THUOCDO_PG_BIN", "/usr/lib/postgresql/15/bin"))
PRIMARY = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HBA_LINE = "host replication postgres 127.0.0.1/32 trust  # Thước Đo tests: streaming replica on this machine"


_STANDBY_LIMITS = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                   "max_locks_per_transaction")


def needs_postgres() -> None:
    """Skip (not on CI) or fail (on CI) when the machine's PostgreSQL does not answer."""
    try:
        with socket.create_connection((PRIMARY["host"], PRIMARY["port"]), timeout=1):
            return
    except OSError:
        pass
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI requires it)")
    pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sql(query: str):
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return conn.execute(query).fetchall()


def allow_replication() -> None:
    """Make sure the primary can feed a streaming replica on this machine (see module doc)."""
    problems = []
    wal_level = _sql("SHOW wal_level")[0][0]
    if wal_level not in ("replica", "logical"):
        problems.append(f"wal_level is {wal_level!r}: set it to 'replica' and restart PostgreSQL")
    senders = int(_sql("SHOW max_wal_senders")[0][0])
    used = _sql("SELECT count(*) FROM pg_stat_replication")[0][0]
    if senders - used < 1:
        problems.append(f"max_wal_senders is {senders} and all are in use: raise it and restart PostgreSQL")
    if problems:
        pytest.fail("the primary cannot feed a replica: " + "; ".join(problems))
    rules = _sql("SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
                 "AND error IS NULL AND type IN ('host', 'local')")[0][0]
    if rules:
        return
    hba = Path(_sql("SHOW hba_file")[0][0])
    if not os.access(hba, os.W_OK):
        pytest.fail(f"{hba} has no 'replication' line and is not writable here: add\n  {HBA_LINE}\n"
                    "then run SELECT pg_reload_conf()")
    with hba.open("a", encoding="utf-8") as f:
        f.write("\n" + HBA_LINE + "\n")
    _sql("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the postmaster reloads asynchronously


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``args`` as the postgres OS user (directly when we are not root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


class StreamingReplica:
    """A hot standby of the machine's PostgreSQL on its own port, for one test."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="thuocdo-replica-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.running = False

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> StreamingReplica:
        allow_replication()
        backup = _as_postgres([str(PG_BIN / "pg_basebackup"), "-h", PRIMARY["host"], "-p", str(PRIMARY["port"]),
                               "-U", PRIMARY["user"], "-D", str(self.data), "-R", "-X", "stream",
                               "--checkpoint=fast", "--no-sync"], timeout=900)
        if backup.returncode:
            pytest.fail(f"pg_basebackup failed: {backup.stderr.strip()}")
        # Debian keeps postgresql.conf and pg_hba.conf outside the data folder: give the copy its own.
        # A standby needs at least the primary's connection and worker limits.
        limits = "".join(f"{name} = {_sql(f'SHOW {name}')[0][0]}\n" for name in _STANDBY_LIMITS)
        (self.data / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
            "hot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\n"
            f"fsync = off\nlogging_collector = off\n{limits}", encoding="utf-8")
        (self.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\nlocal all all trust\n",
                                               encoding="utf-8")
        (self.data / "pg_ident.conf").write_text("", encoding="utf-8")
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
                shutil.chown(self.data / name, "postgres", "postgres")
        self._pg_ctl("start", "-w", "-t", "300", "-l", str(self.log))  # replays the WAL of the copy
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
            self.running = False

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def wait_for(self, database: str, query: str, expected, timeout: float = 120.0):
        """Poll ``query`` on the replica's ``database`` until it returns ``expected``."""
        import psycopg

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
                                     autocommit=True, connect_timeout=2) as conn:
                    last = conn.execute(query).fetchone()[0]
                    if last == expected:
                        return last
            except psycopg.OperationalError as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"replica: {query!r} gave {last!r}, expected {expected!r}")

    def _pg_ctl(self, *args: str) -> None:
        done = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args], timeout=120)
        if done.returncode:
            log = self.log.read_text(encoding="utf-8", errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl {args[0]} failed: {done.stderr.strip()}\n{log}")


def sync_server_process(config_path: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    """``sync-server run`` as its own OS process on ``port`` (the console script's module)."""
    cmd = [sys.executable, "-m", "sync.server.cli", "--config", str(config_path), "run",
           "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
