"""Running the alert rules where the facts arrive: at ingest, and for silent devices each day.

``on_ratings_stored`` is THE call ingest makes after inserting a batch's new ratings, inside
the batch's transaction — so an alert exists the moment the upload that completes its
condition is committed, and a batch that rolls back raises nothing. Windows are judged on the
ratings' recorded times, so a tablet that was offline all morning still opens the alert when
its backlog arrives; such an alert is marked ``late``.

``check_silent_day`` judges one office's local day for silent tablets; the sweep calls it for
recent days once they are over (it is idempotent: one alert per counter and day).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, bindparam, false, func, insert, or_, select
from sqlalchemy.engine import Connection

from sync.config import Alerts
from sync.server import stats
from sync.server.alerts import cases
from sync.server.alerts.rules import (
    RatingFact,
    burst_regions,
    burst_runs,
    burst_windows,
    counts,
    is_late,
    is_severe,
    silent_counters,
    trend_breached,
)
from sync.server.alerts.settings import office_settings
from sync.server.models import UNHAPPY_ANSWER, Alert, AlertRating, Clerk, Device, Rating, RatingContact, Ticket

__all__ = ["check_silent_day", "on_ratings_stored"]

_CLUSTER_GAP = timedelta(hours=2)  # new ratings further apart than this are judged in separate ranges
# Ratings read around one range of new ones: far more than any office records in a window
# (~2,000 a day at the busiest office: ~100 in half an hour), a bound on the cost when a device
# whose clock is stuck sends everything at one instant.
MAX_NEIGHBOURS = 1000


def _fact(row: dict) -> RatingFact:
    """The rules' view of a rating row as ingest stores it (``reasons`` as JSON text)."""
    reasons = row["reasons"]
    return RatingFact(row["id"], row["created_at"], row["counter_id"], row["clerk_id"], row["score"],
                      row["satisfied"], bool(row["misuse"]), tuple(json.loads(reasons)) if reasons != "[]" else (),
                      row["comment"])


def on_ratings_stored(conn: Connection, office_id: str, timezone: str, rows: list[dict],
                      contacts: dict[str, tuple[str, str]], received: datetime) -> list[int]:
    """Keep the contacts of newly stored ratings and raise the alerts they complete.

    ``rows`` are the rating rows ingest just inserted (as dicts); ``contacts`` maps a rating id
    to (phone, consent sentence). Returns the ids of the alerts opened.
    """
    if contacts:
        conn.execute(insert(RatingContact), [{"rating_id": rid, "office_id": office_id, "phone": phone,
                                              "consent": consent, "received_at": received}
                                             for rid, (phone, consent) in sorted(contacts.items())])
    if not rows:
        return []
    settings, _ = office_settings(conn, office_id)
    if not settings.rules:
        return []
    facts = [_fact(r) for r in rows]
    who = _Lazy(lambda: cases.OfficeContacts(conn, office_id, timezone))
    late_after = timedelta(minutes=settings.late_after_min)
    names = _Lazy(lambda: _clerk_names(conn, office_id))
    zone = ZoneInfo(timezone)
    opened: list[int] = []
    if "severe" in settings.rules:
        severe = [f for f in facts if is_severe(f, settings.severe_reasons)]
        if severe:
            opened.extend(cases.open_alerts(conn, [_severe_alert(office_id, f, names(), received, late_after)
                                                   for f in severe], settings, received, who()))
    if "burst" in settings.rules:
        opened.extend(_burst(conn, office_id, zone, facts, settings, names, received, who))
    if "trend" in settings.rules:
        opened.extend(_trend(conn, office_id, zone, rows, settings, names, received, who))
    return [a for a in opened if a is not None]


class _Lazy:
    """A value computed on first use (most batches open no alert and need no contacts)."""

    def __init__(self, make):
        self._make, self._made, self._value = make, False, None

    def __call__(self):
        if not self._made:
            self._value, self._made = self._make(), True
        return self._value


def _clerk_names(conn: Connection, office_id: str) -> dict[str, str]:
    return dict(conn.execute(select(Clerk.id, Clerk.name).where(Clerk.office_id == office_id)).all())


def _who(counters, clerks, names) -> str:
    parts = []
    if counters:
        parts.append("quầy " + ", ".join(str(c) for c in sorted(counters)))
    if clerks:
        parts.append("cán bộ " + ", ".join(names.get(c, c) for c in sorted(clerks)))
    return "; ".join(parts)


