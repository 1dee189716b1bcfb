"""What each dashboard page shows: the figures, tables and charts of a page, from the database.

Pages (all behind a dashboard login; served by ``sync.server.web.dashboard``):

* overview — satisfaction rate with n, counts per level, trend by day/week/month, results
  per office;
* breakdown — per counter, clerk ranking (Wilson lower bound, minimum-n flag), per service,
  per hour of day;
* feedback — reasons given with low scores, recent comments;
* tickets — waiting and service time p50/p90 by service and hour, no-show rate;
* devices — device health, enrollment code (text + QR);
* exports — rating export form, monthly reports, and for province admins the export audit log.

Every page takes the same filter (``PageFilter``): ``from``/``to`` (local dates, inclusive)
and ``office_id``. Which offices a request may see is decided in one place,
``Principal.office_ids_for``: an office manager always gets their own office, whatever the
URL says (asking for another one is a 403). Figures come from ``stats`` (one definition of
each); this module arranges them for the templates. No HTTP here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sync.server import charts, stats
from sync.server.admins import Principal
from sync.server.alerts import cases
from sync.server.db import Database
from sync.server.devices import revoke_device
from sync.server.errors import ApiError
from sync.server.formats import fmt_dt, fmt_duration, fmt_num
from sync.server.i18n import parse_day, tr
from sync.server.labels import Names
from sync.server.models import DEVICE_KINDS, Device
from sync.server.replica import ReadSource

__all__ = ["DEFAULT_DAYS", "MIN_N", "PageData", "PageFilter", "breakdown", "devices", "exports", "feedback",
           "load_page", "overview", "page_filter", "qr_svg", "revoke_for", "tickets"]

DEFAULT_DAYS = 30
MIN_N = stats.MIN_N_DEFAULT


@dataclass
class PageFilter:
    """The filter bar: local date range and office, already checked against the admin's rights."""

    date_from: date
    date_to: date
    office_id: str | None
    scope: stats.Scope
    error: bool = False

    def query(self, **extra) -> str:
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.office_id:
            params["office_id"] = self.office_id
        params.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(params)


def page_filter(params: Mapping[str, str], principal: Principal, today: date | None = None) -> PageFilter:
    """Read ``from``/``to``/``office_id`` of a page's query; bad dates fall back to the last 30
    days (flagged), another office than a manager's own raises 403."""
    today = today or datetime.now(UTC).date()
    error = False
    try:
        date_to = parse_day(params["to"]) if params.get("to") else today
        date_from = (parse_day(params["from"]) if params.get("from")
                     else date_to - timedelta(days=DEFAULT_DAYS - 1))
        if date_from > date_to:
            raise ValueError("from after to")
    except ValueError:
        error = True
        date_to, date_from = today, today - timedelta(days=DEFAULT_DAYS - 1)
    requested = params.get("office_id") or None
    office_ids = principal.office_ids_for(requested)
    office_id = requested if principal.is_province_admin else principal.office_id
    scope = stats.Scope(date_from, date_to, tuple(office_ids) if office_ids is not None else None)
    return PageFilter(date_from, date_to, office_id, scope, error)


@dataclass
class PageData:
    """What every page's frame needs besides its own figures."""

    names: Names
    offices: list[tuple[str, str]]  # (id, name) the admin may see, by name
    data: dict
    open_cases: int = 0  # the nav badge: open alert cases the admin may see
    source: ReadSource | None = None  # which database answered (the read replica, or the primary and why)


def load_page(db: Database, principal: Principal, filt: PageFilter, lang: str,
              build: Callable[[object, PageFilter, Names, str], dict], primary: bool = False) -> PageData:
    """Open one read connection — on the read replica when there is one and it keeps up, on the
    primary with ``primary=True`` (a page right after a change must show it) — load the names,
    and run the page's ``build(conn, filt, names, lang)``."""
    with db.reading(primary) as (conn, source):
        if conn.dialect.name == "postgresql":
            # these grouped scans finish in well under a second; compiling them with JIT
            # costs ~0.1 s more than it saves
            conn.exec_driver_sql("SET LOCAL jit = off")
        names = Names.load(conn)
        offices = [(oid, o.name) for oid, o in sorted(names.offices.items(), key=lambda kv: kv[1].name)
                   if principal.can_see(oid)]
        return PageData(names, offices, build(conn, filt, names, lang),
                        cases.open_count(conn, principal.office_ids_for(None)), source)


