"""Names for the ids stored in ratings and tickets: offices, counters, clerks, services, levels, reasons.

Ratings store ids and codes (``counter_id=3``, ``clerk_id='nguyen-van-an'``, ``score=2``,
``reasons=['cho-lau']``); people reading the dashboard, an export or a report need words
("Quầy 3", "Nguyễn Văn An", "Hài lòng", "Thời gian chờ lâu"). ``Names.load(conn)`` reads the
small name tables and each office's stored configuration once, and answers every lookup from
memory — so an export of a million rows does no join and no per-row query.

Level words come from the office's ``rating`` configuration when its number of levels matches
the rating's ``scale`` (an office may have changed scale since), otherwise from the standard
levels of that scale (``sync.config.STANDARD_LEVELS``). Unknown ids fall back to the id itself,
so nothing is ever hidden because a name is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sync.config import OFFICIAL_REASONS, STANDARD_LEVELS
from sync.server.models import Clerk, Counter, Device, Office, Service
from sync.words import pick

__all__ = ["LevelInfo", "Names"]

DEFAULT_SCALE = 3  # an office whose configuration the centre has not received yet (config default)


@dataclass(frozen=True)
class LevelInfo:
    score: int
    vi: str
    en: str
    satisfied: bool

    def label(self, lang: str) -> str:
        return pick((self.vi, self.en), lang)


def _label(value, fallback: str) -> tuple[str, str]:
    """A config label written as a string or ``{vi, en}`` → ``(vi, en)``."""
    if isinstance(value, str):
        return value, value
    if isinstance(value, dict):
        vi = value.get("vi") or value.get("en") or fallback
        return vi, value.get("en") or vi
    return fallback, fallback


def _standard(scale: int) -> list[LevelInfo]:
    levels = STANDARD_LEVELS.get(scale)
    if not levels:  # a scale no standard defines: plain numbers, top half satisfied
        return [LevelInfo(s, str(s), str(s), s > scale / 2) for s in range(scale, 0, -1)]
    return [LevelInfo(len(levels) - i, lv.label.vi, lv.label.en, lv.satisfied) for i, lv in enumerate(levels)]


@dataclass
class _OfficeNames:
    name: str
    timezone: str
    levels: list[LevelInfo] = field(default_factory=list)  # configured levels, most satisfied first
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)


class Names:
    """Every name the dashboard, exports and reports show, loaded once per request."""

    def __init__(self):
        self.offices: dict[str, _OfficeNames] = {}
        self.counters: dict[tuple[str, int], tuple[str, str]] = {}
        self.clerks: dict[tuple[str, str], str] = {}
        self.services: dict[tuple[str, str], tuple[str, str]] = {}
        self.devices: dict[str, str] = {}

    @classmethod
    def load(cls, conn: Connection) -> Names:
        names = cls()  # each query read with one fetchall: row-by-row fetching costs more than the loop
        for row in conn.execute(select(Office.id, Office.name, Office.timezone, Office.config_json)).all():
            office = _OfficeNames(row.name, row.timezone or "Asia/Ho_Chi_Minh")
            try:
                config = json.loads(row.config_json or "{}")
            except ValueError:
                config = {}
            rating = config.get("rating") if isinstance(config, dict) else None
            rating = rating if isinstance(rating, dict) else {}
            # import-office stores the resolved lists at the top level ("levels", "reasons");
            # the "rating" section is read too, for configs stored without them.
            levels = (config.get("levels") if isinstance(config, dict) else None) or rating.get("levels") or []
            for i, level in enumerate(levels if isinstance(levels, list) else []):
                vi, en = _label(level.get("label") if isinstance(level, dict) else level, str(len(levels) - i))
                sat = bool(level.get("satisfied")) if isinstance(level, dict) else False
                office.levels.append(LevelInfo(len(levels) - i, vi, en, sat))
            if not office.levels and isinstance(rating.get("scale"), int):
                office.levels = _standard(rating["scale"])
            reasons = (config.get("reasons") if isinstance(config, dict) else None) or rating.get("reasons") or []
            for reason in reasons if isinstance(reasons, list) else []:
                if isinstance(reason, dict) and reason.get("code"):
                    office.reasons[reason["code"]] = _label(reason.get("label"), reason["code"])
            names.offices[row.id] = office
        for row in conn.execute(select(Counter.office_id, Counter.id, Counter.name_vi, Counter.name_en)).all():
            names.counters[(row.office_id, row.id)] = (row.name_vi, row.name_en)
        for row in conn.execute(select(Clerk.office_id, Clerk.id, Clerk.name)).all():
            names.clerks[(row.office_id, row.id)] = row.name
        for row in conn.execute(select(Service.office_id, Service.id, Service.name_vi, Service.name_en)).all():
            names.services[(row.office_id, row.id)] = (row.name_vi, row.name_en)
        for row in conn.execute(select(Device.id, Device.name)).all():
            names.devices[row.id] = row.name
        return names

    # -- lookups -----------------------------------------------------------------------------
    def office(self, office_id: str) -> str:
        office = self.offices.get(office_id)
        return office.name if office else office_id

    def timezone(self, office_id: str) -> str:
        office = self.offices.get(office_id)
        return office.timezone if office else "Asia/Ho_Chi_Minh"

    def counter(self, office_id: str, counter_id: int | None, lang: str = "vi") -> str:
        if counter_id is None:
            return ""
        pair = self.counters.get((office_id, counter_id))
        if not pair:
            return f"{'Counter' if lang == 'en' else 'Quầy'} {counter_id}"
        return pick(pair, lang)

    def clerk(self, office_id: str, clerk_id: str | None) -> str:
        if not clerk_id:
            return ""
        return self.clerks.get((office_id, clerk_id), clerk_id)

    def service(self, office_id: str, service_id: str | None, lang: str = "vi") -> str:
        if not service_id:
            return ""
        pair = self.services.get((office_id, service_id))
        if not pair:
            return service_id
        return pick(pair, lang)

    def device(self, device_id: str) -> str:
        return self.devices.get(device_id, device_id)

    def levels(self, office_id: str | None, scale: int) -> list[LevelInfo]:
        """The levels of ``scale``, most satisfied first, in the office's words when it has them."""
        office = self.offices.get(office_id) if office_id else None
        if office and len(office.levels) == scale:
            return office.levels
        return _standard(scale)

    def score_choices(self, office_id: str | None, lang: str = "vi") -> list[tuple[int, str]]:
        """``(score, "3 — Rất hài lòng")`` for the export's score filter: the levels of the
        office's own scale (a 3-level office offers 3), or, for all offices, every level any
        of them uses (words of different scales joined with " / ")."""
        offices = [self.offices[office_id]] if office_id in self.offices else (
            list(self.offices.values()) if office_id is None else [])
        words: dict[int, list[str]] = {}
        for office in offices:
            for level in office.levels or _standard(DEFAULT_SCALE):
                label = level.label(lang)
                if label not in words.setdefault(level.score, []):
                    words[level.score].append(label)
        if not words:
            words = {level.score: [level.label(lang)] for level in _standard(DEFAULT_SCALE)}
        return [(score, f"{score} — {' / '.join(words[score])}") for score in sorted(words, reverse=True)]

    def level(self, office_id: str | None, scale: int, score: int | None) -> LevelInfo | None:
        if score is None:
            return None
        for level in self.levels(office_id, scale):
            if level.score == score:
                return level
        return LevelInfo(score, str(score), str(score), False)

    def reason(self, office_id: str | None, code: str, lang: str = "vi") -> str:
        office = self.offices.get(office_id) if office_id else None
        pair = office.reasons.get(code) if office else None
        if pair is None:
            for reason in OFFICIAL_REASONS:
                if reason.code == code:
                    pair = (reason.label.vi, reason.label.en)
                    break
        if pair is None:
            return code
        return pick(pair, lang)