def _severe_alert(office_id: str, f: RatingFact, names: dict, received: datetime,
                  late_after: timedelta) -> cases.NewAlert:
    return cases.NewAlert(office_id, "severe", f.id, f.created_at, f.created_at, _severe_summary(f, names),
                          {"counters": [f.counter_id], "clerks": [f.clerk_id] if f.clerk_id else [],
                           "reasons": list(f.reasons), "comment": f.comment},
                          late=is_late(f.created_at, received, late_after), counter_id=f.counter_id,
                          clerk_id=f.clerk_id, rating_ids=(f.id,))


def _severe_summary(f: RatingFact, names: dict) -> str:
    why = "có góp ý" if f.comment else "về thái độ cán bộ"
    return f"Đánh giá mức thấp nhất {why} ({_who([f.counter_id], [f.clerk_id] if f.clerk_id else [], names)})"


def _clusters(times: list[datetime]) -> list[tuple[datetime, datetime]]:
    times = sorted(times)
    ranges = [[times[0], times[0]]]
    for t in times[1:]:
        if t - ranges[-1][1] > _CLUSTER_GAP:
            ranges.append([t, t])
        else:
            ranges[-1][1] = t
    return [(a, b) for a, b in ranges]


_INSTANT = timedelta(microseconds=1)  # the finest time step stored: widens a closed span to an open range