def _single_office(filt: PageFilter) -> str | None:
    ids = filt.scope.office_ids
    return ids[0] if ids and len(ids) == 1 else None


def _level_rows(tally: stats.Tally, names: Names, office_id: str | None, lang: str) -> list[dict]:
    """One row per level actually used, most satisfied first, grouped by scale."""
    rows = []
    for scale in sorted({scale for scale, _ in tally.levels}, reverse=True):
        colors = charts.level_colors([lv.satisfied for lv in names.levels(office_id, scale)])
        for i, level in enumerate(names.levels(office_id, scale)):
            count = tally.levels.get((scale, level.score), 0)
            rows.append({"scale": scale, "score": level.score, "label": level.label(lang), "count": count,
                         "share": stats.share(count, tally.rated), "satisfied": level.satisfied,
                         "color": colors[i]})
    return rows


def overview(conn, filt: PageFilter, names: Names, lang: str, granularity: str | None = None) -> dict:
    # Two small groupings done by the database (days of the period, offices shown), not
    # days × offices rows merged here: a year over 120 offices is 44,000 such rows.
    per_day = stats.rollup(stats.tally_by(conn, filt.scope, "local_date"), lambda k: k[0])
    by_office = stats.tally_by(conn, filt.scope, "office_id")
    overall = stats.rollup(by_office, lambda k: ()).get((), stats.Tally())
    per_office = stats.rollup(by_office, lambda k: k[0])
    granularity = granularity if granularity in ("day", "week", "month") else \
        stats.choose_granularity(filt.date_from, filt.date_to)
    periods = stats.trend(per_day, filt.date_from, filt.date_to, granularity)

    def period_label(start: date) -> str:
        if granularity == "month":
            return start.strftime("%m/%Y")
        if granularity == "week":
            return f"{tr(lang, 'week')} {start.isocalendar()[1]}"
        return start.strftime("%d/%m")

    office = _single_office(filt)
    levels = _level_rows(overall, names, office, lang)
    office_rows = sorted(((oid, names.office(oid), tally) for oid, tally in per_office.items()),
                         key=lambda r: (-(r[2].rate or 0), r[1]))
    return {
        "overall": overall,
        "levels": levels,
        "level_charts": [(scale, charts.stacked_bar([(r["label"], r["count"], r["color"]) for r in levels
                                                     if r["scale"] == scale],
                                                    title=tr(lang, "levels"), empty=tr(lang, "none")))
                         for scale in sorted({r["scale"] for r in levels}, reverse=True)] or
                        [(None, charts.stacked_bar([], title="", empty=tr(lang, "none")))],
        "granularity": granularity,
        "trend": [(period_label(start), tally) for start, tally in periods],
        "trend_chart": charts.line_chart([(period_label(s), tl.rate, tl.rated) for s, tl in periods],
                                         title=tr(lang, "trend"), empty=tr(lang, "none")),
        "office_rows": office_rows,
        "office_chart": charts.hbar_chart([(name, tl.rate, f"n = {fmt_num(tl.rated)}") for _, name, tl in office_rows],
                                          title=tr(lang, "by_office"), empty=tr(lang, "none")),
    }


