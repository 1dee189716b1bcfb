"""The uploader: moves records from a device's outbox to the central server, whatever the network does.

A kiosk or counter tablet runs one ``Uploader`` thread next to its UI. It takes the oldest
pending records from the ``Outbox``, posts them as one batch to ``POST /api/v1/batches`` and
acknowledges in the outbox only what the server explicitly confirmed:

* ``accepted`` and ``duplicate`` (already stored — e.g. the reply to an earlier attempt was
  lost) are both delivered, so they are acked;
* ``rejected`` records (the server found them invalid) are written durably to
  ``<device dir>/quarantine.jsonl`` first and acked afterwards: kept, counted, shown,
  exportable, but never sent again.

Only a well-formed acknowledgement of *this* batch counts as success: HTTP 200, a JSON
object whose ``results`` list has exactly the ids sent, in the same order, each with a known
status. A Wi-Fi login page answering 200 with HTML, a redirect, a body cut short, or a list
that does not match is a failure, and nothing is acked. Because the server stores records
idempotently by id, resending after any failure is safe: a record is never lost (it stays
pending until confirmed) and never counted twice (the server answers ``duplicate``).

Failures are retried forever with exponential backoff and full jitter, capped at five
minutes; a 429/503 ``Retry-After`` is honoured. The schedule (consecutive failures, next
attempt time, last success, last error) lives in ``<device dir>/uploader-state.json``,
written atomically, so a restarted device neither hammers a struggling server nor forgets
how long it has been offline. When the outbox is empty the uploader still sends an empty
batch every ``sync.heartbeat_s`` seconds so the centre sees the device is alive.

The HTTP session ignores proxy and CA environment variables (``trust_env = False``): TLS is
verified against ``sync.ca_bundle`` or the bundled CA list, and nothing in the environment
can silently redirect or un-verify the traffic.

Pure Python (requests): the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import requests

from sync import records
from sync.outbox import Outbox
from sync.store import fsync_directory, write_atomically

__all__ = [
    "BACKOFF_CAP_S",
    "EXPORT_FORMAT",
    "QUARANTINE_FILE",
    "STATE_FILE",
    "AckError",
    "Quarantine",
    "SyncStatus",
    "UploadRound",
    "Uploader",
    "app_version",
    "backoff_delay",
    "check_acknowledgement",
    "export_pending",
    "make_session",
    "read_state",
    "session_for",
    "start_background_sync",
]

log = logging.getLogger(__name__)

STATE_FILE = "uploader-state.json"
QUARANTINE_FILE = "quarantine.jsonl"
EXPORT_FORMAT = "thuocdo-pending-v1"
BATCHES_PATH = "/api/v1/batches"
STATUSES = ("accepted", "duplicate", "rejected")

BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
SUCCESS_SAVE_EVERY_S = 5.0  # how often a run of successes is written to the state file
RETRY_AFTER_MAX_S = 3600.0  # a Retry-After beyond an hour is treated as an hour
DEFAULT_TIMEOUTS = (5.0, 30.0)  # (connect, read) seconds


def app_version() -> str:
    """The installed Thước Đo version, reported with every batch for the device-health page."""
    from importlib import metadata

    try:
        return metadata.version("thuocdo")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def make_session(ca_bundle: str | os.PathLike | None = None, proxy: str | None = None) -> requests.Session:
    """The one way a device talks to the centre: environment proxies and CA variables ignored.

    ``trust_env = False`` stops ``HTTP(S)_PROXY``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``
    and ``.netrc`` from changing where the records go or which certificates are trusted; a
    proxy is used only when ``sync.proxy`` names one.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxy, "https": proxy} if proxy else {}
    session.verify = str(ca_bundle) if ca_bundle else True
    session.headers["User-Agent"] = f"thuocdo-device/{app_version()}"
    session.headers["Accept"] = "application/json"
    return session


def session_for(config) -> requests.Session:
    """``make_session`` with the office config's ``sync.ca_bundle`` and ``sync.proxy``."""
    ca_bundle = config.path(config.sync.ca_bundle) if config.sync.ca_bundle else None
    return make_session(ca_bundle, config.sync.proxy or None)


