"""``GET /api/v1/alerts``: the alerts and their cases as JSON, for scripts and other systems.

Same authentication as the export API (admin bearer token from ``POST /api/v1/auth/token``,
or a dashboard session); office managers get their own office only. Newest first;
``status`` (open, acknowledged, resolved, dismissed, or ``active`` for the first two) and
``office`` filter; ``limit`` (1–1000, default 100) bounds the answer. A citizen's contact
number is never part of it.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from sync.server.admins import Principal
from sync.server.alerts.cases import ACTIVE
from sync.server.errors import ApiError
from sync.server.models import Admin, Alert
from sync.server.web.auth import current_admin

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
STATUSES = ("open", "acknowledged", "resolved", "dismissed", "active")

_EXAMPLE = {"alerts": [{
    "id": 12, "office_id": "phuong-ben-thanh", "rule": "burst", "opened_at": "2026-12-03T02:15:04+00:00",
    "status": "open", "summary": "4 trên 4 đánh giá không hài lòng trong 15 phút (quầy 1; cán bộ Nguyễn Văn An)",
    "late": False, "first_at": "2026-12-03T02:01:00+00:00", "last_at": "2026-12-03T02:14:40+00:00",
    "counter_id": 1, "clerk_id": "nguyen-van-an", "assigned_to": "quanly-benthanh",
    "due_at": "2026-12-03T09:15:04+00:00", "acknowledged_at": None, "closed_at": None, "escalated_at": None,
    "resolution": None, "details": {"counters": [1], "clerks": ["nguyen-van-an"], "answers": 4,
                                    "unsatisfied": 4, "window_min": 15}}]}


def _iso(value):
    return value.isoformat() if value else None


@router.get("", responses={
    200: {"description": "alerts, newest first", "content": {"application/json": {"example": _EXAMPLE}}},
    401: {"description": "no or expired admin token"}, 403: {"description": "another office than yours"},
    422: {"description": "bad filter"}})
def list_alerts(request: Request, principal: Annotated[Principal, Depends(current_admin)],
                status: str | None = None, office: str | None = None, limit: int = 100):
    """Alerts (each one is a follow-up case), newest first; filter by ``status`` and ``office``."""
    if status is not None and status not in STATUSES:
        raise ApiError("invalid_request", f"status: expected one of {', '.join(STATUSES)}, found {status!r}")
    if not 1 <= limit <= 1000:
        raise ApiError("invalid_request", f"limit: expected 1..1000, found {limit}")
    offices = principal.office_ids_for(office or None)
    stmt = (select(Alert, Admin.username.label("assigned_to")).outerjoin(Admin, Admin.id == Alert.assigned_admin_id)
            .order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit))
    if offices is not None:
        stmt = stmt.where(Alert.office_id.in_(offices))
    if status == "active":
        stmt = stmt.where(Alert.status.in_(ACTIVE))
    elif status:
        stmt = stmt.where(Alert.status == status)

    with request.app.state.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {"alerts": [{
        "id": a.id, "office_id": a.office_id, "rule": a.rule, "opened_at": _iso(a.opened_at), "status": a.status,
        "summary": a.summary, "late": a.late, "first_at": _iso(a.first_at), "last_at": _iso(a.last_at),
        "counter_id": a.counter_id, "clerk_id": a.clerk_id, "assigned_to": a.assigned_to, "due_at": _iso(a.due_at),
        "acknowledged_at": _iso(a.acknowledged_at), "closed_at": _iso(a.closed_at),
        "escalated_at": _iso(a.escalated_at), "resolution": a.resolution, "details": json.loads(a.details or "{}"),
    } for a in rows]}

