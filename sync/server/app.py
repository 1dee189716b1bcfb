"""The central server's web application: ``create_app(config) -> FastAPI``.

One factory builds everything a server process needs — database, limits, routers, error
handlers — from the office ``Config`` (for ``server.*`` settings and the database URL), so
tests, ``sync-server run`` and benchmarks start exactly the same app. This module only
composes: the routes are the routers of ``sync.server.web`` (device API, admin tokens,
exports, reports, dashboard, alerts and cases), errors are answered by ``sync.api.web`` in the one
JSON shape. Each process also runs an ``AlertWorker`` thread (notifications, the alert sweep).

Month partitions are made ahead at creation and then every few hours by a maintenance thread
(``partitions``), which also forgets idle rate-limit rows. A fresh (empty) database is
migrated on creation; a database at an older schema is refused
with a clear message until ``sync-server migrate`` has run, so an upgrade never silently
changes production data.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from sync.api.web import install_error_handlers
from sync.config import Config
from sync.limits import TokenBuckets
from sync.server.alerts.notify import AlertWorker
from sync.server.db import Database, current_revision, head_revision
from sync.server.errors import SchemaOutdated
from sync.server.limits import RateLimit
from sync.server.partitions import ensure_ahead, maintenance_loop
from sync.server.web import ROUTERS

__all__ = ["ServerSettings", "create_app"]


@dataclass(frozen=True)
class ServerSettings:
    """Limits and lifetimes; the defaults are the production values (tests shrink some)."""

    max_batch_records: int = 1000
    max_body_bytes: int = 2 * 1024 * 1024
    device_requests_per_s: float = 20.0   # sustained uploads per device … (server.device_requests_per_s)
    device_burst: int = 40                # … with this many back to back (server.device_burst)
    login_attempts_per_min: float = 10.0  # per client address and username (server.login_attempts_per_min)
    api_token_ttl_s: int = 3600
    session_ttl_s: int = 8 * 3600
    alert_worker: bool = True             # deliver notifications and run the alert sweep in this process

    @classmethod
    def for_config(cls, config: Config) -> ServerSettings:
        """The production values with the limits set in the ``server`` section of the config."""
        return cls(device_requests_per_s=config.server.device_requests_per_s,
                   device_burst=config.server.device_burst,
                   login_attempts_per_min=config.server.login_attempts_per_min)


def create_app(config: Config, *, database_url: str | None = None,
               settings: ServerSettings | None = None, database: Database | None = None) -> FastAPI:
    """Build the server app for ``config``; ``database_url`` overrides ``config.database_url``."""
    settings = settings or ServerSettings.for_config(config)
    db = database or Database(database_url or config.database_url, replica_url=config.server.replica_url,
                              replica_max_lag_s=config.server.replica_max_lag_s)
    _ensure_schema(db)
    with db.engine.begin() as conn:
        ensure_ahead(conn)  # month partitions (PostgreSQL) before any upload can need them

    @asynccontextmanager
    async def lifespan(_app):
        stop = threading.Event()
        maintenance = threading.Thread(target=maintenance_loop, args=(db.engine, stop), daemon=True,
                                       name="database-maintenance")
        maintenance.start()
        worker = AlertWorker(db, config.server).start() if settings.alert_worker else None
        yield
        if worker is not None:
            worker.stop()
        stop.set()
        maintenance.join(10)
        if database is None:  # a Database passed in belongs to the caller
            db.dispose()

    app = FastAPI(title="Thước Đo central server", version="1", lifespan=lifespan,
                  description="Device enrollment, record upload, admin tokens, dashboard and exports.")
    app.state.settings = settings
    app.state.config = config  # letters resolve alerts.letter_template against it
    app.state.db = db
    # kept in the database (``limits``), so N server processes on one database limit as one
    app.state.device_limit = RateLimit(settings.device_requests_per_s, settings.device_burst)
    app.state.login_limit = RateLimit(settings.login_attempts_per_min / 60.0,
                                      max(1, int(settings.login_attempts_per_min)))
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", tags=["server"])
    def healthz():
        """Liveness check for load balancers and monitoring."""
        return {"status": "ok"}

    return app


def _ensure_schema(db: Database) -> None:
    if db.is_empty():
        db.migrate()
        return
    current, head = current_revision(db.engine), head_revision()
    if current != head:
        raise SchemaOutdated(f"database schema is at {current!r}, this server needs {head!r}: "
                             "run `sync-server migrate` first")
