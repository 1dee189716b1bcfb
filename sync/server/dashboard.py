"""The admin dashboard: server-rendered HTML pages over the central database.

Pages (all behind a dashboard login; Vietnamese by default, ``?lang=en`` switches and is
remembered in a cookie):

* ``/dashboard`` — satisfaction rate with n, counts per level, trend by day/week/month,
  results per office;
* ``/dashboard/breakdown`` — per counter, clerk ranking (Wilson lower bound, minimum-n flag),
  per service, per hour of day;
* ``/dashboard/feedback`` — reasons given with low scores, recent comments;
* ``/dashboard/tickets`` — waiting and service time p50/p90 by service and hour, no-show rate;
* ``/dashboard/devices`` — device health, enrollment code (text + QR), revoke;
* ``/dashboard/exports`` — rating export form, monthly reports, and for province admins the
  export audit log.

Every page takes the same filter: ``from``/``to`` (local dates, inclusive) and ``office_id``.
Which offices a request may see is decided in one place, ``Principal.office_ids_for``: an office
manager always gets their own office, whatever the URL says (asking for another one is a 403).

No JavaScript framework and no CDN: HTML from Jinja templates, charts as inline SVG
(``charts.py``), one local stylesheet — so the dashboard works on an office LAN without
internet and prints as it looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from sync.server import charts, stats
from sync.server.auth import (
    SESSION_COOKIE,
    AuthError,
    Principal,
    authenticate,
    check_csrf,
    clear_session_cookie,
    create_session,
    end_session,
    login_allowed,
    optional_admin,
    set_session_cookie,
)
from sync.server.errors import ApiError
from sync.server.i18n import LANG_COOKIE, LANGS, month_name, tr
from sync.server.labels import Names
from sync.server.models import DEVICE_KINDS

__all__ = ["PageFilter", "fmt_duration", "fmt_num", "fmt_pct", "render", "router"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_DAYS = 30
MAX_CONFIG_BYTES = 512 * 1024
MIN_N = stats.MIN_N_DEFAULT

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                          autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


# --- formatting (also used by the report) -----------------------------------------------------


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def fmt_num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}".replace(",", ".")


def fmt_duration(seconds: float | None, lang: str = "vi") -> str:
    """``432.0`` → ``7 phút 12 giây`` / ``7 min 12 s``."""
    if seconds is None:
        return "—"
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    units = ("h", "min", "s") if lang == "en" else ("giờ", "phút", "giây")
    parts = [f"{h} {units[0]}"] if h else []
    if m or h:
        parts.append(f"{m} {units[1]}")
    if not h:
        parts.append(f"{s} {units[2]}")
    return " ".join(parts)


def _fmt_dt(value: datetime | None, zone: str = "Asia/Ho_Chi_Minh") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


@jinja2.pass_context
def _pct_filter(context, value: float | None) -> str:
    """87,5% in Vietnamese pages, 87.5% in English ones."""
    text = fmt_pct(value)
    return text.replace(",", ".") if context.get("lang") == "en" else text


@jinja2.pass_context
def _num_filter(context, value: float | None) -> str:
    """12.345 in Vietnamese pages, 12,345 in English ones."""
    text = fmt_num(value)
    return text.replace(".", ",") if context.get("lang") == "en" else text


_env.filters.update(pct=_pct_filter, num=_num_filter, dt=_fmt_dt)
_env.globals["month_name"] = month_name


def render(template: str, request: Request, lang: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a template with the helpers every page uses (``t``, ``duration``, ``lang``)."""
    def t(key, **values):
        return tr(lang, key, **values)

    html = _env.get_template(template).render(request=request, lang=lang, t=t,
                                              duration=lambda s: fmt_duration(s, lang), **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def page_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGS else "vi"


# --- filters ----------------------------------------------------------------------------------


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


def page_filter(request: Request, principal: Principal, today: date | None = None) -> PageFilter:
    """Read ``from``/``to``/``office_id``; bad dates fall back to the last 30 days (flagged),
    another office than a manager's own raises 403."""
    params = request.query_params
    today = today or datetime.now(UTC).date()
    error = False
    try:
        date_to = date.fromisoformat(params["to"]) if params.get("to") else today
        date_from = (date.fromisoformat(params["from"]) if params.get("from")
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


# --- pages --------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)
MaybeAdmin = Annotated[Principal | None, Depends(optional_admin)]  # None: not signed in → login page

NAV = [("overview", "/dashboard", "nav_overview"), ("breakdown", "/dashboard/breakdown", "nav_breakdown"),
       ("feedback", "/dashboard/feedback", "nav_feedback"), ("tickets", "/dashboard/tickets", "nav_tickets"),
       ("devices", "/dashboard/devices", "nav_devices"), ("exports", "/dashboard/exports", "nav_exports")]


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _page(request: Request, principal: Principal, page: str, template: str, build) -> Response:
    """Common frame of every dashboard page: language, filter, offices, then the page's data
    (``build(conn, filter, names)`` run in the calling worker thread)."""
    lang = page_lang(request)
    filt = page_filter(request, principal)
    db = request.app.state.db
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # these grouped scans finish in well under a second; compiling them with JIT
            # costs ~0.1 s more than it saves
            conn.exec_driver_sql("SET LOCAL jit = off")
        names = Names.load(conn)
        offices = [(oid, o.name) for oid, o in sorted(names.offices.items(), key=lambda kv: kv[1].name)
                   if principal.can_see(oid)]
        data = build(conn, filt, names, lang)
    here = next(href for key, href, _ in NAV if key == page)
    return render(template, request, lang, principal=principal, page=page, here=here, nav=NAV, filt=filt,
                  offices=offices, names=names, min_n=MIN_N, **data)


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


def _overview(conn, filt: PageFilter, names: Names, lang: str, granularity: str | None) -> dict:
    t = stats.tally_by(conn, filt.scope, "local_date", "office_id")
    overall = stats.rollup(t, lambda k: ()).get((), stats.Tally())
    per_day = stats.rollup(t, lambda k: k[0])
    per_office = stats.rollup(t, lambda k: k[1])
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


def _breakdown(conn, filt: PageFilter, names: Names, lang: str) -> dict:
    scope = filt.scope
    many = _single_office(filt) is None
    # one scan for all four breakdowns, rolled up here
    fine = stats.counts_by(conn, scope, "office_id", "counter_id", "clerk_id", "service_id", "local_hour")
    counters = stats.rollup(fine, lambda k: (k[0], k[1]))
    clerks = {k: t for k, t in stats.rollup(fine, lambda k: (k[0], k[2])).items() if k[1] is not None}
    services = {k: t for k, t in stats.rollup(fine, lambda k: (k[0], k[3])).items() if k[1] is not None}
    hours = stats.rollup(fine, lambda k: k[4])

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
    return {
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


def _feedback(conn, filt: PageFilter, names: Names, lang: str) -> dict:
    office = _single_office(filt)
    counts, low_total = stats.reason_counts(conn, filt.scope)
    reason_rows = [(names.reason(office, code, lang), n, stats.share(n, low_total)) for code, n in counts.most_common()]
    comments = []
    for row in stats.recent_comments(conn, filt.scope, 30):
        level = names.level(row.office_id, row.scale, row.score)
        comments.append({
            "when": _fmt_dt(row.created_at, names.timezone(row.office_id)), "office": names.office(row.office_id),
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
    import json

    try:
        codes = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(c) for c in codes] if isinstance(codes, list) else []


def _tickets(conn, filt: PageFilter, names: Names, lang: str) -> dict:
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


@router.get("/", include_in_schema=False)
def root():
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login")
def login_page(request: Request, principal: MaybeAdmin, next: str = "/dashboard"):
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render("login.html", request, page_lang(request), next=_safe_next(next), error=None)


def _safe_next(target: str | None) -> str:
    """Only redirect inside this site after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target


@router.post("/login")
async def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                       next: str = Form("/dashboard")):
    lang = page_lang(request)
    try:
        login_allowed(request, username)
    except ApiError:
        return render("login.html", request, lang, status_code=429, next=_safe_next(next), error="too_many",
                      username=username)
    settings = request.app.state.settings

    def work():
        with request.app.state.db.session() as s:
            try:
                admin = authenticate(s, username, password)
            except AuthError as err:
                s.commit()
                return None, err
            cookie, _csrf = create_session(s, admin, settings.session_ttl_s)
            s.commit()
            return cookie, None

    cookie, err = await run_in_threadpool(work)
    if cookie is None:
        key = "locked" if err.code == "account_locked" else "bad_login"
        return render("login.html", request, lang, status_code=err.status, next=_safe_next(next), error=key,
                      username=username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, cookie, request, settings.session_ttl_s)
    return response


@router.post("/logout")
def logout(request: Request, principal: MaybeAdmin, csrf_token: str = Form("")):
    if principal is not None:
        check_csrf(principal, csrf_token)
        with request.app.state.db.session() as s:
            end_session(s, request.cookies.get(SESSION_COOKIE))
            s.commit()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/dashboard")
def overview(request: Request, principal: MaybeAdmin, g: str | None = None):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "overview", "overview.html",
                 lambda conn, f, n, lang: _overview(conn, f, n, lang, g))


@router.get("/dashboard/breakdown")
def breakdown(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "breakdown", "breakdown.html", _breakdown)


@router.get("/dashboard/feedback")
def feedback(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "feedback", "feedback.html", _feedback)


@router.get("/dashboard/tickets")
def tickets(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "tickets", "tickets.html", _tickets)


def _devices(conn, filt: PageFilter, names: Names, lang: str, enrolled=None, message=None) -> dict:
    now = datetime.now(UTC)
    rows = []
    for d in stats.device_health(conn, filt.scope.office_ids):
        problems = []
        if d.revoked_at is not None:
            problems.append("revoked")
        else:
            if stats.stale(d.last_seen_at, now):
                problems.append("stale")
            if d.clock_skew_s is not None and abs(d.clock_skew_s) > 120:
                problems.append("skewed")
        rows.append({"d": d, "office": names.office(d.office_id), "problems": problems,
                     "last_seen": _fmt_dt(d.last_seen_at, names.timezone(d.office_id)) if d.last_seen_at else None})
    return {"devices": rows, "kinds": DEVICE_KINDS, "enrolled": enrolled, "message": message}


@router.get("/dashboard/devices")
def devices(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "devices", "devices.html", _devices)


@router.post("/dashboard/devices/enroll")
def enroll(request: Request, principal: MaybeAdmin, office_id: str = Form(""), kind: str = Form("tablet"),
           name: str = Form(""),
           csrf_token: str = Form("")):
    """Create a one-time enrollment code and show it as text and QR."""
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    office_id = office_id or principal.office_id or ""
    if not principal.can_see(office_id):
        raise ApiError(403, "forbidden", f"you can only enroll devices of office {principal.office_id!r}")
    from sync.server.devices import create_enrollment_code

    with request.app.state.db.session() as s:
        try:
            code, expires = create_enrollment_code(s, office_id, kind, name)
        except ValueError as err:
            problem = str(err)
            return _page(request, principal, "devices", "devices.html",
                         lambda c, f, n, lang: _devices(c, f, n, lang, message=problem))
        s.commit()
    enrolled = {"code": code, "expires": _fmt_dt(expires), "name": name.strip(), "qr": _qr_svg(code)}
    return _page(request, principal, "devices", "devices.html",
                 lambda c, f, n, lang: _devices(c, f, n, lang, enrolled=enrolled))


def _qr_svg(text: str) -> str:
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


@router.post("/dashboard/devices/{device_id}/revoke")
def revoke(request: Request, principal: MaybeAdmin, device_id: str, csrf_token: str = Form("")):
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    from sync.server.devices import revoke_device
    from sync.server.models import Device

    with request.app.state.db.session() as s:
        device = s.get(Device, device_id)
        if device is None or not principal.can_see(device.office_id):
            raise ApiError(404, "not_found", f"no device {device_id!r} you can manage")
        revoke_device(s, device_id)
        s.commit()
    lang = page_lang(request)
    return _page(request, principal, "devices", "devices.html",
                 lambda c, f, n, l: _devices(c, f, n, l, message=tr(lang, "revoked_ok", d=device_id)))


@router.post("/dashboard/offices/import")
def import_office_upload(request: Request, principal: MaybeAdmin, file: Annotated[UploadFile, File()],
                         csrf_token: str = Form("")):
    """Register or update an office from its config.yaml (province admins; the same as
    ``sync-server import-office``). A bad file is refused with every problem listed."""
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    if not principal.is_province_admin:
        raise ApiError(403, "forbidden", "only a province admin registers offices")
    import tempfile

    from sync.config import ConfigError, load_config
    from sync.server.offices import import_office

    lang = page_lang(request)
    data = file.file.read(MAX_CONFIG_BYTES + 1)
    problems: list[str] = []
    summary = None
    if len(data) > MAX_CONFIG_BYTES:
        problems.append(tr(lang, "config_too_big", n=MAX_CONFIG_BYTES // 1024))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.yaml"
            path.write_bytes(data)
            try:
                cfg = load_config(path)
            except ConfigError as err:
                problems = err.problems
            else:
                with request.app.state.db.begin() as s:
                    summary = import_office(s, cfg)
    if summary is not None:
        message = tr(lang, "office_imported", o=summary.office_id, s=summary.services, c=summary.counters,
                            k=summary.clerks)
    else:
        message = tr(lang, "office_refused", f=file.filename or "config.yaml") + " " + "; ".join(problems)
    return _page(request, principal, "devices", "devices.html",
                 lambda c, f, n, lg: _devices(c, f, n, lg, message=message))


@router.get("/dashboard/exports")
def exports_page(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)

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

    return _page(request, principal, "exports", "exports.html", build)


@router.get("/static/{name}")
def static(name: str):
    """The dashboard's own stylesheet and icon (no CDN: everything is served from here)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, "not_found", f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})
