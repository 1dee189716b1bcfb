"""The procedure catalog (thủ tục hành chính) shown on the kiosk, read from the national portal.

The national public service portal (dichvucong.gov.vn) exports an office's procedures as a
JSON array whose objects keep the portal's own keys (``ma_tthc``, ``ten_tthc``, ``linh_vuc``,
``cach_thuc_thuc_hien``, ``tphs`` …). Real exports are messy — empty fields, malformed links
("https://https://…"), runs of tabs and newlines inside texts, free-text durations and fees —
so this module is the one place that turns such a file into clean ``Procedure`` objects:

* ``parse_records`` validates every record on its own. A record that cannot be shown (not an
  object, no code, no name, a list field that is not a list of objects, a duplicate code) is
  skipped and reported with its position (1-based, as a person counts) and the reason; the
  others are kept. Quirks that do not stop a record from being shown are repaired: texts are
  tidied to NFC, a doubled scheme in a link is fixed, a link that is still not an http(s)
  address is dropped (the detail screen then shows no QR code).
* ``import_catalog`` is what ``kiosk catalog import FILE`` runs: if the file is unreadable,
  not a JSON array, or has no usable record, it raises ``CatalogError`` and the catalog in
  use is left exactly as it was. Otherwise the cleaned records are written atomically (temp
  file, fsync, rename) to ``<data_dir>/catalog/tthc.json``, which the kiosk prefers over the
  catalog shipped in ``assets/``.
* ``Catalog.service_for`` maps a procedure's field (``linh_vuc``) to the office service whose
  ``catalog_fields`` list it in ``config.yaml`` — the ticket a citizen takes for it.

No Kivy here: the command line, the search benchmark and the kiosk screens all use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from sync.config import Config
from sync.store import StoreWriteError, write_atomically
from sync.text import tidy

__all__ = [
    "Catalog",
    "CatalogError",
    "Channel",
    "Document",
    "ImportReport",
    "LegalBasis",
    "Problem",
    "Procedure",
    "Step",
    "active_catalog_path",
    "clean_link",
    "import_catalog",
    "imported_catalog_path",
    "load_catalog",
    "parse_records",
]

_CODE_RE = re.compile(r"^[0-9]{1,2}\.[0-9]{3,7}$")
_LINK_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::[0-9]{1,5})?(/[^\s]*)?$")
_DOUBLE_SCHEME_RE = re.compile(r"^(https?://)+(https?://)", re.IGNORECASE)


class CatalogError(KioskError):
    """The catalog file as a whole cannot be used; the catalog in use is unchanged."""


@dataclass(frozen=True)
class Channel:
    """One way to submit (``hinh_thuc_nop``: Trực tiếp, Trực tuyến, Bưu chính) with the
    processing time and fee in the source's own words."""

    kind: str
    time: str
    fee: str
    description: str


@dataclass(frozen=True)
class Document:
    """A paper to bring (``tphs``): its name and whether the original and/or a copy is asked."""

    name: str
    original: bool
    copy: bool


@dataclass(frozen=True)
class Step:
    case: str
    text: str


@dataclass(frozen=True)
class LegalBasis:
    number: str
    summary: str
    date: str


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure, cleaned for display and search."""

    code: str
    name: str
    field: str
    level: str = ""
    audience: str = ""
    agency: str = ""
    address: str = ""
    link: str | None = None
    channels: tuple[Channel, ...] = ()
    steps: tuple[Step, ...] = ()
    documents: tuple[Document, ...] = ()
    results: tuple[str, ...] = ()
    legal: tuple[LegalBasis, ...] = ()
    conditions: str = ""


@dataclass(frozen=True)
class Problem:
    """A record that was skipped: its 1-based position in the file, its code if any, why."""

    position: int
    code: str
    reason: str

    def __str__(self) -> str:
        code = f" ({self.code})" if self.code else ""
        return f"record {self.position}{code}: {self.reason}"


@dataclass
class ImportReport:
    """What ``import_catalog`` did: how many records were read, kept and skipped (and why)."""

    source: Path
    target: Path
    total: int
    kept: int
    problems: list[Problem] = field(default_factory=list)
    unmapped_fields: list[str] = field(default_factory=list)


def clean_link(value: Any) -> str | None:
    """The portal link as a usable http(s) address, or ``None`` (empty or malformed)."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    link = _DOUBLE_SCHEME_RE.sub(r"\2", link)
    return link if _LINK_RE.match(link) else None