def backoff_delay(failures: int, rng: Callable[[], float] = random.random,
                  base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """Seconds to wait after ``failures`` consecutive failures: full jitter, capped.

    Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries
    of many offices coming back online at once, instead of synchronising them.
    """
    ceiling = min(cap, base * (2 ** min(max(failures, 1) - 1, 30)))
    return rng() * ceiling


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="seconds")


def _iso_precise(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="milliseconds")


# --- acknowledgement checks -------------------------------------------------------------


class AckError(Exception):
    """The server's answer is not a well-formed acknowledgement of the batch sent.

    ``message`` is in plain words for the device's status screen; ``retry_after`` is set
    when the server asked for a pause (429/503).
    """

    def __init__(self, message: str, retry_after: float | None = None, too_big: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.too_big = too_big


def _server_message(response: requests.Response) -> str:
    """The ``{error: {code, message}}`` text of an error reply, if it has one."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            code = f" [{error['code']}]" if error.get("code") else ""
            return f": {error['message']}{code}"
    except ValueError:
        pass
    return ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_MAX_S)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        return min(max(0.0, when.timestamp() - time.time()), RETRY_AFTER_MAX_S)
    except (TypeError, ValueError):
        return None


def check_acknowledgement(response: requests.Response, sent_ids: list[str]) -> list[dict]:
    """Return the per-record results if ``response`` acknowledges exactly ``sent_ids``.

    Raises ``AckError`` (in plain words) for anything else: a non-200 status, a redirect, a
    body that is not JSON (a captive portal's HTML page), a truncated body, or a results list
    whose length, ids, order or statuses differ from the batch sent.
    """
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        return _fail(f"the server answered with a redirect to {where} — probably a Wi-Fi login page "
                     f"or a wrong server address (HTTP {status})")
    if status in (429, 503):
        pause = _retry_after(response)
        wait = f"; it asked to wait {pause:.0f} s" if pause is not None else ""
        what = "too many requests" if status == 429 else "temporarily unavailable"
        raise AckError(f"the server is busy ({what}, HTTP {status}){wait}{_server_message(response)}",
                       retry_after=pause)
    if status in (401, 403):
        return _fail(f"the server refused this device's credentials (HTTP {status}){_server_message(response)} "
                     f"— enroll the device again with a new code")
    if status == 413:
        raise AckError(f"the batch was too big for the server (HTTP 413){_server_message(response)}; "
                       f"sending smaller batches", too_big=True)
    if status >= 500:
        return _fail(f"the server had an internal error (HTTP {status}){_server_message(response)}")
    if status != 200:
        return _fail(f"the server refused the batch (HTTP {status}){_server_message(response)}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        shown = content_type or "no content type"
        return _fail(f"the answer was not the server's acknowledgement but {shown} — probably a Wi-Fi "
                     f"login page (captive portal) or a proxy in the way")
    try:
        body = json.loads(response.content)
    except (ValueError, requests.RequestException):
        return _fail("the server's answer was cut off or is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return _fail("the server's answer has no list of results")
    results = body["results"]
    if len(results) != len(sent_ids):
        return _fail(f"the server acknowledged {len(results)} records but {len(sent_ids)} were sent")
    for position, (result, sent) in enumerate(zip(results, sent_ids)):
        if not isinstance(result, dict) or result.get("id") != sent:
            return _fail(f"the server's result #{position + 1} is not for the record sent in that place")
        if result.get("status") not in STATUSES:
            return _fail(f"the server's result #{position + 1} has an unknown status {result.get('status')!r}")
    return results


def _fail(message: str):
    raise AckError(message)


def _describe_exception(exc: Exception, server_url: str, timeouts: tuple[float, float]) -> str:
    host = urlsplit(server_url).netloc or server_url
    if isinstance(exc, requests.exceptions.SSLError):
        return (f"the server {host} could not be verified (TLS certificate not trusted: check "
                f"sync.ca_bundle and the device's date)")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"cannot reach the server {host}: no answer within {timeouts[0]:.0f} s (network down?)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"the server {host} did not answer within {timeouts[1]:.0f} s"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"the connection to {host} broke while the answer was arriving"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            return f"cannot reach the server {host}: connection refused (server down or wrong address)"
        if "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
            return f"cannot find the server {host} (no internet or a wrong address)"
        return f"the connection to {host} was lost"
    return f"upload failed: {exc}"


# --- quarantine ---------------------------------------------------------------------------


class Quarantine:
    """Records the server rejected: kept in an append-only JSON-lines file, never retried.

    Each line is ``{"record": …, "error": …, "rejected_at": …, "batch_id": …}``. A line is
    fsynced before the record is acked in the outbox, so a crash in between only means the
    record is sent once more (and skipped here when it is rejected again).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._needs_newline = False
        if self.path.exists():
            data = self.path.read_bytes()
            self._needs_newline = bool(data) and not data.endswith(b"\n")
            for line in data.splitlines():
                try:
                    self._ids.add(json.loads(line)["record"]["id"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a crash: its record is still pending in the outbox

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._ids

    def add(self, entries: list[dict]) -> None:
        """Durably append ``entries`` (each with ``record`` and ``error``) not already kept."""
        with self._lock:
            fresh = [e for e in entries if e["record"]["id"] not in self._ids]
            if not fresh:
                return
            payload = b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in fresh)
            if self._needs_newline:
                payload = b"\n" + payload
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_directory(self.path.parent)
            self._needs_newline = False
            self._ids.update(e["record"]["id"] for e in fresh)

    def entries(self) -> list[dict]:
        """Every readable quarantined entry, oldest first (for the admin screen and exports)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStatus:
    """What a device shows about its uploads (the UI's status line and ``sync-status``)."""

    pending: int
    oldest_pending_age_s: float | None
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    quarantined: int
    failures: int
    next_attempt_at: float | None
    server_url: str

    def lines(self, lang: str = "en") -> list[str]:
        """The status in plain words, one fact per line, in Vietnamese (``vi``) or English.

        Error details stay in English: they are for the IT staff who fix the cause.
        """
        t = _STATUS_WORDS["vi" if lang == "vi" else "en"]
        now = time.time()
        out = [f"{t['server']}: {self.server_url or t['no_server']}", f"{t['pending']}: {self.pending}"]
        if self.oldest_pending_age_s is not None:
            out.append(f"{t['oldest']}: {age_in_words(self.oldest_pending_age_s)}")
        out.append(f"{t['last_ok']}: " + (f"{_iso(self.last_success_at)} ({age_in_words(now - self.last_success_at)} {t['ago']})"
                                          if self.last_success_at else t["never"]))
        if self.last_error:
            out.append(f"{t['last_error']}: {self.last_error} ({_iso(self.last_error_at)})")
        if self.failures and self.next_attempt_at:
            out.append(t["retry"].format(n=self.failures, wait=age_in_words(max(0.0, self.next_attempt_at - now))))
        out.append(f"{t['quarantined']}: {self.quarantined}")
        return out


_STATUS_WORDS = {
    "en": {"server": "server", "no_server": "(none configured: records are kept on this device)",
           "pending": "pending records", "oldest": "oldest pending record waiting for",
           "last_ok": "last successful upload", "ago": "ago", "never": "never", "last_error": "last error",
           "retry": "failed {n} time(s) in a row; next attempt in {wait}",
           "quarantined": "quarantined (refused by the server, kept on this device)"},
    "vi": {"server": "máy chủ", "no_server": "(chưa cấu hình: dữ liệu được giữ trên thiết bị này)",
           "pending": "bản ghi chờ gửi", "oldest": "bản ghi cũ nhất đã chờ",
           "last_ok": "lần gửi thành công gần nhất", "ago": "trước", "never": "chưa bao giờ",
           "last_error": "lỗi gần nhất", "retry": "lỗi {n} lần liên tiếp; thử lại sau {wait}",
           "quarantined": "bị máy chủ từ chối (giữ lại trên thiết bị)"},
}


def age_in_words(seconds: float) -> str:
    """A duration as staff read it on a status screen: '45 s', '12 min', '3 h', '2 days'."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@dataclass(frozen=True)
class UploadRound:
    """The outcome of one POST: what was sent and what the server said about it."""

    ok: bool
    sent: int
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    error: str | None = None
    retry_after: float | None = None
    heartbeat: bool = False


def read_state(device_dir: Path) -> dict:
    """The uploader's persisted schedule and last outcome (empty when it never ran)."""
    path = Path(device_dir) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except FileNotFoundError:
        return {}
    except ValueError:
        log.warning("uploader state %s is unreadable; starting a fresh schedule", path)
        return {}


# --- the uploader -------------------------------------------------------------------------------


class Uploader:
    """Uploads one outbox to the central server, in a background thread or on demand.

    ``start()`` runs the loop in a daemon thread; ``notify()`` wakes it after an append;
    ``drain()`` uploads everything now (``sync-now``); ``sync_once()`` sends one batch;
    ``status()`` reports what the device shows; ``stop()`` ends the thread.
    """

    _active: ClassVar[dict[str, Uploader]] = {}  # one running uploader per outbox
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, outbox: Outbox, *, server_url: str, token: str, device_dir: str | os.PathLike,
                 batch_size: int = 200, interval_s: float = 15, heartbeat_s: float = 300,
                 ca_bundle: str | os.PathLike | None = None, timeouts: tuple[float, float] = DEFAULT_TIMEOUTS,
                 session: requests.Session | None = None, rng: Callable[[], float] = random.random,
                 backoff_cap_s: float = BACKOFF_CAP_S, on_round: Callable[[UploadRound], None] | None = None,
                 config_puller=None, base_config=None, on_config_change: Callable | None = None,
                 clock: Callable[[], float] = time.time):
        self.outbox = outbox
        self.server_url = server_url.rstrip("/")
        self.device_dir = Path(device_dir)
        self.device_dir.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.heartbeat_s = heartbeat_s
        self.timeouts = timeouts
        self.backoff_cap_s = backoff_cap_s
        self._rng = rng
        self._clock = clock  # the device's clock (tests set it hours off)
        self._on_round = on_round
        self._token = token
        self._session = session or make_session(ca_bundle)
        self._version = app_version()
        self.quarantine = Quarantine(self.device_dir / QUARANTINE_FILE)
        self._state = self._load_state()
        self._send_lock = threading.Lock()  # one batch in flight per outbox
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._effective_batch = batch_size
        self._saved_at: float | None = None
        # Config pull rides on the same thread: at start, then every heartbeat interval.
        self._config_puller = config_puller
        self._base_config = base_config
        self._on_config_change = on_config_change
        self._last_config_pull = 0.0
        self.last_config_error: str | None = None

    # -- schedule persisted across restarts ------------------------------------------------

    def _load_state(self) -> dict:
        state = {"failures": 0, "next_attempt_at": None, "last_success_at": None, "last_error": None,
                 "last_error_at": None, "last_contact_at": None}
        for key, value in read_state(self.device_dir).items():
            if (key == "failures" and isinstance(value, int) and value >= 0) or \
                    (key == "last_error" and isinstance(value, str)):
                state[key] = value
            elif key in state and key not in ("failures", "last_error") and isinstance(value, (int, float)):
                state[key] = float(value)
        self._clamp_schedule(state)
        return state

    def _clamp_schedule(self, state: dict) -> None:
        """A clock set back (or an odd value in the file) must not park the uploader for days."""
        if state["next_attempt_at"] is not None:
            state["next_attempt_at"] = min(state["next_attempt_at"], self._clock() + RETRY_AFTER_MAX_S)

    def _save_state(self) -> None:
        snapshot = dict(self._state, pending=len(self.outbox), quarantined=len(self.quarantine),
                        oldest_pending_age_s=self.outbox.oldest_pending_age(), saved_at=self._clock(),
                        server_url=self.server_url)
        try:
            write_atomically(self.device_dir / STATE_FILE, json.dumps(snapshot).encode())
            self._saved_at = snapshot["saved_at"]
        except OSError as exc:  # the schedule is advisory; never let it stop uploads
            log.warning("could not save the uploader state: %s", exc)

    # -- one attempt ---------------------------------------------------------------------------

    def sync_once(self, heartbeat: bool = False) -> UploadRound:
        """Send the oldest pending batch (or, with ``heartbeat``, an empty batch if none is pending).

        Returns what happened; never raises for network or server trouble (that is recorded
        as the last error and scheduled for a retry).
        """
        with self._send_lock:
            batch = self.outbox.pending(self._effective_batch)
            if not batch and not heartbeat:
                return UploadRound(ok=True, sent=0)
            return self._finish(batch, self._exchange(batch))

    def _burst(self) -> list[UploadRound]:
        """Send batches back to back until the outbox is empty, one fails, or ``stop()``.

        Pipelined: as soon as batch N is acknowledged, batch N+1 is already on its way (in a
        helper thread) while batch N is acked on disk, so the disk and the server work at the
        same time. Only one request is ever in flight, and batches go oldest first.
        """
        from concurrent.futures import ThreadPoolExecutor

        rounds: list[UploadRound] = []
        with self._send_lock, ThreadPoolExecutor(1, thread_name_prefix="thuocdo-upload") as pool:
            batch = self.outbox.pending(self._effective_batch)
            outcome = self._exchange(batch) if batch else None
            while outcome is not None:
                following = None
                if isinstance(outcome, tuple) and not self._stop.is_set():
                    upcoming = self.outbox.pending(len(batch) + self._effective_batch)[len(batch):]
                    if upcoming:
                        following = (upcoming, pool.submit(self._exchange, upcoming))
                rounds.append(self._finish(batch, outcome))
                if following is None:
                    break
                batch, outcome = following[0], following[1].result()
        return rounds

    def _finish(self, batch: list[dict], outcome) -> UploadRound:
        """Ack (on success) and record the outcome of one exchange."""
        round_ = self._apply(batch, *outcome) if isinstance(outcome, tuple) else outcome
        self._record(round_)
        if self._on_round is not None:
            self._on_round(round_)
        return round_

    def _exchange(self, batch: list[dict]) -> tuple[list[dict], str] | UploadRound:
        """POST one batch; (results, batch_id) for a well-formed acknowledgement, else a failed round.

        Touches nothing on disk, so it can run while the previous batch is being acked.
        """
        batch_id = str(uuid.uuid4())
        sent_ids = [r["id"] for r in batch]
        body = {"batch_id": batch_id, "sent_at": _iso_precise(self._clock()), "records": batch,
                "pending": len(self.outbox), "app_version": self._version}
        try:
            response = self._session.post(
                self.server_url + BATCHES_PATH,
                data=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
                headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
                timeout=self.timeouts, allow_redirects=False)
            try:
                results = check_acknowledgement(response, sent_ids)
            finally:
                response.close()
        except AckError as exc:
            if exc.too_big and self._effective_batch > 1:
                self._effective_batch = max(1, self._effective_batch // 2)
            return UploadRound(ok=False, sent=len(batch), error=str(exc), retry_after=exc.retry_after,
                               heartbeat=not batch)
        except requests.RequestException as exc:
            return UploadRound(ok=False, sent=len(batch), heartbeat=not batch,
                               error=_describe_exception(exc, self.server_url, self.timeouts))
        return results, batch_id

    def _apply(self, batch: list[dict], results: list[dict], batch_id: str) -> UploadRound:
        counts = dict.fromkeys(STATUSES, 0)
        rejected = []
        now = records.now_iso()
        for record, result in zip(batch, results):
            counts[result["status"]] += 1
            if result["status"] == "rejected":
                error = result.get("error")
                if isinstance(error, dict):
                    error = error.get("message") or json.dumps(error, ensure_ascii=False)
                rejected.append({"record": record, "error": str(error or "rejected without a reason"),
                                 "rejected_at": now, "batch_id": batch_id})
        if rejected:
            self.quarantine.add(rejected)  # durable before the ack: never dropped silently
            for entry in rejected:
                log.warning("record %s refused by the server and quarantined: %s",
                            entry["record"]["id"], entry["error"])
        self.outbox.ack(r["id"] for r in batch)
        return UploadRound(ok=True, sent=len(batch), accepted=counts["accepted"],
                           duplicate=counts["duplicate"], rejected=counts["rejected"], heartbeat=not batch)

    def _record(self, round_: UploadRound) -> None:
        now = self._clock()
        state = self._state
        if round_.ok:
            recovered = state["failures"] > 0
            state.update(failures=0, next_attempt_at=None, last_success_at=now, last_contact_at=now)
            if round_.sent and self._effective_batch < self.batch_size:
                self._effective_batch = min(self.batch_size, self._effective_batch * 2)
            # A success only refreshes "last upload" times: while a backlog drains, writing them
            # down (an fsync) after every batch would cost more than the batch; every few
            # seconds is plenty. A recovery from failures is written at once.
            if recovered or not self._saved_at or abs(now - self._saved_at) >= SUCCESS_SAVE_EVERY_S:
                self._save_state()
        else:
            state["failures"] += 1
            delay = backoff_delay(state["failures"], self._rng, cap=self.backoff_cap_s)
            if round_.retry_after is not None:
                delay = max(delay, round_.retry_after)
            state.update(next_attempt_at=now + delay, last_error=round_.error, last_error_at=now)
            log.info("upload failed (%s); next attempt in %.1f s", round_.error, delay)
            self._save_state()

    # -- draining on demand ------------------------------------------------------------------

    def drain(self, max_wait_s: float = 30.0) -> list[UploadRound]:
        """Upload until the outbox is empty or an attempt fails (``sync-now``).

        A server asking for a short pause (Retry-After up to ``max_wait_s``) is waited for;
        any other failure ends the drain so the operator sees it at once.
        """
        rounds = []
        while len(self.outbox):
            burst = self._burst()
            rounds.extend(burst)
            last = burst[-1] if burst else None
            if last is None or last.ok:
                continue
            if last.retry_after is not None and last.retry_after <= max_wait_s:
                time.sleep(last.retry_after)
                continue
            break
        if rounds:
            self._save_state()
        return rounds

    # -- background thread ---------------------------------------------------------------------

    def start(self) -> Uploader:
        """Run the upload loop in a daemon thread (one uploader per outbox in a process)."""
        key = str(self.outbox.path.resolve())
        with Uploader._active_lock:
            other = Uploader._active.get(key)
            if other is not None and other is not self and other.running:
                raise RuntimeError(f"an uploader is already running for {key}")
            Uploader._active[key] = self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="thuocdo-uploader", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """A record was appended: upload soon (unless backing off after a failure)."""
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the loop; an upload in flight finishes (or times out) first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._send_lock:
            self._save_state()
        with Uploader._active_lock:
            key = str(self.outbox.path.resolve())
            if Uploader._active.get(key) is self:
                del Uploader._active[key]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self._step()
            except Exception:  # a bug must not kill uploads for good: log, wait, go on
                log.exception("uploader step failed")
                delay = self.interval_s
            if delay > 0:
                self._wake.wait(delay)
                self._wake.clear()

    def _step(self) -> float:
        """Do what is due now; return how long to sleep before looking again."""
        now = self._clock()
        state = self._state
        if self._config_puller is not None and abs(now - self._last_config_pull) >= self.heartbeat_s:
            self._pull_config(now)
        if state["failures"] and state["next_attempt_at"] and now < state["next_attempt_at"]:
            self._clamp_schedule(state)
            return state["next_attempt_at"] - now
        if len(self.outbox):
            rounds = self._burst()
            return 0.0 if not rounds or rounds[-1].ok else self._step_delay()
        last_contact = state["last_contact_at"] or 0.0
        if now - last_contact >= self.heartbeat_s or now < last_contact:
            round_ = self.sync_once(heartbeat=True)
            return self.interval_s if round_.ok else self._step_delay()
        return min(self.interval_s, self.heartbeat_s - (now - last_contact))

    def _pull_config(self, now: float) -> None:
        from sync.config_pull import ConfigPullError

        self._last_config_pull = now
        try:
            update = self._config_puller.pull(self._base_config)
        except ConfigPullError as exc:
            self.last_config_error = str(exc)
            log.info("office configuration not refreshed: %s", exc)
            return
        self.last_config_error = None
        if update is not None:
            for problem in update.problems:
                log.warning("office configuration from the server not applied: %s", problem)
            if update.config is not None:
                self._base_config = update.config
            if self._on_config_change is not None:
                self._on_config_change(update)

    def _step_delay(self) -> float:
        return max(0.0, (self._state["next_attempt_at"] or self._clock()) - self._clock())

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        s = self._state
        return SyncStatus(pending=len(self.outbox), oldest_pending_age_s=self.outbox.oldest_pending_age(),
                          last_success_at=s["last_success_at"], last_error=s["last_error"],
                          last_error_at=s["last_error_at"], quarantined=len(self.quarantine),
                          failures=s["failures"], next_attempt_at=s["next_attempt_at"],
                          server_url=self.server_url)


def start_background_sync(config, outbox: Outbox, data_path: str | os.PathLike, *,
                          on_config_change: Callable | None = None,
                          on_round: Callable[[UploadRound], None] | None = None) -> Uploader | None:
    """Start uploading ``outbox`` in the background, as the kiosk and tablet apps do.

    ``data_path`` is the device's own folder (the kiosk's data directory, or a tablet's
    ``tablet-<counter>`` folder): credentials, schedule and quarantine live there. Uploads
    go to ``sync.server_url``, or — when the config names none — to the server the device
    was enrolled with (a tablet enrolled from its settings screen). Returns None — records
    simply stay in the outbox — when the device is not enrolled (or its credentials are
    unreadable: the error is logged). ``on_config_change(update)`` is called (from the
    uploader thread) when the server's office configuration changed.
    """
    from sync.config_pull import ConfigPuller
    from sync.enrollment import EnrollmentError, load_credentials

    try:
        credentials = load_credentials(data_path)
    except EnrollmentError as exc:
        log.error("uploads are off: %s", exc)
        return None
    if credentials is None:
        if config.sync.server_url:  # meant to upload, but not enrolled yet: say so
            log.warning("uploads are off: this device is not enrolled (run `enroll --server URL --code CODE`)")
        return None
    server_url = config.sync.server_url or credentials.server_url
    session = session_for(config)
    puller = ConfigPuller(server_url, credentials.token, data_path, session=session)
    uploader = Uploader(outbox, server_url=server_url, token=credentials.token, device_dir=data_path,
                        batch_size=config.sync.batch_size, interval_s=config.sync.interval_s,
                        heartbeat_s=config.sync.heartbeat_s, session=session, on_round=on_round,
                        config_puller=puller, base_config=config, on_config_change=on_config_change)
    return uploader.start()


# --- offline fallback: the pending records on a USB stick --------------------------------------


def export_pending(outbox: Outbox, out: str | os.PathLike, *, office_id: str, device_id: str | None) -> int:
    """Write every pending record to ``out`` for ``sync-server import-batch``; return the count.

    The records stay pending: when the device is online again it uploads them and the server
    answers ``duplicate`` for those already imported, so nothing is counted twice.
    """
    pending = outbox.pending()
    document = {"format": EXPORT_FORMAT, "office_id": office_id, "device_id": device_id,
                "exported_at": records.now_iso(), "records": pending}
    target = Path(out)
    payload = json.dumps(document, ensure_ascii=False, indent=1).encode()
    # Written to a temporary name, fsynced, then renamed: a stick pulled out too early leaves
    # no half file under the final name. (No directory fsync: USB sticks are often FAT,
    # where it is not supported; the file's own fsync is what matters.)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(pending)
