"""Every word the kiosk shows, in Vietnamese and English.

Kept apart from the screens so the wording can be reviewed (and corrected by the office) in
one place. Vietnamese first: most citizens read only Vietnamese, many are elderly, so the
words are short and plain. ``tr(lang, key, **values)`` (a ``sync.words.WordTable``) fills
``{placeholders}``; the keyboard's and PIN pad's own words are in ``sync.touch.keys.WORDS``.
"""

from __future__ import annotations

from sync.words import WordTable

__all__ = ["TEXTS", "tr"]

TEXTS: dict[str, tuple[str, str]] = {
    # home
    "home.take": ("Lấy số thứ tự", "Take a number"),
    "home.take_hint": ("Chọn lĩnh vực và nhận vé", "Choose a service, get a ticket"),
    "home.lookup": ("Tra cứu thủ tục", "Look up a procedure"),
    "home.lookup_hint": ("Giấy tờ cần mang, thời gian, lệ phí", "Papers to bring, time, fees"),
    "home.lang": ("English", "Tiếng Việt"),
    "home.large_on": ("Chữ to", "Large text"),
    "home.large_off": ("Chữ thường", "Normal text"),
    "home.waiting": ("Đang chờ: {count} người", "Waiting: {count}"),
    # common
    "back": ("‹ Quay lại", "‹ Back"),
    "listen": ("Nghe", "Listen"),
    "home": ("Trang chủ", "Home"),
    "minutes": ("khoảng {min} phút", "about {min} min"),
    "no_wait": ("không phải chờ", "no wait"),
    # take a ticket
    "take.title": ("Chọn lĩnh vực cần giải quyết", "Choose the service you need"),
    "take.priority_touch": ("Chạm vào đây nếu bạn là:", "Touch here if you are:"),
    "take.priority": ("người cao tuổi, người khuyết tật, phụ nữ mang thai, người có con nhỏ",
                      "elderly, disabled, pregnant, or with a small child"),
    "take.priority_on": ("ĐÃ CHỌN ƯU TIÊN — chạm lần nữa để bỏ", "PRIORITY CHOSEN — touch again to undo"),
    "take.tile_waiting": ("{count} người đang chờ · {wait}", "{count} waiting · {wait}"),
    "take.failed": ("Chưa lấy được số. Vui lòng báo cán bộ tại quầy.",
                    "Could not issue a number. Please ask a staff member."),
    # ticket
    "ticket.title": ("Số thứ tự của bạn", "Your number"),
    "ticket.priority": ("ƯU TIÊN", "PRIORITY"),
    "ticket.ahead": ("Số người chờ trước bạn: {count}", "People ahead of you: {count}"),
    "ticket.wait": ("Thời gian chờ dự kiến: {wait}", "Estimated wait: {wait}"),
    "ticket.printing": ("Đang in vé…", "Printing your ticket…"),
    "ticket.printed": ("Mời bạn nhận vé ở khe máy in bên dưới.", "Please take your ticket below."),
    "ticket.print_failed": ("Máy in đang gặp sự cố. Xin ghi nhớ số {number} của bạn và chờ gọi số.",
                            ("The printer has a problem. Please remember your number {number} "
                             "and wait to be called.")),
    "ticket.done": ("Xong", "Done"),
    "ticket.phone": ("Theo dõi lượt trên điện thoại: quét mã QR, hoặc mở {url} và nhập mã {code}",
                     "Follow your turn on your phone: scan the QR code, or open {url} and type {code}"),
    # lookup
    "fields.title": ("Tra cứu thủ tục hành chính", "Administrative procedures"),
    "fields.search": ("Tìm thủ tục bằng bàn phím", "Search with the keyboard"),
    "fields.count": ("{count} thủ tục", "{count} procedures"),
    "fields.none": ("Lĩnh vực khác", "Other"),
    "list.empty": ("Không tìm thấy thủ tục phù hợp. Hãy thử từ khác.", "No procedure found. Try other words."),
    "search.title": ("Tìm thủ tục", "Search procedures"),
    "search.placeholder": ("Gõ tên thủ tục, ví dụ: khai sinh", "Type a procedure, e.g. birth"),
    "search.hint": ("Có thể gõ không dấu", "No need for accents"),
    "search.results": ("{count} kết quả", "{count} results"),
    # detail
    "detail.time": ("Thời hạn", "Time limit"),
    "detail.fee": ("Lệ phí", "Fee"),
    "detail.where": ("Nơi nộp", "Where to submit"),
    "detail.online": ("Nộp trực tuyến", "Online"),
    "detail.online_yes": ("Có, trên Cổng Dịch vụ công", "Yes, on the public service portal"),
    "detail.online_no": ("Không", "No"),
    "detail.bring": ("Bạn cần mang", "Bring with you"),
    "detail.ask": ("Hỏi cán bộ tại quầy", "Ask at the counter"),
    "detail.special": ("Trường hợp đặc biệt ({n})", "Special cases ({n})"),
    "detail.special_hide": ("Ẩn trường hợp đặc biệt", "Hide special cases"),
    "detail.full": ("Xem đầy đủ", "See everything"),
    "detail.full_hide": ("Thu gọn", "Show less"),
    "detail.code": ("Mã thủ tục", "Procedure code"),
    "detail.field": ("Lĩnh vực", "Field"),
    "detail.agency": ("Cơ quan thực hiện", "Agency"),
    "detail.channels": ("Thời hạn giải quyết và phí, lệ phí", "Processing time and fees"),
    "detail.documents": ("Giấy tờ cần mang", "Papers to bring"),
    "detail.original": ("bản chính", "original"),
    "detail.copy": ("bản sao", "copy"),
    "detail.steps": ("Trình tự thực hiện", "Steps"),
    "detail.conditions": ("Yêu cầu, điều kiện", "Requirements"),
    "detail.results": ("Kết quả", "Result"),
    "detail.legal": ("Căn cứ pháp lý", "Legal basis"),
    "detail.qr": ("Quét mã để xem trên Cổng Dịch vụ công quốc gia",
                  "Scan to open on the National Public Service Portal"),
    "detail.no_link": ("Chưa có đường dẫn trên Cổng Dịch vụ công", "No link on the national portal"),
    "detail.take": ("Lấy số cho thủ tục này", "Take a number for this"),
    "detail.take_choose": ("Lấy số thứ tự", "Take a number"),
    "detail.none": ("Không có", "None"),
    # admin
    "pin.title": ("Nhập mã PIN quản trị", "Enter the admin PIN"),
    "pin.wrong": ("Sai mã PIN", "Wrong PIN"),
    "admin.title": ("Quản trị máy lấy số", "Kiosk administration"),
    "admin.printer_test": ("In thử", "Print a test ticket"),
    "admin.reload": ("Nạp lại danh mục thủ tục", "Reload the procedure catalog"),
    "admin.exit": ("Thoát chương trình", "Exit the kiosk"),
    "admin.printer": ("Máy in: {desc}", "Printer: {desc}"),
    "admin.printer_ok": ("In thử: đã gửi lệnh in", "Test: sent to the printer"),
    "admin.printer_failed": ("In thử lỗi: {error}", "Test failed: {error}"),
    "admin.catalog": ("Danh mục: {count} thủ tục ({source})", "Catalog: {count} procedures ({source})"),
    "admin.catalog_failed": ("Không nạp được danh mục: {error}", "Could not reload the catalog: {error}"),
    "admin.sync": ("Chờ gửi về máy chủ: {pending} bản ghi", "Waiting to upload: {pending} records"),
    "admin.sync_not_enrolled": ("Chưa gửi dữ liệu: máy chưa đăng ký với máy chủ (kiosk enroll)",
                                "Uploads off: this kiosk is not enrolled (kiosk enroll)"),
    "admin.sync_none": ("Không có bản ghi chờ gửi", "Nothing waiting to upload"),
    "admin.sync_off": ("Chưa cấu hình máy chủ trung tâm (sync.server_url)",
                       "No central server configured (sync.server_url)"),
    "admin.server_url": ("Địa chỉ máy chủ (https://…)", "Server address (https://…)"),
    "admin.code": ("Mã đăng ký", "Enrollment code"),
    "admin.enroll": ("Đăng ký thiết bị", "Enroll this device"),
    "admin.enrolling": ("Đang đăng ký với {server}…", "Enrolling with {server}…"),
    "admin.enrolled": ("Đã đăng ký với máy chủ, đơn vị {office}; bắt đầu gửi dữ liệu",
                       "Enrolled with the server, office {office}; uploads started"),
    "admin.enroll_failed": ("Đăng ký không thành công: {error}", "Enrollment failed: {error}"),
    "admin.faults": ("Sự cố: {faults}", "Faults: {faults}"),
    "admin.no_faults": ("Không có sự cố", "No faults"),
    # start-up problems, shown full screen for IT staff (sync.touch.startup_problem)
    "startup.outbox": (("Một chương trình khác đang giữ dữ liệu của máy lấy số: máy lấy số hoặc lệnh `kiosk hub` "
                        "đang chạy trên máy này? Hãy tắt chương trình đó.\n\nChi tiết: {detail}"),
                       ("Another program holds the kiosk's data: is the kiosk or `kiosk hub` already running on "
                        "this machine? Stop it.\n\nDetail: {detail}")),
    "startup.hub": (("Máy chủ quầy (hub) không mở được cổng mạng. Đổi hub.host / hub.port trong tệp cấu hình, "
                     "hoặc tắt chương trình đang dùng cổng đó.\n\nChi tiết: {detail}"),
                    ("The office hub cannot open its network port. Change hub.host / hub.port in the "
                     "configuration file, or stop the program using that port.\n\nDetail: {detail}")),
}


tr = WordTable(TEXTS)
