"""Rating exports for admins: CSV and XLSX, streamed with flat memory, every one audited.

The HTTP export (``sync.server.web.exports``) and ``sync-server export`` on the command line
(``sync.server.export_cli``) both describe what to export as an ``ExportRequest``
(``parse_request``) and read the rows from here, so a file is the same whichever way it was
asked for.

What a row holds — everything a person needs without a lookup table: rating id, local date
and time (office time zone), office, counter, clerk id and name, service, ticket number, level
number and words, satisfied, reason words, comment, misuse flag, channel (tablet or phone),
device, time received.

How memory stays flat for a million rows:

* names (offices, counters, clerks, services, devices, levels, reasons) are loaded once into
  small dictionaries (``labels.Names``); the rating query joins nothing;
* rows come from a server-side cursor (``yield_per``) a few thousand at a time;
* CSV is produced as a generator of byte chunks straight into the HTTP response;
* XLSX is written row by row into a deflate stream inside a temporary zip file by our small
  streaming writer (``xlsx.py``; xlsxwriter's constant-memory mode works too but needs ~270 s
  for a million rows, over the 120 s budget), then the file is streamed and deleted.

Safety: a text cell that starts with ``= + - @`` (or a tab / carriage return) is prefixed with
``'`` so spreadsheet programs show it as text instead of running it as a formula (CSV/formula
injection) — in both formats, because an XLSX opened and re-saved as CSV would lose the cell
type. An office manager can only export their own office (``Principal.office_ids_for``).

Audit: an ``export_audit`` row (who, when, kind, filters) is written *before* the data is read
and its ``rows`` count updated when the export ends, so even an interrupted export leaves a
trace.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from psycopg import sql as psycopg_sql
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from sync.config import OFFICIAL_REASONS
from sync.server.errors import ApiError
from sync.server.labels import Names
from sync.server.models import ExportAudit, Rating
from sync.server.stats import Scope
from sync.server.xlsx import StreamingXlsx

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ExportRequest",
    "audit_finish",
    "audit_start",
    "csv_chunks",
    "csv_export",
    "escape_cell",
    "export_to_file",
    "parse_request",
    "rating_rows",
    "write_xlsx",
]

FORMATS = ("csv", "xlsx")
YIELD_PER = 5000
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# (key, Vietnamese header, English header, kind, XLSX width)
COLUMNS = [
    ("rating_id", "Mã đánh giá", "Rating id", "text", 38),
    ("date", "Ngày (giờ địa phương)", "Local date", "date", 12),
    ("time", "Giờ", "Local time", "time", 9),
    ("office", "Đơn vị", "Office", "text", 30),
    ("counter", "Quầy", "Counter", "text", 10),
    ("clerk_id", "Mã cán bộ", "Clerk id", "text", 16),
    ("clerk", "Cán bộ", "Clerk", "text", 22),
    ("service", "Lĩnh vực", "Service", "text", 24),
    ("ticket_number", "Số thứ tự", "Ticket number", "int", 10),
    ("score", "Mức (số)", "Level (number)", "int", 8),
    ("level", "Mức đánh giá", "Level", "text", 16),
    ("satisfied", "Hài lòng", "Satisfied", "bool", 9),
    ("reasons", "Lý do", "Reasons", "text", 30),
    ("comment", "Góp ý", "Comment", "text", 40),
    ("misuse", "Bấm bất thường", "Misuse", "bool", 9),
    ("channel", "Kênh", "Channel", "text", 14),
    ("device", "Thiết bị", "Device", "text", 20),
    ("received_at", "Máy chủ nhận lúc (giờ địa phương)", "Received at (local time)", "datetime", 19),
]

_YES_NO = {"vi": ("Có", "Không"), "en": ("yes", "no")}
# Where the rating was given (ratings.channel): the counter tablet or the ticket's page on a phone.
CHANNEL_WORDS = {"vi": {"tablet": "Máy tính bảng", "phone": "Điện thoại"}, "en": {"tablet": "tablet", "phone": "phone"}}


def escape_cell(value: str) -> str:
    """Neutralise spreadsheet formulas: ``=1+1`` → ``'=1+1``."""
    return "'" + value if value and value[0] in _DANGEROUS else value


