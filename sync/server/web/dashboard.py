"""The admin dashboard's routes: login, the pages, and the forms of the devices page.

``/login``, ``/logout``, ``/dashboard`` (overview), ``/dashboard/breakdown``, ``/feedback``,
``/tickets``, ``/devices`` (with enroll, revoke, quarantine decisions and office import forms), ``/exports``, and the
dashboard's own ``/static`` files. A request without a session is sent to the login page.
What each page shows is ``sync.server.dashboard``; how it is drawn is ``pages`` and the
templates. Every form POST checks the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from sync.server import dashboard
from sync.server.admins import Principal, authenticate, check_csrf, create_session, end_session
from sync.server.devices import create_enrollment_code
from sync.server.errors import ApiError, AuthError
from sync.server.formats import fmt_dt
from sync.server.i18n import read_source_text, tr
from sync.server.offices import import_office_file
from sync.server.web.auth import (
    SESSION_COOKIE,
    clear_session_cookie,
    login_allowed,
    optional_admin,
    set_session_cookie,
)
from sync.server.web.pages import STATIC, page_lang, render

__all__ = ["router"]

MAX_CONFIG_BYTES = 512 * 1024

router = APIRouter(include_in_schema=False)
MaybeAdmin = Annotated[Principal | None, Depends(optional_admin)]  # None: not signed in → login page

NAV = [("overview", "/dashboard", "nav_overview"), ("breakdown", "/dashboard/breakdown", "nav_breakdown"),
       ("feedback", "/dashboard/feedback", "nav_feedback"), ("tickets", "/dashboard/tickets", "nav_tickets"),
       ("devices", "/dashboard/devices", "nav_devices"), ("exports", "/dashboard/exports", "nav_exports"),
       ("cases", "/dashboard/cases", "nav_cases")]


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _page(request: Request, principal: Principal, page: str, template: str, build) -> Response:
    """Common frame of every dashboard page: language, filter, offices, then the page's data
    (``build(conn, filter, names, lang)`` run in the calling worker thread)."""
    lang = page_lang(request)
    filt = dashboard.page_filter(request.query_params, principal)
    db = request.app.state.db
    # a page answering a form (after a change) reads the primary, so it shows that change
    loaded = dashboard.load_page(db, principal, filt, lang, build, primary=request.method != "GET")
    here = next(href for key, href, _ in NAV if key == page)
    return render(template, request, lang, principal=principal, page=page, here=here, nav=NAV, filt=filt,
                  offices=loaded.offices, names=loaded.names, min_n=dashboard.MIN_N, open_count=loaded.open_cases,
                  read_source=read_source_text(loaded.source, lang, db.reads.max_lag_s), **loaded.data)


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
    settings = request.app.state.settings

    def work():
        with request.app.state.db.session() as s:
            try:
                login_allowed(s, request, username)
            except ApiError as err:
                return None, err
            s.commit()
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
        if err.code == "rate_limited":
            return render("login.html", request, lang, status_code=429, next=_safe_next(next), error="too_many",
                          username=username)
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
                 lambda conn, f, n, lang: dashboard.overview(conn, f, n, lang, g))


@router.get("/dashboard/breakdown")
def breakdown(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "breakdown", "breakdown.html", dashboard.breakdown)


@router.get("/dashboard/feedback")
def feedback(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "feedback", "feedback.html", dashboard.feedback)


@router.get("/dashboard/tickets")
def tickets(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "tickets", "tickets.html", dashboard.tickets)


def _devices_page(request: Request, principal: Principal, **shown) -> Response:
    return _page(request, principal, "devices", "devices.html",
                 lambda c, f, n, lang: dashboard.devices(c, f, n, lang, **shown))


@router.get("/dashboard/devices")
def devices(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _devices_page(request, principal)


@router.post("/dashboard/devices/enroll")
def enroll(request: Request, principal: MaybeAdmin, office_id: str = Form(""), kind: str = Form("tablet"),
           name: str = Form(""), csrf_token: str = Form("")):
    """Create a one-time enrollment code and show it as text and QR."""
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    office_id = office_id or principal.office_id or ""
    if not principal.can_see(office_id):
        raise ApiError("forbidden", f"you can only enroll devices of office {principal.office_id!r}")
    with request.app.state.db.session() as s:
        try:
            code, expires = create_enrollment_code(s, office_id, kind, name)
        except ValueError as err:
            return _devices_page(request, principal, message=str(err))
        s.commit()
    enrolled = {"code": code, "expires": fmt_dt(expires), "name": name.strip(), "qr": dashboard.qr_svg(code)}
    return _devices_page(request, principal, enrolled=enrolled)


@router.post("/dashboard/devices/{device_id}/revoke")
def revoke(request: Request, principal: MaybeAdmin, device_id: str, csrf_token: str = Form("")):
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    dashboard.revoke_for(request.app.state.db, principal, device_id)
    message = tr(page_lang(request), "revoked_ok", d=device_id)
    return _devices_page(request, principal, message=message)


@router.post("/dashboard/quarantine/{entry_id}/{decision}")
def decide_quarantine(request: Request, principal: MaybeAdmin, entry_id: int, decision: str,
                      csrf_token: str = Form("")):
    """Accept (replace the stored record) or discard a quarantined record; the decision is kept
    on the entry with the admin's name and the time (``sync.server.quarantine``)."""
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    from sync.server.quarantine import QuarantineError, resolve

    scope = None if principal.is_province_admin else (principal.office_id,)
    lang = page_lang(request)
    try:
        with request.app.state.db.engine.begin() as conn:
            record_id = resolve(conn, entry_id, decision, principal.username, scope)
        message = tr(lang, "quarantine_" + ("accepted" if decision == "accept" else "discarded"), r=record_id)
    except QuarantineError as exc:
        message = str(exc)
    return _devices_page(request, principal, message=message)


@router.post("/dashboard/offices/import")
def import_office_upload(request: Request, principal: MaybeAdmin, file: Annotated[UploadFile, File()],
                         csrf_token: str = Form("")):
    """Register or update an office from its config.yaml (province admins; the same as
    ``sync-server import-office``). A bad file is refused with every problem listed."""
    if principal is None:
        return _login_redirect(request)
    check_csrf(principal, csrf_token)
    if not principal.is_province_admin:
        raise ApiError("forbidden", "only a province admin registers offices")
    lang = page_lang(request)
    data = file.file.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        summary, problems = None, [tr(lang, "config_too_big", n=MAX_CONFIG_BYTES // 1024)]
    else:
        summary, problems = import_office_file(request.app.state.db, data)
    if summary is not None:
        message = tr(lang, "office_imported", o=summary.office_id, s=summary.services, c=summary.counters,
                            k=summary.clerks)
    else:
        message = tr(lang, "office_refused", f=file.filename or "config.yaml") + " " + "; ".join(problems)
    return _devices_page(request, principal, message=message)


@router.get("/dashboard/exports")
def exports_page(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login_redirect(request)
    return _page(request, principal, "exports", "exports.html", dashboard.exports(principal))


@router.get("/static/{name}")
def static(name: str):
    """The dashboard's own stylesheet and icon (no CDN: everything is served from here)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError("not_found", f"no static file {name!r}")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})
