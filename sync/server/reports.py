"""The monthly report of one office: an XLSX workbook and a printable HTML page.

What an office sends up the hierarchy each month: counts per rating level and the
satisfaction rate for the whole office and per clerk, counter and service, plus ticket
statistics (tickets by status, no-show rate, waiting and service time p50/p90 by service).

Counts are exact (integer counts straight from the database, the same ``stats.tally_by`` the
dashboard uses). Shares are computed from those counts: in the workbook every share and rate
is an Excel formula over the count cells of its row (with the value cached, so programs that
do not calculate still read it), so whoever edits a count sees the rate follow.

Served by ``sync.server.web.reports`` (``GET /dashboard/reports/monthly``); no HTTP here.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from sync.server import stats
from sync.server.alerts.figures import CaseFigures, case_figures
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.exports import audit_finish, audit_start, escape_cell
from sync.server.i18n import month_name, tr
from sync.server.labels import Names

__all__ = ["MonthlyReport", "audited_report", "build_report", "parse_month", "report_xlsx"]


@dataclass
class Group:
    key: str
    name: str
    tally: stats.Tally


@dataclass
class MonthlyReport:
    office_id: str
    office_name: str
    month: str
    date_from: date
    date_to: date
    lang: str
    level_keys: list[tuple[int, int, str, bool]]  # (scale, score, words, satisfied), most satisfied first
    overall: stats.Tally
    clerks: list[Group] = field(default_factory=list)
    counters: list[Group] = field(default_factory=list)
    services: list[Group] = field(default_factory=list)
    tickets: stats.TicketStats | None = None
    service_times: list[tuple[str, stats.TimeStats, stats.TimeStats]] = field(default_factory=list)
    cases: CaseFigures = field(default_factory=CaseFigures)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    timezone: str = "Asia/Ho_Chi_Minh"  # the office's: "Lập lúc" is its wall-clock time, in HTML and XLSX

    def generated_local(self) -> datetime:
        """When the report was made, in the office's time zone."""
        return self.generated_at.astimezone(ZoneInfo(self.timezone))


