/* Lobby display: renders the hub's state and plays each voice call in turn.
 * "Đang mời" shows the newest call while its ticket is being served, and clears when it is
 * finished, transferred or marked absent; "Vừa gọi" lists the five calls before it.
 * A voice call not played within a minute of arriving (the browser refused sound until
 * someone tapped) is dropped, never read out late.
 * Test hooks on <body>: data-last-call="2015", data-last-call-at="<epoch ms>", data-queued (calls
 * waiting to be spoken, the one playing included), data-announced (calls spoken so far),
 * data-skipped (calls dropped as too old), data-media (the picture or video on screen). */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const CALL_MAX_AGE_MS = 60 * 1000;
  const RECENT_SHOWN = 5;
  let state = null;
  const audioQueue = []; // {url, at}: at = when the call reached this page (Date.now())
  let playing = false;

  function renderAll() {
    if (!state) return;
    $("office").textContent = state.office.name;
    document.title = state.office.name;
    renderNotice(state.notice || "");
    renderWaiting(Object.fromEntries(state.services.map((s) => [s.id, s.waiting])));
    renderCounters();
    renderCalls(false);
    renderFaults(state.faults || []);
    renderMedia();
    tick(); // the office's time zone is known now
  }

  function renderWaiting(counts) {
    const list = $("waiting");
    list.replaceChildren(...state.services.map((s) => Hub.el("li", {},
      Hub.el("span", {}, Hub.label(s.name)),
      Hub.el("b", { "data-service": s.id }, counts[s.id] ?? 0))));
    fit(list);
  }

  /* Shrink a list's text (CSS variable --fit) until its panel shows all of it: an office
   * with many services or a fault banner on a small TV still shows every line, whole. */
  function fit(list) {
    const box = list.parentElement;
    let scale = 1;
    list.style.setProperty("--fit", "1");
    while (box.scrollHeight > box.clientHeight + 1 && scale > 0.45) {
      scale -= 0.05;
      list.style.setProperty("--fit", scale.toFixed(2));
    }
  }

  /* The newest call, while its ticket is still the one served at its counter. */
  function currentCall() {
    const call = state.recent_calls[0];
    if (!call) return null;
    const counter = state.counters.find((c) => c.counter_id === call.counter_id);
    return counter && counter.current && counter.current.id === call.ticket.id ? call : null;
  }

  function renderCounters() {
    const latest = currentCall();
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

  function renderCalls(fresh) {
    const call = currentCall();
    const box = $("latest");
    if (!call) {
      box.className = "latest idle";
      $("latest-number").textContent = "—";
      $("latest-counter").textContent = "";
      $("latest-service").textContent = Hub.t(state.recent_calls.length ? "next_call" : "no_call");
    } else {
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
    const earlier = state.recent_calls.filter((c) => !call || c.ticket.id !== call.ticket.id).slice(0, RECENT_SHOWN);
    $("recent").replaceChildren(...earlier.map((c) => Hub.el("li", { "data-ticket": c.ticket.number },
      Hub.el("b", {}, c.ticket.number),
      Hub.el("span", { class: "to" }, "➜ " + Hub.label(c.counter_name)),
      Hub.el("time", {}, (c.at || "").slice(11, 16)))));
    fit($("recent"));
    fit($("waiting")); // the first row's height may have changed
  }

  function renderFaults(faults) {
    const box = $("faults");
    box.hidden = faults.length === 0;
    box.textContent = faults.map((f) => "⚠ " + f.message).join("   ");
    if (state) { fit($("recent")); fit($("waiting")); }
  }

  // --- notice ticker: still when it fits, else a seamless loop read at a steady pace -------
  let noticeShown = null;
  function renderNotice(text) {
    if (text === noticeShown) return;
    noticeShown = text;
    const footer = $("ticker");
    const track = $("notice");
    footer.hidden = !text;
    track.className = "";
    track.style.animationDuration = "";
    track.replaceChildren(Hub.el("span", { class: "item" }, text));
    if (!text) return;
    const one = track.firstChild;
    if (one.getBoundingClientRect().width <= footer.clientWidth) {
      track.className = "still";
      return;
    }
    track.append(Hub.el("span", { class: "item", "aria-hidden": "true" }, text));
    const pxPerSecond = window.innerHeight * 0.12;
    track.style.animationDuration = (one.getBoundingClientRect().width / pxPerSecond).toFixed(1) + "s";
    track.className = "scroll";
  }
  window.addEventListener("resize", () => { noticeShown = null; if (state) renderAll(); });

  // --- pictures and videos of hub.display_media, in turn -----------------------------------
  let mediaKey = "";
  let mediaIndex = -1;
  let mediaTimer = null;
  function renderMedia() {
    const items = state.display_media || [];
    const key = items.map((m) => m.url).join("|");
    $("media").hidden = items.length === 0;
    $("counters-box").hidden = items.length > 0;
    if (key === mediaKey) return;
    mediaKey = key;
    mediaIndex = -1;
    showNextMedia();
  }

  function showNextMedia() {
    clearTimeout(mediaTimer);
    const items = state.display_media || [];
    const image = $("media-image");
    const video = $("media-video");
    if (!items.length) { video.pause(); delete document.body.dataset.media; return; }
    mediaIndex = (mediaIndex + 1) % items.length;
    const item = items[mediaIndex];
    const later = (seconds) => { mediaTimer = setTimeout(showNextMedia, seconds * 1000); };
    if (item.kind === "video") {
      image.hidden = true;
      video.hidden = false;
      video.src = item.url;
      video.onended = showNextMedia;
      video.onerror = () => later(1);
      video.play().catch(() => later(state.display_media_seconds || 10));
    } else {
      video.pause();
      video.hidden = true;
      image.hidden = false;
      image.src = item.url;
      later(state.display_media_seconds || 10);
    }
    document.body.dataset.media = item.url;
  }

  // --- events ------------------------------------------------------------------------------
  function onCall(call) {
    if (!state) return;
    state.recent_calls = [call, ...state.recent_calls.filter((c) => c.ticket.id !== call.ticket.id)].slice(0, 12);
    const counter = state.counters.find((c) => c.counter_id === call.counter_id);
    if (counter) counter.current = call.ticket;
    renderCalls(true);
    renderCounters();
    document.body.dataset.lastCall = call.ticket.number;
    document.body.dataset.lastCallAt = Date.now();
    if (call.announcement_url) enqueue(call.announcement_url);
  }

  function onCounter(view) {
    if (!state) return;
    state.counters = state.counters.map((c) => (c.counter_id === view.counter_id ? view : c));
    renderCounters();
    renderCalls(false); // a finished, transferred or absent ticket leaves "Đang mời"
  }

  // --- voice calls: one at a time, in order, never cut off, never late ------------------------
  function count(name, delta) {
    document.body.dataset[name] = String(Number(document.body.dataset[name] || 0) + delta);
  }

  function enqueue(url) {
    audioQueue.push({ url, at: Date.now() });
    document.body.dataset.queued = String(audioQueue.length);
    if (!playing) playNext();
  }

  function playNext() {
    while (audioQueue.length && Date.now() - audioQueue[0].at > CALL_MAX_AGE_MS) {
      audioQueue.shift(); // called over a minute ago: the citizen has seen the screen by now
      count("skipped", 1);
    }
    document.body.dataset.queued = String(audioQueue.length);
    const next = audioQueue[0];
    if (!next) { playing = false; showSoundButton(false); return; }
    playing = true;
    const player = $("player");
    player.src = next.url;
    player.play().then(() => showSoundButton(false)).catch((err) => {
      if (err && err.name === "NotAllowedError") {
        playing = false; // the browser wants a tap before it plays sound
        showSoundButton(true);
      } else {
        finished();
      }
    });
  }

  function finished() {
    audioQueue.shift();
    document.body.dataset.queued = String(audioQueue.length);
    count("announced", 1);
    playNext();
  }

  $("player").addEventListener("ended", finished);
  $("player").addEventListener("error", finished);
  $("sound").addEventListener("click", () => { showSoundButton(false); playNext(); });

  function showSoundButton(visible) {
    if ($("sound").hidden === !visible) return;
    $("sound").hidden = !visible;
    if (state) { fit($("recent")); fit($("waiting")); } // the banner takes room from the panels
  }

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
