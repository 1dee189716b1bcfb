"""Database access for the central server: engine set-up and migrations, SQLite or PostgreSQL.

One ``Database`` object per server process holds the engine and the session factory. The URL
decides the backend: ``sqlite:///path`` (the default, a file in data_dir) or
``postgresql+psycopg://…`` (production). Both are supported for real — every server test runs
on both — so anything dialect-specific lives here or behind SQLAlchemy's dialect ``insert``.

SQLite specifics, set on every connection: WAL journal (readers never block the writer), a
30 s busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for every transaction so two
concurrent writers queue up instead of failing with "database is locked" when one of them
upgrades a read transaction to a write.

PostgreSQL specifics: every statement is planned for its own values
(``plan_cache_mode=force_custom_plan``). psycopg prepares a statement run five times, and
PostgreSQL then settles on one generic plan for it, chosen while a table was small or
without knowing which partition or how many ids a call holds: measured at ingest, the rated
tickets' lookup went from 2 ms to 30 ms per batch once its generic plan set in, growing
with the table. Planning these statements costs well under a millisecond. Sessions run in
UTC (``TimeZone=UTC``), whatever the server's own setting: timestamps come back already in
UTC (``models.UTCDateTime`` then has nothing to convert) and nothing depends on the zone the
database host was installed with.

Reads that only show data (dashboards, exports, reports) go through ``Database.reading()``:
with a read replica configured (``server.replica_url``) they go there while it answers and
keeps up, else to the primary — see ``sync.server.replica``. Everything else uses the primary.

Migrations are Alembic scripts shipped inside the package (``sync/server/migrations``) and
run programmatically: ``migrate(url)`` brings any database to the latest schema; no
``alembic.ini`` is needed.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import any_, bindparam, create_engine, event, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sync.server.replica import ReadRouter

__all__ = ["Database", "among", "current_revision", "head_revision", "json_rows", "make_engine", "migrate",
           "normalise_url"]

REPLICA_CONNECT_TIMEOUT_S = 2  # a replica that does not answer quickly is treated as down
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Use the psycopg (v3) driver for plain ``postgresql://`` / ``postgres://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def among(conn, column, values: list):
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter instead of one per value
    (a statement with hundreds of parameters costs more to build than to run)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def json_rows(rows: list[dict]) -> str:
    """``rows`` as the one JSON text a PostgreSQL bulk statement expands with
    ``json_populate_recordset`` (ingest, summaries). orjson writes datetimes and dates in ISO
    8601 itself and is about ten times faster than ``json``: at thousands of rows a second
    the encoding was a fifth of ingest's time."""
    return orjson.dumps(rows).decode()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url`` with the per-dialect settings described in the module docstring."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {}).setdefault("options",
                                                     "-c plan_cache_mode=force_custom_plan -c TimeZone=UTC")
    return create_engine(url, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy (below) issue BEGIN itself instead of pysqlite's implicit one.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine_or_url: Engine | str, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default: latest); return the revision reached."""
    from alembic import command

    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
        return current_revision(engine)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The latest revision shipped with this version of the server."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_MIGRATIONS)).get_current_head()


class Database:
    """The server's engine and session factory. ``with db.session() as s:`` opens a session;
    ``with db.begin() as s:`` opens one inside a transaction committed at the end;
    ``with db.reading() as (conn, source):`` a read-only connection, on the replica if one is
    configured and fresh enough (``source`` says which one answered, for the page footer)."""

    def __init__(self, url: str, *, replica_url: str = "", replica_max_lag_s: float = 30.0, **engine_kwargs):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        replica = None
        if replica_url:
            if not self.url.startswith("postgresql") or not normalise_url(replica_url).startswith("postgresql"):
                raise ValueError("server.replica_url: a read replica needs PostgreSQL for both "
                                 "server.database_url and server.replica_url")
            replica = make_engine(replica_url, connect_args={"connect_timeout": REPLICA_CONNECT_TIMEOUT_S},
                                  pool_size=5, max_overflow=5)
        self.reads = ReadRouter(self.engine, replica, replica_max_lag_s)

    def reading(self, primary: bool = False):
        """``with db.reading() as (conn, source):`` see ``ReadRouter.connect``."""
        return self.reads.connect(primary)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._factory()

    def begin(self):
        return self._factory.begin()

    def migrate(self) -> str:
        return migrate(self.engine)

    def is_empty(self) -> bool:
        return not inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reads.replica is not None:
            self.reads.replica.dispose()
