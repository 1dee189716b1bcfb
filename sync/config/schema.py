"""What an office's ``config.yaml`` may say: every setting declared as data, with its help text.

Each section is a frozen dataclass whose fields are made with ``setting(help, default)``, so
this one declaration drives validation (``sync.config.building``), defaults and the
documentation (``describe_keys`` → ``docs/configuration.md``, and a test that every key is
documented). ``Config`` also offers the derived views every part uses (paths relative to
the file, the hub URL, the rating levels). Adding a setting means adding one field here.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["OFFICIAL_REASONS", "STANDARD_LEVELS", "Alerts", "Clerk", "Config", "Counter", "Hub", "Kiosk", "Label",
           "Level", "NumberBlock", "Office", "Printer", "Rating", "Reason", "Server", "Service", "Sync", "Tablet",
           "describe_keys", "parse_working_hours", "setting"]


def setting(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING):
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



# --- the schema ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Office:
    id: str = setting("Short identifier of the office, lower-case letters, digits and '-' (e.g. 'phuong-ben-nghe').")
    name: str = setting("The office's name as citizens know it, shown on screens and tickets.")
    province: str = setting("Province or city the office belongs to.", default="")
    timezone: str = setting("IANA time zone used for local dates and the daily queue reset.", default="Asia/Ho_Chi_Minh")
    language: Literal["vi", "en"] = setting("Language every screen starts in: 'vi' or 'en'.", default="vi")


@dataclass(frozen=True, kw_only=True)
class Service:
    id: str = setting("Short identifier of the service/field (e.g. 'ho-tich'); referenced by counters.")
    name: Label = setting("Name on the kiosk tiles, tickets and the display ({vi: …, en: …}).")
    numbers: NumberBlock = setting("Block of ticket numbers for this service, e.g. '1001-1999'; blocks must not overlap.")
    catalog_fields: list[str] = setting(
        "Fields ('linh_vuc') of the procedure catalog this service receives, spelled as in the catalog.",
        factory=list)
    icon: str = setting("Pictogram on the kiosk tile: a name from sync/icons.py ICONS (e.g. 'people-roof'); "
                        "empty = chosen from the id.", default="")


@dataclass(frozen=True, kw_only=True)
class Counter:
    id: int = setting("Counter number as painted above the desk (1, 2, 3 …); announced by the voice call.")
    name: Label = setting("Counter name shown on screens (e.g. 'Quầy 1').")
    services: list[str] = setting("Ids of the services this counter serves.")
    token: str = setting("Secret the counter's console and tablet use with the hub (16+ characters; use ${ENV_VAR}).")


@dataclass(frozen=True, kw_only=True)
class Clerk:
    id: str = setting("Short identifier of the clerk (e.g. 'nguyen-van-a').")
    name: str = setting("Full name, shown to citizens on the rating tablet.")
    pin: str = setting("4–8 digit PIN the clerk logs in to a counter with.")
    photo: str | None = setting("Optional photo file (PNG/JPEG), relative to this file.", default=None)


@dataclass(frozen=True)
class Level:
    label: Label = setting("The level's words, e.g. 'Rất hài lòng'.")
    satisfied: bool = setting("Whether this level counts as satisfied in the satisfaction rate.")


@dataclass(frozen=True)
class Reason:
    code: str = setting("Stable code stored in ratings (e.g. 'thai-do').")
    label: Label = setting("The reason's words on the tablet.")


@dataclass(frozen=True, kw_only=True)
class Rating:
    scale: Literal[3, 4, 5] = setting(
        "Number of levels: 3 (official: Rất hài lòng / Hài lòng / Không hài lòng), 4 or 5.", default=3)
    levels: list[Level] = setting(
        "Custom levels, most satisfied first; leave empty to use the standard levels for 'scale'.",
        factory=list)
    reasons: list[Reason] = setting("Reasons offered after a low score (empty: the official criteria).", factory=list)
    prompt_timeout_s: int = setting("Seconds the rating prompt waits before recording 'not rated'.", default=30)
    thanks_s: int = setting("Seconds the thank-you screen stays.", default=4)
    cooldown_s: int = setting("Standalone mode: seconds between two ratings before the next counts as misuse.", default=20)


@dataclass(frozen=True, kw_only=True)
class Printer:
    backend: Literal["dummy", "file", "usb", "network", "serial"] = setting(
        "Ticket printer: 'dummy' (no printer), 'file' (a device file such as /dev/usb/lp0), "
        "'usb', 'network' or 'serial'.", default="dummy")
    mode: Literal["raster", "cp1258"] = setting(
        "'raster' prints the ticket as an image in a Vietnamese font (works on every printer); "
        "'cp1258' sends text in the Vietnamese code page (only printers that support it).", default="raster")
    path: str = setting("backend 'file': device or file path.", default="/dev/usb/lp0")
    usb_vendor_id: int = setting("backend 'usb': vendor id (e.g. 0x0416).", default=0)
    usb_product_id: int = setting("backend 'usb': product id (e.g. 0x5011).", default=0)
    host: str = setting("backend 'network': printer IP address.", default="")
    port: int = setting("backend 'network': TCP port.", default=9100)
    serial_device: str = setting("backend 'serial': device (e.g. /dev/ttyUSB0).", default="/dev/ttyUSB0")
    baudrate: int = setting("backend 'serial': baud rate.", default=9600)
    width_px: int = setting("Printable width in dots (576 for 80 mm paper, 384 for 58 mm).", default=576)


@dataclass(frozen=True, kw_only=True)
class Kiosk:
    printer: Printer = setting("The ticket printer.", factory=Printer)
    catalog: str = setting("Procedure catalog file (national portal JSON), relative to this file.",
                         default="assets/catalog/tthc.json")
    idle_timeout_s: int = setting("Seconds without a touch before the kiosk returns to its home screen.", default=45)
    languages: list[Literal["vi", "en"]] = setting("Languages offered by the language switch.",
                                                 factory=lambda: ["vi", "en"])
    admin_pin: str = setting("PIN for the admin screen of the kiosk and the tablets (use ${ENV_VAR}).")
    fullscreen: bool = setting("Run fullscreen (turn off only for development).", default=True)


@dataclass(frozen=True, kw_only=True)
class Hub:
    host: str = setting("Address the office hub listens on ('0.0.0.0' for the whole office LAN).", default="127.0.0.1")
    port: int = setting("Port of the office hub.", default=8700)
    url: str = setting("How tablets and screens reach the hub (default: http://<host>:<port>).", default="")
    priority_every: int = setting(
        "Priority rule: serve one priority ticket after every N normal ones; 0 = priority always first.",
        default=0)
    no_show_requeue_min: int = setting("Minutes during which a no-show ticket can be put back in the queue.", default=30)
    daily_reset_hour: int = setting("Local hour (0–23) at which numbers restart and the day is archived.", default=3)
    notice: str = setting("Scrolling notice on the lobby display.", default="")
    default_service_min: float = setting("Assumed minutes per citizen before there is history.", default=8.0)
    read_numbers: Literal["whole", "digits"] = setting(
        "How the voice call reads ticket numbers: 'whole' (2015 = \"hai nghìn không trăm mười lăm\") or "
        "'digits' (2015 = \"hai, không, một, năm\").", default="whole")
    second_language: Literal["", "en"] = setting(
        "Say each call again in this language after Vietnamese: '' (no) or 'en' (English).", default="")
    display_media: str = setting(
        "Folder of pictures (.jpg .png .webp) and silent videos (.mp4 .webm) the lobby display shows in turn "
        "beside the queue, relative to this file; empty = none.", default="")
    display_media_seconds: int = setting("Seconds each picture of display_media stays on screen.", default=10)


@dataclass(frozen=True, kw_only=True)
class CitizenPage:
    base_url: str = setting(
        "Start of the ticket page address printed in the QR code (<base_url>/t/<token>); empty = the hub's "
        "address (hub.url). An office that publishes its hub on the internet puts the public address here; the "
        "central server's address works too (it serves the same page from the tickets the hub uploads).",
        default="")
    rating_days: int = setting("Days after the service during which the ticket's page accepts a rating (1–30).",
                               default=3)


@dataclass(frozen=True, kw_only=True)
class Tablet:
    mode: Literal["linked", "standalone"] = setting(
        "'linked' follows the counter on the hub; 'standalone' rates at any time without the hub.",
        default="linked")
    counter_id: int = setting("Counter this tablet sits at (can be changed in its settings).", default=1)
    clerk_id: str | None = setting("Standalone mode: the clerk at this counter.", default=None)


@dataclass(frozen=True, kw_only=True)
class Sync:
    server_url: str = setting("Central server address, e.g. https://tthc.example.gov.vn; empty = keep records locally.",
                            default="")
    batch_size: int = setting("Records per upload (1–1000).", default=200)
    interval_s: int = setting("Seconds between upload attempts when idle.", default=15)
    heartbeat_s: int = setting("Seconds between heartbeats when nothing is pending.", default=300)
    ca_bundle: str = setting("CA certificate file to trust for the server (empty: the system's).", default="")
    proxy: str = setting("HTTP(S) proxy to reach the server through, e.g. http://proxy.so.gov.vn:3128 (empty: direct; "
                       "proxy environment variables are ignored).", default="")


@dataclass(frozen=True, kw_only=True)
class Server:
    database_url: str = setting(
        "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: SQLite file in data_dir; use ${ENV_VAR}).",
        default="")
    host: str = setting("Address the central server listens on.", default="127.0.0.1")
    port: int = setting("Port of the central server.", default=8800)
    public_url: str = setting("Address admins open the dashboard at, used for links in alert emails and webhooks "
                              "(e.g. https://motcua.example.gov.vn).", default="")
    smtp_url: str = setting("Mail server for alerts and digests: smtp://user:password@host:587 (STARTTLS), "
                            "smtps://…:465 (TLS), or smtp://host:25?starttls=no; empty = no email (use ${ENV_VAR}).",
                            default="")
    mail_from: str = setting("Sender address of alert emails.", default="thuocdo@localhost")
    webhook_url: str = setting("Alerts are also POSTed here as JSON (bridges to chat apps); empty = none.", default="")
    webhook_secret: str = setting("Secret for the webhook's HMAC-SHA256 signature header (use ${ENV_VAR}).",
                                  default="")
    replica_url: str = setting(
        "Optional PostgreSQL streaming replica (hot standby) of database_url, e.g. "
        "postgresql+psycopg://reader@replica-host/db: dashboards, exports and reports read from it while it answers "
        "and keeps up; uploads and logins always write to database_url. Empty = everything on database_url.",
        default="")
    replica_max_lag_s: float = setting(
        "How many seconds the replica may be behind the primary before reads go back to the primary "
        "(the dashboard footer shows which one answered and the lag).", default=30.0)
    device_requests_per_s: float = setting(
        "Uploads per second one device may make, sustained (429 with Retry-After beyond; shared by every server "
        "process on the database).", default=20.0)
    device_burst: int = setting("Uploads one device may make back to back before device_requests_per_s applies.",
                                default=40)
    login_attempts_per_min: float = setting(
        "Sign-in attempts per minute from one address for one username (also enrollment attempts per address).",
        default=10.0)


@dataclass(frozen=True, kw_only=True)
class Alerts:
    """Alerts and follow-up cases on the central server (issue: close the loop on an unhappy citizen)."""

    rules: list[Literal["burst", "severe", "trend", "silent"]] = setting(
        "Alert rules that are on: 'burst' (many unhappy answers in a short window), 'severe' (a lowest-level "
        "rating about the clerk's attitude or with a comment), 'trend' (a clerk's 30-day satisfaction under "
        "the target), 'silent' (a tablet that recorded nothing on a day its counter served tickets).",
        factory=lambda: ["burst", "severe", "trend", "silent"])
    burst_window_min: int = setting("burst: length of the sliding window, minutes (ratings' recorded times).",
                                  default=15)
    burst_min_answers: int = setting("burst: at least this many rated answers in the window.", default=4)
    burst_unsatisfied_share: float = setting("burst: at least this share of them unsatisfied (0.5 = 50 %).",
                                           default=0.5)
    severe_reasons: list[str] = setting("severe: reason codes about the clerk's attitude.",
                                      factory=lambda: ["thai-do", "nhung-nhieu"])
    trend_days: int = setting("trend: days of ratings a clerk's satisfaction is judged on.", default=30)
    trend_target: float = setting("trend: the office's target satisfaction (Wilson lower bound below it alerts).",
                                default=0.8)
    silent_min_tickets: int = setting("silent: finished tickets a counter must have served that day.", default=5)
    late_after_min: int = setting("An alert whose last rating arrived this many minutes after it was recorded "
                                "is marked late.", default=15)
    working_hours: str = setting("Working hours for due times, e.g. '07:30-11:30,13:30-17:00'.",
                               default="07:30-11:30,13:30-17:00")
    working_days: list[int] = setting("Working days, ISO numbers (1 = Monday … 7 = Sunday).",
                                    factory=lambda: [1, 2, 3, 4, 5])
    due_working_hours: float = setting("A case is due this many working hours after it opens; overdue cases "
                                     "escalate to the province admins.", default=8.0)
    digest_hour: int = setting("Local hour (0–23) the daily digest is mailed to each office manager.", default=17)
    contact_retention_days: int = setting("Days after its case closes that a citizen's contact number is erased.",
                                        default=90)
    letter_template: str = setting("Apology letter body template (text file, relative to the central server's "
                                   "config file); empty = the built-in 'Thư xin lỗi'.", default="")
    letter_authority: str = setting("Letter header: the superior body above the office name (e.g. 'UBND TP. HỒ CHÍ "
                                  "MINH'); empty = none.", default="")
    letter_place: str = setting("Letter date line: the place name in '…, ngày … tháng … năm …' (empty: the province).",
                              default="")
    letter_signer_title: str = setting("Letter signature block: the signer's title.", default="TRƯỞNG BỘ PHẬN MỘT CỬA")
    letter_signer_name: str = setting("Letter signature block: the signer's name (empty: left to write by hand).",
                                    default="")

    def periods(self) -> list[tuple[int, int]]:
        """``working_hours`` as (start, end) minutes after midnight, in order; ValueError if unreadable."""
        return parse_working_hours(self.working_hours)


def parse_working_hours(text: str) -> list[tuple[int, int]]:
    """``'07:30-11:30,13:30-17:00'`` → ``[(450, 690), (810, 1020)]``; ValueError naming the bad part."""
    periods = []
    for part in (p.strip() for p in text.split(",")):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", part)
        if not match:
            raise ValueError(f"expected periods like '07:30-11:30,13:30-17:00', found {part!r}")
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (m1 < 60 and m2 < 60 and 0 <= start < end <= 24 * 60):
            raise ValueError(f"{part!r}: the start must be a time before the end, within one day")
        if periods and start < periods[-1][1]:
            raise ValueError(f"{part!r} overlaps or comes before the period before it")
        periods.append((start, end))
    return periods


@dataclass(frozen=True, kw_only=True)
class Config:
    office: Office = setting("The office this configuration describes.")
    services: list[Service] = setting("Services/fields citizens take tickets for.")
    counters: list[Counter] = setting("The counters (quầy) of the office.")
    clerks: list[Clerk] = setting("Clerks who serve at the counters.", factory=list)
    rating: Rating = setting("Satisfaction rating scale and reasons.", factory=Rating)
    kiosk: Kiosk = setting("The lobby kiosk.", default=None)
    hub: Hub = setting("The office hub (queue, clerk console, lobby display).", factory=Hub)
    citizen_page: CitizenPage = setting("The ticket's page on the citizen's phone (QR code on the ticket).",
                                        factory=CitizenPage)
    tablet: Tablet = setting("Counter tablet defaults.", factory=Tablet)
    sync: Sync = setting("Uploading records to the central server.", factory=Sync)
    server: Server = setting("The central server (province).", factory=Server)
    alerts: Alerts = setting("Alerts, follow-up cases and apology letters (central server).", factory=Alerts)
    data_dir: str = setting("Folder for local data (outbox, queue, database), relative to this file.", default="data")
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
    def citizen_base_url(self) -> str:
        """Where ticket pages live: ``citizen_page.base_url``, else the hub's address."""
        return (self.citizen_page.base_url or self.hub_url).rstrip("/")

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
