/* Shared by the clerk console and the lobby display: texts in Vietnamese and English, the
 * hub's JSON API, and a live connection to its event stream that reconnects by itself.
 * Plain browser JavaScript, no libraries, so it works offline on any office PC or TV. */
"use strict";

const Hub = (() => {
  const TEXTS = {
    vi: {
      offline: "Mất kết nối với máy chủ xếp hàng — đang kết nối lại…",
      now_calling: "Đang mời",
      please: "Mời công dân có số",
      to_counter: "đến",
      waiting: "Đang chờ",
      people: "người",
      counters: "Các quầy",
      closed: "Chưa mở",
      paused: "Tạm nghỉ",
      no_call: "Chưa có số nào được gọi",
      next_call: "Chờ gọi số tiếp theo",
      recent: "Vừa gọi",
      priority: "Ưu tiên",
      sound_on: "Bấm để bật âm thanh",
      console_title: "Bàn làm việc cán bộ",
      setup_title: "Cài đặt máy tính của quầy",
      setup_help: "Chọn quầy và nhập mã bảo mật của quầy (cán bộ CNTT cung cấp). Chỉ cần làm một lần trên máy này.",
      counter: "Quầy",
      token: "Mã bảo mật của quầy",
      save: "Lưu",
      login_title: "Đăng nhập vào quầy",
      clerk: "Cán bộ",
      pin: "Mã PIN",
      login: "Đăng nhập",
      logout: "Đăng xuất",
      change_counter: "Đổi quầy",
      current: "Số đang phục vụ",
      none_current: "Chưa gọi số nào",
      call_next: "Gọi số tiếp theo",
      recall: "Gọi lại",
      no_show: "Vắng mặt",
      transfer: "Chuyển",
      finish: "Hoàn thành",
      pause: "Tạm nghỉ",
      resume: "Tiếp tục",
      recalls: "Số lần gọi lại",
      called_at: "Gọi lúc",
      waiting_here: "Đang chờ theo lĩnh vực",
      no_shows: "Vắng mặt gần đây",
      requeue: "Đưa lại vào hàng",
      transfer_title: "Chuyển số này đến",
      to_service: "Lĩnh vực",
      to_counter_opt: "Quầy (không bắt buộc)",
      any_counter: "— Quầy bất kỳ —",
      same_service: "— Giữ lĩnh vực —",
      cancel: "Huỷ",
      ok: "Đồng ý",
      paused_banner: "Quầy đang tạm nghỉ",
      shortcuts: "Phím tắt",
      faults: "Sự cố thiết bị",
      done_call: "Đã gọi số",
      done_finish: "Đã hoàn thành số",
      done_transfer: "Đã chuyển số",
      done_no_show: "Đã ghi vắng mặt số",
      done_requeue: "Đã đưa lại vào hàng số",
      done_recall: "Đã gọi lại số",
      recall_spoken: "loa sảnh đang đọc lại",
      day_csv: "Tải vé trong ngày (CSV)",
      err_setup_token: "Mã bảo mật không đúng với quầy đã chọn. Kiểm tra lại mã (cán bộ CNTT cung cấp) rồi bấm Lưu.",
      err_unknown_counter: "Quầy này không có trong cấu hình của đơn vị — chọn quầy khác.",
      err_not_logged_in: "Chưa có cán bộ đăng nhập vào quầy.",
      err_paused: "Quầy đang tạm nghỉ — bấm Tiếp tục để gọi số.",
      err_busy: "Đang phục vụ một số — hãy Hoàn thành, Chuyển hoặc đánh dấu Vắng mặt trước.",
      err_queue_empty: "Không còn ai đang chờ ở quầy này.",
      err_no_current_ticket: "Chưa gọi số nào.",
      err_bad_login: "Sai cán bộ hoặc mã PIN.",
      err_unauthorized: "Mã bảo mật của quầy không đúng — bấm Đổi quầy để cài đặt lại.",
      err_requeue_window_passed: "Đã quá thời gian cho phép đưa lại vào hàng.",
      err_bad_transfer: "Hãy chọn lĩnh vực hoặc quầy khác để chuyển đến.",
      err_network: "Không kết nối được với máy chủ xếp hàng.",
    },
    en: {
      offline: "Lost connection to the queue server — reconnecting…",
      now_calling: "Now calling",
      please: "Ticket number",
      to_counter: "to",
      waiting: "Waiting",
      people: "people",
      counters: "Counters",
      closed: "Closed",
      paused: "On break",
      no_call: "No number called yet",
      next_call: "Waiting for the next call",
      recent: "Recent calls",
      priority: "Priority",
      sound_on: "Click to turn sound on",
      console_title: "Clerk console",
      setup_title: "Set up this counter PC",
      setup_help: "Choose the counter and enter its security token (from IT staff). Needed once on this PC.",
      counter: "Counter",
      token: "Counter token",
      save: "Save",
      login_title: "Log in to the counter",
      clerk: "Clerk",
      pin: "PIN",
      login: "Log in",
      logout: "Log out",
      change_counter: "Change counter",
      current: "Now serving",
      none_current: "No number called",
      call_next: "Call next",
      recall: "Recall",
      no_show: "No-show",
      transfer: "Transfer",
      finish: "Finish",
      pause: "Pause",
      resume: "Resume",
      recalls: "Recalls",
      called_at: "Called at",
      waiting_here: "Waiting by service",
      no_shows: "Recent no-shows",
      requeue: "Put back in queue",
      transfer_title: "Transfer this ticket to",
      to_service: "Service",
      to_counter_opt: "Counter (optional)",
      any_counter: "— Any counter —",
      same_service: "— Same service —",
      cancel: "Cancel",
      ok: "OK",
      paused_banner: "This counter is on break",
      shortcuts: "Shortcuts",
      faults: "Device faults",
      done_call: "Called number",
      done_finish: "Finished number",
      done_transfer: "Transferred number",
      done_no_show: "Marked as no-show:",
      done_requeue: "Put back in the queue:",
      done_recall: "Called again:",
      recall_spoken: "the lobby speakers are announcing it",
      day_csv: "Today's tickets (CSV)",
      err_setup_token: "This token is not the chosen counter's. Check it (IT staff have it) and press Save.",
      err_unknown_counter: "This counter is not in the office's configuration — choose another.",
      err_not_logged_in: "No clerk is logged in at this counter.",
      err_paused: "This counter is on break — press Resume to call.",
      err_busy: "A number is being served — finish, transfer or mark it as a no-show first.",
      err_queue_empty: "Nobody is waiting for this counter.",
      err_no_current_ticket: "No number has been called.",
      err_bad_login: "Wrong clerk or PIN.",
      err_unauthorized: "The counter token is wrong — press Change counter to set it again.",
      err_requeue_window_passed: "Too late to put this number back in the queue.",
      err_bad_transfer: "Choose another service or counter to transfer to.",
      err_network: "Cannot reach the queue server.",
    },
  };

  let lang = new URLSearchParams(location.search).get("lang") || localStorage.getItem("hub.lang") || "vi";

  function t(key) {
    return (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.vi[key] || key;
  }

  function label(obj) {
    if (!obj) return "";
    if (typeof obj === "string") return obj;
    return obj[lang] || obj.vi || "";
  }

  function setLang(next) {
    lang = next === "en" ? "en" : "vi";
    localStorage.setItem("hub.lang", lang);
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  }

  function getLang() { return lang; }

  async function api(method, path, body, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw { code: "network", message: String(err) };
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || {};  /* {"error": {"code", "message"}}: docs/api.md */
      throw { code: error.code || "http_" + response.status, message: error.message || response.statusText };
    }
    return data;
  }

  /* Follow the hub's events. EventSource retries by itself after a network error, but gives
   * up for good on an HTTP error (e.g. while the hub restarts), so we recreate it ourselves. */
  function connect(handlers, onStatus) {
    let source = null;
    let retryMs = 1000;
    function open() {
      source = new EventSource("/api/v1/events");
      source.onopen = () => { retryMs = 1000; onStatus(true); };
      source.onerror = () => {
        onStatus(false);
        source.close();
        setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      };
      Object.keys(handlers).forEach((kind) => {
        source.addEventListener(kind, (event) => {
          let data;
          try { data = JSON.parse(event.data); } catch (err) { return; }
          handlers[kind](data);
        });
      });
    }
    open();
  }

  /* The office's wall clock (config office.timezone), whatever the PC's own time zone. */
  function officeTime(timeZone) {
    const now = new Date();
    if (!timeZone) return now;
    try {
      return new Date(now.toLocaleString("en-US", { timeZone }));
    } catch (err) {
      return now;
    }
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function clockText(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  function dateText(date) {
    if (lang === "en") {
      return date.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    }
    const days = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];
    return days[date.getDay()] + ", ngày " + pad(date.getDate()) + "/" + pad(date.getMonth() + 1) + "/" + date.getFullYear();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
    });
    children.flat().forEach((c) => {
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  return { t, label, setLang, getLang, api, connect, officeTime, clockText, dateText, el };
})();
