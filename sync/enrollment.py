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
from sync.words import WordTable

__all__ = ["CREDENTIALS_FILE", "ENROLLMENT_WORDS", "Credentials", "EnrollmentError", "enroll", "load_credentials"]

CREDENTIALS_FILE = "device-credentials.json"
ENROLL_PATH = "/api/v1/devices/enroll"


ENROLLMENT_WORDS = WordTable({
    "damaged": ("tệp thông tin đăng ký {path} bị hỏng ({detail}); hãy đăng ký lại thiết bị",
                "the credentials file {path} is damaged ({detail}); enroll the device again"),
    "bad_address": ("địa chỉ máy chủ phải bắt đầu bằng https:// (hoặc http://), nhưng đang là {address!r}",
                    "the server address must start with https:// (or http://), found {address!r}"),
    "empty_code": ("mã đăng ký đang để trống", "the enrollment code is empty"),
    "tls": ("không xác minh được máy chủ {server} (chứng chỉ TLS không tin cậy: kiểm tra sync.ca_bundle "
            "và ngày giờ của thiết bị)",
            "the server {server} could not be verified (TLS certificate not trusted: check sync.ca_bundle "
            "and the device's date)"),
    "timeout": ("máy chủ {server} không trả lời kịp; kiểm tra mạng rồi thử lại",
                "the server {server} did not answer in time; check the network and try again"),
    "unreachable": ("không kết nối được máy chủ {server}; kiểm tra địa chỉ và mạng",
                    "cannot reach the server {server}; check the address and the network"),
    "redirect": ("{server} chuyển hướng sang {location}: kiểm tra địa chỉ máy chủ (trang đăng nhập Wi-Fi?)",
                 "{server} answered with a redirect to {location}: check the server address (a Wi-Fi login page?)"),
    "refused_because": ("máy chủ từ chối mã: {reason} — hãy xin quản trị viên mã mới",
                        "the server refused the code: {reason} — ask the admin for a new code"),
    "not_a_server": ("{server} không phải máy chủ Thước Đo (không có địa chỉ đăng ký thiết bị)",
                     "{server} is not a Thước Đo server (no enrollment address there)"),
    "refused": ("máy chủ từ chối mã (HTTP {status}) — mã có thể sai, đã dùng hoặc hết hạn; hãy xin quản trị viên "
                "mã mới",
                "the server refused the code (HTTP {status}) — it may be wrong, used or expired; ask the admin "
                "for a new code"),
    "too_many": ("thử quá nhiều lần; đợi một phút rồi thử lại", "too many attempts; wait a minute and try again"),
    "server_failed": ("máy chủ không đăng ký được thiết bị (HTTP {status}{detail})",
                      "the server could not enroll the device (HTTP {status}{detail})"),
    "not_the_server": ("{server} trả lời không phải câu trả lời của máy chủ (trang đăng nhập Wi-Fi?)",
                       "{server} answered with something that is not the server's answer (a Wi-Fi login page?)"),
    "incomplete": ("câu trả lời của máy chủ thiếu {fields}", "the server's answer lacks {fields}"),
})


class EnrollmentError(SyncError):
    """Enrollment failed; the message says why in words staff can act on.

    ``str(error)`` is English (logs); ``message(lang)`` says it in the office's language.
    A reason the server gave is quoted as the server wrote it.
    """

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return ENROLLMENT_WORDS(lang, self.key, **self.values)


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
        raise EnrollmentError("damaged", path=path, detail=exc) from None


def enroll(server_url: str, code: str, data_path: str | os.PathLike, *, ca_bundle: str | None = None,
           timeouts: tuple[float, float] = (5.0, 30.0), session: requests.Session | None = None) -> Credentials:
    """Exchange ``code`` for a device token at ``server_url`` and store it under ``data_path``.

    Raises ``EnrollmentError`` with a clear message for a bad or used code, an unreachable
    server, or an answer that is not the server's.
    """
    server_url = server_url.strip().rstrip("/")
    if not server_url.startswith(("http://", "https://")):
        raise EnrollmentError("bad_address", address=server_url)
    code = code.strip()
    if not code:
        raise EnrollmentError("empty_code")
    session = session or make_session(ca_bundle)
    try:
        response = session.post(server_url + ENROLL_PATH, json={"code": code}, timeout=timeouts,
                                allow_redirects=False)
    except requests.exceptions.SSLError:
        raise EnrollmentError("tls", server=server_url) from None
    except requests.exceptions.Timeout:
        raise EnrollmentError("timeout", server=server_url) from None
    except requests.RequestException:
        raise EnrollmentError("unreachable", server=server_url) from None
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
        raise EnrollmentError("redirect", server=server_url, location=response.headers.get("Location", "?"))
    if status in (400, 401, 403, 404, 409, 410, 422) and message:
        raise EnrollmentError("refused_because", reason=message)
    if status == 404:
        raise EnrollmentError("not_a_server", server=server_url)
    if status in (400, 401, 403, 409, 410, 422):
        raise EnrollmentError("refused", status=status)
    if status == 429:
        raise EnrollmentError("too_many")
    if status != 200:
        raise EnrollmentError("server_failed", status=status, detail=": " + message if message else "")
    if not isinstance(body, dict):
        raise EnrollmentError("not_the_server", server=server_url)
    missing = [k for k in ("device_id", "office_id", "token") if not isinstance(body.get(k), (str, int)) or body.get(k) == ""]
    if missing:
        raise EnrollmentError("incomplete", fields=", ".join(missing))
    return {k: str(body[k]) for k in ("device_id", "office_id", "token")}