def breakdown(conn, filt: PageFilter, names: Names, lang: str) -> dict:
    scope = filt.scope
    many = _single_office(filt) is None
    # Each breakdown grouped by the database: the rows read are the groups shown, however
    # many (office, counter, clerk, service, hour, channel) combinations the summaries hold.
    counters, clerks, services, hours, channels = stats.tally_groupings(conn, scope, [
        ("office_id", "counter_id"), ("office_id", "clerk_id"), ("office_id", "service_id"), ("local_hour",),
        ("channel",)])
    clerks = {k: t for k, t in clerks.items() if k[1] is not None}
    services = {k: t for k, t in services.items() if k[1] is not None}
    hours = stats.rollup(hours, lambda k: k[0])
    channels = stats.rollup(channels, lambda k: k[0])

    def label(office_id, text):
        return f"{text} · {names.office(office_id)}" if many else text

    counter_rows = sorted(((label(o, names.counter(o, c, lang)), tl) for (o, c), tl in counters.items()),
                          key=lambda r: r[0])
    service_rows = sorted(((label(o, names.service(o, s, lang)), tl) for (o, s), tl in services.items()),
                          key=lambda r: r[0])
    ranked = stats.ranking(clerks, MIN_N)
    clerk_rows = [{"name": names.clerk(r.key[0], r.key[1]), "clerk_id": r.key[1], "office": names.office(r.key[0]),
                   "tally": r.tally, "enough": r.enough} for r in ranked]
    hour_keys = sorted(hours)
    channel_rows = [(tr(lang, f"channel_{c}"), channels[c]) for c in ("tablet", "phone") if c in channels]
    return {
        "channel_rows": channel_rows,
        "channel_chart": charts.hbar_chart([(n, tl.rate, f"n = {fmt_num(tl.rated)}") for n, tl in channel_rows],
                                           title=tr(lang, "by_channel"), empty=tr(lang, "none")),
        "counter_rows": counter_rows,
        "counter_chart": charts.hbar_chart([(n, tl.rate, f"n = {fmt_num(tl.rated)}") for n, tl in counter_rows],
                                           title=tr(lang, "by_counter"), empty=tr(lang, "none")),
        "clerk_rows": clerk_rows,
        "clerk_chart": charts.hbar_chart([(r["name"], r["tally"].rate, f"n = {fmt_num(r['tally'].rated)}")
                                          for r in clerk_rows], title=tr(lang, "by_clerk"),
                                         empty=tr(lang, "none"), flag=[not r["enough"] for r in clerk_rows]),
        "service_rows": service_rows,
        "service_chart": charts.hbar_chart([(n, tl.rate, f"n = {fmt_num(tl.rated)}") for n, tl in service_rows],
                                           title=tr(lang, "by_service"), empty=tr(lang, "none")),
        "hour_rows": [(h, hours[h]) for h in hour_keys],
        "hour_chart": charts.column_chart([f"{h}h" for h in hour_keys], [hours[h].rated for h in hour_keys],
                                          title=tr(lang, "ratings_per_hour"), empty=tr(lang, "none")),
        "hour_rate_chart": charts.line_chart([(f"{h}h", hours[h].rate, hours[h].rated) for h in hour_keys],
                                             title=tr(lang, "by_hour"), empty=tr(lang, "none")),
    }


def feedback(conn, filt: PageFilter, names: Names, lang: str) -> dict:
    office = _single_office(filt)
    counts, low_total = stats.reason_counts(conn, filt.scope)
    reason_rows = [(names.reason(office, code, lang), n, stats.share(n, low_total)) for code, n in counts.most_common()]
    comments = []
    for row in stats.recent_comments(conn, filt.scope, 30):
        level = names.level(row.office_id, row.scale, row.score)
        comments.append({
            "when": fmt_dt(row.created_at, names.timezone(row.office_id)), "office": names.office(row.office_id),
            "counter": names.counter(row.office_id, row.counter_id, lang),
            "clerk": names.clerk(row.office_id, row.clerk_id),
            "service": names.service(row.office_id, row.service_id, lang),
            "level": level.label(lang) if level else tr(lang, "unrated"),
            "satisfied": row.satisfied, "comment": row.comment,
            "reasons": ", ".join(names.reason(row.office_id, c, lang) for c in _codes(row.reasons))})
    return {"reason_rows": reason_rows, "low_total": low_total, "comments": comments,
            "reason_chart": charts.hbar_chart([(r, s, f"{fmt_num(n)}") for r, n, s in reason_rows],
                                              title=tr(lang, "reasons"), empty=tr(lang, "none"))}


def _codes(text: str | None) -> list[str]:
    try:
        codes = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(c) for c in codes] if isinstance(codes, list) else []


