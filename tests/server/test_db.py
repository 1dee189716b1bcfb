"""The database layer: migrations build exactly the declared schema, timestamps stay UTC,
and a server never runs on a schema older than its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from sync.server.app import create_app
from sync.server.db import Database, current_revision, head_revision
from sync.server.errors import SchemaOutdated
from sync.server.models import Base, Office
from sync.server.partitions import is_partition


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_declare(db):
    assert db.is_empty()
    assert db.migrate() == head_revision() == current_revision(db.engine)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, _p: not (type_ == "table" and is_partition(name))})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_timestamps_are_stored_in_utc_and_read_back_aware(db):
    db.migrate()
    hanoi = timezone(timedelta(hours=7))
    with db.begin() as s:
        s.add(Office(id="x", name="X", province="", timezone="Asia/Ho_Chi_Minh", config_json="{}", config_etag="",
                     updated_at=datetime(2025, 7, 1, 8, 0, tzinfo=hanoi)))
    with db.session() as s:
        stored = s.get(Office, "x").updated_at
    assert stored == datetime(2025, 7, 1, 1, 0, tzinfo=UTC) and stored.utcoffset() == timedelta(0)
    with db.begin() as s, pytest.raises(Exception, match="naive datetime"):
        s.add(Office(id="y", name="Y", province="", timezone="UTC", config_json="{}", config_etag="",
                     updated_at=datetime(2025, 7, 1, 8, 0)))
        s.flush()


def test_a_server_refuses_a_database_whose_schema_is_behind_its_code(db, database_url, office_config):
    db.migrate()
    with db.begin() as s:
        s.execute(text("DELETE FROM alembic_version"))
    with pytest.raises(SchemaOutdated, match="sync-server migrate"):
        create_app(office_config, database_url=database_url)
    with db.begin() as s:
        s.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head_revision()})
    app = create_app(office_config, database_url=database_url)
    app.state.db.dispose()
