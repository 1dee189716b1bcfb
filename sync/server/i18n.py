"""Words of the admin dashboard and the printable report, in Vietnamese and English.

The dashboard speaks Vietnamese; an "English" link switches (kept in a cookie). Every text a
page shows is a key here, so a translator edits one table and a test can check that no key
lacks a language. ``tr(lang, key, **values)`` is a ``sync.words.WordTable`` like the devices'
tables; templates call ``t("key")``; a missing key shows the key itself (visible in
screenshots) instead of failing the page.
"""

from __future__ import annotations

import re
from datetime import date

from sync.words import LANGS, WordTable

__all__ = ["DAY_PATTERN", "LANGS", "LANG_COOKIE", "TEXT", "month_name", "parse_day", "read_source_text", "tr"]

# The filter bar's date fields are plain text in dd/mm/yyyy, the way Vietnamese offices write
# dates: a browser's own date field follows the browser's locale (mm/dd/yyyy on an English PC).
DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"  # dd/mm/yyyy, or ISO from a link
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_day(text: str) -> date:
    """A date typed as dd/mm/yyyy (as the filter bar shows it) or YYYY-MM-DD (links, API);
    raises ``ValueError`` for anything else or a day that does not exist (31/02/2026)."""
    found = _DMY.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        return date(year, month, day)
    return date.fromisoformat(text.strip())

LANG_COOKIE = "thuocdo_lang"

