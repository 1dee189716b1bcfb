/* Lobby display: renders the hub's state and plays each voice call in turn.
 * Test hooks on <body>: data-last-call="2015", data-last-call-at="<epoch ms>", data-queued (calls
 * waiting to be spoken, the one playing included), data-announced (calls spoken so far). */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let state = null;
  const audioQueue = [];
  let playing = false;

  function renderAll() {
    if (!state) return;
    $("office").textContent = state.office.name;
    document.title = state.office.name;
    $("notice").textContent = state.notice || "";
    renderWaiting(Object.fromEntries(state.services.map((s) => [s.id, s.waiting])));
    renderCounters();
    renderLatest(state.recent_calls[0] || null, false);
    renderFaults(state.faults || []);
  }

  function renderWaiting(counts) {
    const list = $("waiting");
    list.replaceChildren(...state.services.map((s) => Hub.el("li", {},
      Hub.el("span", {}, Hub.label(s.name)),
      Hub.el("b", { "data-service": s.id }, counts[s.id] ?? 0))));
  }

  function renderCounters() {
    const latest = state.recent_calls[0];
    $("counters").replaceChildren(...state.counters.map((c) => {
      const hot = latest && c.current && latest.counter_id === c.counter_id && latest.ticket.id === c.current.id;
      let body;
      if (c.current) {
        const notes = [c.current.priority ? Hub.t("priority") : null, c.paused ? Hub.t("paused") : null];
        body = [Hub.el("div", { class: "num" }, c.current.number),
                Hub.el("div", { class: "prio" }, notes.filter(Boolean).join(" · "))];
      } else {
        const word = !c.clerk ? "closed" : c.paused ? "paused" : null;
        body = [Hub.el("div", { class: "state" }, word ? Hub.t(word) : "—")];
      }
      return Hub.el("div", { class: "tile" + (hot ? " hot" : ""), "data-counter": c.counter_id },
        Hub.el("div", { class: "name" }, Hub.label(c.name)), ...body);
    }));
  }

  function renderLatest(call, fresh) {
    const box = $("latest");
    if (!call) {
      box.className = "latest idle";
      $("latest-number").textContent = "—";
      $("latest-counter").textContent = "";
      $("latest-service").textContent = Hub.t("no_call");
      return;
    }
    $("latest-number").textContent = call.ticket.number;
    $("latest-counter").textContent = Hub.label(call.counter_name);
    $("latest-service").textContent = Hub.label(call.ticket.service_name) +
      (call.ticket.priority ? " · " + Hub.t("priority") : "");
    box.className = "latest";
    if (fresh) {
      void box.offsetWidth; // restart the flash animation
      box.className = "latest fresh";
    }
  }

  function renderFaults(faults) {
    const box = $("faults");
    box.hidden = faults.length === 0;
    box.textContent = faults.map((f) => "⚠ " + f.message).join("   ");
  }

  function onCall(call) {
    if (!state) return;
    state.recent_calls = [call, ...state.recent_calls.filter((c) => c.ticket.id !== call.ticket.id)].slice(0, 12);
    const counter = state.counters.find((c) => c.counter_id === call.counter_id);
    if (counter) counter.current = call.ticket;
    renderLatest(call, true);
    renderCounters();
    document.body.dataset.lastCall = call.ticket.number;
    document.body.dataset.lastCallAt = Date.now();
    if (call.announcement_url) enqueue(call.announcement_url);
  }

  function onCounter(view) {
    if (!state) return;
    state.counters = state.counters.map((c) => (c.counter_id === view.counter_id ? view : c));
    renderCounters();
  }

  // --- voice calls: one at a time, in order, never cut off --------------------------------
  function enqueue(url) {
    audioQueue.push(url);
    document.body.dataset.queued = String(audioQueue.length);
    if (!playing) playNext();
  }

  function playNext() {
    const url = audioQueue[0];
    if (!url) { playing = false; return; }
    playing = true;
    const player = $("player");
    player.src = url;
    player.play().then(() => { $("sound").hidden = true; }).catch((err) => {
      if (err && err.name === "NotAllowedError") {
        playing = false; // the browser wants a click before it plays sound
        $("sound").hidden = false;
      } else {
        finished();
      }
    });
  }

  function finished() {
    audioQueue.shift();
    document.body.dataset.queued = String(audioQueue.length);
    document.body.dataset.announced = String(Number(document.body.dataset.announced || 0) + 1);
    playNext();
  }

  $("player").addEventListener("ended", finished);
  $("player").addEventListener("error", finished);
  $("sound").addEventListener("click", () => { $("sound").hidden = true; playNext(); });

  // --- connection ----------------------------------------------------------------------
  function setOnline(online) {
    $("offline").hidden = online;
    document.body.dataset.online = online ? "1" : "0";
  }

  Hub.setLang(Hub.getLang());
  Hub.connect({
    state: (s) => { state = s; renderAll(); },
    called: onCall,
    recalled: onCall,
    counter: onCounter,
    queue: (q) => { if (state) { state.services.forEach((s) => { s.waiting = q.waiting[s.id] ?? 0; }); renderWaiting(q.waiting); } },
    fault: (f) => { if (state) { state.faults = f.faults; } renderFaults(f.faults); },
    reset: () => { Hub.api("GET", "/api/v1/state").then((s) => { state = s; renderAll(); }).catch(() => {}); },
  }, setOnline);

  function tick() {
    const now = Hub.officeTime(state && state.timezone);
    $("clock").textContent = Hub.clockText(now);
    $("date").textContent = Hub.dateText(now);
  }
  tick();
  setInterval(tick, 1000);
})();
