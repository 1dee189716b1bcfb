"""The office configuration: one ``config.yaml`` describes one office, read by every command.

Why a loader of our own instead of pydantic: the counter tablet must stay pure Python for
Android, and this loader runs there too. The schema is declared as data — dataclasses whose
fields carry their help text — so the same declaration drives validation, defaults and the
documentation (``describe_keys``), and a test can check that every key is documented.

Validation is strict and says what to fix: every problem is reported at once with its key
path, what was expected and what was found, e.g.
``counters[2].services[0]: unknown service 'ho_tich' (known: ho-tich, chung-thuc, …)``.
Unknown keys are reported with the closest known key as a likely typo.

Secrets and the database URL can come from the environment: any string value may be written
``${NAME}`` or ``${NAME:-default}`` and is replaced by that environment variable.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from sync.text import nfc

__all__ = [
    "ConfigError",
    "Config",
    "Label",
    "load_config",
    "add_config_argument",
    "load_config_or_exit",
    "describe_keys",
    "DEFAULT_CONFIG_PATH",
]

DEFAULT_CONFIG_PATH = "config.yaml"


class ConfigError(Exception):
    """The configuration file is unusable; ``problems`` holds one ``path: message`` line each."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the configuration:\n{lines}")


def _help(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING):
    """A dataclass field with its documentation attached (used by ``describe_keys``)."""
    kwargs: dict[str, Any] = {"metadata": {"help": text}}
    if default is not dataclasses.MISSING:
        kwargs["default"] = default
    if factory is not dataclasses.MISSING:
        kwargs["default_factory"] = factory
    return field(**kwargs)


# --- value types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A text shown to people, in Vietnamese and English. Written either as one string (used
    for both languages) or as ``{vi: …, en: …}``."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class NumberBlock:
    """A ticket number range such as ``1001-1999`` (or ``{first: 1001, last: 1999}``)."""

    first: int
    last: int

    def __contains__(self, number: int) -> bool:
        return self.first <= number <= self.last


_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PIN_RE = re.compile(r"^[0-9]{4,8}$")

# --- the schema ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Office:
    id: str = _help("Short identifier of the office, lower-case letters, digits and '-' (e.g. 'phuong-ben-nghe').")
    name: str = _help("The office's name as citizens know it, shown on screens and tickets.")
    province: str = _help("Province or city the office belongs to.", default="")
    timezone: str = _help("IANA time zone used for local dates and the daily queue reset.", default="Asia/Ho_Chi_Minh")
    language: Literal["vi", "en"] = _help("Language every screen starts in: 'vi' or 'en'.", default="vi")


@dataclass(frozen=True, kw_only=True)
class Service:
    id: str = _help("Short identifier of the service/field (e.g. 'ho-tich'); referenced by counters.")
    name: Label = _help("Name on the kiosk tiles, tickets and the display ({vi: …, en: …}).")
    numbers: NumberBlock = _help("Block of ticket numbers for this service, e.g. '1001-1999'; blocks must not overlap.")
    catalog_fields: list[str] = _help(
        "Fields ('linh_vuc') of the procedure catalog this service receives, spelled as in the catalog.",
        factory=list)


@dataclass(frozen=True, kw_only=True)
class Counter:
    id: int = _help("Counter number as painted above the desk (1, 2, 3 …); announced by the voice call.")
    name: Label = _help("Counter name shown on screens (e.g. 'Quầy 1').")
    services: list[str] = _help("Ids of the services this counter serves.")
    token: str = _help("Secret the counter's console and tablet use with the hub (16+ characters; use ${ENV_VAR}).")


@dataclass(frozen=True, kw_only=True)
class Clerk:
    id: str = _help("Short identifier of the clerk (e.g. 'nguyen-van-a').")
    name: str = _help("Full name, shown to citizens on the rating tablet.")
    pin: str = _help("4–8 digit PIN the clerk logs in to a counter with.")
    photo: str | None = _help("Optional photo file (PNG/JPEG), relative to this file.", default=None)


@dataclass(frozen=True)
class Level:
    label: Label = _help("The level's words, e.g. 'Rất hài lòng'.")
    satisfied: bool = _help("Whether this level counts as satisfied in the satisfaction rate.")


@dataclass(frozen=True)
class Reason:
    code: str = _help("Stable code stored in ratings (e.g. 'thai-do').")
    label: Label = _help("The reason's words on the tablet.")


