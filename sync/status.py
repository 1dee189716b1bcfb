"""What a device says about its uploads: ``SyncStatus`` and its plain-words lines.

One status for the kiosk's and the tablet's admin screens and for ``sync-status``: pending
records, the oldest one's age, the last success and the last error, the retry schedule and
the quarantine count, in Vietnamese or English. ``age_in_words`` is the one way a duration is
said on a status screen.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["SyncStatus", "age_in_words"]


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="seconds")


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
