"""Summaries kept at ingest equal summaries rebuilt from the raw rows, whatever arrives.

A property test (hypothesis) uploads random batches — duplicates, conflicting re-uses of an
id (quarantined), rejected records, late arrivals, every ticket's versions in any order,
misuse flags, unrated prompts, low scores with reasons — on SQLite and PostgreSQL, and checks
that the incrementally kept summary tables are exactly what ``rebuild`` computes. Plus: the
bucket edges and the percentile read from them, the range split into months and edge days,
and the ``rebuild-summaries`` command.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from sync import records
from sync.server import summaries
from sync.server.db import Database
from sync.server.ingest import ingest_records, load_office_facts
from sync.server.models import Quarantine, Rating, Ticket, TicketRecord
from sync.server.offices import import_office

OFFICE = "phuong-ben-thanh"
START = datetime(2025, 6, 29, 7, 0)  # local time; days run over the end of June into July


def test_bucket_edges_and_percentiles_stay_within_one_bucket_of_the_exact_value():
    assert [summaries.bucket_of(s) for s in (-5, 0, 59.9, 60, 7199, 7200, 7799, 7800, 28799, 28800, 10**6)] == \
        [0, 0, 0, 1, 119, 120, 120, 121, 155, 156, 156]
    assert summaries.bucket_bounds(3) == (180, 240) and summaries.bucket_bounds(121) == (7800, 8400)
    for values in ([30.0], [10.0, 70.0, 130.0], [i * 7.3 for i in range(500)], [100.0] * 9 + [7000.0]):
        histogram: dict[int, int] = {}
        for v in values:
            histogram[summaries.bucket_of(v)] = histogram.get(summaries.bucket_of(v), 0) + 1
        for q in (0.5, 0.9):
            exact = statistics.quantiles(values, n=10, method="inclusive")[int(q * 10) - 1] if len(values) > 1 \
                else values[0]
            assert abs(summaries.percentile_of(histogram, q) - exact) < summaries.FINE_S
    assert summaries.percentile_of({}, 0.5) is None


def test_a_range_is_read_as_whole_months_plus_the_days_at_its_edges():
    assert summaries.spans(date(2025, 1, 1), date(2025, 12, 31)) == (
        [date(2025, m, 1) for m in range(1, 13)], [])
    assert summaries.spans(date(2025, 6, 10), date(2025, 8, 5)) == (
        [date(2025, 7, 1)], [(date(2025, 6, 10), date(2025, 6, 30)), (date(2025, 8, 1), date(2025, 8, 5))])
    assert summaries.spans(date(2025, 6, 10), date(2025, 6, 20)) == ([], [(date(2025, 6, 10), date(2025, 6, 20))])
    assert summaries.spans(date(2025, 12, 1), date(2025, 12, 31)) == ([date(2025, 12, 1)], [])


def _local(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat() + "+07:00"


@st.composite
def uploads(draw):
    """A list of batches: each record drawn from ratings and ticket versions, some twice."""
    items = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["good", "good", "unrated", "misuse", "low"]))
        score = {"good": draw(st.sampled_from([2, 3])), "unrated": None, "misuse": 3, "low": 1}[kind]
        items.append(records.new_rating(
            office_id=OFFICE, device_id="tablet-1", seq=i + 1, counter_id=draw(st.integers(1, 4)), score=score,
            scale=3, satisfied=None if score is None else score >= 2, lang="vi",
            clerk_id=draw(st.sampled_from([None, "nguyen-van-an", "tran-thi-binh"])),
            service_id=draw(st.sampled_from([None, "ho-tich", "chung-thuc"])),
            reasons=draw(st.lists(st.sampled_from(["cho-lau", "thai-do", "khac"]), max_size=2, unique=True))
            if kind == "low" else (),
            misuse=kind == "misuse", created_at=_local(draw(st.integers(0, 4 * 24 * 60)))))
    for t in range(draw(st.integers(0, 5))):
        ticket_id, issued = str(uuid.uuid4()), draw(st.integers(0, 3 * 24 * 60))
        wait, service = draw(st.integers(0, 200)), draw(st.integers(1, 150))
        service_id = draw(st.sampled_from(["ho-tich", "chung-thuc"]))
        steps = [("waiting", {}), ("called", {"called_at": _local(issued + wait), "counter_id": 1}),
                 ("finished", {"called_at": _local(issued + wait), "served_at": _local(issued + wait),
                               "finished_at": _local(issued + wait + service), "counter_id": 1}),
                 ("no_show", {"called_at": _local(issued + wait), "counter_id": 2}),
                 ("waiting", {"called_at": _local(issued + wait + 5)})]
        for version, (status, times) in enumerate(steps[:draw(st.integers(1, len(steps)))], start=1):
            items.append(records.new_ticket(
                office_id=OFFICE, device_id="hub-1", seq=100 + t * 10 + version, ticket_id=ticket_id,
                version=version, number=1000 + t, service_id=service_id if version < 4 else "chung-thuc",
                priority=False, status=status, issued_at=_local(issued), **times))
    order = draw(st.permutations(items))
    order += draw(st.lists(st.sampled_from(items), max_size=6))  # duplicates, late
    if draw(st.booleans()):  # an id re-used for other content: quarantined, counts nothing
        order.append({**draw(st.sampled_from(items)), "seq": 999})
    if draw(st.booleans()):  # a record the office cannot have: rejected
        order.append({**items[0], "id": str(uuid.uuid4()), "counter_id": 9})
    cuts = sorted(draw(st.lists(st.integers(0, len(order)), max_size=4)))
    return [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]


def _summaries(conn) -> dict[str, set]:
    """Every summary table's non-zero rows (a group whose count went back to 0 keeps a row)."""
    out = {}
    for model in summaries.SUMMARY_TABLES:
        table = model.__table__
        counts = [c.name for c in table.columns if not c.primary_key]
        out[table.name] = {tuple(r) for r in conn.execute(select(table)) if any(r._mapping[c] for c in counts)}
    return out