TEXT: dict[str, tuple[str, str]] = {
    "app": ("Thước Đo — Quản trị", "Thước Đo — Admin"),
    "tagline": ("Lấy sự hài lòng của người dân làm thước đo", "Citizens' satisfaction is the yardstick"),
    "login": ("Đăng nhập", "Sign in"),
    "logout": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "locked": ("Tài khoản tạm khoá do nhập sai nhiều lần. Vui lòng thử lại sau.",
               "Account locked after too many wrong passwords. Try again later."),
    "too_many": ("Quá nhiều lần thử. Vui lòng đợi rồi thử lại.", "Too many attempts. Wait and try again."),
    "nav_overview": ("Tổng quan", "Overview"),
    "nav_breakdown": ("Chi tiết", "Breakdown"),
    "nav_feedback": ("Lý do & góp ý", "Reasons & comments"),
    "nav_tickets": ("Lượt phục vụ", "Tickets"),
    "nav_devices": ("Thiết bị", "Devices"),
    "nav_exports": ("Xuất dữ liệu & báo cáo", "Exports & reports"),
    "nav_audit": ("Nhật ký xuất dữ liệu", "Export log"),
    "source_primary": ("Số liệu từ máy chủ chính.", "Figures from the primary database."),
    "source_replica": ("Số liệu từ bản sao đọc, trễ {lag} so với máy chủ chính.",
                       "Figures from the read replica, {lag} behind the primary."),
    "source_replica_down": ("Số liệu từ máy chủ chính: bản sao đọc không trả lời.",
                            "Figures from the primary database: the read replica does not answer."),
    "source_replica_lagging": ("Số liệu từ máy chủ chính: bản sao đọc trễ {lag}, quá giới hạn {limit}.",
                               ("Figures from the primary database: the read replica is {lag} behind, "
                                "over the {limit} limit.")),
    "source_lag_unknown": ("chưa rõ bao lâu", "an unknown time"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "day_format": ("ngày/tháng/năm, ví dụ 02/03/2026", "day/month/year, e.g. 02/03/2026"),
    "office": ("Đơn vị", "Office"),
    "all_offices": ("Tất cả đơn vị", "All offices"),
    "apply": ("Xem", "Apply"),
    "bad_filter": ("Bộ lọc không hợp lệ, đang hiển thị 30 ngày gần nhất", "Invalid filter, showing the last 30 days"),
    "role_province_admin": ("Quản trị cấp tỉnh", "Province admin"),
    "role_office_manager": ("Quản lý đơn vị", "Office manager"),
    "sat_rate": ("Tỷ lệ hài lòng", "Satisfaction rate"),
    "sat_rate_note": ("= (số đánh giá hài lòng) ÷ (số đánh giá), không tính lượt bỏ qua và lượt bấm bất thường",
                      "= satisfied ÷ rated answers; unanswered prompts and misuse presses are excluded"),
    "rated": ("Số đánh giá", "Rated"),
    "satisfied": ("Hài lòng", "Satisfied"),
    "not_satisfied": ("Chưa hài lòng", "Not satisfied"),
    "unrated": ("Không đánh giá", "Not rated"),
    "misuse": ("Bấm bất thường", "Misuse"),
    "total_prompts": ("Tổng lượt hỏi", "Prompts"),
    "levels": ("Số lượng theo mức", "Counts per level"),
    "level": ("Mức", "Level"),
    "scale_of": ("Thang {n} mức", "{n}-level scale"),
    "count": ("Số lượng", "Count"),
    "share": ("Tỷ lệ", "Share"),
    "trend": ("Diễn biến tỷ lệ hài lòng", "Satisfaction trend"),
    "by_day": ("Theo ngày", "By day"),
    "by_week": ("Theo tuần", "By week"),
    "by_month": ("Theo tháng", "By month"),
    "week": ("Tuần", "Week"),
    "by_office": ("Theo đơn vị", "By office"),
    "by_counter": ("Theo quầy", "By counter"),
    "by_clerk": ("Xếp hạng cán bộ", "Clerk ranking"),
    "per_clerk": ("Theo cán bộ", "By clerk"),
    "by_service": ("Theo lĩnh vực", "By service"),
    "by_channel": ("Theo nơi đánh giá", "By where rated"),
    "channel": ("Nơi đánh giá", "Rated on"),
    "channel_tablet": ("Máy tính bảng tại quầy", "Counter tablet"),
    "channel_phone": ("Điện thoại của công dân", "Citizen's phone"),
    "by_hour": ("Theo giờ trong ngày", "By hour of day"),
    "ratings_per_hour": ("Số đánh giá theo giờ", "Ratings per hour"),
    "clerk": ("Cán bộ", "Clerk"),
    "counter": ("Quầy", "Counter"),
    "service": ("Lĩnh vực", "Service"),
    "hour": ("Giờ", "Hour"),
    "date": ("Ngày", "Date"),
    "rank": ("Hạng", "Rank"),
    "wilson": ("Cận dưới Wilson 95%", "Wilson lower bound 95%"),
    "wilson_note": (("Xếp hạng theo cận dưới Wilson (95%) của tỷ lệ hài lòng: ít đánh giá thì chưa thể xếp cao. "
                    "Cán bộ dưới {n} đánh giá được đánh dấu là chưa đủ để so sánh."),
                    ("Ranked by the Wilson lower bound (95%) of the satisfaction rate, so few answers cannot rank "
                    "high. Clerks with fewer than {n} rated answers are flagged as too few to compare.")),
    "too_few": ("Chưa đủ {n} đánh giá", "Fewer than {n}"),
    "reasons": ("Lý do chưa hài lòng", "Reasons for low scores"),
    "reasons_note": ("Tỷ lệ trên tổng số đánh giá chưa hài lòng (n = {n}); một đánh giá có thể chọn nhiều lý do.",
                     "Share of not-satisfied answers (n = {n}); one answer may give several reasons."),
    "reason": ("Lý do", "Reason"),
    "comments": ("Góp ý gần đây", "Recent comments"),
    "comment": ("Góp ý", "Comment"),
    "time": ("Thời điểm", "Time"),
    "none": ("Chưa có dữ liệu", "No data yet"),
    "tickets": ("Thống kê lượt phục vụ", "Ticket statistics"),
    "tickets_issued": ("Số phiếu đã cấp", "Tickets issued"),
    "status": ("Trạng thái", "Status"),
    "st_waiting": ("Đang chờ", "Waiting"),
    "st_called": ("Đã gọi", "Called"),
    "st_serving": ("Đang phục vụ", "Serving"),
    "st_finished": ("Hoàn thành", "Finished"),
    "st_no_show": ("Vắng mặt", "No-show"),
    "st_transferred": ("Chuyển quầy", "Transferred"),
    "st_cancelled": ("Huỷ", "Cancelled"),
    "no_show_rate": ("Tỷ lệ vắng mặt", "No-show rate"),
    "no_show_note": ("= vắng mặt ÷ (hoàn thành + vắng mặt)", "= no-shows ÷ (finished + no-shows)"),
    "wait_time": ("Thời gian chờ", "Waiting time"),
    "service_time": ("Thời gian giải quyết tại quầy", "Service time"),
    "wait_note": (("Chờ: từ lúc lấy số đến lúc được gọi. Giải quyết: từ lúc bắt đầu đến lúc hoàn thành. "
                  "p50 = trung vị, p90 = 90% lượt không quá."),
                  ("Waiting: ticket issued → called. Service: served → finished. p50 = median, "
                  "p90 = 90% of tickets within.")),
    "overall": ("Chung", "Overall"),
    "devices": ("Tình trạng thiết bị", "Device health"),
    "device": ("Thiết bị", "Device"),
    "kind": ("Loại", "Kind"),
    "kind_tablet": ("Máy tính bảng", "Tablet"),
    "kind_kiosk": ("Kiosk", "Kiosk"),
    "kind_hub": ("Máy chủ tại đơn vị", "Office hub"),
    "last_seen": ("Liên lạc lần cuối", "Last seen"),
    "pending": ("Chờ gửi", "Pending"),
    "clock_skew": ("Lệch giờ", "Clock skew"),
    "app_version": ("Phiên bản", "Version"),
    "never": ("Chưa liên lạc", "Never"),
    "stale": ("Mất liên lạc > 1 giờ", "Silent > 1 h"),
    "skewed": ("Lệch giờ > 2 phút", "Clock off > 2 min"),
    "revoked": ("Đã thu hồi", "Revoked"),
    "revoke": ("Thu hồi", "Revoke"),
    "revoke_confirm": ("Thu hồi quyền gửi dữ liệu của thiết bị này?", "Revoke this device's upload right?"),
    "revoked_ok": ("Đã thu hồi thiết bị {d}.", "Device {d} revoked."),
    "enroll": ("Thêm thiết bị", "Enroll a device"),
    "enroll_name": ("Tên thiết bị (ví dụ: Máy tính bảng quầy 3)", "Device name (e.g. Counter 3 tablet)"),
    "enroll_button": ("Tạo mã đăng ký", "Create enrollment code"),
    "enroll_code": ("Mã đăng ký thiết bị", "Enrollment code"),
    "enroll_help": (("Nhập mã này (hoặc quét mã QR) trên thiết bị, trong phần cài đặt. Mã chỉ dùng một lần, "
                    "hết hạn lúc {t}."),
                    "Type this code (or scan the QR) in the device's settings. It works once and expires at {t}."),
    "ok": ("OK", "OK"),
    "offices": ("Đơn vị", "Offices"),
    "office_import": ("Đăng ký hoặc cập nhật đơn vị từ tệp config.yaml",
                      "Register or update an office from its config.yaml"),
    "office_import_help": (("Tệp cấu hình của đơn vị (như lệnh sync-server import-office). Mã bí mật, PIN không được "
                           "lưu trên máy chủ."),
                           ("The office's configuration file (as `sync-server import-office`). Secrets and PINs are "
                           "not kept on the server.")),
    "office_import_button": ("Tải lên", "Upload"),
    "office_imported": ("Đã đăng ký/cập nhật đơn vị {o}: {s} lĩnh vực, {c} quầy, {k} cán bộ.",
                        "Office {o} registered/updated: {s} services, {c} counters, {k} clerks."),
    "office_refused": ("Không nhận tệp {f}:", "File {f} refused:"),
    "config_too_big": ("tệp lớn hơn {n} KB", "the file is over {n} KB"),
    "status_ok": ("Bình thường", "OK"),
    "quarantine_flag": ("Có bản ghi bị giữ lại", "Records held"),
    "backlog": ("Còn bản ghi chờ gửi", "Records waiting"),
    "quarantined_col": ("Bị giữ lại", "Held"),
    "as_of": ("theo báo cáo lúc", "as of"),
    "disagreements": ("Cờ hài lòng sai", "Satisfied flag wrong"),
    "quarantine": ("Bản ghi bị giữ lại (xung đột)", "Held records (conflicts)"),
    "quarantine_help": (("Mỗi bản ghi dưới đây trùng mã với một bản ghi đã lưu nhưng khác nội dung. "
                         "Chấp nhận: thay bản đã lưu bằng bản này. Bỏ: giữ bản đã lưu. Quyết định được ghi lại."),
                        ("Each record below has the identity of a stored record but other content. Accept: it "
                         "replaces the stored one. Discard: the stored one stays. Every decision is recorded.")),
    "quarantine_none": ("Không có bản ghi nào bị giữ lại.", "No records are held."),
    "record": ("Bản ghi", "Record"),
    "received": ("Nhận lúc", "Received"),
    "accept": ("Chấp nhận", "Accept"),
    "discard": ("Bỏ", "Discard"),
    "quarantine_accepted": ("Đã chấp nhận bản ghi {r}.", "Record {r} accepted."),
    "quarantine_discarded": ("Đã bỏ bản ghi {r}; bản đã lưu được giữ.", "Record {r} discarded; the stored one stays."),
    "exports": ("Xuất dữ liệu đánh giá", "Export ratings"),
    "exports_note": (("Tệp chứa mọi đánh giá trong khoảng ngày đã chọn, kể cả lượt bỏ qua và bấm bất thường "
                     "(có cột đánh dấu). Mỗi lần xuất được ghi vào nhật ký."),
                     ("The file holds every rating of the chosen dates, unanswered and misuse ones included "
                     "(flagged in their columns). Every export is logged.")),
    "format": ("Định dạng", "Format"),
    "score": ("Mức (số)", "Level (number)"),
    "any": ("Tất cả", "Any"),
    "download": ("Tải xuống", "Download"),
    "report": ("Báo cáo tháng", "Monthly report"),
    "report_note": (("Báo cáo của một đơn vị trong một tháng: số lượng theo mức và tỷ lệ hài lòng theo cán bộ, "
                    "quầy, lĩnh vực, cùng thống kê lượt phục vụ."),
                    ("One office, one month: counts per level and satisfaction rate per clerk, counter and "
                    "service, with ticket statistics.")),
    "month": ("Tháng", "Month"),
    "open_html": ("Xem trang in", "Printable page"),
    "download_xlsx": ("Tải XLSX", "Download XLSX"),
    "print": ("In báo cáo", "Print"),
    "report_title": ("BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG", "SATISFACTION RATING REPORT"),
    "report_period": ("Tháng {m}", "Month {m}"),
    "generated": ("Lập lúc", "Generated"),
    "summary": ("Tổng hợp", "Summary"),
    "audit": ("Nhật ký xuất dữ liệu", "Export audit log"),
    "audit_who": ("Người xuất", "Who"),
    "audit_when": ("Lúc", "When"),
    "audit_kind": ("Loại", "Kind"),
    "audit_filters": ("Bộ lọc", "Filters"),
    "audit_rows": ("Số dòng", "Rows"),
    "forbidden": ("Bạn không có quyền xem nội dung này.", "You may not see this."),
    "choose_office": ("Chọn một đơn vị", "Choose an office"),
    "language": ("English", "Tiếng Việt"),
    # --- alerts and cases
    "nav_cases": ("Cảnh báo & xử lý", "Alerts & cases"),
    "inbox": ("Hộp cảnh báo", "Alert inbox"),
    "inbox_live": ("· cập nhật trực tiếp", "· live"),
    "new_cases": ("Có cảnh báo mới.", "New alerts arrived."),
    "reload": ("Tải lại", "Reload"),
    "case": ("Hồ sơ xử lý", "Case"),
    "case_status": ("Trạng thái", "Status"),
    "status_active": ("Đang xử lý (mới + đã tiếp nhận)", "Active (open + acknowledged)"),
    "status_open": ("Mới", "Open"),
    "status_acknowledged": ("Đã tiếp nhận", "Acknowledged"),
    "status_resolved": ("Đã giải quyết", "Resolved"),
    "status_dismissed": ("Đã bỏ qua", "Dismissed"),
    "status_all": ("Tất cả", "All"),
    "opened": ("Mở lúc", "Opened"),
    "rule": ("Loại cảnh báo", "Rule"),
    "what": ("Nội dung", "What happened"),
    "due": ("Hạn xử lý", "Due"),
    "overdue": ("Quá hạn", "Overdue"),
    "assigned": ("Người phụ trách", "Assigned to"),
    "no_cases": ("Không có cảnh báo nào.", "No alerts."),
    "late": ("tải lên muộn", "late upload"),
    "escalated": ("đã báo cấp tỉnh", "escalated"),
    "when_recorded": ("Thời điểm ghi nhận", "Recorded"),
    "closed": ("Đóng lúc", "Closed"),
    "resolution": ("Kết quả xử lý", "Outcome"),
    "acknowledge": ("Tiếp nhận xử lý", "Acknowledge"),
    "ratings_behind": ("Các đánh giá liên quan", "Ratings behind it"),
    "contact": ("Liên hệ lại công dân", "Call the citizen back"),
    "contact_waiting": ("Công dân để lại {n} số điện thoại và đồng ý được liên hệ lại.",
                        "The citizen left {n} phone number(s) and agreed to be called back."),
    "show_contact": ("Xem số điện thoại", "Show the phone number"),
    "contact_logged": ("Mỗi lần xem số điện thoại đều được ghi vào nhật ký hồ sơ.",
                       "Every view of a phone number is written to the case trail."),
    "contact_assigned_only": ("Chỉ người phụ trách hồ sơ và quản trị cấp tỉnh xem được số điện thoại.",
                              "Only the assigned manager and province admins see the number."),
    "contact_erased": ("Số điện thoại đã được xóa theo thời hạn lưu giữ.", "The number was erased after its retention time."),
    "no_contact": ("Công dân không để lại số liên hệ.", "No contact number was left."),
    "consent_given": ("Nội dung đồng ý", "Consent given"),
    "close_case": ("Kết thúc hồ sơ", "Close the case"),
    "close_text": ("Đã làm gì (giải quyết) hoặc vì sao không cần xử lý (bỏ qua)",
                   "What was done (resolve) or why no action is needed (dismiss)"),
    "resolve": ("Đã giải quyết", "Resolve"),
    "dismiss": ("Bỏ qua", "Dismiss"),
    "ack_first": ("Tiếp nhận hồ sơ trước khi đánh dấu đã giải quyết.", "Acknowledge the case before resolving it."),
    "letter": ("Thư xin lỗi", "Apology letter"),
    "letter_made": ("Lập bởi {who} lúc {when}", "Made by {who} at {when}"),
    "letter_sent_at": ("đã gửi {when}", "sent {when}"),
    "mark_sent": ("Đánh dấu đã gửi", "Mark as sent"),
    "letter_to": ("Kính gửi", "To"),
    "letter_matter": ("Sự việc", "The matter"),
    "letter_actions": ("Những việc đã làm", "What was done"),
    "make_letter": ("Lập thư (PDF + DOCX)", "Make the letter (PDF + DOCX)"),
    "notes_trail": ("Ghi chú và nhật ký", "Notes and trail"),
    "note": ("Ghi chú", "Note"),
    "add_note": ("Thêm ghi chú", "Add note"),
    "who": ("Người thực hiện", "Who"),
    "action": ("Việc", "Action"),
    "system": ("Hệ thống", "System"),
    "event_opened": ("Mở cảnh báo", "Opened"),
    "event_ratings_added": ("Thêm đánh giá", "Ratings added"),
    "event_acknowledged": ("Tiếp nhận", "Acknowledged"),
    "event_note": ("Ghi chú", "Note"),
    "event_resolved": ("Giải quyết xong", "Resolved"),
    "event_dismissed": ("Bỏ qua", "Dismissed"),
    "event_escalated": ("Báo lên cấp tỉnh", "Escalated"),
    "event_contact_viewed": ("Xem số điện thoại", "Viewed the phone number"),
    "event_contact_erased": ("Xóa số điện thoại", "Phone number erased"),
    "event_letter": ("Lập thư xin lỗi", "Letter made"),
    "event_letter_sent": ("Gửi thư xin lỗi", "Letter sent"),
    "alert_settings": ("Cài đặt cảnh báo", "Alert settings"),
    "settings_saved": ("Đã lưu cài đặt.", "Settings saved."),
    "settings_note": ("Các giá trị ở đây thay cho mục alerts: trong config.yaml của đơn vị.",
                      "These values override the office's config.yaml alerts: section."),
    "save": ("Lưu", "Save"),
    "set_burst_window_min": ("Khung thời gian (phút)", "Window (minutes)"),
    "set_burst_min_answers": ("Số đánh giá tối thiểu", "Minimum answers"),
    "set_burst_unsatisfied_share": ("Tỷ lệ không hài lòng (0–1)", "Unsatisfied share (0–1)"),
    "set_trend_days": ("Số ngày xét xu hướng", "Trend days"),
    "set_trend_target": ("Mục tiêu hài lòng (0–1)", "Satisfaction target (0–1)"),
    "set_silent_min_tickets": ("Số lượt tối thiểu (máy im lặng)", "Tickets for a silent tablet"),
    "set_late_after_min": ("Muộn sau (phút)", "Late after (minutes)"),
    "set_due_working_hours": ("Hạn xử lý (giờ làm việc)", "Due after (working hours)"),
    "set_digest_hour": ("Giờ gửi thư tổng hợp", "Digest hour"),
    "retention_note": ("Số điện thoại được xóa {days} ngày sau khi đóng hồ sơ. Thời hạn này in trong câu đồng ý trên "
                       "máy tính bảng nên chỉ sửa trong config.yaml của đơn vị (alerts.contact_retention_days).",
                       "Phone numbers are erased {days} days after the case closes. The tablets print this in the "
                       "consent sentence, so it is changed only in the office's config.yaml "
                       "(alerts.contact_retention_days)."),
    "set_working_hours": ("Giờ làm việc", "Working hours"),
    "report_cases": ("Cảnh báo và xử lý", "Alerts and cases"),
    "cases_raised": ("Cảnh báo phát sinh", "Alerts raised"),
    "cases_resolved": ("Hồ sơ đã giải quyết", "Cases resolved"),
    "cases_on_time": ("Giải quyết đúng hạn", "Resolved on time"),
    "cases_dismissed": ("Hồ sơ bỏ qua", "Cases dismissed"),
    "cases_median": ("Thời gian giải quyết (trung vị)", "Median time to resolve"),
    "letters_sent": ("Thư xin lỗi đã gửi", "Apology letters sent"),
}


tr = WordTable(TEXT, missing_shows_key=True)


def _seconds(value: float, lang: str) -> str:
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{text} s" if lang == "en" else f"{text.replace('.', ',')} giây"


def read_source_text(source, lang: str, limit_s: float) -> str:
    """The footer line saying which database answered a page and how far behind it is
    (``source`` is a ``sync.server.replica.ReadSource``)."""
    lag = tr(lang, "source_lag_unknown") if source.lag_s is None else _seconds(source.lag_s, lang)
    if source.role == "replica":
        return tr(lang, "source_replica", lag=lag)
    if source.fallback == "unreachable":
        return tr(lang, "source_replica_down")
    if source.fallback == "lagging":
        return tr(lang, "source_replica_lagging", lag=lag, limit=_seconds(limit_s, lang))
    return tr(lang, "source_primary")


def month_name(month: str) -> str:
    """``2026-03`` → ``03/2026`` (how both languages write a month in an office report)."""
    year, _, mm = month.partition("-")
    return f"{mm}/{year}"