def parse_month(text: str | None) -> tuple[date, date]:
    """``2026-03`` → (2026-03-01, 2026-03-31); ``ApiError("bad_request")`` for anything else."""
    try:
        year, month = (int(p) for p in (text or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ApiError("bad_request", f"month: expected YYYY-MM, found {text!r}") from None
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def build_report(conn: Connection, office_id: str, month: str, lang: str = "vi") -> MonthlyReport:
    date_from, date_to = parse_month(month)
    names = Names.load(conn)
    if office_id not in names.offices:
        raise ApiError("not_found", f"office_id: unknown office {office_id!r}")
    scope = stats.Scope(date_from, date_to, (office_id,))
    overall = stats.tally_by(conn, scope)[()]
    configured = names.offices[office_id].levels
    scales = {len(configured)} if configured else set()
    scales |= {scale for scale, _ in overall.levels}
    level_keys = [(scale, lv.score, lv.label(lang), lv.satisfied)
                  for scale in sorted(scales, reverse=True) for lv in names.levels(office_id, scale)]

    def groups(dim: str, name) -> list[Group]:
        tallies = stats.tally_by(conn, scope, dim)
        rows = [Group(str(k[0]), name(k[0]), t) for k, t in tallies.items() if k[0] is not None]
        return sorted(rows, key=lambda g: (g.name.casefold(), g.key))

    report = MonthlyReport(office_id, names.office(office_id), month, date_from, date_to, lang, level_keys, overall)
    report.timezone = names.timezone(office_id)
    report.clerks = groups("clerk_id", lambda c: names.clerk(office_id, c))
    report.counters = sorted(groups("counter_id", lambda c: names.counter(office_id, c, lang)),
                             key=lambda g: int(g.key))
    report.services = groups("service_id", lambda s: names.service(office_id, s, lang))
    report.tickets = stats.ticket_stats(conn, scope)
    empty = stats.TimeStats()
    sids = sorted({k[1] for k in list(report.tickets.wait) + list(report.tickets.service) if k[0] == "service"},
                  key=lambda s: names.service(office_id, s, lang))
    report.service_times = [(names.service(office_id, s, lang), report.tickets.wait.get(("service", s), empty),
                             report.tickets.service.get(("service", s), empty)) for s in sids]
    report.cases = case_figures(conn, office_id, date_from, date_to)
    return report


# --- XLSX ---------------------------------------------------------------------------------------


def report_xlsx(report: MonthlyReport) -> bytes:
    """The workbook: Tổng hợp (summary), Cán bộ, Quầy, Lĩnh vực, Lượt phục vụ."""
    import xlsxwriter

    lang = report.lang

    def t(key, **kw):
        return tr(lang, key, **kw)

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F3", "border": 1, "text_wrap": True, "valign": "top"})
    pct = wb.add_format({"num_format": "0.0%"})
    dur = wb.add_format({"num_format": "[h]:mm:ss"})
    datef = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})

    # Summary
    ws = wb.add_worksheet(t("summary"))
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 16)
    ws.write_string(0, 0, t("report_title"), title)
    ws.write_string(1, 0, escape_cell(report.office_name), bold)
    ws.write_string(2, 0, t("report_period", m=month_name(report.month)))
    ws.write_string(3, 0, t("generated"))
    ws.write_datetime(3, 1, report.generated_local().replace(tzinfo=None), datef)
    o = report.overall
    rows = [("total_prompts", o.total), ("rated", o.rated), ("satisfied", o.satisfied),
            ("unrated", o.unrated), ("misuse", o.misuse)]
    ws.write_row(5, 0, [t("summary"), t("count")], head)
    r = 6
    for key, value in rows:
        ws.write_string(r, 0, t(key))
        ws.write_number(r, 1, value)
        r += 1
    # rated is B8, satisfied B9 (rows 7 and 8, zero-based)
    ws.write_string(r, 0, t("sat_rate"), bold)
    ws.write_formula(r, 1, '=IF(B8>0,B9/B8,"")', pct, o.rate if o.rate is not None else "")
    r += 2
    ws.write_row(r, 0, [t("level"), t("count"), t("share")], head)
    r += 1
    for scale, score, words, _sat in report.level_keys:
        ws.write_string(r, 0, f"{score} — {words}" + (f" ({scale})" if len({k[0] for k in report.level_keys}) > 1
                                                       else ""))
        count = o.levels.get((scale, score), 0)
        ws.write_number(r, 1, count)
        ws.write_formula(r, 2, f'=IF($B$8>0,B{r + 1}/$B$8,"")', pct, count / o.rated if o.rated else "")
        r += 1
    r += 1
    ts = report.tickets
    ws.write_row(r, 0, [t("tickets"), t("count")], head)
    r += 1
    for st in ("finished", "no_show", "transferred", "cancelled", "waiting", "called", "serving"):
        ws.write_string(r, 0, t(f"st_{st}"))
        ws.write_number(r, 1, ts.statuses.get(st, 0))
        r += 1
    ws.write_string(r, 0, t("tickets_issued"), bold)
    ws.write_formula(r, 1, f"=SUM(B{r - 6}:B{r})", bold, ts.total)
    fin_row, ns_row = r - 6, r - 5  # 1-based rows of finished and no-show
    r += 1
    ws.write_string(r, 0, t("no_show_rate"), bold)
    ws.write_formula(r, 1, f'=IF(B{fin_row}+B{ns_row}>0,B{ns_row}/(B{fin_row}+B{ns_row}),"")', pct,
                     ts.no_show_rate if ts.no_show_rate is not None else "")
    r += 2
    ws.write_row(r, 0, ["", "n", "p50", "p90"], head)
    r += 1
    for key, target in (("wait_time", ts.wait), ("service_time", ts.service)):
        st = target.get(("all",), stats.TimeStats())
        ws.write_string(r, 0, t(key))
        ws.write_number(r, 1, st.n)
        for c, v in ((2, st.p50), (3, st.p90)):
            if v is not None:
                ws.write_number(r, c, v / 86400, dur)
        r += 1
    r += 1
    cf = report.cases
    ws.write_row(r, 0, [t("report_cases"), t("count")], head)
    r += 1
    for key, value in (("cases_raised", cf.raised), ("cases_resolved", cf.resolved),
                       ("cases_on_time", cf.resolved_on_time), ("cases_dismissed", cf.dismissed),
                       ("letters_sent", cf.letters_sent)):
        ws.write_string(r, 0, t(key))
        ws.write_number(r, 1, value)
        r += 1
    ws.write_string(r, 0, t("cases_median"))
    if cf.median_resolve_s is not None:
        ws.write_number(r, 1, cf.median_resolve_s / 86400, dur)

    # Per clerk / counter / service
    for sheet, groups, first in ((t("clerk"), report.clerks, t("clerk")), (t("counter"), report.counters, t("counter")),
                                 (t("service"), report.services, t("service"))):
        _group_sheet(wb, sheet, first, groups, report, head, pct, t)

    # Ticket times per service
    ws = wb.add_worksheet(t("nav_tickets"))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 12)
    ws.write_string(0, 0, t("wait_note"))
    ws.write_row(2, 0, [t("service"), f"{t('wait_time')} n", f"{t('wait_time')} p50", f"{t('wait_time')} p90",
                        f"{t('service_time')} n", f"{t('service_time')} p50", f"{t('service_time')} p90"], head)
    ws.freeze_panes(3, 1)
    for i, (name, w, s) in enumerate(report.service_times, start=3):
        ws.write_string(i, 0, escape_cell(name))
        for c, st in ((1, w), (4, s)):
            ws.write_number(i, c, st.n)
            for dc, v in ((1, st.p50), (2, st.p90)):
                if v is not None:
                    ws.write_number(i, c + dc, v / 86400, dur)
    wb.close()
    return out.getvalue()


