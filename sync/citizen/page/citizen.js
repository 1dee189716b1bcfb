// The citizen's ticket page, kept live. The server already rendered everything readable
// (this script only improves it): updates arrive over Server-Sent Events when the page has
// an events_url (the office hub), else by polling the same address for JSON (the central
// server, or when the event stream keeps failing). A vibration and a notification (where
// the citizen allowed them) when two are ahead and when the number is called.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var view = data.view, words = data.words, lang = data.lang;
  var POLL_MS = view.source === "hub" ? 5000 : 15000;
  var $ = function (id) { return document.getElementById(id); };
  document.documentElement.classList.add("js");

  function t(key, values) {
    var text = (words[lang] || words.vi)[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function counterName(v) { return v.counter ? v.counter.name[lang] : ""; }
  function two(n) { return ("0" + n).slice(-2); }
  function clock(iso) { var d = new Date(iso); return two(d.getHours()) + ":" + two(d.getMinutes()); }
  function dayAndClock(iso) {
    var d = new Date(iso);
    return clock(iso) + " " + two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear();
  }
  function age(iso) {
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    return s < 120 ? t("seconds", {m: s}) : t("minutes", {m: Math.round(s / 60)});
  }

  function render() {
    document.body.className = "status-" + view.status;
    document.documentElement.lang = lang;
    $("lang").textContent = t("switch");
    $("lang").setAttribute("href", "?lang=" + (lang === "vi" ? "en" : "vi"));
    $("title").textContent = t("title");
    $("number").textContent = view.number;
    $("service").textContent = view.service[lang];
    var head = "", detail = "";
    if (view.status === "waiting") {
      head = view.ahead > 0 ? t("ahead", {n: view.ahead}) : t("next");
      detail = view.estimated_wait_min > 0 ? t("wait", {m: view.estimated_wait_min}) : "";
    } else if (view.status === "called") { head = t("called", {counter: counterName(view)}); }
    else if (view.status === "serving") { head = t("serving", {counter: counterName(view)}); }
    else { head = t(view.status); }
    $("headline").textContent = head;
    $("detail").textContent = detail;
    $("as-of").textContent = view.source === "hub" ? t("as_of", {time: clock(view.as_of)})
                                                   : t("as_of_centre", {age: age(view.as_of)});
    var form = $("rate-form");
    $("rating").hidden = !view.rate_url || sent;
    if (view.rate_url) { form.setAttribute("action", view.rate_url); }
    $("rate-prompt").textContent = view.clerk ? t("rate_prompt", {clerk: view.clerk}) : t("rate_prompt_any");
    data.levels.forEach(function (l) { document.querySelector('[data-label="' + l.score + '"]').textContent = l.label[lang]; });
    data.reasons.forEach(function (r) { document.querySelector('[data-reason="' + r.code + '"]').textContent = r.label[lang]; });
    $("reasons-prompt").textContent = t("reasons");
    $("comment-prompt").textContent = t("comment");
    $("send").textContent = t("send");
    $("rate-until").textContent = view.rate_until ? t("rate_until", {time: dayAndClock(view.rate_until)}) : "";
    $("alerts").textContent = t("alert_on");
    form.querySelector('[name="lang"]').value = lang;
    showReasons();
  }

  function say(text, kind) {
    var m = $("message");
    m.textContent = text; m.className = "message " + (kind || ""); m.hidden = !text;
  }

  // -- alerts: vibration + notification, once for "two ahead" and once per call -------------
  var alerted = {};
  try { alerted = JSON.parse(localStorage.getItem("alerts:" + view.page_url) || "{}"); } catch (e) { alerted = {}; }
  function alertOnce(key, text) {
    if (alerted[key]) { return; }
    alerted[key] = true;
    try { localStorage.setItem("alerts:" + view.page_url, JSON.stringify(alerted)); } catch (e) { /* private mode */ }
    if (navigator.vibrate) { navigator.vibrate([400, 150, 400, 150, 400]); }
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(view.number + " · " + text, {tag: key, renotify: true}); } catch (e) { /* Android needs a service worker */ }
    }
    say(text, "ok");
  }
  function checkAlerts() {
    if (view.status === "waiting" && view.ahead <= 2 && view.ahead > 0) { alertOnce("near", t("near", {n: view.ahead})); }
    if (view.status === "called") { alertOnce("called:" + (view.counter ? view.counter.id : ""), t("called", {counter: counterName(view)})); }
  }
  if (window.Notification || navigator.vibrate) {
    var button = $("alerts");
    button.hidden = view.status !== "waiting";
    button.addEventListener("click", function () {
      if (navigator.vibrate) { navigator.vibrate(200); }
      var done = function (p) { $("alerts-note").hidden = false; $("alerts-note").textContent = t(p === "denied" ? "alert_denied" : "alert_ready"); };
      if (window.Notification && Notification.permission === "default") { Notification.requestPermission().then(done); }
      else { done(window.Notification ? Notification.permission : "granted"); }
    });
  }

  // -- live updates ----------------------------------------------------------------------
  function update(next) {
    if (next.status !== view.status) { say(""); }  // a new step: the last alert has been read
    view = next;
    $("alerts").hidden = view.status !== "waiting" || !(window.Notification || navigator.vibrate);
    if (view.status !== "waiting") { $("alerts-note").hidden = true; }
    document.documentElement.classList.remove("offline");
    render();
    checkAlerts();
  }
  var pollTimer = null;
  function poll() {
    fetch(view.page_url, {headers: {Accept: "application/json"}, cache: "no-store"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(update)
      .catch(function () { document.documentElement.classList.add("offline"); $("as-of").textContent = t("offline"); })
      .then(function () { pollTimer = setTimeout(poll, POLL_MS); });
  }
  function follow() {
    if (!view.events_url || !window.EventSource) { pollTimer = setTimeout(poll, POLL_MS); return; }
    var failures = 0, stream = new EventSource(view.events_url);
    stream.addEventListener("ticket", function (e) { failures = 0; update(JSON.parse(e.data)); });
    stream.onerror = function () {
      failures += 1;
      document.documentElement.classList.add("offline");
      if (failures >= 3) { stream.close(); poll(); }  // a proxy that breaks streams: poll instead
    };
  }

  // -- rating ----------------------------------------------------------------------------
  var sent = false;
  function chosen() { return document.querySelector('input[name="score"]:checked'); }
  function showReasons() {
    var level = chosen();
    $("reasons").hidden = !level || level.getAttribute("data-satisfied") === "true";
  }
  document.querySelectorAll('input[name="score"]').forEach(function (i) { i.addEventListener("change", showReasons); });
  $("rate-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var level = chosen();
    if (!level) { say(t("choose_level"), "error"); return; }
    var body = {score: parseInt(level.value, 10), lang: lang, reasons: [], comment: null};
    if (level.getAttribute("data-satisfied") !== "true") {
      document.querySelectorAll('input[name="reason"]:checked').forEach(function (c) { body.reasons.push(c.value); });
      body.comment = document.querySelector('textarea[name="comment"]').value || null;
    }
    $("send").disabled = true;
    fetch(view.rate_url, {method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json"},
                          body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, body: j}; }); })
      .then(function (r) {
        if (r.status === 201) { sent = true; $("rating").hidden = true; say(t("thanks"), "ok"); return; }
        var code = r.body && r.body.error && (r.body.error.code || r.body.error);
        say(r.status === 429 ? t("too_many") : (words[lang][code] ? t(code) : (r.body.message || t("send_failed"))), "error");
        if (r.status === 409) { $("rating").hidden = true; }
      })
      .catch(function () { say(t("send_failed"), "error"); })
      .then(function () { $("send").disabled = false; });
  });

  $("lang").addEventListener("click", function (e) {
    e.preventDefault();
    lang = lang === "vi" ? "en" : "vi";
    try { localStorage.setItem("lang", lang); } catch (err) { /* private mode */ }
    render();
  });

  render();
  checkAlerts();
  follow();
})();