@dataclass(frozen=True, kw_only=True)
class Rating:
    scale: Literal[3, 4, 5] = _help(
        "Number of levels: 3 (official: Rất hài lòng / Hài lòng / Không hài lòng), 4 or 5.", default=3)
    levels: list[Level] = _help(
        "Custom levels, most satisfied first; leave empty to use the standard levels for 'scale'.",
        factory=list)
    reasons: list[Reason] = _help("Reasons offered after a low score (empty: the official criteria).", factory=list)
    prompt_timeout_s: int = _help("Seconds the rating prompt waits before recording 'not rated'.", default=30)
    thanks_s: int = _help("Seconds the thank-you screen stays.", default=4)
    cooldown_s: int = _help("Standalone mode: seconds between two ratings before the next counts as misuse.", default=20)


@dataclass(frozen=True, kw_only=True)
class Printer:
    backend: Literal["dummy", "file", "usb", "network", "serial"] = _help(
        "Ticket printer: 'dummy' (no printer), 'file' (a device file such as /dev/usb/lp0), "
        "'usb', 'network' or 'serial'.", default="dummy")
    mode: Literal["raster", "cp1258"] = _help(
        "'raster' prints the ticket as an image in a Vietnamese font (works on every printer); "
        "'cp1258' sends text in the Vietnamese code page (only printers that support it).", default="raster")
    path: str = _help("backend 'file': device or file path.", default="/dev/usb/lp0")
    usb_vendor_id: int = _help("backend 'usb': vendor id (e.g. 0x0416).", default=0)
    usb_product_id: int = _help("backend 'usb': product id (e.g. 0x5011).", default=0)
    host: str = _help("backend 'network': printer IP address.", default="")
    port: int = _help("backend 'network': TCP port.", default=9100)
    serial_device: str = _help("backend 'serial': device (e.g. /dev/ttyUSB0).", default="/dev/ttyUSB0")
    baudrate: int = _help("backend 'serial': baud rate.", default=9600)
    width_px: int = _help("Printable width in dots (576 for 80 mm paper, 384 for 58 mm).", default=576)


@dataclass(frozen=True, kw_only=True)
class Kiosk:
    printer: Printer = _help("The ticket printer.", factory=Printer)
    catalog: str = _help("Procedure catalog file (national portal JSON), relative to this file.",
                         default="assets/catalog/tthc.json")
    idle_timeout_s: int = _help("Seconds without a touch before the kiosk returns to its home screen.", default=45)
    languages: list[Literal["vi", "en"]] = _help("Languages offered by the language switch.",
                                                 factory=lambda: ["vi", "en"])
    admin_pin: str = _help("PIN for the admin screen of the kiosk and the tablets (use ${ENV_VAR}).")
    fullscreen: bool = _help("Run fullscreen (turn off only for development).", default=True)


@dataclass(frozen=True, kw_only=True)
class Hub:
    host: str = _help("Address the office hub listens on ('0.0.0.0' for the whole office LAN).", default="127.0.0.1")
    port: int = _help("Port of the office hub.", default=8700)
    url: str = _help("How tablets and screens reach the hub (default: http://<host>:<port>).", default="")
    priority_every: int = _help(
        "Priority rule: serve one priority ticket after every N normal ones; 0 = priority always first.",
        default=0)
    no_show_requeue_min: int = _help("Minutes during which a no-show ticket can be put back in the queue.", default=30)
    daily_reset_hour: int = _help("Local hour (0–23) at which numbers restart and the day is archived.", default=3)
    notice: str = _help("Scrolling notice on the lobby display.", default="")
    default_service_min: float = _help("Assumed minutes per citizen before there is history.", default=8.0)
    read_numbers: Literal["whole", "digits"] = _help(
        "How the voice call reads ticket numbers: 'whole' (2015 = \"hai nghìn không trăm mười lăm\") or "
        "'digits' (2015 = \"hai, không, một, năm\").", default="whole")


@dataclass(frozen=True, kw_only=True)
class Tablet:
    mode: Literal["linked", "standalone"] = _help(
        "'linked' follows the counter on the hub; 'standalone' rates at any time without the hub.",
        default="linked")
    counter_id: int = _help("Counter this tablet sits at (can be changed in its settings).", default=1)
    clerk_id: str | None = _help("Standalone mode: the clerk at this counter.", default=None)