def _text(record: dict, key: str, where: str, problems: list[str]) -> str:
    value = record.get(key, "")
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        problems.append(f"'{where}' should be text, found {type(value).__name__}")
        return ""
    return tidy(value)


def _objects(record: dict, key: str, problems: list[str]) -> list[dict]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(f"'{key}' should be a list of objects, found {type(value).__name__}")
        return []
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "x", "có", "co")
    return bool(value)


def _procedure(record: Any) -> tuple[Procedure | None, str, list[str]]:
    """Build one procedure; return (procedure or None, code, problems that stop it)."""
    if not isinstance(record, dict):
        return None, "", [f"expected an object, found {type(record).__name__}"]
    problems: list[str] = []
    code = _text(record, "ma_tthc", "ma_tthc", problems)
    name = _text(record, "ten_tthc", "ten_tthc", problems)
    if not code:
        problems.append("missing procedure code 'ma_tthc'")
    elif not _CODE_RE.match(code):
        problems.append(f"'ma_tthc' {code!r} is not a portal code like '1.000894'")
    if not name:
        problems.append("missing procedure name 'ten_tthc'")
    channels = tuple(
        Channel(_text(c, "hinh_thuc_nop", "cach_thuc_thuc_hien.hinh_thuc_nop", problems),
                _text(c, "thoi_gian", "cach_thuc_thuc_hien.thoi_gian", problems),
                _text(c, "phi_le_phi", "cach_thuc_thuc_hien.phi_le_phi", problems),
                _text(c, "mo_ta", "cach_thuc_thuc_hien.mo_ta", problems))
        for c in _objects(record, "cach_thuc_thuc_hien", problems))
    steps = tuple(
        Step(_text(s, "truong_hop_xu_ly", "trinh_tu_thuc_hien.truong_hop_xu_ly", problems),
             _text(s, "mo_ta_chi_tiet", "trinh_tu_thuc_hien.mo_ta_chi_tiet", problems))
        for s in _objects(record, "trinh_tu_thuc_hien", problems))
    documents = tuple(
        Document(_text(d, "ten_giay_to", "tphs.ten_giay_to", problems),
                 _flag(d.get("ban_chinh")), _flag(d.get("ban_sao")))
        for d in _objects(record, "tphs", problems))
    results = tuple(_text(r, "ten_ket_qua", "kqth.ten_ket_qua", problems)
                    for r in _objects(record, "kqth", problems))
    legal = tuple(
        LegalBasis(_text(c, "so_ky_hieu", "ccpl.so_ky_hieu", problems),
                   _text(c, "trich_yeu", "ccpl.trich_yeu", problems),
                   _text(c, "ngay_ban_hanh", "ccpl.ngay_ban_hanh", problems))
        for c in _objects(record, "ccpl", problems))
    proc = Procedure(
        code=code, name=name,
        field=_text(record, "linh_vuc", "linh_vuc", problems),
        level=_text(record, "cap_thuc_hien", "cap_thuc_hien", problems),
        audience=_text(record, "doi_tuong_thuc_hien", "doi_tuong_thuc_hien", problems),
        agency=_text(record, "co_quan_thuc_hien", "co_quan_thuc_hien", problems),
        address=_text(record, "dia_chi_tiep_nhan", "dia_chi_tiep_nhan", problems),
        link=clean_link(record.get("link_truy_cap")),
        channels=channels, steps=steps,
        documents=tuple(d for d in documents if d.name),
        results=tuple(r for r in results if r), legal=legal,
        conditions=_text(record, "yeu_cau_dieu_kien", "yeu_cau_dieu_kien", problems),
    )
    return (None if problems else proc), code, problems


def parse_records(data: Any) -> tuple[list[Procedure], list[Problem]]:
    """Validate a decoded portal export; return the usable procedures and the skipped records.

    Raises ``CatalogError`` when ``data`` is not a JSON array at all."""
    if not isinstance(data, list):
        raise CatalogError(f"expected a JSON array of procedures, found {type(data).__name__}")
    procedures: list[Procedure] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, record in enumerate(data, start=1):
        proc, code, reasons = _procedure(record)
        if proc is None:
            problems.append(Problem(position, code, "; ".join(reasons)))
        elif proc.code in seen:
            problems.append(Problem(position, code, f"duplicate code, already at record {seen[proc.code]}"))
        else:
            seen[proc.code] = position
            procedures.append(proc)
    return procedures, problems