def _merged(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Open ranges sorted by start, overlapping ones joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in ranges:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# Ratings in a set of time ranges are read with statements built once for 1, 2, 4 … 32 ranges
# (padded by repeating the last one), so each batch only binds values: building and compiling
# a fresh OR of dozens of ranges per batch cost more than running it.
_RANGES_PER_QUERY = 32


def _in_ranges(size: int):
    """Ratings recorded inside any of ``size`` open ranges ``(after_i, before_i)``; with the
    local-day bounds ``day_from_i``/``day_to_i`` PostgreSQL reads just each range's ratings from
    the index on office, day and time (``ix_ratings_office_time``), in its month's partition."""
    return or_(*(and_(Rating.local_date >= bindparam(f"day_from_{i}"), Rating.local_date <= bindparam(f"day_to_{i}"),
                      Rating.created_at > bindparam(f"after_{i}"), Rating.created_at < bindparam(f"before_{i}"))
                 for i in range(size)))


def _not_in_closed_burst():
    return Rating.id.not_in(select(AlertRating.rating_id).join(Alert, Alert.id == AlertRating.alert_id).where(
        Alert.office_id == bindparam("office_id"), Alert.rule == "burst", Alert.dedup_key != "open"))


@lru_cache(maxsize=8)
def _unhappy_times_query(size: int):
    """When the unhappy rated answers in the ranges were recorded (partial index ``ix_ratings_office_unhappy``)."""
    return select(Rating.created_at).where(Rating.office_id == bindparam("office_id"), UNHAPPY_ANSWER,
                                           _not_in_closed_burst(), _in_ranges(size))


def _rated_answer_conditions():
    """What makes a stored rating one of the rated answers the burst rule counts."""
    return (Rating.office_id == bindparam("office_id"), Rating.misuse == false(), Rating.score.is_not(None),
            _not_in_closed_burst())


@lru_cache(maxsize=8)
def _rated_answers_query(size: int):
    """The rated answers in the ranges, as the burst rule reads them, time order, at most ``limit``."""
    return (select(Rating.id, Rating.created_at, Rating.satisfied, Rating.counter_id, Rating.clerk_id)
            .where(*_rated_answer_conditions(), _in_ranges(size))
            .order_by(Rating.created_at, Rating.id).limit(bindparam("limit", type_=Integer)))


@lru_cache(maxsize=8)
def _rated_counts_query(size: int):
    """How many rated answers were recorded at each time in the ranges (counted in the database)."""
    return (select(Rating.created_at, func.count()).where(*_rated_answer_conditions(), _in_ranges(size))
            .group_by(Rating.created_at))


def _read_in_ranges(conn: Connection, query, office_id: str, zone: ZoneInfo,
                    ranges: list[tuple[datetime, datetime]], per_range_limit: int | None = None) -> list:
    """Run ``query(size)`` over ``ranges`` (sorted, disjoint) in as few statements as the cache allows.

    A rating's ``local_date`` is the office-time date of its ``created_at`` (ingest sets it), so
    each range's days are its ends' dates in the office's zone ``zone``."""
    rows: list = []
    for first in range(0, len(ranges), _RANGES_PER_QUERY):
        chunk = ranges[first:first + _RANGES_PER_QUERY]
        size = 1 << (len(chunk) - 1).bit_length()
        values: dict = {"office_id": office_id}
        if per_range_limit is not None:
            values["limit"] = per_range_limit * len(chunk)
        for i, (after, before) in enumerate(chunk + [chunk[-1]] * (size - len(chunk))):
            values.update({f"day_from_{i}": after.astimezone(zone).date(),
                           f"day_to_{i}": before.astimezone(zone).date(), f"after_{i}": after, f"before_{i}": before})
        rows.extend(conn.execute(query(size), values).all())
    return rows


def _burst(conn: Connection, office_id: str, zone: ZoneInfo, facts: list[RatingFact], settings: Alerts, names,
           received: datetime, who) -> list[int | None]:
    window = timedelta(minutes=settings.burst_window_min)
    rated = counts(facts)
    if not rated:
        return []
    new_ids = {f.id for f in rated}
    new_times = [f.created_at for f in rated]
    ranges = [(first - window, last + window) for first, last in _clusters(new_times)]
    unhappy_times = [row.created_at
                     for row in _read_in_ranges(conn, _unhappy_times_query, office_id, zone, ranges)]
    runs = burst_runs(new_times, unhappy_times, window, settings.burst_min_answers, settings.burst_unsatisfied_share)
    if runs is not None:
        spans = _merged([(run.first - _INSTANT, run.last + _INSTANT) for run in runs])
        rated_at = _read_in_ranges(conn, _rated_counts_query, office_id, zone, spans)
        ranges = burst_regions(runs, [tuple(row) for row in rated_at], window, settings.burst_unsatisfied_share)
    if not ranges:
        return []
    stored = _read_in_ranges(conn, _rated_answers_query, office_id, zone, ranges, MAX_NEIGHBOURS)
    qualifying = burst_windows(stored, new_ids, window, settings.burst_min_answers,
                               settings.burst_unsatisfied_share, ranges)
    if not qualifying:
        return []
    members = {f.id: f for w in qualifying for f in w}
    unhappy = [f for f in members.values() if not f.satisfied]
    open_id = conn.scalar(select(Alert.id).where(Alert.office_id == office_id, Alert.rule == "burst",
                                                 Alert.dedup_key == "open"))
    last_new = max(f.created_at for f in members.values() if f.id in new_ids)
    if open_id is not None:
        cases.attach_ratings(conn, open_id, "burst", {f.id for f in unhappy}, last_new)
        return []
    window_facts = qualifying[0]
    counters = sorted({f.counter_id for f in unhappy})
    clerks = sorted({f.clerk_id for f in unhappy if f.clerk_id})
    bad = sum(1 for f in window_facts if not f.satisfied)
    summary = (f"{bad} trên {len(window_facts)} đánh giá không hài lòng trong {settings.burst_window_min} phút"
               f" ({_who(counters, clerks, names())})")
    details = {"counters": counters, "clerks": clerks, "answers": len(window_facts), "unsatisfied": bad,
               "window_min": settings.burst_window_min}
    new = cases.NewAlert(office_id, "burst", "open", window_facts[0].created_at, window_facts[-1].created_at,
                         summary, details, late=is_late(last_new, received, timedelta(minutes=settings.late_after_min)),
                         counter_id=counters[0] if len(counters) == 1 else None,
                         clerk_id=clerks[0] if len(clerks) == 1 else None,
                         rating_ids=tuple(f.id for f in unhappy))
    return [cases.open_alert(conn, new, settings, received, who())]


def _trend(conn: Connection, office_id: str, zone: ZoneInfo, rows: list[dict], settings: Alerts,
           names, received: datetime, who) -> list[int | None]:
    """Each clerk of the batch judged on the trend period's rated answers: the summaries (a
    few hundred rows however many ratings the clerk has) plus the batch's new ratings, which
    ingest counts in the summaries after the rules."""
    rated_rows = [r for r in rows if r["score"] is not None and not r["misuse"] and r["clerk_id"]]
    clerks = sorted({r["clerk_id"] for r in rated_rows})
    if not clerks:
        return []
    today = received.astimezone(zone).date()
    start = today - timedelta(days=settings.trend_days - 1)
    tallies = stats.tally_by(conn, stats.Scope(start, today, (office_id,)), "clerk_id")
    for r in rated_rows:
        if start <= r["local_date"] <= today:
            tallies.setdefault((r["clerk_id"],), stats.Tally()).add_ratings(
                r["scale"], r["score"], r["satisfied"], r["misuse"], 1)
    empty = stats.Tally()  # a clerk whose new ratings all fall outside the period (an old backlog)
    breached = [c for c in clerks if trend_breached(tallies.get((c,), empty).satisfied,
                                                    tallies.get((c,), empty).rated, settings.trend_target)]
    if not breached:
        return []
    recently_closed = set(conn.scalars(select(Alert.clerk_id).where(
        Alert.office_id == office_id, Alert.rule == "trend", Alert.clerk_id.in_(breached),
        Alert.closed_at > received - timedelta(days=settings.trend_days))))
    opened = []
    for clerk in breached:
        if clerk in recently_closed:
            continue  # a closed case covers the same period: none until it has passed
        rated, satisfied = tallies[(clerk,)].rated, tallies[(clerk,)].satisfied
        latest = max(r["created_at"] for r in rated_rows if r["clerk_id"] == clerk)
        share = f"{satisfied * 100 / rated:.0f}".replace(".", ",")
        summary = (f"Cán bộ {names().get(clerk, clerk)}: {share}% hài lòng trong {settings.trend_days} ngày "
                   f"({satisfied}/{rated}), dưới mục tiêu {settings.trend_target * 100:.0f}%")
        first = datetime.combine(start, time(0), zone).astimezone(UTC)
        opened.append(cases.open_alert(conn, cases.NewAlert(
            office_id, "trend", f"clerk:{clerk}", first, latest, summary,
            {"clerks": [clerk], "rated": rated, "satisfied": satisfied, "days": settings.trend_days,
             "target": settings.trend_target}, clerk_id=clerk), settings, received, who()))
    return opened


def check_silent_day(conn: Connection, office_id: str, timezone: str, day: date, settings: Alerts,
                     now: datetime | None = None) -> list[int]:
    """Open a silent-device alert for each counter that finished ``silent_min_tickets`` tickets on
    ``day`` while no rating at all was recorded there. Judged only once the day is over and the
    counter's tablet has uploaded since (pending 0) — or a full day later, so a tablet that is
    merely offline is not called silent before its backlog could arrive."""
    now = now or datetime.now(UTC)
    if "silent" not in settings.rules:
        return []
    zone = ZoneInfo(timezone)
    day_end = datetime.combine(day + timedelta(days=1), time(0), zone)
    if now < day_end:
        return []
    finished = dict(conn.execute(
        select(Ticket.counter_id, func.count()).where(Ticket.office_id == office_id, Ticket.local_date == day,
                                                      Ticket.status == "finished", Ticket.counter_id.is_not(None))
        .group_by(Ticket.counter_id)).all())
    recorded = set(conn.scalars(select(Rating.counter_id).where(Rating.office_id == office_id,
                                                                Rating.local_date == day).distinct()))
    opened = []
    for counter in silent_counters(finished, recorded, settings.silent_min_tickets):
        tablet = conn.execute(
            select(Device.id, Device.name, Device.last_seen_at, Device.pending)
            .where(Device.id == select(Rating.device_id).where(Rating.office_id == office_id,
                                                               Rating.counter_id == counter)
                   .order_by(Rating.created_at.desc()).limit(1).scalar_subquery())).first()
        caught_up = tablet is not None and tablet.last_seen_at and tablet.last_seen_at >= day_end \
            and not tablet.pending
        if not caught_up and now < day_end + timedelta(days=1):
            continue
        name = tablet.name if tablet else "máy tính bảng"
        summary = (f"Quầy {counter}: {name} không ghi nhận đánh giá nào ngày {day:%d/%m/%Y} "
                   f"dù quầy đã phục vụ {finished[counter]} lượt")
        start = datetime.combine(day, time(0), zone).astimezone(UTC)
        opened.append(cases.open_alert(conn, cases.NewAlert(
            office_id, "silent", f"{counter}:{day.isoformat()}", start, day_end.astimezone(UTC), summary,
            {"counters": [counter], "tickets": finished[counter], "device_id": tablet.id if tablet else None,
             "day": day.isoformat()}, late=now >= day_end + timedelta(days=2), counter_id=counter),
            settings, now))
    return [a for a in opened if a is not None]
