"""The uploader: moves records from a device's outbox to the central server, whatever the network does.

A kiosk or counter tablet runs one ``Uploader`` thread next to its UI. It takes the oldest
pending records from the ``Outbox``, posts them as one batch to ``POST /api/v1/batches`` and
acknowledges in the outbox only what the server explicitly confirmed
(``sync.acknowledgement``):

* ``accepted`` and ``duplicate`` (already stored — e.g. the reply to an earlier attempt was
  lost) are both delivered, so they are acked;
* ``rejected`` records (the server found them invalid) are written durably to the device's
  quarantine (``sync.quarantine``) first and acked afterwards: kept, counted, shown,
  exportable, but never sent again.

Because the server stores records idempotently, resending after any failure is safe: a
record is never lost (it stays pending until confirmed) and never counted twice.

Failures are retried forever with the backoff of ``sync.schedule`` (its state file survives
restarts); a 429/503 ``Retry-After`` is honoured. When the outbox is empty the uploader still
sends an empty batch every ``sync.heartbeat_s`` seconds so the centre sees the device is
alive. Requests go through the device's one HTTP session (``sync.session``).

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

import requests

from sync import records
from sync.acknowledgement import STATUSES, AckError, check_acknowledgement
from sync.config_pull import ConfigPuller, ConfigPullError
from sync.enrollment import EnrollmentError, load_credentials
from sync.outbox import Outbox
from sync.quarantine import QUARANTINE_FILE, Quarantine
from sync.schedule import BACKOFF_CAP_S, RETRY_AFTER_MAX_S, STATE_FILE, backoff_delay, read_state
from sync.session import DEFAULT_TIMEOUTS, app_version, describe_network_error, make_session, session_for
from sync.status import SyncStatus
from sync.store import write_atomically

__all__ = ["UploadRound", "Uploader", "start_background_sync"]

log = logging.getLogger(__name__)

BATCHES_PATH = "/api/v1/batches"
SUCCESS_SAVE_EVERY_S = 5.0  # how often a run of successes is written to the state file


def _iso_precise(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="milliseconds")


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
                        following = (upcoming, pool.submit(self._exchange, upcoming, batch))
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

    def _exchange(self, batch: list[dict], ahead: list[dict] = ()) -> tuple[list[dict], str] | UploadRound:
        """POST one batch; (results, batch_id) for a well-formed acknowledgement, else a failed round.

        Touches nothing on disk, so it can run while the previous batch (``ahead``, already
        acknowledged) is being acked. The device reports what it will hold once this batch is
        stored: the records pending besides the batches in flight, and its quarantine.
        """
        batch_id = str(uuid.uuid4())
        sent_ids = [r["id"] for r in batch]
        left = self.outbox.pending_besides([r["id"] for r in (*ahead, *batch)])
        body = {"batch_id": batch_id, "sent_at": _iso_precise(self._clock()), "records": batch,
                "pending": left, "quarantined": len(self.quarantine), "app_version": self._version}
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
                               error=describe_network_error(exc, self.server_url, self.timeouts))
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
            state.update(failures=0, next_attempt_at=None, last_success_at=now, last_contact_at=now,
                         last_error=None, last_error_at=None)
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