def _portal_record(proc: Procedure) -> dict:
    """A cleaned procedure back in the portal's format (what the imported file stores)."""
    return {
        "ma_tthc": proc.code, "ten_tthc": proc.name, "link_truy_cap": proc.link or "",
        "linh_vuc": proc.field, "cap_thuc_hien": proc.level, "doi_tuong_thuc_hien": proc.audience,
        "co_quan_thuc_hien": proc.agency, "dia_chi_tiep_nhan": proc.address,
        "cach_thuc_thuc_hien": [{"hinh_thuc_nop": c.kind, "thoi_gian": c.time, "phi_le_phi": c.fee,
                                 "mo_ta": c.description} for c in proc.channels],
        "trinh_tu_thuc_hien": [{"truong_hop_xu_ly": s.case, "mo_ta_chi_tiet": s.text} for s in proc.steps],
        "tphs": [{"ten_giay_to": d.name, "ban_chinh": d.original, "ban_sao": d.copy} for d in proc.documents],
        "kqth": [{"ten_ket_qua": r} for r in proc.results],
        "ccpl": [{"so_ky_hieu": c.number, "trich_yeu": c.summary, "ngay_ban_hanh": c.date} for c in proc.legal],
        "yeu_cau_dieu_kien": proc.conditions,
    }


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


class Catalog:
    """The procedures in use, with the office's services attached by field."""

    def __init__(self, procedures: list[Procedure], config: Config | None = None,
                 source: Path | None = None, problems: list[Problem] | None = None):
        self.procedures = procedures
        self.source = source
        self.problems = problems or []
        self._by_code = {p.code: p for p in procedures}
        self._field_service: dict[str, str] = {}
        if config is not None:
            for service in config.services:
                for name in service.catalog_fields:
                    self._field_service.setdefault(tidy(name), service.id)

    def __len__(self) -> int:
        return len(self.procedures)

    def __iter__(self):
        return iter(self.procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def service_for(self, proc: Procedure) -> str | None:
        """The id of the service that receives this procedure, or ``None`` when its field is
        empty or not listed in any service's ``catalog_fields``."""
        return self._field_service.get(proc.field)

    def fields(self) -> list[tuple[str, int]]:
        """Every field with its number of procedures, largest first ("" = no field given)."""
        counts: dict[str, int] = {}
        for p in self.procedures:
            counts[p.field] = counts.get(p.field, 0) + 1
        return sorted(counts.items(), key=lambda kv: (kv[0] == "", -kv[1], kv[0]))

    def in_field(self, name: str) -> list[Procedure]:
        return [p for p in self.procedures if p.field == name]

    def unmapped_fields(self) -> list[str]:
        """Fields present in the catalog that no service lists (their procedures get no
        ticket shortcut until config.yaml maps them)."""
        return sorted({p.field for p in self.procedures if p.field and p.field not in self._field_service})


def load_catalog(path: Path, config: Config | None = None) -> Catalog:
    """Read a portal export (or an imported catalog); skip bad records, raise ``CatalogError``
    when nothing usable is in the file."""
    path = Path(path)
    procedures, problems = parse_records(_read_json(path))
    if not procedures:
        raise CatalogError(f"{path}: no usable procedure among {len(problems)} record(s)"
                           + (f"; first problem: {problems[0]}" if problems else ""))
    return Catalog(procedures, config, path, problems)


def imported_catalog_path(config: Config) -> Path:
    return config.data_path / "catalog" / "tthc.json"


def active_catalog_path(config: Config) -> Path:
    """The catalog the kiosk shows: the last successful import, else the shipped one."""
    imported = imported_catalog_path(config)
    return imported if imported.is_file() else config.path(config.kiosk.catalog)


def import_catalog(source: Path, config: Config) -> ImportReport:
    """Validate ``source`` and make it the catalog in use, atomically.

    Raises ``CatalogError`` (the previous catalog untouched) when the file is unusable as a
    whole or cannot be written."""
    source = Path(source)
    data = _read_json(source)
    procedures, problems = parse_records(data)
    if not procedures:
        detail = f"; first problem: {problems[0]}" if problems else ""
        raise CatalogError(f"{source}: no usable procedure among {len(data)} record(s){detail}; "
                           f"the catalog in use was kept")
    target = imported_catalog_path(config)
    payload = json.dumps([_portal_record(p) for p in procedures], ensure_ascii=False, indent=1)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, payload.encode("utf-8"))
    except (StoreWriteError, OSError) as exc:
        raise CatalogError(f"could not save the catalog to {target}: {exc}; the catalog in use was kept") from None
    catalog = Catalog(procedures, config)
    return ImportReport(source, target, len(data), len(procedures), problems, catalog.unmapped_fields())
