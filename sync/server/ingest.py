"""Storing uploaded records: validate, attribute, insert-or-ignore, spot conflicts.

Used by ``POST /api/v1/batches`` and by ``sync-server import-batch`` (records carried on a USB
stick), so both follow exactly the same rules:

1. Each record is checked with ``sync.records.validate`` — THE schema — plus what only the
   server knows: its ``office_id`` must be the office of the uploading device, and its
   counter and service must exist in that office. A bad record is ``rejected`` with a reason;
   the good records of the same batch are stored anyway.
2. Record ids go first into the id tables (``rating_ids``, ``ticket_records``, keyed by the
   id alone — see ``models`` for why the month-partitioned ``ratings`` itself cannot be)
   with ``INSERT … ON CONFLICT (id) DO NOTHING RETURNING id`` (the dialect's insert, on
   SQLite and PostgreSQL alike), sorted by id so concurrent batches lock rows in the same
   order. Whatever the database returns was ``accepted``, and only those ratings are then
   stored in ``ratings``. That is what makes uploads idempotent under concurrency: two copies
   of a batch racing each other can never both insert a record.
3. A record that was not inserted already exists. Identity and content are defined on the
   record's meaning, not its transport (``meaning_hash``: every field but the id and the
   device's sequence number). Same meaning = a ``duplicate`` — success for the device, which
   may have missed our earlier reply or re-queued the same state after a restart, whatever
   its new ``seq``. A ticket snapshot is identified by (ticket, version): a later version is
   an update, the same version with the same meaning under another record id is a
   duplicate. Only the same identity with a different meaning is a true conflict: the record
   is ``rejected`` and kept in ``quarantine`` for an admin to accept or discard.
4. ``satisfied`` is derived from score and scale with ``stats.satisfied_for`` (the one
   definition); a device flag that disagrees is overridden and counted
   (``Outcome.satisfied_disagreements``, summed per device).

Newly stored ratings then go through the alert rules in the same transaction — one call,
``sync.server.alerts.detect.on_ratings_stored`` — which also keeps a contact number a citizen
left with consent apart from the rating (``rating_contacts``, never exported) — and are
counted in the summaries (``summaries.add_ratings``) last: the office-wide summary rows it
updates stay locked until the batch commits, so concurrent batches of an office wait for each
other there only briefly.

Ticket snapshots are stored the same way in ``ticket_records``; each newly accepted snapshot
then upserts ``tickets``, where a row only moves to a *higher* version, so snapshots may
arrive in any order and the ticket ends in its latest state. A ticket's row is keyed by its
issue date too (month partitions), so a snapshot claiming another issue date than the
ticket's earlier snapshots is ``rejected`` naming the date stored.

One rating per ticket (tablet or phone): a rating with a score and a ticket claims the
ticket in ``rated_tickets`` (insert-or-ignore on office + ticket, in the batch's transaction,
so two uploads racing each other cannot both claim it). A later rating of a claimed ticket
is ``rejected`` with ``ticket_already_rated``; the device keeps it in its quarantine.

The caller owns the transaction (one per batch), so a batch is stored entirely or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.records import RecordError, validate
from sync.server import summaries
from sync.server.alerts.detect import on_ratings_stored
from sync.server.db import among, json_rows
from sync.server.models import Counter, Office, Quarantine, RatedTicket, Rating, RatingId, Service, Ticket, TicketRecord
from sync.server.stats import satisfied_for

__all__ = ["OfficeFacts", "Outcome", "content_hash", "ingest_records", "load_office_facts", "meaning_hash"]

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
CONFLICT_REASON = "conflict: a different record with this id is already stored (kept in quarantine)"


@dataclass(frozen=True)
class OfficeFacts:
    """What ingest needs to know about an office to check and place its records."""

    id: str
    timezone: str
    counters: frozenset[int]
    services: frozenset[str]


def load_office_facts(conn: Connection, office_id: str) -> OfficeFacts | None:
    office = conn.execute(select(Office.id, Office.timezone).where(Office.id == office_id)).first()
    if office is None:
        return None
    counters = conn.scalars(select(Counter.id).where(Counter.office_id == office_id)).all()
    services = conn.scalars(select(Service.id).where(Service.office_id == office_id)).all()
    return OfficeFacts(office.id, office.timezone, frozenset(counters), frozenset(services))


@dataclass
class Outcome:
    """Per-record results in the order received, plus counts."""

    results: list[dict] = field(default_factory=list)
    satisfied_disagreements: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)


TRANSPORT_FIELDS = frozenset({"id", "seq"})  # how a record travelled, not what it says


def content_hash(cleaned: dict) -> str:
    """SHA-256 of the whole validated record (what rows stored before ``meaning_hash`` carry):
    of its JSON with sorted keys, no spaces and text as UTF-8. For a record's values (text,
    integers, booleans, null, lists) orjson writes the very bytes of ``json.dumps(…,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, ten times faster, so the
    digests of stored rows still match (a test holds the two equal)."""
    return hashlib.sha256(orjson.dumps(cleaned, option=orjson.OPT_SORT_KEYS)).hexdigest()


def meaning_hash(cleaned: dict) -> str:
    """SHA-256 of what the record says: every field but its transport (id, seq)."""
    return content_hash({k: v for k, v in cleaned.items() if k not in TRANSPORT_FIELDS})


def _derive_satisfied(rec: dict) -> bool:
    """Set ``satisfied`` from score and scale; True when the device's flag disagreed."""
    if rec["kind"] != "rating" or rec["score"] is None:
        return False
    derived = satisfied_for(rec["score"], rec["scale"])
    disagreed = rec["satisfied"] != derived
    rec["satisfied"] = derived
    return disagreed


def _same_meaning(stored_hash: str | None, digest: str, rec: dict) -> bool:
    """A stored row has the record's meaning (rows from before ``meaning_hash`` hold the full hash)."""
    return stored_hash is not None and (stored_hash == digest or stored_hash == content_hash(rec))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _local(moment: datetime, zone: ZoneInfo) -> tuple[date, int]:
    local = moment.astimezone(zone)
    return local.date(), local.hour


def _insert(conn: Connection):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


def _server_problems(rec: dict, office: OfficeFacts) -> list[str]:
    """What the schema cannot know: the office's own counters and services."""
    problems = []
    if rec["office_id"] != office.id:
        problems.append(f"office_id: this device belongs to office {office.id!r}, "
                        f"the record claims {rec['office_id']!r}")
    counter = rec.get("counter_id")
    if counter is not None and counter not in office.counters:
        known = ", ".join(str(c) for c in sorted(office.counters)) or "none imported"
        problems.append(f"counter_id: office {office.id!r} has no counter {counter} (known: {known})")
    service = rec.get("service_id")
    if service is not None and service not in office.services:
        known = ", ".join(sorted(office.services)) or "none imported"
        problems.append(f"service_id: office {office.id!r} has no service {service!r} (known: {known})")
    return problems


_REASONS_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder for every row: json.dumps makes one per call


def _reasons_json(reasons: list[str]) -> str:
    """A rating's reason codes as stored: JSON text, ``[]`` for most ratings (the satisfied ones)."""
    return _REASONS_ENCODER.encode(reasons) if reasons else "[]"


def _rating_row(rec: dict, digest: str, office: OfficeFacts, device_id: str, received: datetime) -> dict:
    created = _utc(rec["created_at"])
    local_date, local_hour = _local(created, _zone(office.timezone))
    return {
        "id": rec["id"], "office_id": office.id, "device_id": device_id, "source_device_id": rec["device_id"],
        "seq": rec["seq"], "created_at": created, "local_date": local_date, "local_hour": local_hour,
        "counter_id": rec["counter_id"], "clerk_id": rec["clerk_id"], "ticket_id": rec["ticket_id"],
        "ticket_number": rec["ticket_number"], "service_id": rec["service_id"], "score": rec["score"],
        "scale": rec["scale"], "satisfied": rec["satisfied"],
        "reasons": _reasons_json(rec["reasons"]), "comment": rec["comment"],
        "misuse": rec["misuse"], "lang": rec["lang"], "channel": rec.get("channel", "tablet"),
        "received_at": received,
    }


def _ticket_rows(rec: dict, digest: str, office: OfficeFacts, device_id: str, received: datetime):
    issued, called, served, finished = (_utc(rec[k]) for k in ("issued_at", "called_at", "served_at", "finished_at"))
    local_date, local_hour = _local(issued, _zone(office.timezone))
    record_row = {"id": rec["id"], "ticket_id": rec["ticket_id"], "office_id": office.id, "device_id": device_id,
                  "source_device_id": rec["device_id"], "seq": rec["seq"], "version": rec["version"],
                  "local_date": local_date, "received_at": received, "content_hash": digest}
    ticket_row = {
        "ticket_id": rec["ticket_id"], "office_id": office.id, "version": rec["version"], "number": rec["number"],
        "service_id": rec["service_id"], "priority": rec["priority"], "status": rec["status"],
        "issued_at": issued, "called_at": called, "served_at": served, "finished_at": finished,
        "counter_id": rec["counter_id"], "clerk_id": rec["clerk_id"], "transfers": rec["transfers"],
        "recalls": rec["recalls"],
        "wait_s": (called - issued).total_seconds() if called else None,
        "service_s": (finished - served).total_seconds() if finished and served else None,
        "local_date": local_date, "local_hour": local_hour, "received_at": received,
        "token_hash": rec.get("token_hash"), "code_hash": rec.get("code_hash"), "token_seal": rec.get("token_seal"),
    }
    return record_row, ticket_row


def _record_id(raw):
    """The id exactly as the device sent it (devices match results to records by it); None
    when it is no id at all or holds text that cannot be sent back (a lone surrogate)."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), (str, int, float)) and not isinstance(raw["id"], bool):
        if isinstance(raw["id"], str) and not _encodable(raw["id"]):
            return None
        return raw["id"]
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ingest_records(conn: Connection, office: OfficeFacts, device_id: str, records: list,
                   received: datetime | None = None) -> Outcome:
    """Store ``records`` for ``office`` as uploaded by ``device_id``; return per-record results.

    Runs inside the caller's transaction on ``conn``.
    """
    received = received or datetime.now(UTC)
    results: list[dict] = []
    # First occurrence of each id in this batch -> (index in results, hash, kind, row(s), raw record)
    fresh: dict[str, tuple] = {}
    # in-batch repeats of one identity: (index, own id, id of the first occurrence, hash, raw)
    repeats: list[tuple[int, str, str, str, object]] = []
    first_of_version: dict[tuple[str, int], str] = {}  # (ticket, version) -> first record id in this batch
    contacts: dict[str, tuple[str, str]] = {}  # rating id -> (phone, consent) when the citizen left one
    disagreements = 0
    for raw in records:
        index = len(results)
        try:
            rec = validate(raw)
        except RecordError as exc:
            results.append({"id": _record_id(raw), "status": REJECTED, "error": str(exc)})
            continue
        problems = _server_problems(rec, office)
        if problems:
            results.append({"id": _record_id(raw), "status": REJECTED, "error": "; ".join(problems)})
            continue
        disagreements += _derive_satisfied(rec)
        digest = meaning_hash(rec)
        results.append({"id": _record_id(raw), "status": None})
        if rec["id"] in fresh:
            repeats.append((index, rec["id"], rec["id"], digest, raw))
            continue
        if rec["kind"] == "ticket":
            first = first_of_version.setdefault((rec["ticket_id"], rec["version"]), rec["id"])
            if first != rec["id"]:
                repeats.append((index, rec["id"], first, digest, raw))
                continue
        if rec["kind"] == "rating":
            rows = _rating_row(rec, digest, office, device_id, received)
            if rec.get("contact_phone"):
                contacts[rec["id"]] = (rec["contact_phone"], rec["contact_consent"])
        else:
            rows = _ticket_rows(rec, digest, office, device_id, received)
        fresh[rec["id"]] = (index, digest, rec["kind"], rows, raw, rec)

    snapshots = _stored_snapshots(conn, fresh)
    moved = _refuse_moved_tickets(fresh, results, snapshots)
    insert = _insert(conn)
    inserted: set[str] = set()
    same_version = _ticket_versions_stored(fresh, snapshots)
    rating_rows = sorted((v[3] for v in fresh.values() if v[2] == "rating"), key=lambda r: r["id"])
    refused = _claim_tickets(conn, office, rating_rows, received)
    for refused_id, reason in refused.items():
        results[fresh.pop(refused_id)[0]].update(status=REJECTED, error=reason)
    rating_rows = [r for r in rating_rows if r["id"] in fresh]
    ticket_items = sorted((v[3] for v in fresh.values() if v[2] == "ticket"), key=lambda r: r[0]["id"])
    if rating_rows:
        new_ratings = _insert_new(conn, RatingId.__table__, [
            {"id": r["id"], "local_date": r["local_date"], "content_hash": fresh[r["id"]][1]} for r in rating_rows])
        inserted.update(new_ratings)
        stored_now = [r for r in rating_rows if r["id"] in new_ratings]
        _insert_all(conn, Rating.__table__, stored_now)
        on_ratings_stored(conn, office.id, office.timezone, stored_now,
                          {rid: c for rid, c in contacts.items() if rid in new_ratings}, received)
        _count_new_ratings(conn, stored_now)  # last: the office-wide summary rows stay locked until commit
    if ticket_items:
        ticket_items = [item for item in ticket_items if item[0]["id"] not in same_version]
    if ticket_items:
        new_ids = _insert_new(conn, TicketRecord.__table__, [rec_row for rec_row, _ in ticket_items])
        inserted.update(new_ids)
        _upsert_tickets(conn, insert, [t for r, t in ticket_items if r["id"] in new_ids])

    # Existing rows: same content = duplicate, different content = conflict.
    # (a snapshot already read above needs no second look: a stored row never changes)
    stored: dict[str, str] = {row.id: row.content_hash for row in snapshots if row.id in fresh}
    stored.update(same_version)
    missing = [rid for rid in fresh if rid not in inserted and rid not in stored]
    for model in (RatingId, TicketRecord):
        ids = [rid for rid in missing if fresh[rid][2] == ("rating" if model is RatingId else "ticket")]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            stored.update(conn.execute(select(model.id, model.content_hash).where(among(conn, model.id, chunk))).all())
    quarantine = []
    for rid, (index, digest, _kind, _rows, raw, rec) in fresh.items():
        if rid in inserted:
            results[index]["status"] = ACCEPTED
        elif _same_meaning(stored.get(rid), digest, rec):
            results[index]["status"] = DUPLICATE
        else:
            results[index].update(status=REJECTED, error=CONFLICT_REASON)
            quarantine.append(_quarantine_row(rid, office, device_id, received, raw))
    for index, rid, first, digest, raw in repeats:
        if first in refused:
            results[index].update(status=REJECTED, error=refused[first])
        elif first in moved:
            results[index].update(status=REJECTED, error=moved[first])
        elif digest == fresh[first][1]:
            results[index]["status"] = DUPLICATE
        else:
            results[index].update(status=REJECTED, error=CONFLICT_REASON)
            quarantine.append(_quarantine_row(rid, office, device_id, received, raw))
    if quarantine:
        conn.execute(Quarantine.__table__.insert(), quarantine)
    return Outcome(results, satisfied_disagreements=disagreements)


def _stored_snapshots(conn: Connection, fresh: dict) -> list:
    """Every stored snapshot of the batch's tickets: (id, ticket_id, version, local_date,
    content_hash) rows, read once for the checks below."""
    tickets = sorted({v[3][0]["ticket_id"] for v in fresh.values() if v[2] == "ticket"})
    rows: list = []
    for start in range(0, len(tickets), 500):
        rows += conn.execute(select(TicketRecord.id, TicketRecord.ticket_id, TicketRecord.version,
                                    TicketRecord.local_date, TicketRecord.content_hash)
                             .where(among(conn, TicketRecord.ticket_id, tickets[start:start + 500]))).all()
    return rows


def _refuse_moved_tickets(fresh: dict, results: list[dict], snapshots: list) -> dict[str, str]:
    """Reject (and drop from ``fresh``) each ticket snapshot whose issue date differs from the
    one its ticket already has — stored, or first in this batch; returns {record id: error}.
    (A ticket's row is keyed by its issue date: the month partition it lives in.)"""
    dates: dict[str, date] = {row.ticket_id: row.local_date for row in snapshots}
    moved: dict[str, str] = {}
    for rid, entry in list(fresh.items()):
        index, kind, rows = entry[0], entry[2], entry[3]
        if kind != "ticket":
            continue
        ticket, claimed = rows[0]["ticket_id"], rows[0]["local_date"]
        known = dates.setdefault(ticket, claimed)
        if claimed != known:
            del fresh[rid]
            moved[rid] = (f"issued_at: ticket {ticket} was issued on {known.isoformat()} (office time) by its "
                          f"earlier snapshots; this one says {claimed.isoformat()} — a ticket keeps its issue time")
            results[index].update(status=REJECTED, error=moved[rid])
    return moved


def _ticket_versions_stored(fresh: dict, snapshots: list) -> dict[str, str]:
    """Ticket snapshots of this batch whose (ticket, version) is already stored under another
    record id: record id sent → the stored snapshot's hash (compared by meaning afterwards)."""
    wanted = {(v[5]["ticket_id"], v[5]["version"]): rid for rid, v in fresh.items() if v[2] == "ticket"}
    found: dict[str, str] = {}
    for row in snapshots:
        rid = wanted.get((row.ticket_id, row.version))
        if rid is not None and rid != row.id:
            found[rid] = row.content_hash
    return found


def _insert_all(conn: Connection, table, rows: list[dict]) -> None:
    """Insert ``rows`` (all new: their ids were just claimed in an id table)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    conn.exec_driver_sql(_json_insert_sql(table, None), (json_rows(rows),))


def _claim_tickets(conn: Connection, office: OfficeFacts, rows: list[dict], received: datetime) -> dict[str, str]:
    """Claim each rated ticket for its rating; returns {rating id: reason} for the ratings
    refused because their ticket already has another rating.

    One insert-or-ignore claims every ticket of the batch (the earlier answer wins within a
    batch); only the tickets it could not claim are looked up, to name their holder."""
    claims = [r for r in rows if r["ticket_id"] is not None and r["score"] is not None]
    if not claims:
        return {}
    first: dict[str, dict] = {}
    for row in sorted(claims, key=lambda r: (r["created_at"], r["id"])):
        first.setdefault(row["ticket_id"], row)
    taken = _insert_new(conn, RatedTicket.__table__, [
        {"office_id": office.id, "ticket_id": ticket, "rating_id": row["id"], "channel": row["channel"],
         "rated_at": received} for ticket, row in sorted(first.items())], key=("office_id", "ticket_id"))
    holders = {ticket: (row["id"], row["channel"]) for ticket, row in first.items() if ticket in taken}
    lost = sorted(set(first) - taken)
    for start in range(0, len(lost), 500):
        holders.update((t, (rid, ch)) for t, rid, ch in conn.execute(
            select(RatedTicket.ticket_id, RatedTicket.rating_id, RatedTicket.channel)
            .where(RatedTicket.office_id == office.id, among(conn, RatedTicket.ticket_id, lost[start:start + 500]))))
    refused = {}
    for row in claims:
        holder_id, channel = holders[row["ticket_id"]]
        if holder_id != row["id"]:
            refused[row["id"]] = (f"ticket_already_rated: ticket {row['ticket_number'] or row['ticket_id']} "
                                  f"already has a rating (from the {channel}); one rating per ticket")
    return refused


def _insert_new(conn: Connection, table, rows: list[dict], key: tuple[str, ...] = ("id",)) -> set[str]:
    """Insert ``rows`` unless their ``key`` exists; return the keys (the last key column's
    values) actually inserted.

    PostgreSQL: the whole batch goes as ONE JSON parameter, expanded by the server —
    ``INSERT … SELECT * FROM json_populate_recordset(NULL::<table>, $1) ON CONFLICT (key) DO
    NOTHING RETURNING key``. That is what lets ingest keep up with thousands of ratings a
    second: a multi-row VALUES list spends most of its time building and parsing a statement
    with thousands of parameters, and per-column arrays are adapted value by value in Python,
    while encoding JSON is C code (``db.json_rows``). SQLite: the dialect's insert with ``ON CONFLICT DO
    NOTHING`` executed for all rows.
    """
    if not rows:
        return set()
    if conn.dialect.name != "postgresql":
        stmt = (_insert(conn)(table).on_conflict_do_nothing(index_elements=list(key))
                .returning(table.c[key[-1]]))
        return set(conn.execute(stmt, rows).scalars())
    return {row[0] for row in conn.exec_driver_sql(_json_insert_sql(table, key), (json_rows(rows),))}


@lru_cache(maxsize=8)
def _json_insert_sql(table, key: tuple[str, ...] | None) -> str:
    """The JSON insert of ``table``; with ``key``: insert-or-ignore on it, returning its last column."""
    names = ", ".join(c.name for c in table.columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table.name}, %s::json)"
    if key is None:
        return sql
    return sql + f" ON CONFLICT ({', '.join(key)}) DO NOTHING RETURNING {key[-1]}"


def _quarantine_row(rid: str, office: OfficeFacts, device_id: str, received: datetime, raw) -> dict:
    return {"record_id": rid, "office_id": office.id, "device_id": device_id, "received_at": received,
            "reason": CONFLICT_REASON, "payload": json.dumps(_without_contact(raw), ensure_ascii=False, sort_keys=True)}


def _without_contact(raw):
    """A quarantined record keeps no citizen's phone number (it would outlive its erasure); an
    admin who accepts it stores the rating without the call-back request."""
    if isinstance(raw, dict) and ("contact_phone" in raw or "contact_consent" in raw):
        return {k: v for k, v in raw.items() if k not in ("contact_phone", "contact_consent")}
    return raw


def _count_new_ratings(conn: Connection, rows: list[dict]) -> None:
    """Add the ratings just inserted (and only those) to the summaries."""
    summaries.add_ratings(conn, rows)


def _upsert_tickets(conn: Connection, insert, rows: list[dict]) -> None:
    """Move each ticket to the highest version among ``rows`` and what is stored, and move its
    contribution in the summaries from the old version to the new one (exactly once: the
    tickets are locked, the old rows read, and only the rows that really change counted)."""
    best: dict[str, dict] = {}
    for row in rows:
        current = best.get(row["ticket_id"])
        if current is None or row["version"] > current["version"]:
            best[row["ticket_id"]] = row
    if not best:
        return
    ids = sorted(best)
    summaries.lock_tickets(conn, ids)
    old: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in conn.execute(select(*summaries.ticket_columns()).where(among(conn, Ticket.ticket_id, chunk))).mappings():
            old[row["ticket_id"]] = dict(row)
    changes = [(old.get(k), best[k]) for k in ids
               if k not in old or (old[k]["version"] < best[k]["version"] and old[k]["office_id"] == best[k]["office_id"])]
    if not changes:
        return
    new_rows = [new for _, new in changes]
    if conn.dialect.name == "postgresql":  # one JSON parameter, as in _insert_new
        conn.exec_driver_sql(_pg_ticket_upsert_sql(), (json_rows(new_rows),))
    else:
        stmt = insert(Ticket)
        updated = {c.name: stmt.excluded[c.name] for c in Ticket.__table__.columns
                   if c.name not in ("ticket_id", "local_date")}
        stmt = stmt.on_conflict_do_update(
            index_elements=["ticket_id", "local_date"], set_=updated,
            where=(Ticket.__table__.c.version < stmt.excluded.version)
            & (Ticket.__table__.c.office_id == stmt.excluded.office_id))
        conn.execute(stmt, new_rows)
    summaries.move_tickets(conn, changes)


@lru_cache(maxsize=1)
def _pg_ticket_upsert_sql() -> str:
    """The tickets' upsert (a later version replaces the stored one of the same office)."""
    sets = ", ".join(f"{c.name} = excluded.{c.name}" for c in Ticket.__table__.columns
                     if c.name not in ("ticket_id", "local_date"))
    return (_json_insert_sql(Ticket.__table__, None) + f" ON CONFLICT (ticket_id, local_date) DO UPDATE SET {sets} "
            "WHERE tickets.version < excluded.version AND tickets.office_id = excluded.office_id")