@pytest.fixture
def central_db(database_url, office_config):
    db = Database(database_url)
    db.migrate()
    with db.begin() as s:
        import_office(s, office_config)
    yield db
    db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(batches=uploads())
def test_summaries_kept_at_ingest_equal_a_rebuild_from_the_raw_rows(central_db, batches):
    with central_db.engine.begin() as conn:
        for model in (*summaries.SUMMARY_TABLES, Rating, Ticket, TicketRecord, Quarantine):
            conn.execute(delete(model.__table__))
    for recs in batches:
        with central_db.engine.begin() as conn:
            ingest_records(conn, load_office_facts(conn, OFFICE), "tablet-1", recs, datetime.now(UTC))
    with central_db.engine.begin() as conn:
        kept = _summaries(conn)
        summaries.rebuild(conn)
        rebuilt = _summaries(conn)
        stored = conn.execute(select(Ticket.ticket_id, Ticket.version)).all()
    assert kept == rebuilt
    # and the tickets' summaries count each ticket once, at its highest version, in its office
    # and in the all-offices rows
    for office in (OFFICE, summaries.ALL_OFFICES):
        assert sum(r[-1] for r in rebuilt["ticket_counts"] if r[0] == "m" and r[2] == office) == len(stored)
    # a range cut inside months (edge days read from the tickets) counts what it covers
    from sync.server import stats

    with central_db.engine.connect() as conn:
        days = [d for (d,) in conn.execute(select(Ticket.local_date))]
        for lo, hi in ((date(2025, 6, 30), date(2025, 7, 1)), (date(2025, 6, 1), date(2025, 7, 1))):
            figures = stats.ticket_stats(conn, stats.Scope(lo, hi, (OFFICE,)))
            assert figures.total == sum(1 for d in days if lo <= d <= hi)


def test_rebuild_summaries_command_is_idempotent(central_db, database_url, office_config, config_file, capsys):
    from sync.server.cli import main

    with central_db.engine.begin() as conn:
        ingest_records(conn, load_office_facts(conn, OFFICE), "tablet-1",
                       [records.new_rating(office_id=OFFICE, device_id="t", seq=i, counter_id=1, score=1 + i % 3,
                                           scale=3, satisfied=i % 3 > 0, lang="vi", reasons=["cho-lau"],
                                           created_at=_local(i * 600)) for i in range(1, 40)])
        before = _summaries(conn)
    for _ in range(2):
        assert main(["--config", str(config_file), "--database-url", database_url, "rebuild-summaries",
                     "--from", "2025-06-01", "--to", "2025-07-31", "--office", OFFICE]) == 0
        assert "summaries rebuilt from 39 ratings" in capsys.readouterr().out
        with central_db.engine.connect() as conn:
            assert _summaries(conn) == before
    # everything (on PostgreSQL: the tables truncated, ratings and tickets rebuilt side by side)
    assert main(["--config", str(config_file), "--database-url", database_url, "rebuild-summaries"]) == 0
    assert "summaries rebuilt from 39 ratings and 0 tickets" in capsys.readouterr().out
    with central_db.engine.connect() as conn:
        assert _summaries(conn) == before
    assert main(["--config", str(config_file), "--database-url", database_url, "rebuild-summaries",
                 "--from", "2025-07-31", "--to", "2025-06-01"]) == 2
    assert "is before" in capsys.readouterr().err


