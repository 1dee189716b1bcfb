"""The words of the citizen's page, Vietnamese first, English on the switch.

One table for the page rendered by the server (no JavaScript needed) and for the script that
keeps it live (it receives the same table), so the two never say different things.
``{n}``, ``{m}``, ``{counter}``, ``{clerk}``, ``{time}``, ``{age}`` are filled in by both.
"""

from __future__ import annotations

__all__ = ["WORDS", "refusal_message"]

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "lang_name": "Tiếng Việt", "switch": "English", "title": "Số thứ tự của bạn",
        "waiting": "Đang chờ", "ahead": "Trước bạn còn {n} người", "next": "Bạn là người tiếp theo",
        "wait": "Chờ khoảng {m} phút", "called": "Mời bạn đến {counter}",
        "serving": "Đang được phục vụ tại {counter}", "finished": "Đã phục vụ xong",
        "no_show": "Số này đã qua lượt. Vui lòng hỏi cán bộ hoặc lấy số mới.",
        "near": "Sắp đến lượt bạn: còn {n} người phía trước",
        "alert_on": "Báo cho tôi khi sắp đến lượt",
        "alert_ready": "Điện thoại sẽ rung và báo khi còn 2 người và khi đến lượt.",
        "alert_denied": "Trình duyệt không cho phép thông báo; hãy giữ trang này mở.",
        "as_of": "Cập nhật lúc {time}", "as_of_centre": "Thông tin từ máy chủ tỉnh, cập nhật cách đây {age}",
        "offline": "Mất kết nối, đang thử lại…", "minutes": "{m} phút", "seconds": "{m} giây",
        "internet": "Ra khỏi cơ quan? Theo dõi qua Internet:",
        "rate_prompt": "Bạn có hài lòng với cán bộ {clerk}?", "rate_prompt_any": "Bạn có hài lòng với việc phục vụ?",
        "reasons": "Vì sao bạn chưa hài lòng? (chọn một hoặc nhiều)", "comment": "Góp ý thêm (không bắt buộc)",
        "send": "Gửi đánh giá", "thanks": "Cảm ơn bạn đã đánh giá!", "rate_until": "Có thể đánh giá đến {time}",
        "already_rated": "Phiếu này đã được đánh giá. Mỗi phiếu chỉ đánh giá một lần.",
        "not_served": "Chỉ đánh giá được sau khi đã được phục vụ xong.",
        "rating_closed": "Đã hết thời gian đánh giá phiếu này.",
        "too_many": "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "send_failed": "Chưa gửi được. Kiểm tra kết nối rồi bấm gửi lại.",
        "choose_level": "Vui lòng chọn một mức hài lòng.",
        "code_title": "Xem số thứ tự trên điện thoại", "code_prompt": "Nhập mã in trên phiếu (10 ký tự)",
        "code_open": "Xem", "code_unknown": "Không tìm thấy phiếu với mã này. Kiểm tra lại mã trên phiếu.",
        "not_found": "Không tìm thấy phiếu này. Hãy quét lại mã QR trên phiếu.",
        "counter_fallback": "Quầy {n}",
    },
    "en": {
        "lang_name": "English", "switch": "Tiếng Việt", "title": "Your number",
        "waiting": "Waiting", "ahead": "{n} people ahead of you", "next": "You are next",
        "wait": "About {m} min wait", "called": "Please go to {counter}",
        "serving": "Being served at {counter}", "finished": "Service finished",
        "no_show": "This number has passed. Please ask the staff or take a new number.",
        "near": "Almost your turn: {n} people ahead",
        "alert_on": "Alert me when my turn is near",
        "alert_ready": "Your phone will vibrate and alert you when two are ahead and when you are called.",
        "alert_denied": "The browser does not allow alerts; keep this page open.",
        "as_of": "Updated at {time}", "as_of_centre": "From the province server, updated {age} ago",
        "offline": "Connection lost, retrying…", "minutes": "{m} min", "seconds": "{m} s",
        "internet": "Leaving the office? Follow online:",
        "rate_prompt": "Were you satisfied with {clerk}?", "rate_prompt_any": "Were you satisfied with the service?",
        "reasons": "Why were you not satisfied? (choose one or more)", "comment": "Comment (optional)",
        "send": "Send rating", "thanks": "Thank you for your rating!", "rate_until": "You can rate until {time}",
        "already_rated": "This ticket has already been rated. Each ticket can be rated once.",
        "not_served": "A ticket can be rated only after the service is finished.",
        "rating_closed": "The time to rate this ticket has passed.",
        "too_many": "Too many attempts. Please try again in a few minutes.",
        "send_failed": "Not sent yet. Check the connection and send again.",
        "choose_level": "Please choose how satisfied you are.",
        "code_title": "See your number on your phone", "code_prompt": "Type the code printed on your ticket (10 characters)",
        "code_open": "Open", "code_unknown": "No ticket has this code. Check the code on your ticket.",
        "not_found": "This ticket was not found. Scan the QR code on your ticket again.",
        "counter_fallback": "Counter {n}",
    },
}


def refusal_message(code: str, lang: str = "vi") -> str:
    """The citizen's words for a refused rating (``sync.citizen.view.rating_refusal`` codes)."""
    words = WORDS.get(lang, WORDS["vi"])
    return words.get(code, code)
