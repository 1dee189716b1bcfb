"""Device enrollment: trading an admin's one-time code for this device's upload token.

An admin creates a short-lived code on the central server (``sync-server enroll-device`` or
the dashboard). Staff type it on the kiosk or tablet (``kiosk enroll --server URL --code
CODE`` or the admin screen); ``enroll`` posts it to ``/api/v1/devices/enroll`` and stores the
answer — server address, device id, office id, token — in
``<device dir>/device-credentials.json``, readable only by the device's user (mode 0600) and
written atomically, so a crash leaves the old credentials or the new ones, never half. Enrolling
again replaces the file: that is how a device moves to another office or gets a new token
after the old one was revoked.

Pure Python (requests): the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from sync import records
from sync.errors import SyncError
from sync.store import write_atomically
from sync.session import make_session

__all__ = ["CREDENTIALS_FILE", "Credentials", "EnrollmentError", "enroll", "load_credentials"]

CREDENTIALS_FILE = "device-credentials.json"
ENROLL_PATH = "/api/v1/devices/enroll"


class EnrollmentError(SyncError):
    """Enrollment failed; the message says why in words staff can act on."""


@dataclass(frozen=True)
class Credentials:
    server_url: str
    device_id: str
    office_id: str
    token: str
    enrolled_at: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return (f"Credentials(server_url={self.server_url!r}, device_id={self.device_id!r}, "
                f"office_id={self.office_id!r}, token=<hidden>)")


def load_credentials(device_dir: str | os.PathLike) -> Credentials | None:
    """This device's stored credentials, or None when it was never enrolled.

    Raises ``EnrollmentError`` when the file exists but cannot be used (damaged, edited).
    """
    path = Path(device_dir) / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**{k: data[k] for k in ("server_url", "device_id", "office_id", "token", "enrolled_at")})
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrollmentError(f"the credentials file {path} is damaged ({exc}); enroll the device again") from None


def enroll(server_url: str, code: str, data_path: str | os.PathLike, *, ca_bundle: str | None = None,
           timeouts: tuple[float, float] = (5.0, 30.0), session: requests.Session | None = None) -> Credentials:
    """Exchange ``code`` for a device token at ``server_url`` and store it under ``data_path``.

    Raises ``EnrollmentError`` with a clear message for a bad or used code, an unreachable
    server, or an answer that is not the server's.
    """
    server_url = server_url.strip().rstrip("/")
    if not server_url.startswith(("http://", "https://")):
        raise EnrollmentError(f"the server address must start with https:// (or http://), found {server_url!r}")
    code = code.strip()
    if not code:
        raise EnrollmentError("the enrollment code is empty")
    session = session or make_session(ca_bundle)
    try:
        response = session.post(server_url + ENROLL_PATH, json={"code": code}, timeout=timeouts,
                                allow_redirects=False)
    except requests.exceptions.SSLError:
        raise EnrollmentError(f"the server {server_url} could not be verified (TLS certificate not trusted: "
                              f"check sync.ca_bundle and the device's date)") from None
    except requests.exceptions.Timeout:
        raise EnrollmentError(f"the server {server_url} did not answer in time; check the network and "
                              f"try again") from None
    except requests.RequestException:
        raise EnrollmentError(f"cannot reach the server {server_url}; check the address and the "
                              f"network") from None
    data = _parse(response, server_url)
    credentials = Credentials(server_url=server_url, device_id=data["device_id"], office_id=data["office_id"],
                              token=data["token"], enrolled_at=records.now_iso())
    target = Path(data_path)
    target.mkdir(parents=True, exist_ok=True)
    write_atomically(target / CREDENTIALS_FILE, json.dumps(asdict(credentials), indent=1).encode())
    os.chmod(target / CREDENTIALS_FILE, 0o600)
    return credentials


def _parse(response: requests.Response, server_url: str) -> dict:
    status = response.status_code
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or body["error"].get("code") or "")
    if 300 <= status < 400:
        raise EnrollmentError(f"{server_url} answered with a redirect to {response.headers.get('Location', '?')}: "
                              f"check the server address (a Wi-Fi login page?)")
    if status in (400, 401, 403, 404, 409, 410, 422) and message:
        raise EnrollmentError(f"the server refused the code: {message} — ask the admin for a new code")
    if status == 404:
        raise EnrollmentError(f"{server_url} is not a Thước Đo server (no enrollment address there)")
    if status in (400, 401, 403, 409, 410, 422):
        raise EnrollmentError(f"the server refused the code (HTTP {status}) — it may be wrong, used or expired; "
                              f"ask the admin for a new code")
    if status == 429:
        raise EnrollmentError("too many attempts; wait a minute and try again")
    if status != 200:
        raise EnrollmentError(f"the server could not enroll the device (HTTP {status}{': ' + message if message else ''})")
    if not isinstance(body, dict):
        raise EnrollmentError(f"{server_url} answered with something that is not the server's answer "
                              f"(a Wi-Fi login page?)")
    missing = [k for k in ("device_id", "office_id", "token") if not isinstance(body.get(k), (str, int)) or body.get(k) == ""]
    if missing:
        raise EnrollmentError(f"the server's answer lacks {', '.join(missing)}")
    return {k: str(body[k]) for k in ("device_id", "office_id", "token")}
