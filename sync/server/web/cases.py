"""Dashboard pages of the alert loop: the inbox (live count over SSE), the case page, settings.

* ``/dashboard/cases`` — the inbox: active cases first (overdue marked), filter by status;
  the nav badge on every page counts open cases live (``/dashboard/cases/events``, SSE,
  read from the database every few seconds, so it works with several server processes);
* ``/dashboard/cases/{id}`` — the case: what happened, the ratings behind it, acknowledge,
  notes, resolve / dismiss, the apology letter (generate, download PDF/DOCX, mark sent), the
  citizen's contact number behind a deliberate "show" button (every view logged), the trail;
* ``/dashboard/alert-settings`` — a province admin tunes one office's rules.

Every action is a form POST with the session's CSRF token; the work is done by
``sync.server.alerts.cases`` (no rules here). Office managers see their office's cases only.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from sync.server.admins import Principal, check_csrf
from sync.server.alerts import cases, letters
from sync.server.alerts.letter_cases import create_letter, mark_sent
from sync.server.alerts.rules import RULE_NAMES, RULES
from sync.server.alerts.settings import SettingsError, office_settings, save_override, settings_as_data
from sync.server.dashboard import page_filter
from sync.server.errors import ApiError
from sync.server.labels import Names
from sync.server.models import Admin, Alert, AlertRating, CaseEvent, Letter, Office, Rating
from sync.server.web.auth import optional_admin
from sync.server.web.dashboard import NAV
from sync.server.web.pages import page_lang, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
MaybeAdmin = Annotated[Principal | None, Depends(optional_admin)]
SSE_POLL_S = 2.0
_CASE_CODES = {403: "forbidden", 404: "not_found", 409: "conflict"}  # CaseError.status -> error code
STATUSES = ("active", "open", "acknowledged", "resolved", "dismissed", "all")


def _login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _frame(request: Request, principal: Principal, conn, template: str, here: str | None = None,
           **data) -> Response:
    lang = page_lang(request)
    names = Names.load(conn)
    if "ratings" in data:
        data["reason_words"] = {r.id: ", ".join(names.reason(r.office_id, code, lang)
                                                for code in json.loads(r.reasons or "[]")) for r in data["ratings"]}
    offices = [(oid, o.name) for oid, o in sorted(names.offices.items(), key=lambda kv: kv[1].name)
               if principal.can_see(oid)]
    return render(template, request, lang, principal=principal, page="cases", here=here or request.url.path,
                  nav=NAV, filt=page_filter(request.query_params, principal), offices=offices, names=names,
                  rule_names=RULE_NAMES, open_count=cases.open_count(conn, principal.office_ids_for(None)), now=datetime.now(UTC), **data)


@router.get("/dashboard/cases")
def inbox(request: Request, principal: MaybeAdmin, status: str = "active", office_id: str = ""):
    if principal is None:
        return _login(request)
    if status not in STATUSES:
        status = "active"
    allowed = principal.office_ids_for(office_id or None)
    stmt = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(200)
    if allowed is not None:
        stmt = stmt.where(Alert.office_id.in_(allowed))
    if status == "active":
        stmt = stmt.where(Alert.status.in_(cases.ACTIVE))
    elif status != "all":
        stmt = stmt.where(Alert.status == status)
    with request.app.state.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
        managers = dict(conn.execute(select(Admin.id, Admin.username)).all())
        return _frame(request, principal, conn, "cases.html", cases=rows, status=status, statuses=STATUSES,
                      managers=managers, office_filter=office_id)


@router.get("/dashboard/cases/events")
async def inbox_events(request: Request, principal: MaybeAdmin):
    """Server-sent events: ``count`` with the number of open cases, whenever it changes."""
    if principal is None:
        raise ApiError("unauthorized", "sign in first")
    db = request.app.state.db

    def count():
        with db.engine.connect() as conn:
            return cases.open_count(conn, principal.office_ids_for(None))

    async def stream():
        last = None
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            current = await run_in_threadpool(count)
            if current != last:
                last = current
                yield f"event: count\ndata: {json.dumps({'open': current})}\n\n"
            else:
                yield ": keep-alive\n\n"
            await asyncio.sleep(SSE_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _case_data(conn, principal: Principal, alert_id: int) -> dict:
    alert = conn.execute(select(Alert).where(Alert.id == alert_id)).first()
    if alert is None or not principal.can_see(alert.office_id):
        raise ApiError("not_found", f"no case #{alert_id}")
    ratings = conn.execute(select(Rating).join(AlertRating, AlertRating.rating_id == Rating.id)
                           .where(AlertRating.alert_id == alert_id).order_by(Rating.created_at)).all()
    events = conn.execute(select(CaseEvent).where(CaseEvent.alert_id == alert_id)
                          .order_by(CaseEvent.at, CaseEvent.id)).all()
    letter_rows = conn.execute(select(Letter.id, Letter.created_at, Letter.created_by, Letter.recipient,
                                      Letter.sent_at).where(Letter.alert_id == alert_id).order_by(Letter.id)).all()
    office = conn.execute(select(Office).where(Office.id == alert.office_id)).first()
    assigned = conn.scalar(select(Admin.username).where(Admin.id == alert.assigned_admin_id)) \
        if alert.assigned_admin_id else None
    may_see_contact = principal.is_province_admin or alert.assigned_admin_id == principal.admin_id
    return {"case": alert, "ratings": ratings, "events": events, "letters": letter_rows, "office": office,
            "assigned": assigned, "contact_count": cases.contact_count(conn, alert_id),
            "may_see_contact": may_see_contact, "details": json.loads(alert.details or "{}"),
            "zone": ZoneInfo(office.timezone)}


@router.get("/dashboard/cases/{alert_id}")
def case_page(request: Request, principal: MaybeAdmin, alert_id: int, message: str = ""):
    if principal is None:
        return _login(request)
    with request.app.state.db.engine.connect() as conn:
        data = _case_data(conn, principal, alert_id)
        return _frame(request, principal, conn, "case.html", contacts=None, message=message, **data)


def _act(request: Request, principal: Principal | None, csrf_token: str, alert_id: int, work) -> Response:
    if principal is None:
        return _login(request)
    check_csrf(principal, csrf_token)
    try:
        with request.app.state.db.engine.begin() as conn:
            work(conn, cases.Actor.of(principal))
    except cases.CaseError as exc:
        raise ApiError(_CASE_CODES[exc.status], str(exc)) from None
    except letters.LetterError as exc:
        raise ApiError("invalid_request", str(exc)) from None
    return RedirectResponse(f"/dashboard/cases/{alert_id}", status_code=303)


@router.post("/dashboard/cases/{alert_id}/acknowledge")
def acknowledge(request: Request, principal: MaybeAdmin, alert_id: int, csrf_token: str = Form("")):
    return _act(request, principal, csrf_token, alert_id, lambda c, a: cases.acknowledge(c, alert_id, a))


@router.post("/dashboard/cases/{alert_id}/note")
def note(request: Request, principal: MaybeAdmin, alert_id: int, text: str = Form(""), csrf_token: str = Form("")):
    return _act(request, principal, csrf_token, alert_id, lambda c, a: cases.add_note(c, alert_id, a, text))


@router.post("/dashboard/cases/{alert_id}/close")
def close(request: Request, principal: MaybeAdmin, alert_id: int, outcome: str = Form(""), text: str = Form(""),
          csrf_token: str = Form("")):
    return _act(request, principal, csrf_token, alert_id, lambda c, a: cases.close(c, alert_id, a, outcome, text))


@router.post("/dashboard/cases/{alert_id}/contact")
def show_contact(request: Request, principal: MaybeAdmin, alert_id: int, csrf_token: str = Form("")):
    """Show the citizen's number (a POST: a deliberate act, logged as a case event)."""
    if principal is None:
        return _login(request)
    check_csrf(principal, csrf_token)
    with request.app.state.db.engine.begin() as conn:
        try:
            contacts = cases.view_contacts(conn, alert_id, cases.Actor.of(principal))
        except cases.CaseError as exc:
            raise ApiError(_CASE_CODES[exc.status], str(exc)) from None
    with request.app.state.db.engine.connect() as conn:
        data = _case_data(conn, principal, alert_id)
        return _frame(request, principal, conn, "case.html", here=f"/dashboard/cases/{alert_id}", contacts=contacts,
                      message="", **data)


