/* Clerk console: one counter's view of the queue and its buttons.
 * The counter token is checked with the hub as soon as the page opens (and when it is saved),
 * so a wrong one sends the PC back to the set-up form with a clear message, not at the first
 * click. Test hook: <body data-call-clicked-at="<epoch ms>"> is set when "call next" is pressed. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let state = null;
  let counterId = Number(localStorage.getItem("hub.counter")) || null;
  let token = localStorage.getItem("hub.token") || "";
  let messageTimer = null;
  let setupOpen = false; // the setup form stays until saved, whatever events arrive
  let tokenAccepted = ""; // "<counter>:<token>" the hub said is right
  let tokenChecking = false;

  // A PC can be set up from a link: /console#counter=3&token=… (removed from the address bar).
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("counter") && fragment.get("token")) {
    counterId = Number(fragment.get("counter"));
    token = fragment.get("token");
    localStorage.setItem("hub.counter", String(counterId));
    localStorage.setItem("hub.token", token);
    history.replaceState(null, "", location.pathname + location.search);
  }

  function myCounter() {
    return state && state.counters.find((c) => c.counter_id === counterId);
  }

  function show(view) {
    ["setup", "login", "work"].forEach((id) => { $(id).hidden = id !== view; });
  }

  function hideMessage() {
    clearTimeout(messageTimer);
    $("message").className = "message";
    $("message").textContent = "";
  }

  function say(text, isError) {
    const box = $("message");
    box.textContent = text;
    box.className = "message show" + (isError ? " error" : "");
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { box.className = "message"; }, isError ? 6000 : 2500);
  }

  function sayError(err) {
    const key = "err_" + err.code;
    const text = Hub.t(key);
    if (err.code === "unauthorized" || err.code === "unknown_counter") {
      tokenAccepted = "";
      showSetup(err);
      return;
    }
    say(text !== key ? text : err.message || err.code, true);
  }

  /* Ask the hub whether this PC's counter token is right; render again when it answers. */
  async function checkToken() {
    if (tokenChecking) return;
    tokenChecking = true;
    const key = counterId + ":" + token;
    try {
      await Hub.api("GET", "/api/v1/counters/" + counterId + "/auth", undefined, token);
      tokenAccepted = key;
    } catch (err) {
      if (err.code === "network") tokenAccepted = key; // the hub is away: the offline banner says so
      else { tokenChecking = false; showSetup(err); return; }
    }
    tokenChecking = false;
    render();
  }

  function render() {
    if (!state) return;
    const counter = myCounter();
    $("faults").hidden = !(state.faults && state.faults.length);
    $("faults").textContent = (state.faults || []).map((f) => "⚠ " + f.message).join("   ");
    if (setupOpen) return;
    if (!counter || !token) { showSetup(); return; }
    if (tokenAccepted !== counterId + ":" + token) { checkToken(); return; }
    $("counter-name").textContent = Hub.label(counter.name);
    $("clerk-name").textContent = counter.clerk ? counter.clerk.name : "";
    $("logout").hidden = !counter.clerk;
    $("day-csv").hidden = false;
    if (!counter.clerk) { showLogin(); return; }
    show("work");
    renderCurrent(counter);
    renderWaiting(counter);
  }

  function renderCurrent(counter) {
    const t = counter.current;
    $("current-number").textContent = t ? t.number : "—";
    $("current-service").textContent = t ? Hub.label(t.service_name) + (t.priority ? " · " + Hub.t("priority") : "") : Hub.t("none_current");
    $("current-meta").textContent = t ? Hub.t("called_at") + " " + t.called_at.slice(11, 16) +
      (t.recalls ? " · " + Hub.t("recalls") + ": " + t.recalls : "") : "";
    $("paused-banner").hidden = !counter.paused;
    $("pause-word").dataset.t = counter.paused ? "resume" : "pause";
    $("pause-word").textContent = Hub.t($("pause-word").dataset.t);
    $("btn-next").disabled = Boolean(t) || counter.paused;
    ["btn-recall", "btn-noshow", "btn-transfer", "btn-finish"].forEach((id) => { $(id).disabled = !t; });
  }

  function renderWaiting(counter) {
    $("waiting").replaceChildren(...state.services.map((s) => Hub.el("li",
      { class: counter.services.includes(s.id) ? "mine" : "other" },
      Hub.el("span", {}, Hub.label(s.name)), Hub.el("b", { "data-service": s.id }, s.waiting))));
    // Rebuilt only when the list changes, so a click is never lost on a button being replaced.
    const noShows = state.no_shows || [];
    const key = noShows.map((t) => t.id).join(",") + "|" + Hub.getLang();
    if ($("no-shows").dataset.key === key) return;
    $("no-shows").dataset.key = key;
    $("no-shows").replaceChildren(...noShows.map((t) => Hub.el("li", {},
      Hub.el("span", {}, t.number + " · " + Hub.label(t.service_name)),
      Hub.el("button", { onclick: () => act("requeue", { ticket_id: t.id }) }, Hub.t("requeue")))));
  }

  function showSetup(err) {
    const problem = $("setup-error");
    problem.hidden = !err;
    if (err) {
      problem.textContent = Hub.t(err.code === "unauthorized" ? "err_setup_token" : "err_" + err.code) || err.message;
      if (problem.textContent.startsWith("err_")) problem.textContent = err.message || err.code;
    }
    $("day-csv").hidden = true;
    if (setupOpen) return;
    setupOpen = true;
    show("setup");
    const select = $("setup-counter");
    if (state) {
      select.replaceChildren(...state.counters.map((c) => Hub.el("option",
        { value: c.counter_id, selected: c.counter_id === counterId ? "selected" : null }, Hub.label(c.name))));
    }
    $("setup-token").value = "";
  }

  function showLogin() {
    show("login");
    const select = $("login-clerk");
    if (select.options.length !== state.clerks.length) {
      select.replaceChildren(...state.clerks.map((c) => Hub.el("option", { value: c.id }, c.name)));
    }
  }

  async function refresh() {
    try { state = await Hub.api("GET", "/api/v1/state"); render(); } catch (err) { /* the stream will retry */ }
  }

  async function act(action, body) {
    if (action === "call-next") document.body.dataset.callClickedAt = Date.now();
    try {
      const result = await Hub.api("POST", "/api/v1/counters/" + counterId + "/" + action, body || {}, token);
      if (result && result.counter) {
        state.counters = state.counters.map((c) => (c.counter_id === counterId ? result.counter : c));
      }
      const done = { "call-next": "done_call", finish: "done_finish", transfer: "done_transfer",
                     "no-show": "done_no_show", requeue: "done_requeue", recall: "done_recall" }[action];
      if (done) say(Hub.t(done) + " " + result.ticket.number + (action === "recall" ? " — " + Hub.t("recall_spoken") : ""));
      if (action === "requeue" || action === "logout") await refresh(); else render();
    } catch (err) {
      sayError(err);
    }
  }

  // --- buttons and shortcuts -------------------------------------------------------------
  $("btn-next").addEventListener("click", () => act("call-next"));
  $("btn-recall").addEventListener("click", () => act("recall"));
  $("btn-noshow").addEventListener("click", () => act("no-show"));
  $("btn-finish").addEventListener("click", () => act("finish"));
  $("btn-pause").addEventListener("click", () => act(myCounter() && myCounter().paused ? "resume" : "pause"));
  $("btn-transfer").addEventListener("click", openTransfer);
  $("logout").addEventListener("click", () => act("logout"));
  $("change-counter").addEventListener("click", () => showSetup());
  $("day-csv").addEventListener("click", downloadDayCsv);

  /* The day's tickets as a file (the request needs the counter token, so not a plain link). */
  async function downloadDayCsv() {
    try {
      const response = await fetch("/api/v1/tickets/day.csv", { headers: { Authorization: "Bearer " + token } });
      if (!response.ok) throw { code: "http_" + response.status, message: response.statusText };
      const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "ve.csv";
      const link = Hub.el("a", { href: URL.createObjectURL(await response.blob()), download: name });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (err) {
      sayError(err.code ? err : { code: "network", message: String(err) });
    }
  }
  $("lang").addEventListener("click", () => {
    Hub.setLang(Hub.getLang() === "vi" ? "en" : "vi");
    $("lang").textContent = Hub.getLang() === "vi" ? "English" : "Tiếng Việt";
    render();
  });

  document.addEventListener("keydown", (event) => {
    if ($("work").hidden || $("transfer-dialog").open || event.ctrlKey || event.altKey || event.metaKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    const button = document.querySelector('.buttons button[data-key="' + event.key.toUpperCase() + '"]');
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });

  $("setup-save").addEventListener("click", () => {
    counterId = Number($("setup-counter").value);
    token = $("setup-token").value.trim();
    localStorage.setItem("hub.counter", String(counterId));
    localStorage.setItem("hub.token", token);
    setupOpen = false;
    $("setup-error").hidden = true;
    render(); // checks the new token with the hub first
  });

  async function login() {
    try {
      const result = await Hub.api("POST", "/api/v1/counters/" + counterId + "/login",
        { clerk_id: $("login-clerk").value, pin: $("login-pin").value }, token);
      $("login-pin").value = "";
      hideMessage(); // a wrong PIN tried before is no longer news
      state.counters = state.counters.map((c) => (c.counter_id === counterId ? result.counter : c));
      render();
    } catch (err) {
      $("login-pin").value = ""; // ready for the next try
      $("login-pin").focus();
      sayError(err);
    }
  }
  $("login-go").addEventListener("click", login);
  $("login-pin").addEventListener("keydown", (event) => { if (event.key === "Enter") login(); });

  function openTransfer() {
    const counter = myCounter();
    $("transfer-service").replaceChildren(Hub.el("option", { value: "" }, Hub.t("same_service")),
      ...state.services.map((s) => Hub.el("option", { value: s.id }, Hub.label(s.name))));
    $("transfer-counter").replaceChildren(Hub.el("option", { value: "" }, Hub.t("any_counter")),
      ...state.counters.filter((c) => c.counter_id !== counter.counter_id)
        .map((c) => Hub.el("option", { value: c.counter_id }, Hub.label(c.name))));
    $("transfer-dialog").showModal();
  }
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("transfer-ok").addEventListener("click", () => {
    const service = $("transfer-service").value;
    const counter = $("transfer-counter").value;
    $("transfer-dialog").close();
    act("transfer", { to_service_id: service || null, to_counter_id: counter ? Number(counter) : null });
  });

  // --- live updates ------------------------------------------------------------------------
  Hub.setLang(Hub.getLang());
  $("lang").textContent = Hub.getLang() === "vi" ? "English" : "Tiếng Việt";
  Hub.connect({
    state: (s) => { state = s; render(); },
    counter: (view) => {
      if (!state) return;
      state.counters = state.counters.map((c) => (c.counter_id === view.counter_id ? view : c));
      if (view.counter_id === counterId) render(); // e.g. logged out from another PC
    },
    queue: (q) => {
      if (!state) return;
      state.services.forEach((s) => { s.waiting = q.waiting[s.id] ?? 0; });
      const counter = myCounter();
      if (counter && counter.clerk && !$("work").hidden) renderWaiting(counter);
    },
    no_show: refresh,
    requeued: refresh,
    reset: refresh,
    fault: (f) => { if (state) { state.faults = f.faults; render(); } },
  }, (online) => { $("offline").hidden = online; });
})();
