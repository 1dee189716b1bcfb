"""Config pull: the office configuration the central server holds, applied on the device.

Province admins change an office's services, counters, clerks or rating scale on the central
server; each device fetches ``GET /api/v1/devices/config`` with ``If-None-Match`` (so an
unchanged config costs one tiny 304), stores the answer durably in
``<device dir>/office-config.json`` (atomic write) and reports which parts changed, so the
kiosk and tablet can apply them without a restart.

The server's copy carries no secrets: counter hub tokens, clerk PINs and photo paths stay as
they are in the device's own ``config.yaml`` and are merged in by id. ``apply_overlay`` builds
a new ``Config`` with the same loader and rules ``config.yaml`` goes through; a part that would
make the configuration invalid (e.g. a new counter whose hub token this device does not know)
is left as it was and named in ``ConfigUpdate.problems`` — the device keeps working with what
it had.

Pure Python (requests): the counter tablet runs this on Android.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sync import records
from sync.config import Config
from sync.config.building import Problems, build_value
from sync.config.rules import check_rules
from sync.errors import SyncError
from sync.store import write_atomically
from sync.session import make_session

__all__ = [
    "OVERLAY_FILE",
    "OVERLAY_KEYS",
    "ConfigPullError",
    "ConfigPuller",
    "ConfigUpdate",
    "apply_overlay",
    "load_overlay",
    "with_stored_overlay",
]

log = logging.getLogger(__name__)

OVERLAY_FILE = "office-config.json"
CONFIG_PATH = "/api/v1/devices/config"
OVERLAY_KEYS = ("office", "services", "counters", "clerks", "rating")


class ConfigPullError(SyncError):
    """The office configuration could not be fetched; the message is in plain words."""


@dataclass(frozen=True)
class ConfigUpdate:
    """A new office configuration from the server: the parts that changed and the result."""

    changed: tuple[str, ...]
    overlay: dict
    etag: str | None
    config: Config | None = None  # the device config with the overlay applied (when a base was given)
    problems: tuple[str, ...] = field(default_factory=tuple)


def load_overlay(device_dir: str | os.PathLike) -> dict | None:
    """The last office configuration stored from the server, or None."""
    path = Path(device_dir) / OVERLAY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("stored office configuration %s is unreadable; it will be fetched again", path)
        return None
    return data if isinstance(data, dict) else None


def _walk_strings(value, path: str, problems: list[str]) -> None:
    if isinstance(value, str):
        if "${" in value:
            problems.append(f"{path}: text from the server may not contain '${{' (environment references)")
    elif isinstance(value, dict):
        for key, inner in value.items():
            _walk_strings(inner, f"{path}.{key}", problems)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _walk_strings(inner, f"{path}[{i}]", problems)


def _merge_secrets(base: Config, key: str, value):
    """Put back the device-only values the server leaves out (hub tokens, PINs, photos)."""
    if key == "counters" and isinstance(value, list):
        merged = []
        for item in value:
            if isinstance(item, dict) and "token" not in item:
                try:
                    item = dict(item, token=base.counter(item.get("id")).token)
                except KeyError:
                    pass
            merged.append(item)
        return merged
    if key == "clerks" and isinstance(value, list):
        merged = []
        for item in value:
            if isinstance(item, dict):
                try:
                    local = base.clerk(item.get("id"))
                except (KeyError, TypeError):
                    local = None
                item = dict(item)
                if "pin" not in item and local is not None:
                    item["pin"] = local.pin
                item["photo"] = local.photo if local is not None else None
            merged.append(item)
        return merged
    return value


def _candidate(base: Config, overlay: dict, keys: typing.Iterable[str]) -> tuple[Config | None, list[str]]:
    problems = Problems()
    hints = typing.get_type_hints(Config)
    changes = {}
    for key in keys:
        value = _merge_secrets(base, key, overlay[key])
        changes[key] = build_value(hints[key], value, key, problems)
    if problems:
        return None, list(problems)
    try:
        candidate = dataclasses.replace(base, **changes)
    except TypeError as exc:
        return None, [str(exc)]
    check_rules(candidate, problems)
    return (None, list(problems)) if problems else (candidate, [])


def apply_overlay(base: Config, overlay: dict) -> tuple[Config, list[str]]:
    """``base`` with the server's parts applied; returns (config, problems).

    Every part that is valid together is applied; a part that fails the config rules keeps
    its local value and its problems are returned (each naming the key).
    """
    keys = [k for k in OVERLAY_KEYS if k in overlay]
    problems: list[str] = []
    _walk_strings({k: overlay[k] for k in keys}, "server", problems)
    if problems:
        return base, problems
    candidate, all_problems = _candidate(base, overlay, keys)
    if candidate is not None:
        return candidate, []
    current = base
    for key in keys:  # apply what is safe, one part at a time
        candidate, key_problems = _candidate(current, overlay, [key])
        if candidate is None:
            problems.extend(key_problems)
        else:
            current = candidate
    return current, problems or all_problems


def with_stored_overlay(base: Config, device_dir: str | os.PathLike) -> Config:
    """``base`` with the last stored server configuration applied (used at app start)."""
    stored = load_overlay(device_dir)
    if not stored or not isinstance(stored.get("config"), dict):
        return base
    config, problems = apply_overlay(base, stored["config"])
    for problem in problems:
        log.warning("office configuration from the server not applied: %s", problem)
    return config


class ConfigPuller:
    """Fetches this device's office configuration from the central server."""

    def __init__(self, server_url: str, token: str, device_dir: str | os.PathLike, *,
                 session: requests.Session | None = None, ca_bundle: str | None = None,
                 timeouts: tuple[float, float] = (5.0, 30.0)):
        self.server_url = server_url.rstrip("/")
        self.device_dir = Path(device_dir)
        self.timeouts = timeouts
        self._token = token
        self._session = session or make_session(ca_bundle)

    def pull(self, base: Config | None = None) -> ConfigUpdate | None:
        """Fetch the configuration; None when unchanged (304 or same content).

        With ``base`` (the device's own config) the update also carries the merged ``Config``
        and any problems applying it. Raises ``ConfigPullError`` on network or server trouble.
        """
        stored = load_overlay(self.device_dir) or {}
        headers = {"Authorization": f"Bearer {self._token}"}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        try:
            response = self._session.get(self.server_url + CONFIG_PATH, headers=headers, timeout=self.timeouts,
                                         allow_redirects=False)
        except requests.RequestException as exc:
            raise ConfigPullError(f"cannot fetch the office configuration: {exc.__class__.__name__}") from None
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise ConfigPullError(f"the server refused the configuration request (HTTP {response.status_code})")
        if response.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            raise ConfigPullError("the answer was not the server's configuration (a Wi-Fi login page?)")
        try:
            overlay = response.json()
        except ValueError:
            raise ConfigPullError("the configuration answer was cut off or is not JSON") from None
        if not isinstance(overlay, dict):
            raise ConfigPullError("the configuration answer is not a JSON object")
        previous = stored.get("config") or {}
        changed = tuple(k for k in OVERLAY_KEYS if k in overlay and overlay[k] != previous.get(k))
        etag = response.headers.get("ETag")
        write_atomically(self.device_dir / OVERLAY_FILE,
                         json.dumps({"etag": etag, "fetched_at": records.now_iso(), "config": overlay},
                                    ensure_ascii=False).encode())
        if not changed:
            return None
        merged, problems = apply_overlay(base, overlay) if base is not None else (None, [])
        return ConfigUpdate(changed=changed, overlay=overlay, etag=etag, config=merged, problems=tuple(problems))
