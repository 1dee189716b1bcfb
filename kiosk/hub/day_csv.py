"""The day's tickets as a CSV file, straight from the hub.

Offices without a central server still need the day's figures (how many came, for what, how
long they waited, who served them). The hub has them: the tickets that ended are in the
queue's archive (``archive/<day>.jsonl``) and the others are still in the live queue. Staff
download the file from the clerk console ("Tải danh sách vé trong ngày") or with
``curl -H "Authorization: Bearer <counter token>" http://<hub>:8700/api/v1/tickets/day.csv``.

The file opens in Excel and LibreOffice as it is: UTF-8 with a byte-order mark, one header
row, times in the office's local time, and text that starts like a formula (``=``, ``+``,
``-``, ``@``) made inert with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from kiosk.queue import QueueEngine
from sync.config import Config

__all__ = ["DAY_RE", "HEADER", "day_csv", "tickets_of_day"]

DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HEADER = ["so_ve", "linh_vuc", "uu_tien", "trang_thai", "lay_so_luc", "goi_luc", "xong_luc", "cho_phut",
          "phuc_vu_phut", "quay", "can_bo", "so_lan_chuyen", "so_lan_goi_lai", "ma_ve"]
_STATUS_VI = {"waiting": "đang chờ", "called": "đang phục vụ", "finished": "hoàn thành",
              "no_show": "vắng mặt", "cancelled": "huỷ cuối ngày"}


def tickets_of_day(engine: QueueEngine, day: str) -> list[dict]:
    """Every ticket of ``day`` (YYYY-MM-DD, the queue's business day), latest version of
    each, in issue order: the archive, plus the live queue when ``day`` is today."""
    tickets = {t["id"]: t for t in engine.archived(day)}
    if day == engine.snapshot()["day"]:
        for ticket in engine.tickets():
            known = tickets.get(ticket.id)
            if known is None or ticket.version >= known["version"]:
                tickets[ticket.id] = ticket.to_dict()
    return sorted(tickets.values(), key=lambda t: (t["issued_at"], t["issue_seq"]))


def _minutes(start: str | None, end: str | None) -> str:
    if not start or not end:
        return ""
    return f"{(datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60:.1f}"


def _time(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def day_csv(config: Config, tickets: list[dict]) -> bytes:
    """The CSV bytes (UTF-8 with BOM) of ``tickets`` as returned by ``tickets_of_day``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    services = {s.id: s.name.vi for s in config.services}
    clerks = {c.id: c.name for c in config.clerks}
    counters = {c.id: c.name.vi for c in config.counters}
    for t in tickets:
        end = t.get("finished_at") or t.get("no_show_at")
        writer.writerow([_cell(str(v)) for v in (
            t["number"], services.get(t["service_id"], t["service_id"]), "có" if t["priority"] else "",
            _STATUS_VI.get(t["status"], t["status"]), _time(t["issued_at"]), _time(t.get("called_at")),
            _time(end), _minutes(t["issued_at"], t.get("called_at")),
            _minutes(t.get("served_at"), t.get("finished_at")),
            counters.get(t.get("counter_id"), t.get("counter_id") or ""),
            clerks.get(t.get("clerk_id"), t.get("clerk_id") or ""), t.get("transfers", 0), t.get("recalls", 0),
            t["id"])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
