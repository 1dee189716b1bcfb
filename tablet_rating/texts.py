"""Every word the tablet shows, in Vietnamese and English, in one table.

Kept apart from the screens so a translator edits one file, and so the plain-Python parts
(the rating session, tests) can name texts without importing Kivy. Level and reason words
come from the office configuration, not from here.
"""

from __future__ import annotations

from sync.words import WordTable

__all__ = ["TEXTS", "tr"]

TEXTS: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "idle.ready": ("Sẵn sàng phục vụ", "Ready to serve you"),
    "idle.no_clerk": ("Chưa có cán bộ tại quầy", "No clerk at this counter yet"),
    "idle.clerk": ("Cán bộ tiếp nhận", "Your clerk"),
    "idle.paused": ("Quầy tạm dừng", "Counter paused"),
    "prompt.question": ("Ông/bà có hài lòng với thái độ phục vụ của cán bộ {name}?",
                        "Are you satisfied with the service of {name}?"),
    "prompt.question_no_clerk": ("Ông/bà có hài lòng với thái độ phục vụ tại {counter}?",
                                 "Are you satisfied with the service at {counter}?"),
    "prompt.ticket": ("Số {number}", "Ticket {number}"),
    "prompt.hint": ("Chạm vào một khuôn mặt", "Touch one face"),
    "prompt.listen": ("Nghe", "Listen"),
    "prompt.large_on": ("Chữ to", "Large text"),
    "prompt.large_off": ("Chữ thường", "Normal text"),
    "reasons.title": ("Xin ông/bà cho biết lý do chưa hài lòng", "Please tell us what was wrong"),
    "reasons.hint": ("Có thể chọn nhiều lý do", "You can choose several"),
    "reasons.comment": ("Góp ý thêm (không bắt buộc)…", "Add a comment (optional)…"),
    "reasons.send": ("Gửi", "Send"),
    "reasons.skip": ("Bỏ qua", "Skip"),
    "reasons.done": ("Xong", "Done"),
    "reasons.count": ("{n}/{max} ký tự", "{n}/{max} characters"),
    "contact.ask": ("Tôi muốn được liên hệ lại", "I would like to be called back"),
    "contact.left": ("Sẽ liên hệ lại số {phone} — sửa", "We will call {phone} — change"),
    "contact.title": ("Số điện thoại để cơ quan liên hệ lại", "Phone number for us to call you back"),
    "contact.consent": ("Tôi đồng ý để {office} dùng số điện thoại này chỉ để liên hệ lại với tôi về ý kiến hôm "
                        "nay. Số không được đưa vào báo cáo hay dùng vào việc khác và được xóa {days} ngày sau khi "
                        "xử lý xong (Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân).",
                        "I agree that {office} uses this number only to call me back about today's feedback. It "
                        "is kept out of every report, used for nothing else and erased {days} days after the "
                        "matter is closed (Decree 13/2023/ND-CP on personal data protection)."),
    "contact.agree": ("Đồng ý", "I agree"),
    "contact.no": ("Không, cảm ơn", "No, thanks"),
    "contact.bad": ("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0", "10 or 11 digits, starting with 0"),
    "thanks.title": ("Cảm ơn ông/bà!", "Thank you!"),
    "thanks.body": ("Ý kiến của ông/bà đã được ghi nhận.", "Your opinion has been recorded."),
    "lang.switch": ("English", "Tiếng Việt"),
    "pin.title": ("Nhập mã quản trị", "Enter the admin PIN"),
    "pin.wrong": ("Mã không đúng", "Wrong PIN"),
    "pin.cancel": ("Hủy", "Cancel"),
    "settings.title": ("Cài đặt máy tính bảng", "Tablet settings"),
    "settings.counter": ("Quầy", "Counter"),
    "settings.hub_url": ("Địa chỉ máy chủ quầy (hub)", "Office hub address"),
    "settings.mode": ("Chế độ", "Mode"),
    "settings.mode.linked": ("Theo quầy (hub)", "Linked to the hub"),
    "settings.mode.standalone": ("Độc lập", "Standalone"),
    "settings.clerk": ("Cán bộ (chế độ độc lập)", "Clerk (standalone mode)"),
    "settings.clerk.none": ("Không chọn", "None"),
    "settings.language": ("Ngôn ngữ", "Language"),
    "settings.sync": ("Đồng bộ", "Sync"),
    "settings.save": ("Lưu và đóng", "Save and close"),
    "settings.close": ("Đóng", "Close"),
    "settings.exit": ("Thoát ứng dụng", "Exit the app"),
    "settings.bad_url": ("Địa chỉ phải bắt đầu bằng http:// hoặc https://",
                         "The address must start with http:// or https://"),
    "enroll.title": ("Đăng ký với máy chủ trung tâm", "Enroll with the central server"),
    "enroll.server": ("Địa chỉ máy chủ", "Server address"),
    "enroll.code": ("Mã đăng ký một lần", "One-time code"),
    "enroll.button": ("Đăng ký", "Enroll"),
    "enroll.working": ("Đang đăng ký…", "Enrolling…"),
    "enroll.done": ("Đã đăng ký (đơn vị {office}); bản ghi sẽ được gửi lên máy chủ.",
                    "Enrolled (office {office}); records will be uploaded."),
    "status.write_error": ("LỖI: không ghi được dữ liệu ({detail}) — báo bộ phận kỹ thuật",
                           "ERROR: data cannot be written ({detail}) — tell IT staff"),
    "prompt.not_saved": ("Chưa lưu được đánh giá. Xin báo cán bộ tại quầy.",
                         "The rating could not be saved. Please tell the staff."),
    "status.synced": ("Đã đồng bộ", "Synced"),
    "status.pending": ("Bản ghi chờ gửi: {n}", "Records waiting to upload: {n}"),
    "status.offline": ("Mất kết nối với hub", "Hub unreachable"),
    "status.hub_online": ("Hub: đã kết nối", "Hub: connected"),
    "status.hub_offline": ("Hub: mất kết nối", "Hub: unreachable"),
    "status.hub_unused": ("Hub: không dùng (chế độ độc lập)", "Hub: not used (standalone)"),
    "status.oldest": ("Bản ghi cũ nhất chờ {age}", "Oldest waiting {age}"),
    "status.device": ("Mã thiết bị: {id}", "Device id: {id}"),
    "status.not_enrolled": (
        "Chưa đăng ký với máy chủ trung tâm: bản ghi được giữ trên máy (lệnh tablet-rating enroll)",
        "Not enrolled with the central server: records stay on this tablet (command tablet-rating enroll)"),
    "status.server": ("Máy chủ trung tâm: {url}", "Central server: {url}"),
    "status.last_upload": ("Lần gửi thành công gần nhất: {age} trước", "Last successful upload: {age} ago"),
    "status.never_uploaded": ("Chưa gửi thành công lần nào", "No successful upload yet"),
    "status.failing": ("Gửi lỗi {n} lần liên tiếp: {error}; thử lại sau {age}",
                       "Upload failed {n} times in a row: {error}; next try in {age}"),
    "status.quarantined": ("Bản ghi máy chủ từ chối, giữ trên máy: {n}",
                           "Records refused by the server, kept on this tablet: {n}"),
    "startup.outbox_locked": (("Một chương trình khác đang giữ dữ liệu của máy tính bảng này (quầy {counter}). "
                               "Nếu chạy nhiều máy tính bảng trên một máy, mỗi máy cần một --counter N riêng. "
                               "Hãy tắt chương trình kia.\n\nChi tiết: {detail}"),
                              ("Another program holds this tablet's data (counter {counter}). Several tablets on "
                               "one machine each need their own --counter N. Stop the other program."
                               "\n\nDetail: {detail}")),
    "status.damaged": ("Tệp hỏng đã được cất riêng: {n} (báo cho bộ phận kỹ thuật)",
                       "Damaged files set aside: {n} (tell IT staff)"),
}


# ``tr(lang, key, **values)``; the keyboard's and PIN pad's words are in ``sync.touch.keys.WORDS``.
tr = WordTable(TEXTS)
