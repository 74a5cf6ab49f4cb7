/* The notice bell of console_base.html (web/bell.py, issue 19 item 7): a file, not an inline
   <script>, for the Content-Security-Policy (script-src 'self').
   It asks /web/bell.json every poll_seconds (the setting FENGHUO_BELL_POLL_SECONDS, sent with
   the answer; ?bell_poll=N in the page's address overrides it in that tab), shows the unread
   count on the badge and the latest notices in a drop-down; opening the drop-down marks them
   read (POST /web/bell/seen with the page's CSRF token in X-CSRF-Token). With the toggle
   "Sound and desktop notifications" on (kept in localStorage), a rising count beeps (WebAudio,
   no file) and shows a desktop Notification when the browser allows it; permission is asked
   only when the toggle is switched on. It runs beside console.js's dashboard refresh and
   touches nothing of it. */
(function () {
  "use strict";

  var bell = document.getElementById("bell");
  if (!bell) return;
  var link = document.getElementById("bell-link"), count = document.getElementById("bell-count");
  var menu = document.getElementById("bell-menu"), list = document.getElementById("bell-list");
  var toggle = document.getElementById("bell-alerts");
  var KEY = "fh-bell-alerts";
  var last = null, timer = null, stopped = false;

  function pollOverride() {
    var m = /[?&]bell_poll=(\d+)/.exec(window.location.search);
    return m ? Math.max(1, parseInt(m[1], 10)) : null;
  }
  var seconds = pollOverride() || parseInt(bell.getAttribute("data-poll-seconds"), 10) || 30;

  function alertsOn() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }

  function csrf() {
    var input = document.querySelector("header input[name=csrf]") ||
                document.querySelector("input[name=csrf]");
    return input ? input.value : "";
  }

  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
      osc.onended = function () { ctx.close(); };
    } catch (e) { /* no sound */ }
  }

  function notify(data) {
    if (!("Notification" in window) || window.Notification.permission !== "granted") return;
    var first = (data.items || []).filter(function (i) { return i.unread; })[0];
    var body = first ? first.label + " · " + first.ref + " " + (first.title || "") : "";
    try {
      var n = new window.Notification(bell.getAttribute("data-title") || "", {body: body,
                                                                              tag: "fh-bell"});
      n.onclick = function () { window.focus(); if (first) window.location.href = first.link; };
    } catch (e) { /* not allowed here */ }
  }

  function show(data) {
    count.textContent = data.badge || "";
    list.replaceChildren();
    var items = data.items || [];
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = bell.getAttribute("data-empty") || "";
      list.appendChild(none);
    }
    items.forEach(function (i) {
      var li = document.createElement("li"), a = document.createElement("a");
      if (i.unread) li.className = "unread";
      li.setAttribute("data-kind", i.kind);
      a.href = i.link;
      a.textContent = i.ref + (i.title ? " " + i.title : "");
      var what = document.createElement("div");
      what.className = "muted";
      what.textContent = i.label + (i.detail ? " · " + i.detail : "") + " · " +
                         (i.due || i.time);
      li.appendChild(a);
      li.appendChild(what);
      list.appendChild(li);
    });
  }

  function schedule() {
    if (!stopped) timer = window.setTimeout(poll, seconds * 1000);
  }

  function poll() {
    return fetch("/web/bell.json", {credentials: "same-origin", cache: "no-store",
                                    headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) { stopped = true; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (data) {
          if (!pollOverride() && data.poll_seconds) seconds = data.poll_seconds;
          if (last !== null && data.unread > last && alertsOn()) { beep(); notify(data); }
          last = data.unread;
          show(data);
        }
      })
      .catch(function () {})
      .then(schedule);
  }

  function markSeen() {
    count.textContent = "";
    last = 0;
    return fetch("/web/bell/seen", {method: "POST", credentials: "same-origin",
                                    headers: {"X-CSRF-Token": csrf()}})
      .catch(function () {});
  }

  function setOpen(open) {
    menu.hidden = !open;
    link.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) markSeen();
  }

  link.addEventListener("click", function (e) {
    e.preventDefault();
    setOpen(menu.hidden);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !menu.hidden) { setOpen(false); link.focus(); }
  });
  document.addEventListener("click", function (e) {
    if (!menu.hidden && !bell.contains(e.target)) setOpen(false);
  });

  if (toggle) {
    toggle.checked = alertsOn();
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, toggle.checked ? "1" : "0"); } catch (e) { /* */ }
      if (toggle.checked && "Notification" in window &&
          window.Notification.permission === "default") {
        window.Notification.requestPermission();
      }
    });
  }

  window.fhBell = poll;
  poll();
})();