@router.post("/dashboard/cases/{alert_id}/letter")
def make_letter(request: Request, principal: MaybeAdmin, alert_id: int, recipient: str = Form(""),
                matter: str = Form(""), actions: str = Form(""), csrf_token: str = Form("")):
    config = request.app.state.config
    return _act(request, principal, csrf_token, alert_id,
                lambda c, a: create_letter(c, alert_id, a, recipient, matter, actions, config))


@router.post("/dashboard/cases/{alert_id}/letters/{letter_id}/sent")
def letter_sent(request: Request, principal: MaybeAdmin, alert_id: int, letter_id: int, csrf_token: str = Form("")):
    return _act(request, principal, csrf_token, alert_id, lambda c, a: mark_sent(c, alert_id, letter_id, a))


@router.get("/dashboard/cases/{alert_id}/letters/{letter_id}.{kind}")
def letter_file(request: Request, principal: MaybeAdmin, alert_id: int, letter_id: int, kind: str):
    if principal is None:
        return _login(request)
    if kind not in ("pdf", "docx"):
        raise ApiError("not_found", "letters are .pdf or .docx")
    with request.app.state.db.engine.connect() as conn:
        row = conn.execute(select(Letter.office_id, Letter.pdf, Letter.docx, Letter.created_at)
                           .where(Letter.id == letter_id, Letter.alert_id == alert_id)).first()
    if row is None or not principal.can_see(row.office_id):
        raise ApiError("not_found", f"no letter {letter_id} on case #{alert_id}")
    media = "application/pdf" if kind == "pdf" else \
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    name = f"thu-xin-loi-{alert_id}-{letter_id}.{kind}"
    return Response(row.pdf if kind == "pdf" else row.docx, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- settings per office (province admins) ------------------------------------------------------


def _require_province(principal: Principal | None) -> None:
    if principal is not None and not principal.is_province_admin:
        raise ApiError("forbidden", "only a province admin changes alert settings")


@router.get("/dashboard/alert-settings")
def settings_page(request: Request, principal: MaybeAdmin, office_id: str = "", problems: str = ""):
    if principal is None:
        return _login(request)
    _require_province(principal)
    with request.app.state.db.engine.connect() as conn:
        office_ids = list(conn.scalars(select(Office.id).order_by(Office.id)))
        chosen = office_id if office_id in office_ids else (office_ids[0] if office_ids else "")
        current, override = office_settings(conn, chosen) if chosen else (None, {})
        return _frame(request, principal, conn, "alert_settings.html", chosen=chosen, rules=RULES,
                      current=settings_as_data(current) if current else {}, override=override,
                      problems=[p for p in problems.split("\n") if p], saved=request.query_params.get("saved"))


_NUMBER_KEYS = {"burst_window_min": int, "burst_min_answers": int, "burst_unsatisfied_share": float,
                "trend_days": int, "trend_target": float, "silent_min_tickets": int, "late_after_min": int,
                "due_working_hours": float, "digest_hour": int}


@router.post("/dashboard/alert-settings")
async def settings_save(request: Request, principal: MaybeAdmin):
    if principal is None:
        return _login(request)
    _require_province(principal)
    form = await request.form()
    check_csrf(principal, form.get("csrf_token"))
    office_id = str(form.get("office_id", ""))
    changes: dict = {"rules": [r for r in RULES if form.get(f"rule_{r}")],
                     "working_hours": str(form.get("working_hours", "")).strip()}
    problems = []
    for key, kind in _NUMBER_KEYS.items():
        text = str(form.get(key, "")).strip().replace(",", ".")
        try:
            changes[key] = kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
        except ValueError:
            problems.append(f"alerts.{key}: expected a number, found {text!r}")

    def work():
        with request.app.state.db.engine.begin() as conn:
            if conn.scalar(select(Office.id).where(Office.id == office_id)) is None:
                raise ApiError("not_found", f"no office {office_id!r}")
            save_override(conn, office_id, changes, principal.username)

    try:
        if problems:
            raise SettingsError(problems)
        await run_in_threadpool(work)
    except SettingsError as exc:
        query = urlencode({"office_id": office_id, "problems": "\n".join(exc.problems)})
        return RedirectResponse(f"/dashboard/alert-settings?{query}", status_code=303)
    return RedirectResponse(f"/dashboard/alert-settings?{urlencode({'office_id': office_id, 'saved': 1})}",
                            status_code=303)
