/* Agent console: a WebSocket says something changed; the page fetches its fresh
   server-rendered fragment. Forms stay as they are (a half-written reply is kept). */
(function () {
  "use strict";
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  if (!regions.length) { return; }
  var retry = 0;

  function refresh() {
    regions.forEach(function (region) {
      fetch(region.getAttribute("data-live"), { credentials: "same-origin" }).then(function (r) {
        if (r.redirected || r.status === 401) { location.href = "/console/login"; return null; }
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html !== null && html !== undefined) {
          var log = region.querySelector("#transcript");
          var atEnd = !log || log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
          region.innerHTML = html;
          var fresh = region.querySelector("#transcript");
          if (fresh && atEnd) { fresh.scrollTop = fresh.scrollHeight; }
        }
      });
    });
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/live");
    ws.onopen = function () { retry = 0; refresh(); };
    ws.onmessage = refresh;
    ws.onclose = function () { retry = Math.min(retry + 1, 6); setTimeout(connect, 500 * retry); };
  }

  var log = document.getElementById("transcript");
  if (log) { log.scrollTop = log.scrollHeight; }
  connect();
  setInterval(refresh, 30000);   // wait times keep counting
})();