def tickets(conn, filt: PageFilter, names: Names, lang: str) -> dict:
    office = _single_office(filt)
    ts = stats.ticket_stats(conn, filt.scope)
    service_ids = sorted({k[1] for k in list(ts.wait) + list(ts.service) if k[0] == "service"},
                         key=lambda s: names.service(office, s, lang) if office else s)
    hours = sorted({k[1] for k in list(ts.wait) + list(ts.service) if k[0] == "hour"})

    def svc_name(sid):
        if office:
            return names.service(office, sid, lang)
        found = next((v for (o, s), v in names.services.items() if s == sid), None)
        return (found[1] if lang == "en" else found[0]) if found else sid

    empty = stats.TimeStats()
    by_service = [(svc_name(s), ts.wait.get(("service", s), empty), ts.service.get(("service", s), empty))
                  for s in service_ids]
    by_hour = [(f"{h}h", ts.wait.get(("hour", h), empty), ts.service.get(("hour", h), empty)) for h in hours]
    status_rows = [(tr(lang, f"st_{st}"), ts.statuses.get(st, 0), stats.share(ts.statuses.get(st, 0), ts.total))
                   for st in ("waiting", "called", "serving", "finished", "no_show", "transferred", "cancelled")]
    return {"ts": ts, "status_rows": status_rows, "wait_all": ts.wait.get(("all",), empty),
            "service_all": ts.service.get(("all",), empty), "by_service": by_service, "by_hour": by_hour,
            "wait_chart": charts.hbar_chart([(n, w.p50 / 60 if w.p50 is not None else None,
                                              f"p90 {fmt_duration(w.p90, lang)}")
                                             for n, w, _ in by_service], title=tr(lang, "wait_time"),
                                            percent=False, empty=tr(lang, "none"))}


def devices(conn, filt: PageFilter, names: Names, lang: str, enrolled=None, message=None) -> dict:
    """Each device's health as it reported it (with the time of that report) and the
    records held in quarantine, waiting for an admin's decision."""
    from sync.server import quarantine

    now = datetime.now(UTC)
    rows = []
    held = quarantine.open_counts(conn, filt.scope.office_ids)
    for d in stats.device_health(conn, filt.scope.office_ids):
        problems = []
        if d.revoked_at is not None:
            problems.append("revoked")
        else:
            if stats.stale(d.last_seen_at, now):
                problems.append("stale")
            if d.clock_skew_s is not None and abs(d.clock_skew_s) > 120:
                problems.append("skewed")
            if held.get(d.id) or d.quarantined:
                problems.append("quarantine_flag")
            if d.pending:
                problems.append("backlog")
        rows.append({"d": d, "office": names.office(d.office_id), "problems": problems, "held": held.get(d.id, 0),
                     "last_seen": fmt_dt(d.last_seen_at, names.timezone(d.office_id)) if d.last_seen_at else None})
    entries = [{"e": e, "office": names.office(e.office_id), "at": fmt_dt(e.received_at, names.timezone(e.office_id)),
                "record": json.dumps(e.record, ensure_ascii=False, sort_keys=True, indent=1)}
               for e in quarantine.open_entries(conn, filt.scope.office_ids)]
    return {"devices": rows, "kinds": DEVICE_KINDS, "enrolled": enrolled, "message": message, "quarantine": entries}


def qr_svg(text: str) -> str:
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def revoke_for(db: Database, principal: Principal, device_id: str) -> None:
    """Revoke a device the admin may manage; 404 for an unknown one or another office's."""
    with db.session() as s:
        device = s.get(Device, device_id)
        if device is None or not principal.can_see(device.office_id):
            raise ApiError("not_found", f"no device {device_id!r} you can manage")
        revoke_device(s, device_id)
        s.commit()


def exports(principal: Principal) -> Callable:
    """The exports page's builder: months to report on, filter choices, and the audit log
    for a province admin."""
    def build(conn, filt, names, lang):
        office = _single_office(filt)
        months = []
        first = filt.date_to.replace(day=1)
        for _ in range(12):
            months.append(first.strftime("%Y-%m"))
            first = (first - timedelta(days=1)).replace(day=1)
        audit = stats.audit_log(conn, 200) if principal.is_province_admin else []
        return {"office": office, "months": months, "audit": audit,
                "counters": sorted({(o, c) for (o, c) in names.counters if office in (None, o)}),
                "clerks": sorted({(o, c) for (o, c) in names.clerks if office in (None, o)}),
                "services": sorted({(o, s) for (o, s) in names.services if office in (None, o)})}

    return build
