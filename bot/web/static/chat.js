/* Second Opinion Assistant web chat. No framework, no CDN. */
(function () {
  "use strict";
  var KEY = "so-chat", LANGS = ["en", "es"];
  var state = load();
  var labels = {}, labelsByLang = {}, wanted = null;
  var ws = null, retry = 0, openBtn = byId("chat-open"), panel = byId("chat-panel");
  var log = byId("chat-log"), form = byId("chat-form"), input = byId("chat-input");
  var typing = byId("chat-typing"), statusEl = byId("chat-status");

  function byId(id) { return document.getElementById(id); }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || fresh(); } catch (e) { return fresh(); }
  }
  function fresh() { return { session: null, open: false, transcript: [], pending: [], lastAgent: 0 }; }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }
  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }
  function newId() {
    var a = new Uint8Array(12); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The page's labels follow the member's language: the browser's at first, then the
  // conversation's language, as the gateway tells it with each answer.
  function browserLanguage() { return /^es/i.test(navigator.language || "") ? "es" : "en"; }
  function t(name) { return labels[name] || ""; }

  function fetchLabels(lang) {
    if (!labelsByLang[lang]) {
      labelsByLang[lang] = fetch("/chat/labels?lang=" + lang).then(function (r) {
        if (!r.ok) { throw new Error("labels: HTTP " + r.status); }
        return r.json();
      });
      labelsByLang[lang].catch(function () { delete labelsByLang[lang]; });
    }
    return labelsByLang[lang];
  }

  function useLanguage(lang) {
    if (LANGS.indexOf(lang) < 0) { return Promise.resolve(); }
    wanted = lang;
    return fetchLabels(lang).then(function (got) {
      if (wanted !== lang) { return; }            // a later switch won
      labels = got; state.lang = lang; save(); showLabels();
    });
  }

  function showLabels() {
    document.documentElement.lang = state.lang;
    document.title = t("page_title");
    each("[data-label]", function (el) { el.textContent = t(el.getAttribute("data-label")); });
    each("[data-label-aria]", function (el) { el.setAttribute("aria-label", t(el.getAttribute("data-label-aria"))); });
  }

  function loadLabels(lang) {                      // retried until the gateway answers
    return useLanguage(lang).catch(function () {
      return new Promise(function (done) { setTimeout(done, 2000); }).then(function () { return loadLabels(lang); });
    });
  }

  // Text with links: built from nodes, never innerHTML.
  function withLinks(node, text) {
    var re = /\b((?:https?:\/\/|www\.)[^\s)]+[^\s).,])/g, last = 0, m;
    while ((m = re.exec(text))) {
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      a.href = m[1].indexOf("http") === 0 ? m[1] : "https://" + m[1];
      a.textContent = m[1]; a.target = "_blank"; a.rel = "noopener";
      node.appendChild(a); last = re.lastIndex;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(entry, live) {
    var p = document.createElement("p"), kind = { me: "me", agent: "agent", notice: "notice" }[entry.from] || "bot";
    p.className = "msg " + kind;
    var who = document.createElement("span"), name = { me: "you_said", bot: "assistant_said" }[kind];
    who.className = "who";
    if (name) { who.setAttribute("data-label", name); }
    who.textContent = name ? t(name) : kind === "agent" ? entry.label : "";
    p.appendChild(who); withLinks(p, entry.text);
    log.appendChild(p);
    if (entry.buttons && entry.buttons.length && live) {
      var group = document.createElement("div"); group.className = "choices";
      group.setAttribute("role", "group"); group.setAttribute("data-label-aria", "choices");
      group.setAttribute("aria-label", t("choices"));
      entry.buttons.forEach(function (b) {
        var btn = document.createElement("button"); btn.type = "button"; btn.textContent = b.title;
        btn.addEventListener("click", function () { send(b.title, b.payload); });
        group.appendChild(btn);
      });
      log.appendChild(group);
    }
    log.scrollTop = log.scrollHeight;
  }

  function addEntry(entry) {
    state.transcript.push(entry); save(); render(entry, true);
  }

  function renderAll() {
    log.textContent = "";
    state.transcript.forEach(function (e, i) { render(e, i === state.transcript.length - 1); });
  }

  function removeChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (g) { g.remove(); });
  }

  function send(text, payload) {
    var msg = { id: newId(), text: text, payload: payload || null };
    state.transcript.push({ from: "me", text: text }); state.pending.push(msg); save();
    removeChoices(); render({ from: "me", text: text }, false);
    transmit(msg);
  }

  function transmit(msg) {
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "message", id: msg.id, text: msg.text, payload: msg.payload }));
    }
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat";
    ws = new WebSocket(url);
    ws.onopen = function () {
      retry = 0; statusEl.textContent = "";
      ws.send(JSON.stringify({ type: "hello", session: state.session, last_agent: state.lastAgent || 0 }));
    };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "welcome") {
        state.session = data.session; save();
        state.pending.forEach(transmit);            // resent after a drop: answered once
        ready.then(function () {
          if (!state.transcript.length && !state.pending.length) { send(t("opening")); }
        });
      } else if (data.type === "typing") {
        typing.hidden = false;
      } else if (data.type === "held") {           // went to the person holding the chat
        typing.hidden = true;
        state.pending = state.pending.filter(function (m) { return m.id !== data.reply_to; }); save();
      } else if (data.type === "agent") {
        if (data.id <= (state.lastAgent || 0)) { return; }   // already shown
        state.lastAgent = data.id;
        addEntry({ from: "agent", label: data.label, text: data.text });
      } else if (data.type === "notice") {
        addEntry({ from: "notice", text: data.text });
      } else if (data.type === "push") {            // the assistant taking the chat back
        removeChoices();
        data.messages.forEach(function (m) { addEntry({ from: "bot", text: m.text, buttons: m.buttons }); });
      } else if (data.type === "bot") {
        typing.hidden = true;
        if (data.lang && data.lang !== state.lang) {
          useLanguage(data.lang).catch(function () {});   // tried again with the next answer
        }
        var before = state.pending.length;
        state.pending = state.pending.filter(function (m) { return m.id !== data.reply_to; });
        if (state.pending.length === before) { return; }   // an answer already shown
        removeChoices();
        data.messages.forEach(function (m, i) {
          var entry = { from: "bot", text: m.text, buttons: m.buttons };
          state.transcript.push(entry); render(entry, i === data.messages.length - 1);
        });
        save();
      }
    };
    ws.onclose = function () {
      typing.hidden = true;
      statusEl.textContent = t("reconnecting");
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, 500 * retry);
    };
  }

  function open() {
    panel.hidden = false; openBtn.setAttribute("aria-expanded", "true");
    state.open = true; save(); input.focus();
    if (!ws) { connect(); }
  }
  function close() {
    panel.hidden = true; openBtn.setAttribute("aria-expanded", "false");
    state.open = false; save(); openBtn.focus();
  }

  openBtn.addEventListener("click", open);
  byId("chat-close").addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (text) { send(text); input.value = ""; }
  });

  var ready = loadLabels(state.lang || browserLanguage());
  renderAll();
  if (state.open) { open(); }
})();