def _group_sheet(wb, sheet: str, first: str, groups: list[Group], report: MonthlyReport, head, pct, t) -> None:
    ws = wb.add_worksheet(sheet[:31])
    levels = report.level_keys
    headers = [first, t("rated"), t("satisfied"), t("sat_rate")]
    headers += [f"{score} — {words}" for _scale, score, words, _ in levels]
    headers += [t("unrated"), t("misuse"), t("wilson")]
    ws.set_column(0, 0, 28)
    ws.set_column(1, len(headers) - 1, 13)
    ws.set_row(0, 45)
    ws.write_row(0, 0, headers, head)
    ws.freeze_panes(1, 1)
    for r, g in enumerate(groups, start=1):
        tl = g.tally
        ws.write_string(r, 0, escape_cell(g.name))
        ws.write_number(r, 1, tl.rated)
        ws.write_number(r, 2, tl.satisfied)
        ws.write_formula(r, 3, f'=IF(B{r + 1}>0,C{r + 1}/B{r + 1},"")', pct, tl.rate if tl.rate is not None else "")
        c = 4
        for scale, score, _w, _s in levels:
            ws.write_number(r, c, tl.levels.get((scale, score), 0))
            c += 1
        ws.write_number(r, c, tl.unrated)
        ws.write_number(r, c + 1, tl.misuse)
        if tl.wilson is not None:
            ws.write_number(r, c + 2, tl.wilson, pct)
    if groups:
        ws.autofilter(0, 0, len(groups), len(headers) - 1)


def audited_report(db: Database, username: str, office_id: str, month: str, kind: str,
                   lang: str = "vi") -> MonthlyReport:
    """Build the report of ``office_id`` for ``month`` (read from the read replica when there is
    one, ``Database.reading``) and write it to the export audit log on the primary (``kind`` =
    ``report.html`` / ``report.xlsx``, who, which office and month, how many ratings)."""
    engine = db.engine
    parse_month(month)
    audit_id = audit_start(engine, username, kind, json.dumps({"month": month, "office_id": office_id},
                                                             sort_keys=True))
    rows = 0
    try:
        with db.reading() as (conn, _source):
            report = build_report(conn, office_id, month, lang)
        rows = report.overall.total
    finally:
        audit_finish(engine, audit_id, rows)
    return report