# --- what to export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    format: str
    date_from: date
    date_to: date
    office_id: str | None = None
    counter_id: int | None = None
    clerk_id: str | None = None
    service_id: str | None = None
    score: int | None = None
    lang: str = "vi"

    def audit_filters(self) -> str:
        data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}
        return json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False, sort_keys=True)


def _date(name: str, value: str | None) -> date:
    if not value:
        raise ApiError("bad_request", f"{name}: required, a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError("bad_request", f"{name}: expected a date written YYYY-MM-DD, found {value!r}") from None


def _int(name: str, value: str | None, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ApiError("bad_request", f"{name}: expected a whole number {low}..{high}, found {value!r}")
    return number


def _ident(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if len(value) > 64:
        raise ApiError("bad_request", f"{name}: at most 64 characters")
    return value


def parse_request(params: dict, *, default_format: str | None = None) -> ExportRequest:
    """Build an ``ExportRequest`` from query parameters; raise ``ApiError("bad_request")`` naming the
    parameter at fault."""
    fmt = params.get("format") or default_format
    if fmt not in FORMATS:
        raise ApiError("bad_request", f"format: expected csv or xlsx, found {fmt!r}")
    date_from = _date("from", params.get("from"))
    date_to = _date("to", params.get("to"))
    if date_to < date_from:
        raise ApiError("bad_request", f"to: {date_to} is before from: {date_from}")
    lang = params.get("lang") or "vi"
    if lang not in ("vi", "en"):
        raise ApiError("bad_request", f"lang: expected vi or en, found {lang!r}")
    return ExportRequest(fmt, date_from, date_to, _ident("office_id", params.get("office_id")),
                         _int("counter_id", params.get("counter_id"), 1, 999),
                         _ident("clerk_id", params.get("clerk_id")),
                         _ident("service_id", params.get("service_id")),
                         _int("score", params.get("score"), 1, 10), lang)


# --- rows ---------------------------------------------------------------------------------------


def _statement(req: ExportRequest, office_ids: list[str] | None):
    scope = Scope(req.date_from, req.date_to, tuple(office_ids) if office_ids is not None else None)
    conds = scope.conditions(Rating)
    if req.counter_id is not None:
        conds.append(Rating.counter_id == req.counter_id)
    if req.clerk_id is not None:
        conds.append(Rating.clerk_id == req.clerk_id)
    if req.service_id is not None:
        conds.append(Rating.service_id == req.service_id)
    if req.score is not None:
        conds.append(Rating.score == req.score)
    return (select(Rating.id, Rating.office_id, Rating.created_at, Rating.counter_id, Rating.clerk_id,
                   Rating.service_id, Rating.ticket_number, Rating.scale, Rating.score, Rating.satisfied,
                   Rating.reasons, Rating.comment, Rating.misuse, Rating.channel, Rating.device_id,
                   Rating.received_at)
            .where(*conds).order_by(Rating.local_date, Rating.created_at, Rating.id))


_SQLITE_READERS: dict[str, Engine] = {}


def _reader(engine: Engine) -> Engine:
    """The engine to stream a long export from. The server's SQLite engine starts every
    transaction with ``BEGIN IMMEDIATE`` (the write lock), right for writers but it would stop
    uploads for the whole length of an export; a plain SQLite connection in WAL mode reads a
    consistent snapshot while uploads go on. PostgreSQL readers never block writers."""
    if engine.dialect.name != "sqlite":
        return engine
    url = engine.url.render_as_string(hide_password=False)
    reader = _SQLITE_READERS.get(url)
    if reader is None:
        reader = _SQLITE_READERS[url] = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)
    return reader


def rating_rows(engine: Engine, req: ExportRequest, office_ids: list[str] | None) -> Iterator[tuple]:
    """The export's rows as typed Python values in ``COLUMNS`` order, read in chunks from a
    server-side cursor. Times are converted to each office's time zone (naive local values).

    Per-row work is kept small because it runs a million times: every name is looked up once
    per distinct (office, counter, clerk, service) and kept in a dictionary, and so are level
    words and reason words."""
    lang = req.lang
    with _reader(engine).connect() as conn:
        names = Names.load(conn)
        zones: dict[str, tuple[ZoneInfo, str]] = {}
        where: dict[tuple, tuple] = {}
        levels: dict[tuple, str] = {}
        reason_text: dict[tuple[str, str], str] = {}
        devices: dict[str, str] = {}
        result = conn.execution_options(yield_per=YIELD_PER).execute(_statement(req, office_ids))
        channels = CHANNEL_WORDS[lang]
        for (rid, office_id, created_at, counter_id, clerk_id, service_id, ticket_number, scale, score,
             satisfied, reasons, comment, misuse, channel, device_id, received_at) in result:
            zone = zones.get(office_id)
            if zone is None:
                zone = zones[office_id] = (ZoneInfo(names.timezone(office_id)), names.office(office_id))
            key = (office_id, counter_id, clerk_id, service_id)
            place = where.get(key)
            if place is None:
                place = where[key] = (names.counter(office_id, counter_id, lang), clerk_id or "",
                                      names.clerk(office_id, clerk_id), names.service(office_id, service_id, lang))
            level_key = (office_id, scale, score)
            words = levels.get(level_key)
            if words is None:
                level = names.level(office_id, scale, score)
                words = levels[level_key] = level.label(lang) if level else ""
            reasons_key = (office_id, reasons)
            why = reason_text.get(reasons_key)
            if why is None:
                try:
                    codes = json.loads(reasons or "[]")
                except ValueError:
                    codes = [reasons]
                why = reason_text[reasons_key] = "; ".join(names.reason(office_id, str(c), lang) for c in codes)
            device = devices.get(device_id)
            if device is None:
                device = devices[device_id] = names.device(device_id)
            local = created_at.astimezone(zone[0])
            yield (rid, local.date(), local.time().replace(microsecond=0, tzinfo=None), zone[1], *place,
                   ticket_number, score, words, satisfied, why, comment or "", bool(misuse),
                   channels.get(channel, channel), device, received_at.astimezone(zone[0]).replace(tzinfo=None, microsecond=0))


# --- CSV ----------------------------------------------------------------------------------------


def _csv_field(value: str) -> str:
    """One CSV field: formula-escaped, quoted when it holds a comma, quote or line break."""
    value = escape_cell(value)
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_chunks(rows: Iterator[tuple], lang: str = "vi", counter: list | None = None,
               chunk_rows: int = 2000) -> Iterator[bytes]:
    """CSV as UTF-8 byte chunks, starting with a BOM (so Excel reads Vietnamese correctly).
    ``counter[0]`` is kept at the number of data rows written so far.

    Each row is formatted by hand rather than with ``csv.writer`` (3× faster on a million
    rows); text that repeats (names, levels, reasons) is escaped and quoted once and cached.
    The output is standard CSV with LF line ends — byte for byte what PostgreSQL's ``COPY …
    CSV`` writes in ``csv_export``, so both databases give the same file."""
    yes, no = _YES_NO[lang]
    header = ",".join(_csv_field(c[2] if lang == "en" else c[1]) for c in COLUMNS)
    yield ("\ufeff" + header + "\n").encode("utf-8")
    cache: dict[str, str] = {}

    def text(value: str) -> str:
        field = cache.get(value)
        if field is None:
            field = _csv_field(value)
            if len(cache) < 50_000:
                cache[value] = field
        return field

    lines: list[str] = []
    for (rid, day, clock, office, counter_name, clerk_id, clerk, service, ticket, score, level, satisfied, reasons,
         comment, misuse, channel, device, received) in rows:
        lines.append(",".join((
            rid, day.isoformat(), clock.isoformat(), text(office), text(counter_name), text(clerk_id), text(clerk),
            text(service), "" if ticket is None else str(ticket), "" if score is None else str(score), text(level),
            "" if satisfied is None else (yes if satisfied else no), text(reasons),
            _csv_field(comment) if comment else "", yes if misuse else no, text(channel), text(device),
            "" if received is None else received.isoformat(sep=" "))))
        if len(lines) == chunk_rows:
            if counter is not None:
                counter[0] += len(lines)
            lines.append("")
            yield "\n".join(lines).encode("utf-8")
            lines.clear()
    if lines:
        if counter is not None:
            counter[0] += len(lines)
        lines.append("")
        yield "\n".join(lines).encode("utf-8")


def csv_export(engine: Engine, req: ExportRequest, office_ids: list[str] | None,
               counter: list) -> Iterator[bytes]:
    """The CSV export as byte chunks, from the fastest path the database offers."""
    if engine.dialect.name == "postgresql":
        return _pg_csv_chunks(engine, req, office_ids, counter)
    return csv_chunks(rating_rows(engine, req, office_ids), req.lang, counter)


def _escaped_sql(expr: str) -> str:
    """SQL for ``escape_cell(expr)``."""
    return f"CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN chr(39) || {expr} ELSE {expr} END"


def _sql_text(expr: str) -> str:
    """SQL for a text cell as COPY should print it: formula-escaped, empty → NULL (COPY prints
    NULL as an empty field and an empty string as ``""``)."""
    return f"NULLIF({_escaped_sql(expr)}, '')"


def _pg_words(names: Names, lang: str) -> dict[str, str]:
    """Every word the export shows, keyed the way the SQL of ``_pg_csv_chunks`` looks it up."""
    words: dict[str, str] = {}
    for office_id, office in names.offices.items():
        words[f"o|{office_id}"] = office.name
        words[f"z|{office_id}"] = office.timezone
        for scale in {3, 4, 5, len(office.levels)} - {0}:
            for level in names.levels(office_id, scale):
                words[f"l|{office_id}|{scale}|{level.score}"] = level.label(lang)
        for code in office.reasons:
            words[f"r|{office_id}|{code}"] = names.reason(office_id, code, lang)
    for scale in (3, 4, 5):
        for level in names.levels(None, scale):
            words[f"l|*|{scale}|{level.score}"] = level.label(lang)
    for reason in OFFICIAL_REASONS:
        words[f"r|*|{reason.code}"] = reason.label.en if lang == "en" else reason.label.vi
    for (office_id, counter_id), pair in names.counters.items():
        words[f"c|{office_id}|{counter_id}"] = pair[1] if lang == "en" else pair[0]
    for (office_id, clerk_id), name in names.clerks.items():
        words[f"k|{office_id}|{clerk_id}"] = name
    for (office_id, service_id), pair in names.services.items():
        words[f"s|{office_id}|{service_id}"] = pair[1] if lang == "en" else pair[0]
    for device_id, name in names.devices.items():
        words[f"d|{device_id}"] = name
    # Words shown as a whole cell are formula-escaped here, once, instead of per row in SQL;
    # reason words are joined first and escaped as one cell, zones are not shown.
    return {key: word if key[0] in "rz" else escape_cell(word) for key, word in words.items()}


# A PostgreSQL export longer than this many ratings is copied in pieces of about this size,
# two at a time (see ``_pg_csv_chunks``).
PIECE_ROWS = 200_000
_SPOOL_BYTES = 8 << 20  # a piece waiting its turn is kept in memory up to this, then on disk


def _begin_snapshot_read(pg, snapshot: str | None = None) -> None:
    """Start a fresh read-only repeatable-read transaction on ``pg`` (the pool's liveness check
    may have opened one), in the exported ``snapshot`` when given."""
    pg.rollback()
    pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if snapshot is not None:
        pg.execute(psycopg_sql.SQL("SET TRANSACTION SNAPSHOT {}").format(psycopg_sql.Literal(snapshot)))


def _pg_csv_chunks(engine: Engine, req: ExportRequest, office_ids: list[str] | None,
                   counter: list) -> Iterator[bytes]:
    """PostgreSQL: ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` formats the rows in the server and
    streams them — a million rows in seconds, where merely turning rows into Python objects
    costs ~8 µs each. Words come from ``Names`` as a JSON map parameter, so they are exactly
    those of the Python path (tests compare both databases' files with the stored ratings).

    Formatting the rows is then the cost, and one COPY runs on one core. So the export is cut
    into pieces of about ``PIECE_ROWS`` ratings along its days (the rows are ordered by day
    first, so the pieces one after the other are the whole export), and two pieces are copied
    at a time on two connections, each into a spool file, while the finished one streams out.
    Every piece reads the one snapshot this connection exports (``pg_export_snapshot``; on a
    standby too), so the file is the database at one instant, as a single COPY would be."""
    with engine.connect() as conn:
        words = _pg_words(Names.load(conn), req.lang)
    header = ",".join(_csv_field(c[2] if req.lang == "en" else c[1]) for c in COLUMNS)
    yield ("\ufeff" + header + "\n").encode("utf-8")
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        _begin_snapshot_read(pg)
        pieces = _pieces(pg, req, office_ids)
        snapshot = pg.execute("SELECT pg_export_snapshot()").fetchone()[0]
        queries = [_pg_csv_query(replace(req, date_from=lo, date_to=hi), office_ids, words)
                   for lo, hi in pieces]
        with ThreadPoolExecutor(2) as pool:
            copying = deque(pool.submit(_copy_piece, engine, snapshot, *query) for query in queries[:2])
            upcoming = iter(queries[2:])
            try:
                while copying:
                    spool, rows = copying.popleft().result()
                    following = next(upcoming, None)
                    if following is not None:
                        copying.append(pool.submit(_copy_piece, engine, snapshot, *following))
                    with spool:
                        spool.seek(0)
                        while block := spool.read(1 << 20):
                            yield block
                    counter[0] += rows
            finally:  # stopped early (the client went away): drop what was copied ahead
                for future in copying:
                    if not future.cancel():
                        future.result()[0].close()
        pg.rollback()
    finally:
        raw.close()


def _pieces(pg, req: ExportRequest, office_ids: list[str] | None) -> list[tuple[date, date]]:
    """The export's days cut into consecutive ranges of about ``PIECE_ROWS`` ratings, counted from
    the day summaries (``rating_days``: every rating of the office and day)."""
    where, params = "local_date >= %(lo)s AND local_date <= %(hi)s", {"lo": req.date_from, "hi": req.date_to}
    if office_ids is not None:
        where += " AND office_id = ANY(%(offices)s)"
        params["offices"] = list(office_ids)
    days = pg.execute(f"SELECT local_date, SUM(n) FROM rating_days WHERE {where} GROUP BY local_date "
                      "ORDER BY local_date", params).fetchall()
    pieces, start, rows = [], req.date_from, 0
    for day, n in days:
        rows += n
        if rows >= PIECE_ROWS and day < req.date_to:
            pieces.append((start, day))
            start, rows = day + timedelta(days=1), 0
    pieces.append((start, req.date_to))
    return pieces


def _copy_piece(engine: Engine, snapshot: str, sql: str, params: dict):
    """Run one piece's COPY in the exported snapshot into a spool file; (file, rows)."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (the reader closes it)
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        _begin_snapshot_read(pg, snapshot)
        with pg.cursor() as cur:
            with cur.copy(sql, params) as copy:
                for data in copy:
                    spool.write(data)
            rows = max(cur.rowcount, 0)
        pg.rollback()
    except BaseException:
        spool.close()
        raise
    finally:
        raw.close()
    return spool, rows


def _pg_csv_query(req: ExportRequest, office_ids: list[str] | None, words: dict[str, str]) -> tuple[str, dict]:
    """The ``COPY … TO STDOUT`` statement of ``_pg_csv_chunks`` and its parameters."""
    lang = req.lang
    yes, no = _YES_NO[lang]
    counter_word = "Counter" if lang == "en" else "Quầy"
    w = "w.m"  # the words map, parsed once (see the FROM clause)
    reasons = (f"CASE WHEN r.reasons = '[]' THEN NULL ELSE (SELECT string_agg(COALESCE("
               f"{w} ->> ('r|' || r.office_id || '|' || e.code), {w} ->> ('r|*|' || e.code), e.code), "
               "'; ' ORDER BY e.n) FROM json_array_elements_text(r.reasons::json) WITH ORDINALITY AS e(code, n)) END")
    # Each value is worked out once, in the inner query (OFFSET 0 keeps PostgreSQL from folding
    # it into the outer one, which would repeat every lookup for each use); the outer query
    # only formats: local times, formula escaping, yes/no.
    zones = {word for key, word in words.items() if key.startswith("z|")}
    # one time zone for every office (a country's offices): a constant, not a lookup per row
    zone = "%(zone)s" if len(zones) == 1 else f"COALESCE({w} ->> ('z|' || r.office_id), 'Asia/Ho_Chi_Minh')"
    # The name cells are escaped already: words in ``_pg_words``, a raw id standing in for a
    # missing word here (only then is the CASE of ``_escaped_sql`` evaluated).
    inner = {
        "id": "r.id", "created_at": "r.created_at", "received_at": "r.received_at",
        "zone": zone,
        "office": f"COALESCE({w} ->> ('o|' || r.office_id), {_escaped_sql('r.office_id')})",
        "counter": f"COALESCE({w} ->> ('c|' || r.office_id || '|' || r.counter_id), '{counter_word} ' || r.counter_id)",
        "clerk_id": "COALESCE(r.clerk_id, '')",
        "clerk": f"COALESCE({w} ->> ('k|' || r.office_id || '|' || r.clerk_id), {_escaped_sql('r.clerk_id')}, '')",
        "service": f"COALESCE({w} ->> ('s|' || r.office_id || '|' || r.service_id), {_escaped_sql('r.service_id')}, '')",
        "ticket_number": "r.ticket_number", "score": "r.score",
        "level": (f"COALESCE({w} ->> ('l|' || r.office_id || '|' || r.scale || '|' || r.score), "
                  f"{w} ->> ('l|*|' || r.scale || '|' || r.score), r.score::text, '')"),
        "satisfied": "r.satisfied", "reasons": f"COALESCE({reasons}, '')", "comment": "COALESCE(r.comment, '')",
        "misuse": "r.misuse", "device": f"COALESCE({w} ->> ('d|' || r.device_id), {_escaped_sql('r.device_id')})",
        "channel": ("CASE r.channel " + " ".join(f"WHEN '{code}' THEN '{escape_cell(word)}'" for code, word in
                                                 CHANNEL_WORDS[lang].items()) + f" ELSE {_escaped_sql('r.channel')} END"),
    }
    columns = [
        "x.id",
        "to_char(x.created_at AT TIME ZONE x.zone, 'YYYY-MM-DD')",
        "to_char(x.created_at AT TIME ZONE x.zone, 'HH24:MI:SS')",
        "NULLIF(x.office, '')", "NULLIF(x.counter, '')", _sql_text("x.clerk_id"), "NULLIF(x.clerk, '')",
        "NULLIF(x.service, '')",
        "x.ticket_number",
        "x.score",
        "NULLIF(x.level, '')",
        f"CASE WHEN x.satisfied IS NULL THEN NULL WHEN x.satisfied THEN '{yes}' ELSE '{no}' END",
        _sql_text("x.reasons"), _sql_text("x.comment"),
        f"CASE WHEN x.misuse THEN '{yes}' ELSE '{no}' END",
        "NULLIF(x.channel, '')",
        "NULLIF(x.device, '')",
        "to_char(x.received_at AT TIME ZONE x.zone, 'YYYY-MM-DD HH24:MI:SS')",
    ]
    conds = ["r.local_date >= %(date_from)s", "r.local_date <= %(date_to)s"]
    params: dict = {"w": json.dumps(words, ensure_ascii=False), "date_from": req.date_from, "date_to": req.date_to,
                    "zone": next(iter(zones), None)}
    if office_ids is not None:
        conds.append("r.office_id = ANY(%(offices)s)")
        params["offices"] = list(office_ids)
    for column, value in (("counter_id", req.counter_id), ("clerk_id", req.clerk_id),
                          ("service_id", req.service_id), ("score", req.score)):
        if value is not None:
            conds.append(f"r.{column} = %({column})s")
            params[column] = value
    values = ", ".join(f"{expr} AS {name}" for name, expr in inner.items())
    sql = (f"COPY (SELECT {', '.join(columns)} FROM (SELECT {values} "
           f"FROM ratings r CROSS JOIN (SELECT %(w)s::jsonb AS m) w WHERE {' AND '.join(conds)} "
           "ORDER BY r.local_date, r.created_at, r.id OFFSET 0) AS x) TO STDOUT (FORMAT csv)")
    return sql, params


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(rows: Iterator[tuple], path: str | Path, lang: str = "vi", sheet_title: str | None = None) -> int:
    """Write an XLSX file of typed cells (dates as dates, numbers as numbers, booleans) with a
    bold frozen header, an autofilter and column widths; returns the number of data rows.
    Past Excel's 1,048,576 rows per sheet the rows continue on a new sheet (``xlsx.py``)."""
    text_columns = [i for i, c in enumerate(COLUMNS) if c[3] == "text"]
    with StreamingXlsx(path) as book:
        book.sheet(sheet_title or ("Ratings" if lang == "en" else "Đánh giá"),
                   [c[2] if lang == "en" else c[1] for c in COLUMNS], [c[3] for c in COLUMNS], [c[4] for c in COLUMNS])
        escaped: dict[str, str] = {}
        for row in rows:
            row = list(row)
            for i in text_columns:
                value = row[i]
                if value and value[0] in _DANGEROUS:
                    row[i] = escaped.get(value) or escaped.setdefault(value, escape_cell(value))
            book.row(row)
        return book.total_rows


# --- audit --------------------------------------------------------------------------------------


def audit_start(engine: Engine, username: str, kind: str, filters: str) -> int:
    with engine.begin() as conn:
        result = conn.execute(ExportAudit.__table__.insert().values(
            username=username, at=datetime.now(UTC), kind=kind, filters=filters, rows=0))
        return result.inserted_primary_key[0]


def audit_finish(engine: Engine, audit_id: int, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(ExportAudit).where(ExportAudit.id == audit_id).values(rows=rows))


# --- a file ---------------------------------------------------------------------------------------


def export_to_file(engine: Engine, req: ExportRequest, out: str | Path, username: str,
                   office_ids: list[str] | None = None, reader: Engine | None = None) -> int:
    """Write an export to ``out`` (atomically: a temporary file renamed at the end) and audit
    it; returns the number of rows."""
    reader = reader or engine
    out = Path(out)
    audit_id = audit_start(engine, username, f"ratings.{req.format}", req.audit_filters())
    rows = 0
    tmp = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False)  # noqa: SIM115 (renamed below)
    try:
        if req.format == "csv":
            counter = [0]
            with tmp:
                for chunk in csv_export(reader, req, office_ids, counter):
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            rows = counter[0]
        else:
            tmp.close()
            rows = write_xlsx(rating_rows(reader, req, office_ids), tmp.name, req.lang)
        os.replace(tmp.name, out)
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)
        audit_finish(engine, audit_id, rows)
    return rows