@dataclass(frozen=True, kw_only=True)
class Sync:
    server_url: str = _help("Central server address, e.g. https://tthc.example.gov.vn; empty = keep records locally.",
                            default="")
    batch_size: int = _help("Records per upload (1–1000).", default=200)
    interval_s: int = _help("Seconds between upload attempts when idle.", default=15)
    heartbeat_s: int = _help("Seconds between heartbeats when nothing is pending.", default=300)
    ca_bundle: str = _help("CA certificate file to trust for the server (empty: the system's).", default="")
    proxy: str = _help("HTTP(S) proxy to reach the server through, e.g. http://proxy.so.gov.vn:3128 (empty: direct; "
                       "proxy environment variables are ignored).", default="")


@dataclass(frozen=True, kw_only=True)
class Server:
    database_url: str = _help(
        "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: SQLite file in data_dir; use ${ENV_VAR}).",
        default="")
    host: str = _help("Address the central server listens on.", default="127.0.0.1")
    port: int = _help("Port of the central server.", default=8800)
    secret_key: str = _help("Secret for signing admin sessions (32+ characters; use ${ENV_VAR}).", default="")


@dataclass(frozen=True, kw_only=True)
class Config:
    office: Office = _help("The office this configuration describes.")
    services: list[Service] = _help("Services/fields citizens take tickets for.")
    counters: list[Counter] = _help("The counters (quầy) of the office.")
    clerks: list[Clerk] = _help("Clerks who serve at the counters.", factory=list)
    rating: Rating = _help("Satisfaction rating scale and reasons.", factory=Rating)
    kiosk: Kiosk = _help("The lobby kiosk.", default=None)
    hub: Hub = _help("The office hub (queue, clerk console, lobby display).", factory=Hub)
    tablet: Tablet = _help("Counter tablet defaults.", factory=Tablet)
    sync: Sync = _help("Uploading records to the central server.", factory=Sync)
    server: Server = _help("The central server (province).", factory=Server)
    data_dir: str = _help("Folder for local data (outbox, queue, database), relative to this file.", default="data")
    source: str = field(default="", metadata={"internal": True})

    # -- derived views ---------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        return Path(self.source).resolve().parent if self.source else Path.cwd()

    def path(self, value: str) -> Path:
        """Resolve a path written in the config relative to the config file."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    @property
    def database_url(self) -> str:
        return self.server.database_url or f"sqlite:///{self.data_path / 'server.db'}"

    @property
    def hub_url(self) -> str:
        host = "127.0.0.1" if self.hub.host in ("0.0.0.0", "::") else self.hub.host
        return (self.hub.url or f"http://{host}:{self.hub.port}").rstrip("/")

    @property
    def levels(self) -> list[Level]:
        """Rating levels, most satisfied first (score of levels[i] is len(levels) - i)."""
        return self.rating.levels or STANDARD_LEVELS[self.rating.scale]

    @property
    def reasons(self) -> list[Reason]:
        return self.rating.reasons or OFFICIAL_REASONS

    def service(self, service_id: str) -> Service:
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def counter(self, counter_id: int) -> Counter:
        for c in self.counters:
            if c.id == counter_id:
                return c
        raise KeyError(counter_id)

    def clerk(self, clerk_id: str) -> Clerk:
        for c in self.clerks:
            if c.id == clerk_id:
                return c
        raise KeyError(clerk_id)

    def level_for_score(self, score: int) -> Level:
        return self.levels[len(self.levels) - score]


def _lvl(vi: str, en: str, satisfied: bool) -> Level:
    return Level(Label(vi, en), satisfied)


STANDARD_LEVELS: dict[int, list[Level]] = {
    3: [_lvl("Rất hài lòng", "Very satisfied", True), _lvl("Hài lòng", "Satisfied", True),
        _lvl("Không hài lòng", "Not satisfied", False)],
    4: [_lvl("Rất hài lòng", "Very satisfied", True), _lvl("Hài lòng", "Satisfied", True),
        _lvl("Chưa hài lòng", "Not quite satisfied", False), _lvl("Không hài lòng", "Not satisfied", False)],
    5: [_lvl("Rất hài lòng", "Very satisfied", True), _lvl("Hài lòng", "Satisfied", True),
        _lvl("Bình thường", "Neutral", False), _lvl("Không hài lòng", "Not satisfied", False),
        _lvl("Rất không hài lòng", "Very unsatisfied", False)],
}

OFFICIAL_REASONS: list[Reason] = [
    Reason(code, Label(vi, en)) for code, vi, en in [
        ("thai-do", "Thái độ cán bộ", "Staff attitude"),
        ("cho-lau", "Thời gian chờ lâu", "Long wait"),
        ("huong-dan", "Hướng dẫn chưa rõ", "Unclear guidance"),
        ("di-lai", "Phải đi lại nhiều lần", "Had to come back many times"),
        ("giai-quyet", "Thời gian giải quyết", "Processing time"),
        ("co-so-vat-chat", "Cơ sở vật chất", "Facilities"),
        ("nhung-nhieu", "Nhũng nhiễu, đòi chi phí ngoài quy định", "Harassment or unofficial fees"),
        ("khac", "Khác", "Other"),
    ]
]


# --- building typed values from YAML, collecting every problem -------------------------

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Problems(list):
    def add(self, path: str, message: str) -> None:
        self.append(f"{path or '(top level)'}: {message}")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (empty value)"
    return f"{type(value).__name__} {value!r}"


def _expand_env(value: str, path: str, problems: _Problems) -> str:
    def repl(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        problems.add(path, f"environment variable {name} is not set (set it, or write ${{{name}:-default}})")
        return ""

    return _ENV_RE.sub(repl, value)


def _build(tp: Any, value: Any, path: str, problems: _Problems) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _build(inner, value, path, problems)
    if isinstance(value, str):
        value = _expand_env(value, path, problems)
    if origin is Literal:
        if value not in args:
            problems.add(path, f"expected one of {', '.join(repr(a) for a in args)}, found {_describe(value)}")
        return value
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            problems.add(path, f"expected a list, found {_describe(value)}")
            return []
        return [_build(args[0], item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
    if tp is Label:
        return _build_label(value, path, problems)
    if tp is NumberBlock:
        return _build_block(value, path, problems)
    if dataclasses.is_dataclass(tp):
        return _build_dataclass(tp, value, path, problems)
    if tp is bool:
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, found {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, f"expected a whole number, found {_describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(path, f"expected a number, found {_describe(value)}")
            return value
        return float(value)
    if tp is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # e.g. a PIN written without quotes
        if not isinstance(value, str):
            problems.add(path, f"expected text, found {_describe(value)}")
            return value
        return nfc(value)
    raise TypeError(f"config schema has an unsupported type {tp!r} at {path}")


def _build_label(value: Any, path: str, problems: _Problems) -> Label | None:
    if isinstance(value, str):
        text = nfc(value)
        return Label(text, text)
    if isinstance(value, dict):
        unknown = set(value) - {"vi", "en"}
        for key in sorted(unknown, key=str):
            problems.add(f"{path}.{key}", "unknown key (a label has only 'vi' and 'en')")
        vi, en = value.get("vi"), value.get("en")
        if not isinstance(vi, str) or not vi.strip():
            problems.add(f"{path}.vi", f"expected the Vietnamese text, found {_describe(vi)}")
            return None
        if en is not None and not isinstance(en, str):
            problems.add(f"{path}.en", f"expected the English text, found {_describe(en)}")
            return None
        return Label(nfc(vi), nfc(en or vi))
    problems.add(path, f"expected text or {{vi: …, en: …}}, found {_describe(value)}")
    return None


def _build_block(value: Any, path: str, problems: _Problems) -> NumberBlock | None:
    first = last = None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[-–]\s*\d+\s*", value):
        first, last = (int(x) for x in re.split(r"[-–]", value))
    elif isinstance(value, dict) and set(value) == {"first", "last"}:
        first, last = value["first"], value["last"]
    if not (isinstance(first, int) and isinstance(last, int)):
        problems.add(path, f"expected a number block like '1001-1999', found {_describe(value)}")
        return None
    if not 0 <= first < last <= 99999:
        problems.add(path, f"expected first < last within 0..99999, found {first}-{last}")
        return None
    return NumberBlock(first, last)


def _build_dataclass(tp: type, value: Any, path: str, problems: _Problems) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping of keys, found {_describe(value)}")
        return None
    fields = {f.name: f for f in dataclasses.fields(tp) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(tp)
    for key in value:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else f" (known: {', '.join(fields)})"
            problems.add(_join(path, key), f"unknown key{hint}")
    built = {}
    for name, f in fields.items():
        sub = _join(path, name)
        if name in value:
            built[name] = _build(hints[name], value[name], sub, problems)
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        else:
            problems.add(sub, f"missing ({f.metadata['help']})")
    try:
        return tp(**built)
    except TypeError:
        return None  # a required key was missing; already reported


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


# --- cross-field rules -----------------------------------------------------------------


def _check_rules(cfg: Config, problems: _Problems) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not _SLUG_RE.match(cfg.office.id):
        problems.add("office.id", f"expected lower-case letters, digits, '-' or '_', found {cfg.office.id!r}")
    try:
        ZoneInfo(cfg.office.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("office.timezone", f"unknown time zone {cfg.office.timezone!r} (e.g. 'Asia/Ho_Chi_Minh')")

    if not cfg.services:
        problems.add("services", "at least one service is needed")
    seen: dict[str, int] = {}
    for i, s in enumerate(cfg.services):
        if not _SLUG_RE.match(s.id):
            problems.add(f"services[{i}].id", f"expected lower-case letters, digits, '-' or '_', found {s.id!r}")
        if s.id in seen:
            problems.add(f"services[{i}].id", f"duplicate service id {s.id!r} (also services[{seen[s.id]}])")
        seen[s.id] = i
        for j, other in enumerate(cfg.services[:i]):
            if s.numbers and other.numbers and s.numbers.first <= other.numbers.last and other.numbers.first <= s.numbers.last:
                problems.add(f"services[{i}].numbers",
                             f"block {s.numbers.first}-{s.numbers.last} overlaps services[{j}] "
                             f"({other.numbers.first}-{other.numbers.last})")
    known = ", ".join(s.id for s in cfg.services)

    if not cfg.counters:
        problems.add("counters", "at least one counter is needed")
    counter_ids: dict[int, int] = {}
    for i, c in enumerate(cfg.counters):
        if isinstance(c.id, int) and not 1 <= c.id <= 999:
            problems.add(f"counters[{i}].id", f"expected a counter number 1..999, found {c.id}")
        if c.id in counter_ids:
            problems.add(f"counters[{i}].id", f"duplicate counter {c.id} (also counters[{counter_ids[c.id]}])")
        counter_ids[c.id] = i
        if not c.services:
            problems.add(f"counters[{i}].services", "a counter must serve at least one service")
        for j, sid in enumerate(c.services):
            if sid not in seen:
                problems.add(f"counters[{i}].services[{j}]", f"unknown service {sid!r} (known: {known})")
        if isinstance(c.token, str) and len(c.token) < 16:
            problems.add(f"counters[{i}].token", "too short: use at least 16 random characters")

    clerk_ids: dict[str, int] = {}
    for i, c in enumerate(cfg.clerks):
        if not _SLUG_RE.match(c.id):
            problems.add(f"clerks[{i}].id", f"expected lower-case letters, digits, '-' or '_', found {c.id!r}")
        if c.id in clerk_ids:
            problems.add(f"clerks[{i}].id", f"duplicate clerk id {c.id!r}")
        clerk_ids[c.id] = i
        if not _PIN_RE.match(c.pin):
            problems.add(f"clerks[{i}].pin", "expected 4 to 8 digits")
        if c.photo and not cfg.path(c.photo).is_file():
            problems.add(f"clerks[{i}].photo", f"file not found: {cfg.path(c.photo)}")

    levels = cfg.rating.levels
    if levels:
        if not 2 <= len(levels) <= 10:
            problems.add("rating.levels", f"expected 2 to 10 levels, found {len(levels)}")
        flags = [lv.satisfied for lv in levels]
        if True not in flags or False not in flags:
            problems.add("rating.levels", "need at least one satisfied and one not satisfied level")
        elif flags != sorted(flags, reverse=True):
            problems.add("rating.levels", "list levels from most to least satisfied (satisfied ones first)")
    codes = [r.code for r in cfg.rating.reasons]
    if len(set(codes)) != len(codes):
        problems.add("rating.reasons", "reason codes must be unique")
    for name in ("prompt_timeout_s", "thanks_s"):
        if getattr(cfg.rating, name) < 1:
            problems.add(f"rating.{name}", "expected at least 1 second")

    if cfg.kiosk is None:
        problems.add("kiosk", "missing (at least kiosk.admin_pin is needed)")
    else:
        if not _PIN_RE.match(cfg.kiosk.admin_pin):
            problems.add("kiosk.admin_pin", "expected 4 to 8 digits")
        if cfg.kiosk.idle_timeout_s < 5:
            problems.add("kiosk.idle_timeout_s", "expected at least 5 seconds")
        if not cfg.kiosk.languages:
            problems.add("kiosk.languages", "list at least one language")
    for key, port in (("hub.port", cfg.hub.port), ("server.port", cfg.server.port)):
        if not 1 <= port <= 65535:
            problems.add(key, f"expected a port 1..65535, found {port}")
    if not 0 <= cfg.hub.daily_reset_hour <= 23:
        problems.add("hub.daily_reset_hour", f"expected an hour 0..23, found {cfg.hub.daily_reset_hour}")
    if cfg.hub.priority_every < 0:
        problems.add("hub.priority_every", "expected 0 or more")
    if cfg.tablet.counter_id not in counter_ids:
        problems.add("tablet.counter_id", f"unknown counter {cfg.tablet.counter_id} "
                                          f"(known: {', '.join(str(c) for c in counter_ids)})")
    if cfg.tablet.clerk_id is not None and cfg.tablet.clerk_id not in clerk_ids:
        problems.add("tablet.clerk_id", f"unknown clerk {cfg.tablet.clerk_id!r}")
    if not 1 <= cfg.sync.batch_size <= 1000:
        problems.add("sync.batch_size", f"expected 1..1000, found {cfg.sync.batch_size}")
    if cfg.sync.server_url and not re.match(r"^https?://[^/\s]+", cfg.sync.server_url):
        problems.add("sync.server_url", f"expected an http(s):// address, found {cfg.sync.server_url!r}")
    if cfg.sync.proxy and not re.match(r"^(https?|socks5h?)://[^/\s]+", cfg.sync.proxy):
        problems.add("sync.proxy", f"expected a proxy address like http://host:3128, found {cfg.sync.proxy!r}")
    if cfg.sync.ca_bundle and not cfg.path(cfg.sync.ca_bundle).is_file():
        problems.add("sync.ca_bundle", f"file not found: {cfg.path(cfg.sync.ca_bundle)}")
    if cfg.server.secret_key and len(cfg.server.secret_key) < 32:
        problems.add("server.secret_key", "too short: use at least 32 random characters")


# --- public entry points -----------------------------------------------------------------


def load_config(path: str | os.PathLike = DEFAULT_CONFIG_PATH) -> Config:
    """Read, validate and return the configuration; raise ``ConfigError`` listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, ["file not found (pass --config PATH, or copy the example config.yaml)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"cannot read the file: {exc}"]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    problems = _Problems()
    cfg = _build(Config, raw, "", problems)
    if cfg is not None and not problems:
        cfg = dataclasses.replace(cfg, source=str(Path(path).resolve()))
        _check_rules(cfg, problems)
    if problems:
        raise ConfigError(source, list(problems))
    return cfg


def add_config_argument(parser) -> None:
    """Add the ``--config PATH`` option every command takes."""
    parser.add_argument("--config", default=os.environ.get("THUOCDO_CONFIG", DEFAULT_CONFIG_PATH),
                        metavar="PATH", help="office configuration file (default: ./config.yaml)")


def load_config_or_exit(path: str) -> Config:
    """For commands: load the config, or print every problem and exit with status 2."""
    import sys

    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def describe_keys(tp: type = Config, prefix: str = "") -> list[tuple[str, str]]:
    """Every configuration key as (dotted path, help text), for the docs and their test."""
    rows = []
    hints = typing.get_type_hints(tp)
    for f in dataclasses.fields(tp):
        if f.metadata.get("internal"):
            continue
        key = f"{prefix}{f.name}"
        rows.append((key, f.metadata["help"]))
        inner = hints[f.name]
        if typing.get_origin(inner) is list:
            inner, key = typing.get_args(inner)[0], key + "[]"
        if dataclasses.is_dataclass(inner) and inner not in (Label, NumberBlock):
            rows.extend(describe_keys(inner, key + "."))
    return rows
