"""A realistic month of visits for the demo's central server, uploaded like a real device.

``make demo DEMO_ARGS=--seed`` (or ``python scripts/demo.py --seed``) calls ``seed_month``:
it makes the ticket and rating records a ward office produces in 30 days — weekday office
hours, a morning rush, priority citizens, no-shows, clerks who differ a little in how
satisfied their citizens are, reasons and a few comments on low scores — and posts them to
the central server through the normal batch API with an enrolled device token, so the
dashboard, exports and reports have something worth looking at. Random but reproducible
(fixed seed); uploading twice counts nothing twice (record ids are derived from the seed).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from sync import records
from sync.config import Config

__all__ = ["month_of_records", "seed_month"]

_NAMESPACE = uuid.UUID("5f0c2a8e-7d1b-4c55-9a43-0d6f0f3e2b10")
_COMMENTS_LOW = ["Chờ quá lâu mới đến lượt", "Cán bộ hướng dẫn chưa rõ, phải bổ sung giấy tờ nhiều lần",
                 "Phòng chờ nóng, thiếu ghế", "Thái độ chưa nhiệt tình"]
_COMMENTS_HIGH = ["Cán bộ nhiệt tình, hướng dẫn rõ ràng", "Nhanh gọn, cảm ơn bộ phận một cửa"]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def month_of_records(cfg: Config, device_id: str, days: int = 30, today: datetime | None = None,
                     seed: int = 2015) -> list[dict]:
    """Ticket snapshots and ratings for ``days`` working days up to yesterday."""
    rng = random.Random(seed)
    tz = ZoneInfo(cfg.office.timezone)
    today = (today or datetime.now(tz)).astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    levels = cfg.levels
    reasons = [r.code for r in cfg.reasons]
    clerks = [c.id for c in cfg.clerks] or [None]
    # each clerk has a slightly different chance of a happy citizen (the dashboard ranks them)
    clerk_quality = {clerk: 0.78 + 0.05 * i % 0.2 for i, clerk in enumerate(clerks)}
    counter_clerk = {c.id: clerks[i % len(clerks)] for i, c in enumerate(cfg.counters)}
    weights = [5, 3, 2, 1, 1, 1][: len(cfg.services)] + [1] * max(0, len(cfg.services) - 6)
    out: list[dict] = []
    seq = 0

    def next_seq() -> int:
        nonlocal seq
        seq += 1
        return seq

    def rid(*parts) -> str:
        return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))

    day = today - timedelta(days=days)
    while day < today:
        if day.weekday() < 5:  # offices open Monday to Friday
            numbers = {s.id: s.numbers.first for s in cfg.services}
            visits = rng.randint(70, 140)
            for visit in range(visits):
                service = rng.choices(cfg.services, weights=weights)[0]
                counters = [c for c in cfg.counters if service.id in c.services]
                counter = rng.choice(counters)
                clerk = counter_clerk[counter.id]
                morning = rng.random() < 0.65
                start = day + (timedelta(hours=7, minutes=30) if morning else timedelta(hours=13, minutes=30))
                issued = start + timedelta(minutes=rng.uniform(0, 200 if morning else 180))
                called = issued + timedelta(minutes=rng.expovariate(1 / 12))
                served = called + timedelta(seconds=rng.uniform(20, 120))
                finished = served + timedelta(minutes=rng.uniform(3, 18))
                number = numbers[service.id]
                numbers[service.id] += 1
                ticket_id = rid(device_id, day.date(), visit, "ticket")
                no_show = rng.random() < 0.05
                status = "no_show" if no_show else "finished"
                out.append(records.new_ticket(
                    office_id=cfg.office.id, device_id=device_id, seq=next_seq(), ticket_id=ticket_id, version=4,
                    number=number, service_id=service.id, priority=rng.random() < 0.08, status=status,
                    issued_at=_iso(issued), called_at=_iso(called), served_at=None if no_show else _iso(served),
                    finished_at=None if no_show else _iso(finished), counter_id=counter.id, clerk_id=clerk,
                    recalls=1 if no_show else 0, created_at=_iso(finished)))
                out[-1]["id"] = rid(ticket_id, "v4")
                if no_show or rng.random() < 0.15:  # no-shows are not rated; some citizens walk away
                    continue
                happy = rng.random() < clerk_quality[clerk]
                if happy:
                    index = 0 if rng.random() < 0.55 else 1
                else:
                    index = rng.randrange(len(levels) - 1, len(levels)) if len(levels) == 3 else \
                        rng.randrange(2, len(levels))
                level = levels[index]
                score = len(levels) - index
                picked = sorted(rng.sample(reasons, rng.randint(1, 2))) if not level.satisfied else []
                comment = None
                if not level.satisfied and rng.random() < 0.3:
                    comment = rng.choice(_COMMENTS_LOW)
                elif level.satisfied and rng.random() < 0.03:
                    comment = rng.choice(_COMMENTS_HIGH)
                rated = finished + timedelta(seconds=rng.uniform(3, 15))
                out.append(records.new_rating(
                    office_id=cfg.office.id, device_id=device_id, seq=next_seq(), counter_id=counter.id,
                    clerk_id=clerk, ticket_id=ticket_id, ticket_number=number, service_id=service.id,
                    score=score, scale=len(levels), satisfied=level.satisfied, reasons=picked,
                    comment=comment, lang="vi", created_at=_iso(rated)))
                out[-1]["id"] = rid(ticket_id, "rating")
        day += timedelta(days=1)
    return out


def seed_month(cfg: Config, server_url: str, token: str, device_id: str, days: int = 30) -> dict[str, int]:
    """Upload a month of records; returns the count per result status."""
    session = requests.Session()
    session.trust_env = False
    counts: dict[str, int] = {}
    batch: list[dict] = []
    all_records = month_of_records(cfg, device_id, days)
    for index in range(0, len(all_records), 500):
        batch = all_records[index:index + 500]
        response = session.post(f"{server_url}/api/v1/batches", timeout=(5, 60),
                                headers={"Authorization": f"Bearer {token}"},
                                json={"batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(),
                                      "records": batch, "pending": max(0, len(all_records) - index - len(batch)),
                                      "app_version": "demo-seed"})
        response.raise_for_status()
        for result in response.json()["results"]:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts
