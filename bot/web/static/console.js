/* Agent console: a WebSocket says something changed; the page fetches its fresh
   server-rendered fragment. Forms stay as they are (a half-written reply is kept).
   When a member starts waiting for a person, the message carries an alert (the plan
   and why, never who): shown once per tab in the page's alert area and, if the agent
   turned alerts on, as a browser notification. Permission is asked only on that click. */
(function () {
  "use strict";
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  var alertList = document.getElementById("alert-list");
  if (!regions.length && !alertList) { return; }
  var retry = 0;
  var SEEN = "so-alerts-seen", NOTIFY = "so-alerts-notify";

  // Fetches overlap when changes come close together and may answer out of order: only
  // an answer newer than the one shown replaces it, or a stale one would hide the latest.
  var refreshes = 0;
  function refresh() {
    var turn = ++refreshes;
    regions.forEach(function (region) {
      fetch(region.getAttribute("data-live"), { credentials: "same-origin" }).then(function (r) {
        if (r.redirected || r.status === 401) { location.href = "/console/login"; return null; }
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html !== null && html !== undefined && turn > (region.shownTurn || 0)) {
          region.shownTurn = turn;
          var log = region.querySelector("#transcript");
          var atEnd = !log || log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
          region.innerHTML = html;
          var fresh = region.querySelector("#transcript");
          if (fresh && atEnd) { fresh.scrollTop = fresh.scrollHeight; }
        }
      });
    });
  }

  // -- alerts ------------------------------------------------------------------------
  function stored(store, key, fallback) {
    try { return store.getItem(key) || fallback; } catch (e) { return fallback; }
  }
  function store(storage, key, value) {
    try { storage.setItem(key, value); } catch (e) { /* private mode: this page only */ }
  }
  var seen = [];
  try { seen = JSON.parse(stored(sessionStorage, SEEN, "[]")); } catch (e) { seen = []; }

  var canNotify = "Notification" in window;
  function notifying() {
    return canNotify && Notification.permission === "granted" && stored(localStorage, NOTIFY, "") === "on";
  }

  function announce(alert) {
    var key = String(alert.key);
    if (seen.indexOf(key) !== -1) { return; }
    seen.push(key);
    store(sessionStorage, SEEN, JSON.stringify(seen.slice(-200)));
    if (alertList) {
      var item = document.createElement("p");
      item.className = "agent-alert" + (alert.crisis ? " crisis" : "");
      var words = document.createElement("strong");
      words.textContent = alert.text;
      var link = document.createElement("a");
      link.href = "/console/handoffs/" + encodeURIComponent(alert.handoff);
      link.textContent = "Open conversation #" + alert.handoff;
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.textContent = "Dismiss";
      dismiss.setAttribute("aria-label", "Dismiss the alert for conversation #" + alert.handoff);
      dismiss.addEventListener("click", function () { item.remove(); });
      item.appendChild(words);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(dismiss);
      alertList.appendChild(item);
    }
    if (notifying()) {
      var shown = new Notification("Member services console", { body: alert.text, tag: "so-handoff-" + key });
      shown.onclick = function () { window.focus(); location.href = "/console/handoffs/" + encodeURIComponent(alert.handoff); };
    }
  }

  var toggle = document.getElementById("alerts-toggle");
  var state = document.getElementById("alerts-state");
  function showToggle() {
    if (!toggle) { return; }
    if (!canNotify) {
      toggle.hidden = true;
      state.textContent = "This browser cannot show notifications; alerts show on this page.";
    } else if (Notification.permission === "denied") {
      toggle.hidden = true;
      state.textContent = "Notifications are blocked for this site in the browser's settings; alerts show on this page.";
    } else {
      toggle.hidden = false;
      toggle.textContent = notifying() ? "Turn off alerts" : "Turn on alerts";
    }
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      if (notifying()) {
        store(localStorage, NOTIFY, "off");
        state.textContent = "Browser notifications are off; alerts still show on this page.";
        showToggle();
        return;
      }
      // Asked here, on the agent's click, never on page load.
      var asked = Notification.permission === "granted" ? "granted" : Notification.requestPermission();
      Promise.resolve(asked).then(function (permission) {
        if (permission === "granted") {
          store(localStorage, NOTIFY, "on");
          state.textContent = "Alerts are on: a notification when a member starts waiting.";
        }
        showToggle();
      });
    });
  }
  showToggle();

  // -- the live channel --------------------------------------------------------------
  function received(event) {
    var data = null;
    try { data = JSON.parse(event.data); } catch (e) { data = null; }
    if (data && data.alert) { announce(data.alert); }
    if (regions.length) { refresh(); }
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/live");
    ws.onopen = function () { retry = 0; if (regions.length) { refresh(); } };
    ws.onmessage = received;
    ws.onclose = function () { retry = Math.min(retry + 1, 6); setTimeout(connect, 500 * retry); };
  }

  var log = document.getElementById("transcript");
  if (log) { log.scrollTop = log.scrollHeight; }
  connect();
  if (regions.length) { setInterval(refresh, 30000); }   // wait times keep counting
})();
