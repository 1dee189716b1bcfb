"""The ratings export over HTTP: ``GET /api/v1/exports/ratings`` streams a CSV or XLSX file.

``?format=csv|xlsx&from=YYYY-MM-DD&to=YYYY-MM-DD`` (optional ``office_id``, ``counter_id``,
``clerk_id``, ``service_id``, ``score``, ``lang=vi|en``) with an admin bearer token or a
dashboard session. What a row holds, how memory stays flat and how each export is audited is
``sync.server.exports``; this module only answers the request.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from sync.server.admins import Principal
from sync.server.exports import (
    ExportRequest,
    audit_finish,
    audit_start,
    csv_export,
    parse_request,
    rating_rows,
    write_xlsx,
)
from sync.server.web.auth import current_admin

__all__ = ["router", "stream_export"]


def _filename(req: ExportRequest) -> str:
    office = f"-{req.office_id}" if req.office_id else ""
    return f"danh-gia{office}-{req.date_from}-{req.date_to}.{req.format}"


def stream_export(engine: Engine, principal: Principal, req: ExportRequest, reader: Engine | None = None):
    """The HTTP response for an export request already checked for permission (audited on
    ``engine``, rows read from ``reader`` — the read replica's engine — or ``engine``)."""
    reader = reader or engine
    office_ids = principal.office_ids_for(req.office_id)
    audit_id = audit_start(engine, principal.username, f"ratings.{req.format}", req.audit_filters())
    disposition = {"Content-Disposition": f'attachment; filename="{_filename(req)}"'}
    if req.format == "csv":
        counter = [0]

        def body():
            try:
                yield from csv_export(reader, req, office_ids, counter)
            finally:
                audit_finish(engine, audit_id, counter[0])

        return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=disposition)
    fd, path = tempfile.mkstemp(prefix="thuocdo-export-", suffix=".xlsx")
    os.close(fd)
    rows = 0
    try:
        rows = write_xlsx(rating_rows(reader, req, office_ids), path, req.lang)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        audit_finish(engine, audit_id, rows)
    return FileResponse(path, filename=_filename(req), background=BackgroundTask(os.unlink, path),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


@router.get("/ratings", responses={
    200: {"description": "the ratings as a CSV (UTF-8 with BOM) or XLSX file, streamed",
          "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
    400: {"description": "a parameter is wrong (the message names it)"},
    401: {"description": "no admin token or session"}, 403: {"description": "another office's data"}})
def export_ratings(request: Request, principal: Annotated[Principal, Depends(current_admin)], format: str = "csv",
                   date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
                   office_id: str | None = None, counter_id: str | None = None,
                   clerk_id: str | None = None, service_id: str | None = None, score: str | None = None,
                   lang: str = "vi"):
    """Export ratings of the local dates ``from``..``to`` (inclusive) as CSV or XLSX.

    Query parameters: ``format`` (csv|xlsx), ``from``, ``to`` (YYYY-MM-DD), optional ``office_id``,
    ``counter_id``, ``clerk_id``, ``service_id``, ``score`` (level number) and ``lang`` (vi|en,
    the language of headers and labels). Office managers get their own office only.
    """
    params = dict(request.query_params)
    req = parse_request(params, default_format="csv")
    db = request.app.state.db
    return stream_export(db.engine, principal, req, reader=db.reads.answering().engine)