def _figures(conn) -> tuple:
    from sync.server import stats

    scope = stats.Scope(date(2025, 6, 1), date(2025, 7, 31), (OFFICE,))
    tallies = stats.tally_by(conn, scope, "counter_id", "clerk_id", "service_id", "local_hour")
    daily = stats.tally_by(conn, scope, "local_date", "office_id")
    tickets = stats.ticket_stats(conn, scope)
    def rows(groups):
        return sorted(((k, t.total, t.rated, t.satisfied, t.misuse, t.unrated, sorted(t.levels.items()))
                       for k, t in groups.items()), key=str)

    return (rows(tallies), rows(daily),
            stats.reason_counts(conn, scope), sorted(tickets.statuses.items()),
            sorted((k, v.n, v.p50, v.p90) for k, v in tickets.wait.items()))


def test_an_existing_database_upgrades_with_migrate_and_answers_the_same_figures(database_url, office_config,
                                                                                 config_file, tmp_path):
    """Rows stored before the summaries existed (a database one revision older) are counted
    by ``sync-server migrate``: the figures equal those of a server that kept them at ingest."""
    from alembic.script import ScriptDirectory

    from sync.server.cli import main
    from sync.server.db import _alembic_config, migrate

    batch = [records.new_rating(office_id=OFFICE, device_id="t", seq=i, counter_id=1 + i % 4, score=[None, 1, 2, 3][i % 4],
                                scale=3, satisfied=None if i % 4 == 0 else i % 4 > 1, lang="vi",
                                clerk_id=["nguyen-van-an", None][i % 2], reasons=["cho-lau"] if i % 4 == 1 else (),
                                misuse=i % 17 == 0, created_at=_local(i * 97)) for i in range(1, 300)]
    ticket_id = str(uuid.uuid4())
    batch += [records.new_ticket(office_id=OFFICE, device_id="h", seq=1000 + v, ticket_id=ticket_id, version=v,
                                 number=1001, service_id="ho-tich", priority=False,
                                 status=["waiting", "called"][v - 1], issued_at=_local(60),
                                 called_at=_local(75) if v == 2 else None) for v in (2, 1)]
    reference = Database(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.migrate()
    with reference.begin() as s:
        import_office(s, office_config)
    with reference.engine.begin() as conn:
        ingest_records(conn, load_office_facts(conn, OFFICE), "tablet-1", batch)
        expected = _figures(conn)
        raw = {model: [dict(r._mapping) for r in conn.execute(select(model.__table__))]
               for model in (Rating, Ticket, TicketRecord)}
    reference.dispose()

    old = Database(database_url)
    with old.engine.connect() as conn:
        previous = ScriptDirectory.from_config(_alembic_config(conn)).get_revision("0007").down_revision
    migrate(old.engine, previous)
    with old.begin() as s:
        import_office(s, office_config)
    with old.engine.begin() as conn:  # what a server of the previous version had stored
        for model, rows in raw.items():
            conn.execute(model.__table__.insert(), rows)
    old.dispose()
    assert main(["--config", str(config_file), "--database-url", database_url, "migrate"]) == 0
    upgraded = Database(database_url)
    with upgraded.engine.connect() as conn:
        assert _figures(conn) == expected
        assert expected[0] and expected[3] == [("called", 1)]
    upgraded.dispose()


def test_all_offices_ticket_figures_are_the_sum_of_each_office_and_survive_rebuilding_one(central_db, office_config):
    import dataclasses

    from sync.server import stats

    other = "xa-an-binh"
    with central_db.begin() as s:
        import_office(s, dataclasses.replace(office_config, office=dataclasses.replace(office_config.office, id=other)))
    for office, waits in ((OFFICE, (5, 40, 70)), (other, (12, 95))):
        tickets = []
        for i, wait in enumerate(waits):
            issued = i * 90 + 24 * 60  # the second day of June: inside the whole month read below
            tickets.append(records.new_ticket(
                office_id=office, device_id="hub-1", seq=i + 1, ticket_id=str(uuid.uuid4()), version=1,
                number=1000 + i, service_id="ho-tich", priority=False, status="finished", issued_at=_local(issued),
                called_at=_local(issued + wait), served_at=_local(issued + wait),
                finished_at=_local(issued + wait + 10), counter_id=1))
        with central_db.engine.begin() as conn:
            ingest_records(conn, load_office_facts(conn, office), "hub-1", tickets, datetime.now(UTC))

    def figures(conn, offices):
        found = stats.ticket_stats(conn, stats.Scope(date(2025, 6, 1), date(2025, 6, 30), offices))
        return dict(found.statuses), {k: (v.n, v.p50, v.p90) for k, v in found.wait.items()}

    with central_db.engine.begin() as conn:
        every = figures(conn, None)
        assert every == figures(conn, (OFFICE, other))
        assert every[0] == {"finished": 5} and every[1][("all",)][0] == 5
        assert figures(conn, (other,))[0] == {"finished": 2}
        before = _summaries(conn)
        summaries.rebuild(conn, date(2025, 6, 1), date(2025, 6, 30), office_id=other)
        assert _summaries(conn) == before
        assert figures(conn, None) == every
