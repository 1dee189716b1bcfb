"""A populated central server for the dashboard, export and report tests.

``dash`` builds the real app on ``database_url`` (SQLite and PostgreSQL), registers two
offices from config files — the demo ward (3-level scale) and a second commune office with a
5-level scale — creates a province admin and an office manager for each office, enrolls
devices over the API and uploads a fixed, seeded set of ratings and tickets through
``POST /api/v1/batches``: the data reaches the database exactly as it does in production.

Tests then compare what pages, files and reports show with what the database holds.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from sync import records
from sync.config import load_config
from sync.server.app import ServerSettings, create_app
from sync.api.security import hash_password
from sync.server.devices import create_enrollment_code
from sync.server.models import Admin
from sync.server.offices import import_office

PASSWORD = "mat-khau-rat-dai-2025"
OFFICE_A = "phuong-ben-thanh"
OFFICE_B = "xa-an-phu"
HANOI = timezone(timedelta(hours=7))
# Comments that spreadsheet programs would run as formulas if not escaped.
TRICKY_COMMENTS = ["=HYPERLINK(\"http://x.example\",\"bấm\")", "+84 912 345 678 gọi lại", "-5 điểm vì chờ lâu",
                   "@SUM(A1:A9)", "Cán bộ nhiệt tình, hướng dẫn rõ ràng", "Chờ hơi lâu; \"quầy 2\" vắng người"]


def second_office_file(config_file) -> str:
    """A second office (5-level scale, other names) next to the demo config."""
    text = config_file.read_text(encoding="utf-8")
    text = text.replace("id: phuong-ben-thanh", f"id: {OFFICE_B}")
    text = text.replace("UBND phường Bến Thành — Bộ phận một cửa", "UBND xã An Phú — Bộ phận một cửa")
    text = text.replace("Nguyễn Văn An", "Phạm Thị Dung").replace("Trần Thị Bình", "Võ Văn Em")
    text, replaced = re.subn(r"(?m)^  scale: 3\b", "  scale: 5", text, count=1)
    assert replaced == 1, "config.yaml no longer has 'rating: scale: 3'"
    target = config_file.parent / "office-b.yaml"
    target.write_text(text, encoding="utf-8")
    return str(target)


@functools.cache
def _password_hash() -> str:
    """One real Argon2 hash of PASSWORD for every test admin (hashing costs ~0.3 s each);
    logins still verify it the normal way. ``create_admin`` itself is tested by the core tests."""
    return hash_password(PASSWORD)


@dataclass
class Kit:
    app: object
    client: TestClient
    ratings: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    devices: dict = field(default_factory=dict)

    def login(self, username: str, lang: str | None = None) -> TestClient:
        """A new browser-like client signed in to the dashboard as ``username``."""
        c = TestClient(self.app)
        answer = c.post("/login", data={"username": username, "password": PASSWORD, "next": "/dashboard"},
                        follow_redirects=False)
        assert answer.status_code == 303, answer.text
        if lang:
            c.get(f"/dashboard?lang={lang}")
        return c

    def token(self, username: str) -> dict:
        answer = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _ratings(rng: random.Random, office_id: str, scale: int, device_id: str, count: int, clerks: list[str],
             start: datetime) -> list[dict]:
    counters = {1: ["ho-tich"], 2: ["ho-tich", "chung-thuc"], 3: ["lao-dong-xa-hoi", "van-hoa-giao-duc"],
                4: ["dat-dai-xay-dung", "kinh-te"]}
    out = []
    for i in range(count):
        counter = rng.choice(list(counters))
        service = rng.choice(counters[counter])
        clerk = clerks[(counter - 1) % len(clerks)] if rng.random() > 0.05 else None
        moment = start + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 10),
                                   minutes=rng.randrange(60), seconds=rng.randrange(60))
        roll = rng.random()
        misuse = roll < 0.04
        if roll < 0.12 and not misuse:
            score = None
        else:
            # most answers good, counter 4 clearly worse
            weights = [1, 2, 6] if counter != 4 else [3, 3, 3]
            if scale == 5:
                weights = [1, 1, 2, 4, 6]
            score = rng.choices(range(1, scale + 1), weights=weights)[0]
        satisfied = None if score is None else score > scale - 2
        reasons, comment = [], None
        if score is not None and not satisfied:
            reasons = rng.sample(["thai-do", "cho-lau", "huong-dan", "di-lai", "khac"], rng.randrange(1, 3))
        if score is not None and rng.random() < 0.15:
            comment = TRICKY_COMMENTS[i % len(TRICKY_COMMENTS)]
        out.append(records.new_rating(
            office_id=office_id, device_id="tablet-local", seq=i + 1, counter_id=counter, score=score, scale=scale,
            satisfied=satisfied, lang="vi", clerk_id=clerk, ticket_id=str(uuid.uuid4()),
            ticket_number=1000 + i if rng.random() > 0.1 else None, service_id=service, reasons=reasons,
            comment=comment, misuse=misuse, created_at=moment.isoformat(),
            channel="phone" if score is not None and i % 7 == 3 else "tablet"))  # some rated on the phone
    return out


def _tickets(rng: random.Random, office_id: str, count: int, start: datetime) -> list[dict]:
    out = []
    for i in range(count):
        issued = start + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 9), minutes=rng.randrange(60))
        service = rng.choice(["ho-tich", "chung-thuc", "dat-dai-xay-dung"])
        status = rng.choices(["finished", "no_show", "waiting", "transferred"], weights=[14, 3, 1, 1])[0]
        called = issued + timedelta(seconds=rng.randrange(30, 3000)) if status != "waiting" else None
        served = called + timedelta(seconds=rng.randrange(5, 60)) if status == "finished" else None
        finished = served + timedelta(seconds=rng.randrange(60, 1500)) if served else None
        iso = (lambda d: d.isoformat() if d else None)
        out.append(records.new_ticket(
            office_id=office_id, device_id="hub-local", seq=i + 1, ticket_id=str(uuid.uuid4()), version=3,
            number=1000 + i, service_id=service, priority=False, status=status, issued_at=iso(issued),
            called_at=iso(called), served_at=iso(served), finished_at=iso(finished),
            counter_id=1 if called else None, clerk_id="nguyen-van-an" if called else None,
            created_at=iso(finished or called or issued)))
    return out


def _upload(client: TestClient, headers: dict, recs: list[dict]) -> None:
    for i in range(0, len(recs), 500):
        chunk = recs[i:i + 500]
        answer = client.post("/api/v1/batches", headers=headers, json={
            "batch_id": str(uuid.uuid4()), "sent_at": records.now_iso(), "records": chunk})
        assert answer.status_code == 200, answer.text
        bad = [r for r in answer.json()["results"] if r["status"] != "accepted"]
        assert not bad, bad[:3]


def build_kit(database_url: str, config_file, n_a: int = 260, n_b: int = 80, n_tickets: int = 120) -> Kit:
    cfg_a = load_config(config_file)
    cfg_b = load_config(second_office_file(config_file))
    app = create_app(cfg_a, database_url=database_url,
                     settings=ServerSettings(device_requests_per_s=1000, device_burst=1000,
                                             login_attempts_per_min=1000))
    with app.state.db.begin() as s:
        import_office(s, cfg_a)
        import_office(s, cfg_b)
        for username, role, office in (("tinh", "province_admin", None), ("quanly-a", "office_manager", OFFICE_A),
                                       ("quanly-b", "office_manager", OFFICE_B)):
            s.add(Admin(username=username, password_hash=_password_hash(), role=role, office_id=office,
                        failed_logins=0, created_at=datetime.now(UTC)))
    client = TestClient(app)
    kit = Kit(app, client)
    rng = random.Random(7)
    start = datetime(2025, 6, 10, 8, 0, tzinfo=HANOI)
    for office, kind, name in ((OFFICE_A, "tablet", "Máy tính bảng quầy 1"), (OFFICE_A, "hub", "Máy chủ phường"),
                               (OFFICE_B, "tablet", "Máy tính bảng xã")):
        with app.state.db.begin() as s:
            code, _ = create_enrollment_code(s, office, kind, name)
        answer = client.post("/api/v1/devices/enroll", json={"code": code}).json()
        kit.devices[(office, kind)] = {"id": answer["device_id"],
                                       "headers": {"Authorization": f"Bearer {answer['token']}"}}
    a = _ratings(rng, OFFICE_A, 3, kit.devices[(OFFICE_A, "tablet")]["id"], n_a,
                 ["nguyen-van-an", "tran-thi-binh", "le-hoang-cuong"], start)
    b = _ratings(rng, OFFICE_B, 5, kit.devices[(OFFICE_B, "tablet")]["id"], n_b,
                 ["nguyen-van-an", "tran-thi-binh"], start)
    t = _tickets(rng, OFFICE_A, n_tickets, start)
    _upload(client, kit.devices[(OFFICE_A, "tablet")]["headers"], a)
    _upload(client, kit.devices[(OFFICE_B, "tablet")]["headers"], b)
    _upload(client, kit.devices[(OFFICE_A, "hub")]["headers"], t)
    kit.ratings, kit.tickets = a + b, t
    return kit


@pytest.fixture
def dash(database_url, config_file):
    kit = build_kit(database_url, config_file)
    yield kit
    kit.client.close()
    kit.app.state.db.dispose()


# The whole dataset spans these local dates.
FROM, TO = "2025-06-01", "2025-07-31"

__all__ = [
    "FROM",
    "HANOI",
    "OFFICE_A",
    "OFFICE_B",
    "PASSWORD",
    "TO",
    "TRICKY_COMMENTS",
    "Kit",
    "build_kit",
    "csrf_of",
    "dash",
]
