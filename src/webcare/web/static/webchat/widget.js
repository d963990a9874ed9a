/* Webcare chat widget. Plain JavaScript, no framework, no build step.
 *
 * Embed with one tag:
 *   <script src="https://webcare.example.com/static/webchat/widget.js" data-inbox="TOKEN" async></script>
 * Optional: data-lang="nl|en" (else the page's <html lang>).
 *
 * It fetches the inbox's settings (colour, texts, whether anyone is online), draws a button
 * and a panel in a shadow root (so the site's CSS and ours never mix), and talks to Webcare
 * over one websocket. The visitor's signed token is kept in a first-party cookie of the
 * site, so the conversation survives page loads. Replies are shown once each, by id.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-inbox]");
  if (!script || !script.getAttribute("data-inbox")) return;
  var token = script.getAttribute("data-inbox");
  var base = new URL(script.src, location.href);
  var origin = base.origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "").slice(0, 2);
  var cookieName = "webcare_chat_" + token.replace(/[^A-Za-z0-9_-]/g, "");

  var config = null;
  var strings = {};
  var socket = null;
  var retry = 500;
  var open = false;
  var online = false;
  var pending = {};       // widget id -> text, until the server acknowledges it
  var shown = {};         // message id -> true
  var typingTimer = null;
  var lastTyping = 0;
  var ui = {};

  function readCookie() {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(cookieName + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(cookieName.length + 1)) : "";
  }

  function writeCookie(value) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = cookieName + "=" + encodeURIComponent(value) + "; Max-Age=" + (30 * 86400) +
      "; Path=/; SameSite=Lax" + secure;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] || ""; });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + String(Math.random()).slice(2, 10);
  }

  // --- Drawing ------------------------------------------------------------------------------

  function build() {
    var host = el("div", { id: "webcare-chat" });
    document.body.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    var sheet = el("link", { rel: "stylesheet", href: origin + config.stylesheet });
    root.appendChild(sheet);
    var wrap = el("div", { class: "wc", style: "--brand: " + config.color });
    root.appendChild(wrap);

    ui.launcher = el("button", {
      type: "button", class: "wc-launcher", "aria-expanded": "false", "aria-controls": "wc-panel"
    });
    ui.launcherLabel = el("span", {}, strings.open);
    ui.badge = el("span", { class: "wc-badge", hidden: "" }, "1");
    var icon = el("span", { class: "wc-icon", "aria-hidden": "true" });
    // A speech bubble, drawn: an emoji needs a font the visitor may not have.
    icon.innerHTML = '<svg viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" ' +
      'd="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
    ui.launcher.append(icon, ui.launcherLabel, ui.badge);

    ui.panel = el("section", { id: "wc-panel", class: "wc-panel", role: "dialog", "aria-labelledby": "wc-title", hidden: "" });
    var head = el("header", { class: "wc-head" });
    var titles = el("div");
    titles.append(el("h2", { id: "wc-title" }, config.title), (ui.status = el("p", { class: "wc-status" }, config.status)));
    ui.close = el("button", { type: "button", class: "wc-close", "aria-label": strings.close }, "\u00D7");
    head.append(titles, ui.close);

    ui.log = el("ol", { class: "wc-log", role: "log", "aria-live": "polite", "aria-label": strings.log });
    ui.empty = el("p", { class: "wc-empty" }, strings.empty);
    ui.typing = el("p", { class: "wc-typing", "aria-live": "polite" });
    ui.notice = el("p", { class: "wc-notice", role: "status" });
    ui.alert = el("p", { class: "wc-alert", role: "alert", hidden: "" });

    ui.composer = el("form", { class: "wc-composer" });
    var label = el("label", { for: "wc-text", class: "wc-hidden" }, strings.input);
    ui.text = el("textarea", { id: "wc-text", rows: "2", placeholder: strings.placeholder });
    ui.send = el("button", { type: "submit", class: "wc-send" }, strings.send);
    ui.composer.append(label, ui.text, ui.send);

    ui.offline = el("form", { class: "wc-offline", hidden: "" });
    ui.offline.append(el("h3", {}, strings.offline_title));
    [["name", strings.name, "text", "name"], ["email", strings.email, "email", "email"]].forEach(function (f) {
      ui.offline.append(el("label", { for: "wc-off-" + f[0] }, f[1]));
      var input = el("input", { id: "wc-off-" + f[0], name: f[0], type: f[2], autocomplete: f[3] });
      ui.offline.append(input);
      ui["off_" + f[0]] = input;
    });
    ui.offline.append(el("label", { for: "wc-off-text" }, strings.input));
    ui.off_text = el("textarea", { id: "wc-off-text", name: "text", rows: "3" });
    ui.offline.append(ui.off_text, el("button", { type: "submit", class: "wc-send" }, strings.offline_send));

    ui.panel.append(head, ui.log, ui.empty, ui.typing, ui.notice, ui.alert, ui.composer, ui.offline);
    wrap.append(ui.panel, ui.launcher);

    ui.launcher.addEventListener("click", function () { setOpen(!open); });
    ui.close.addEventListener("click", function () { setOpen(false); });
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { setOpen(false); }
    });
    ui.composer.addEventListener("submit", function (event) { event.preventDefault(); sendMessage(); });
    ui.text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); sendMessage(); }
    });
    ui.text.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 2000) { lastTyping = now; send({ type: "typing" }); }
    });
    ui.offline.addEventListener("submit", function (event) {
      event.preventDefault();
      send({ type: "offline", name: ui.off_name.value, email: ui.off_email.value, text: ui.off_text.value });
    });
    showMode();
  }

  function setOpen(value) {
    open = value;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcherLabel.textContent = open ? strings.close : strings.open;
    if (open) {
      ui.badge.hidden = true;
      connect();
      (online ? ui.text : ui.off_name).focus();
      ui.log.scrollTop = ui.log.scrollHeight;
    } else {
      ui.launcher.focus();
    }
  }

  function showMode() {
    ui.composer.hidden = !online;
    ui.offline.hidden = online;
    ui.status.textContent = config.status;
    ui.empty.hidden = ui.log.children.length > 0 || !online;
  }

  // `live`: it arrives now (not from the history of an earlier page), so say so if closed.
  function addMessage(entry, pendingId, live) {
    if (entry.id && shown[entry.id]) return;
    if (entry.id) shown[entry.id] = true;
    var item = pendingId ? ui.log.querySelector('[data-pending="' + pendingId + '"]') : null;
    if (!item) {
      item = el("li");
      ui.log.appendChild(item);
    }
    item.className = "wc-msg wc-" + entry.from + (pendingId && !entry.id ? " wc-pending" : "");
    item.removeAttribute("data-pending");
    if (!entry.id && pendingId) item.setAttribute("data-pending", pendingId);
    if (entry.id) item.setAttribute("data-id", entry.id);
    item.innerHTML = "";
    var who = entry.from === "visitor" ? strings.you : (entry.name || strings.team);
    item.append(el("span", { class: "wc-who" }, who), el("span", { class: "wc-text" }, entry.text));
    ui.empty.hidden = true;
    ui.log.scrollTop = ui.log.scrollHeight;
    if (entry.from === "agent" && live) {
      ui.typing.textContent = "";
      if (!open) {
        ui.badge.hidden = false;
        ui.notice.textContent = fill(strings.new_message, { name: who });
      }
    }
  }

  // --- The socket ---------------------------------------------------------------------------

  function connect() {
    if (socket) return;
    var url = new URL(config.socket, origin);
    url.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("v", readCookie());
    url.searchParams.set("lang", config.lang);
    url.searchParams.set("page", location.href.slice(0, 400));
    socket = new WebSocket(url.toString());
    socket.addEventListener("message", function (event) { receive(JSON.parse(event.data)); });
    socket.addEventListener("open", function () { retry = 500; ui.alert.hidden = true; });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4403 || event.code === 4404) return;  // not allowed here: stop
      ui.alert.textContent = strings.reconnecting;
      ui.alert.hidden = false;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    connect();
    return false;
  }

  function sendMessage() {
    var text = ui.text.value.trim();
    if (!text) return;
    var id = newId();
    pending[id] = text;
    addMessage({ from: "visitor", text: text }, id);
    ui.text.value = "";
    send({ type: "message", id: id, text: text });
  }

  function receive(event) {
    if (event.type === "hello") {
      writeCookie(event.visitor);
      online = event.online;
      config.status = event.status;
      event.messages.forEach(function (entry) { addMessage(entry); });
      Object.keys(pending).forEach(function (id) { send({ type: "message", id: id, text: pending[id] }); });
      showMode();
    } else if (event.type === "ack") {
      delete pending[event.id];
      addMessage(event.message, event.id, true);
    } else if (event.type === "message") {
      addMessage(event.message, null, true);
    } else if (event.type === "typing") {
      ui.typing.textContent = fill(strings.typing, { name: event.name || strings.someone });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 6000);
    } else if (event.type === "offline_ok") {
      ui.offline.hidden = true;
      ui.notice.textContent = fill(strings.offline_sent, { email: event.email });
    } else if (event.type === "error") {
      ui.alert.textContent = event.message || strings.error;
      ui.alert.hidden = false;
      if (event.id && pending[event.id]) {
        delete pending[event.id];
        var item = ui.log.querySelector('[data-pending="' + event.id + '"]');
        if (item) item.classList.add("wc-failed");
      }
    }
  }

  // --- Start --------------------------------------------------------------------------------

  fetch(origin + "/chat/" + encodeURIComponent(token) + "/config?lang=" + encodeURIComponent(lang))
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data) return;
      config = data;
      strings = data.strings;
      online = data.online;
      var start = function () {
        build();
        if (readCookie()) connect();  // a returning visitor: restore the conversation
      };
      if (document.body) start();
      else document.addEventListener("DOMContentLoaded", start);
    });
})();
