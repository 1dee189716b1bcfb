"""The configuration rules that span fields: ids unique, blocks apart, references known, secrets long.

``check_rules(config, problems)`` runs after the values were built (``sync.config.building``)
and adds one entry per broken rule, naming the key and how to fix it. The device's config
pull applies the same rules to what the central server sends.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import re

from sync.config.alerts import check_alerts
from sync.config.building import Problems
from sync.config.schema import Config
from sync.icons import ICONS

__all__ = ["check_rules"]

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PIN_RE = re.compile(r"^[0-9]{4,8}$")


def check_rules(cfg: Config, problems: Problems) -> None:
    """Add to ``problems`` every rule ``cfg`` breaks, in English and Vietnamese."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    slug_en, slug_vi = "expected lower-case letters, digits, '-' or '_'", "chỉ dùng chữ thường không dấu, số, '-' hoặc '_'"
    if not _SLUG_RE.match(cfg.office.id):
        problems.add("office.id", f"{slug_en}, found {cfg.office.id!r}", f"{slug_vi}, nhưng gặp {cfg.office.id!r}")
    try:
        ZoneInfo(cfg.office.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("office.timezone", f"unknown time zone {cfg.office.timezone!r} (e.g. 'Asia/Ho_Chi_Minh')",
                     f"múi giờ {cfg.office.timezone!r} không tồn tại (ví dụ đúng: 'Asia/Ho_Chi_Minh')")

    if not cfg.services:
        problems.add("services", "at least one service is needed", "cần ít nhất một lĩnh vực (dịch vụ)")
    seen: dict[str, int] = {}
    for i, s in enumerate(cfg.services):
        if not _SLUG_RE.match(s.id):
            problems.add(f"services[{i}].id", f"{slug_en}, found {s.id!r}", f"{slug_vi}, nhưng gặp {s.id!r}")
        if s.id in seen:
            problems.add(f"services[{i}].id", f"duplicate service id {s.id!r} (also services[{seen[s.id]}])",
                         f"mã lĩnh vực {s.id!r} bị trùng (đã có ở services[{seen[s.id]}]); đặt mã khác")
        seen[s.id] = i
        if s.icon and s.icon not in ICONS:
            problems.add(f"services[{i}].icon", f"unknown pictogram {s.icon!r} (known: {', '.join(sorted(ICONS))})",
                         f"không có hình {s.icon!r} (các hình có: {', '.join(sorted(ICONS))})")
        for j, other in enumerate(cfg.services[:i]):
            if s.numbers and other.numbers and s.numbers.first <= other.numbers.last and other.numbers.first <= s.numbers.last:
                mine, theirs = f"{s.numbers.first}-{s.numbers.last}", f"{other.numbers.first}-{other.numbers.last}"
                problems.add(f"services[{i}].numbers", f"block {mine} overlaps services[{j}] ({theirs})",
                             f"dải số {mine} trùng với services[{j}] ({theirs}); chọn dải không giao nhau")
    known = ", ".join(s.id for s in cfg.services)

    if cfg.hub.display_media and not cfg.path(cfg.hub.display_media).is_dir():
        folder = cfg.path(cfg.hub.display_media)
        problems.add("hub.display_media", f"no such folder: {folder} (create it, or leave the setting empty "
                                          f"for no slideshow)",
                     f"không có thư mục {folder} (tạo thư mục, hoặc để trống nếu không trình chiếu)")
    if cfg.hub.display_media_seconds < 3:
        problems.add("hub.display_media_seconds", f"expected at least 3 seconds, found {cfg.hub.display_media_seconds}",
                     f"cần ít nhất 3 giây, nhưng gặp {cfg.hub.display_media_seconds}")

    if not cfg.counters:
        problems.add("counters", "at least one counter is needed", "cần ít nhất một quầy")
    counter_ids: dict[int, int] = {}
    for i, c in enumerate(cfg.counters):
        if isinstance(c.id, int) and not 1 <= c.id <= 999:
            problems.add(f"counters[{i}].id", f"expected a counter number 1..999, found {c.id}",
                         f"số quầy phải từ 1 đến 999, nhưng gặp {c.id}")
        if c.id in counter_ids:
            problems.add(f"counters[{i}].id", f"duplicate counter {c.id} (also counters[{counter_ids[c.id]}])",
                         f"quầy {c.id} bị trùng (đã có ở counters[{counter_ids[c.id]}]); đặt số khác")
        counter_ids[c.id] = i
        if not c.services:
            problems.add(f"counters[{i}].services", "a counter must serve at least one service",
                         "mỗi quầy phải phục vụ ít nhất một lĩnh vực")
        for j, sid in enumerate(c.services):
            if sid not in seen:
                problems.add(f"counters[{i}].services[{j}]", f"unknown service {sid!r} (known: {known})",
                             f"không có lĩnh vực {sid!r} (các mã có: {known})")
        if isinstance(c.token, str) and len(c.token) < 16:
            problems.add(f"counters[{i}].token", "too short: use at least 16 random characters",
                         "quá ngắn: dùng ít nhất 16 ký tự ngẫu nhiên")

    clerk_ids: dict[str, int] = {}
    for i, c in enumerate(cfg.clerks):
        if not _SLUG_RE.match(c.id):
            problems.add(f"clerks[{i}].id", f"{slug_en}, found {c.id!r}", f"{slug_vi}, nhưng gặp {c.id!r}")
        if c.id in clerk_ids:
            problems.add(f"clerks[{i}].id", f"duplicate clerk id {c.id!r}",
                         f"mã cán bộ {c.id!r} bị trùng; đặt mã khác")
        clerk_ids[c.id] = i
        if not _PIN_RE.match(c.pin):
            problems.add(f"clerks[{i}].pin", "expected 4 to 8 digits", "mã PIN phải gồm 4 đến 8 chữ số")
        if c.photo and not cfg.path(c.photo).is_file():
            problems.add(f"clerks[{i}].photo", f"file not found: {cfg.path(c.photo)}",
                         f"không tìm thấy tệp: {cfg.path(c.photo)}")

    levels = cfg.rating.levels
    if levels:
        if not 2 <= len(levels) <= 10:
            problems.add("rating.levels", f"expected 2 to 10 levels, found {len(levels)}",
                         f"cần từ 2 đến 10 mức, nhưng có {len(levels)}")
        flags = [lv.satisfied for lv in levels]
        if True not in flags or False not in flags:
            problems.add("rating.levels", "need at least one satisfied and one not satisfied level",
                         "cần ít nhất một mức hài lòng và một mức không hài lòng")
        elif flags != sorted(flags, reverse=True):
            problems.add("rating.levels", "list levels from most to least satisfied (satisfied ones first)",
                         "xếp các mức từ hài lòng nhất đến kém nhất (các mức hài lòng trước)")
    codes = [r.code for r in cfg.rating.reasons]
    if len(set(codes)) != len(codes):
        problems.add("rating.reasons", "reason codes must be unique", "mã lý do không được trùng nhau")
    for name in ("prompt_timeout_s", "thanks_s"):
        if getattr(cfg.rating, name) < 1:
            problems.add(f"rating.{name}", "expected at least 1 second", "cần ít nhất 1 giây")

    if cfg.kiosk is None:
        problems.add("kiosk", "missing (at least kiosk.admin_pin is needed)",
                     "thiếu mục kiosk (ít nhất cần kiosk.admin_pin)")
    else:
        if not _PIN_RE.match(cfg.kiosk.admin_pin):
            problems.add("kiosk.admin_pin", "expected 4 to 8 digits", "mã PIN phải gồm 4 đến 8 chữ số")
        if cfg.kiosk.idle_timeout_s < 5:
            problems.add("kiosk.idle_timeout_s", "expected at least 5 seconds", "cần ít nhất 5 giây")
        if not cfg.kiosk.languages:
            problems.add("kiosk.languages", "list at least one language", "liệt kê ít nhất một ngôn ngữ")
    for key, port in (("hub.port", cfg.hub.port), ("server.port", cfg.server.port)):
        if not 1 <= port <= 65535:
            problems.add(key, f"expected a port 1..65535, found {port}", f"cổng phải từ 1 đến 65535, nhưng gặp {port}")
    if not 0 <= cfg.hub.daily_reset_hour <= 23:
        problems.add("hub.daily_reset_hour", f"expected an hour 0..23, found {cfg.hub.daily_reset_hour}",
                     f"giờ phải từ 0 đến 23, nhưng gặp {cfg.hub.daily_reset_hour}")
    if cfg.hub.priority_every < 0:
        problems.add("hub.priority_every", "expected 0 or more", "cần số 0 trở lên")
    base = cfg.citizen_page.base_url
    if base and not re.match(r"^https?://[^/\s]+", base):
        problems.add("citizen_page.base_url", f"expected an http(s):// address, found {base!r}",
                     f"cần một địa chỉ http(s)://, nhưng gặp {base!r}")
    if not 1 <= cfg.citizen_page.rating_days <= 30:
        problems.add("citizen_page.rating_days", f"expected 1..30 days, found {cfg.citizen_page.rating_days}",
                     f"cần từ 1 đến 30 ngày, nhưng gặp {cfg.citizen_page.rating_days}")
    if cfg.tablet.counter_id not in counter_ids:
        known_counters = ", ".join(str(c) for c in counter_ids)
        problems.add("tablet.counter_id", f"unknown counter {cfg.tablet.counter_id} (known: {known_counters})",
                     f"không có quầy {cfg.tablet.counter_id} (các quầy có: {known_counters})")
    if cfg.tablet.clerk_id is not None and cfg.tablet.clerk_id not in clerk_ids:
        problems.add("tablet.clerk_id", f"unknown clerk {cfg.tablet.clerk_id!r}",
                     f"không có cán bộ {cfg.tablet.clerk_id!r} trong mục clerks")
    if not 1 <= cfg.sync.batch_size <= 1000:
        problems.add("sync.batch_size", f"expected 1..1000, found {cfg.sync.batch_size}",
                     f"cần từ 1 đến 1000, nhưng gặp {cfg.sync.batch_size}")
    if cfg.sync.server_url and not re.match(r"^https?://[^/\s]+", cfg.sync.server_url):
        problems.add("sync.server_url", f"expected an http(s):// address, found {cfg.sync.server_url!r}",
                     f"cần một địa chỉ bắt đầu bằng https:// (hoặc http://), nhưng gặp {cfg.sync.server_url!r}")
    if cfg.sync.proxy and not re.match(r"^(https?|socks5h?)://[^/\s]+", cfg.sync.proxy):
        problems.add("sync.proxy", f"expected a proxy address like http://host:3128, found {cfg.sync.proxy!r}",
                     f"cần địa chỉ proxy dạng http://máy:3128, nhưng gặp {cfg.sync.proxy!r}")
    if cfg.sync.ca_bundle and not cfg.path(cfg.sync.ca_bundle).is_file():
        problems.add("sync.ca_bundle", f"file not found: {cfg.path(cfg.sync.ca_bundle)}",
                     f"không tìm thấy tệp: {cfg.path(cfg.sync.ca_bundle)}")
    if cfg.server.replica_url and not re.match(r"^postgres(ql)?(\+psycopg)?://", cfg.server.replica_url):
        problems.add("server.replica_url", "expected a PostgreSQL URL like postgresql+psycopg://user@host/db",
                     "cần địa chỉ PostgreSQL dạng postgresql+psycopg://người-dùng@máy/cơ-sở-dữ-liệu")
    for key, value, minimum in (("device_requests_per_s", cfg.server.device_requests_per_s, None),
                                ("device_burst", cfg.server.device_burst, 1),
                                ("login_attempts_per_min", cfg.server.login_attempts_per_min, None),
                                ("replica_max_lag_s", cfg.server.replica_max_lag_s, None)):
        if (value < minimum) if minimum is not None else (value <= 0):
            limit = f">= {minimum}" if minimum is not None else "> 0"
            problems.add(f"server.{key}", f"expected a number {limit}, found {value}",
                         f"cần một số {limit}, nhưng gặp {value}")
    _check_notifications(cfg, problems)
    check_alerts(cfg.alerts, "alerts", problems)


def _check_notifications(cfg: Config, problems: Problems) -> None:
    server = cfg.server
    if server.smtp_url and not re.match(r"^smtps?://[^/\s]+", server.smtp_url):
        problems.add("server.smtp_url", f"expected smtp://host:587 or smtps://host:465, found {server.smtp_url!r}",
                     f"cần địa chỉ dạng smtp://máy:587 hoặc smtps://máy:465, nhưng gặp {server.smtp_url!r}")
    if server.webhook_url and not re.match(r"^https?://[^/\s]+", server.webhook_url):
        problems.add("server.webhook_url", f"expected an http(s):// address, found {server.webhook_url!r}",
                     f"cần một địa chỉ bắt đầu bằng https:// (hoặc http://), nhưng gặp {server.webhook_url!r}")
    if server.webhook_url and len(server.webhook_secret) < 16:
        problems.add("server.webhook_secret", "the webhook needs a secret of 16+ characters to sign with",
                     "webhook cần một khóa bí mật dài ít nhất 16 ký tự để ký")
