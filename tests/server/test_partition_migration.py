"""Upgrading a populated database to month partitions loses no row and changes no figure.

The database is brought to the schema before partitions (revision 0005) and filled the way
that version stored uploads; ``sync-server migrate`` then converts it. Counts and figures
(per month, per office, satisfied, waiting times) must be the same before and after; on
PostgreSQL each row must sit in its month's partition; and the converted database must
still recognise a re-sent record as a duplicate and a changed one as a conflict.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from sync import records
from sync.records import validate
from sync.server.cli import main as sync_server
from sync.server.db import Database, current_revision, head_revision, migrate
from sync.server.ingest import _rating_row, _ticket_rows, content_hash, ingest_records, load_office_facts
from sync.server.offices import import_office

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FIGURES = {
    "ratings": "SELECT count(*) FROM ratings",
    "per month": "SELECT substr(CAST(local_date AS text), 1, 7) AS m, count(*), sum(score), "
                 "sum(CASE WHEN satisfied THEN 1 ELSE 0 END) FROM ratings GROUP BY m ORDER BY m",
    "per clerk": "SELECT clerk_id, count(*), sum(CASE WHEN misuse THEN 1 ELSE 0 END) FROM ratings "
                 "GROUP BY clerk_id ORDER BY clerk_id",
    "tickets": "SELECT count(*), sum(version), round(CAST(sum(wait_s) AS numeric), 1), "
               "round(CAST(sum(service_s) AS numeric), 1) FROM tickets",
    "tickets per day": "SELECT local_date, status, count(*) FROM tickets GROUP BY local_date, status "
                       "ORDER BY local_date, status",
    "ticket records": "SELECT count(*), count(DISTINCT ticket_id) FROM ticket_records",
    "quarantine": "SELECT count(*) FROM quarantine",
}


def _figures(db: Database) -> dict:
    with db.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in FIGURES.items()}


def _old_rows(office_facts, rng: random.Random):
    """Ratings and ticket snapshots over four months (and one from a far-off device clock),
    as rows of the schema before partitions; returns (ratings, tickets, ticket_records, records)."""
    received = datetime(2025, 10, 2, 1, 0, tzinfo=UTC)
    ratings, tickets, snapshots, sent = [], {}, [], []
    start = datetime(2025, 6, 20, 8, 0, tzinfo=HANOI)
    for i in range(240):
        moment = start + timedelta(days=rng.randrange(100), hours=rng.randrange(9), minutes=rng.randrange(60))
        if i == 0:
            moment = datetime(2031, 1, 5, 9, 0, tzinfo=HANOI)  # a device clock years ahead
        score = rng.choice([1, 2, 3, 3, 3, None])
        rec = validate(records.new_rating(
            office_id="phuong-ben-thanh", device_id="tablet-local", seq=i + 1, counter_id=rng.choice([1, 2]),
            score=score, scale=3, satisfied=None if score is None else score >= 2, lang="vi",
            clerk_id=rng.choice(["nguyen-van-an", "tran-thi-binh", None]), service_id="ho-tich",
            misuse=score is not None and rng.random() < 0.05, created_at=moment.isoformat()))
        digest = content_hash(rec)
        ratings.append({**_rating_row(rec, digest, office_facts, "tablet-1", received), "content_hash": digest})
        sent.append(rec)
    for i in range(60):
        issued = start + timedelta(days=rng.randrange(100), hours=rng.randrange(9))
        tid = str(uuid.uuid4())
        for version, status in ((1, "waiting"), (2, "finished")):
            called = issued + timedelta(minutes=rng.randrange(1, 50)) if version == 2 else None
            served = called + timedelta(seconds=30) if called else None
            finished = served + timedelta(minutes=rng.randrange(2, 20)) if served else None
            iso = (lambda d: d.isoformat() if d else None)
            rec = validate(records.new_ticket(
                office_id="phuong-ben-thanh", device_id="hub-local", seq=1000 + 2 * i + version, ticket_id=tid,
                version=version, number=1001 + i, service_id="ho-tich", priority=False, status=status,
                issued_at=iso(issued), called_at=iso(called), served_at=iso(served), finished_at=iso(finished),
                counter_id=1 if called else None, clerk_id="nguyen-van-an" if called else None))
            record_row, ticket_row = _ticket_rows(rec, content_hash(rec), office_facts, "hub-1", received)
            record_row.pop("local_date")  # not a column before partitions
            snapshots.append(record_row)
            tickets[tid] = ticket_row  # the highest version, as the old ingest kept it
            sent.append(rec)
    return ratings, list(tickets.values()), snapshots, sent


def test_a_populated_database_migrates_to_partitions_with_every_row_and_figure(database_url, office_config, capsys):
    db = Database(database_url)
    try:
        assert migrate(db.engine, "0005") == "0005"
        with db.begin() as s:
            import_office(s, office_config)
        with db.engine.begin() as conn:
            facts = load_office_facts(conn, "phuong-ben-thanh")
            ratings, tickets, snapshots, sent = _old_rows(facts, random.Random(14))
            for table, rows in (("ratings", ratings), ("tickets", tickets), ("ticket_records", snapshots)):
                conn.execute(text(f"INSERT INTO {table} ({', '.join(rows[0])}) "
                                  f"VALUES ({', '.join(':' + k for k in rows[0])})"), rows)
        before = _figures(db)
        assert before["ratings"] == [(240,)] and before["ticket records"] == [(120, 60)]

        assert sync_server(["--database-url", database_url, "migrate"]) == 0
        assert "migrated from 0005 to" in capsys.readouterr().out
        assert current_revision(db.engine) == head_revision()
        assert _figures(db) == before

        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rating_ids")).scalar() == 240
            if conn.dialect.name == "postgresql":
                placed = dict(conn.execute(text(
                    "SELECT tableoid::regclass::text, count(*) FROM ratings GROUP BY 1")).all())
                assert placed.pop("ratings_default") == 1  # the 2031 clock
                assert set(placed) == {"ratings_p2025_06", "ratings_p2025_07", "ratings_p2025_08",
                                       "ratings_p2025_09"}
                assert sum(placed.values()) == 239
                months = conn.execute(text("SELECT DISTINCT tableoid::regclass::text FROM tickets")).scalars().all()
                assert months and all(m.startswith("tickets_p2025_") for m in months)
                ahead = date.today().replace(day=1)
                assert f"ratings_p{ahead.year:04d}_{ahead.month:02d}" in conn.execute(text(
                    "SELECT relname FROM pg_class WHERE relname LIKE 'ratings_p%'")).scalars().all()

        # Converted, it still tells a re-send from a changed record, for ratings and tickets.
        changed = dict(sent[5], comment="khác")
        with db.engine.begin() as conn:
            outcome = ingest_records(conn, facts, "tablet-1", [sent[3], changed, sent[-1]])
        assert [r["status"] for r in outcome.results] == ["duplicate", "rejected", "duplicate"]
        assert _figures(db)["ratings"] == [(240,)] and _figures(db)["quarantine"] == [(1,)]
    finally:
        db.dispose()
