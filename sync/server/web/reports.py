"""The monthly report over HTTP: ``GET /dashboard/reports/monthly``.

``?office_id=…&month=YYYY-MM&format=html|xlsx`` (dashboard session or admin bearer token);
office managers get their own office only; every report produced is written to the export
audit log. What the report holds is ``sync.server.reports``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.server.admins import Principal
from sync.server.alerts.rules import RULE_NAMES
from sync.server.errors import ApiError
from sync.server.reports import audited_report, report_xlsx
from sync.server.web.auth import current_admin
from sync.server.web.pages import page_lang, render

__all__ = ["router"]

router = APIRouter(tags=["exports"])


@router.get("/dashboard/reports/monthly", responses={
    200: {"description": "the report as a printable HTML page or an XLSX workbook"},
    400: {"description": "a parameter is wrong"}, 401: {"description": "not signed in"},
    403: {"description": "another office"}, 404: {"description": "unknown office"}})
def monthly_report(request: Request, principal: Annotated[Principal, Depends(current_admin)], office_id: str = "",
                   month: str = "", format: str = "html", lang: str = "vi"):
    """Monthly report of one office (``office_id``, ``month`` = YYYY-MM) as ``format`` html or xlsx."""
    if format not in ("html", "xlsx"):
        raise ApiError("bad_request", f"format: expected html or xlsx, found {format!r}")
    if lang not in ("vi", "en"):
        lang = page_lang(request)
    office_id = office_id or principal.office_id or ""
    if not office_id:
        raise ApiError("bad_request", "office_id: required (the office to report on)")
    principal.office_ids_for(office_id)  # 403 for another office than a manager's own
    report = audited_report(request.app.state.db, principal.username, office_id, month,
                            f"report.{format}", lang)
    if format == "xlsx":
        return Response(report_xlsx(report),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition":
                                 f'attachment; filename="bao-cao-{office_id}-{month}.xlsx"'})
    return render("report.html", request, lang, report=report, principal=principal, rule_names=RULE_NAMES)
