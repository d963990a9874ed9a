/* Webcare live updates and presence. Plain JavaScript, no build step.
 *
 * One websocket per tab (ws/a/<account>/). The server sends small events: "conversation N
 * changed" and presence ("Anna is viewing / typing in N"). On a change this script fetches the
 * page again over HTTP, as the agent's own request, and swaps only the parts that show state:
 * counts, the list rows, and, when the change is in the open conversation, its header, thread
 * and side panels. The composer (#composer) is never touched, so a half-written reply, the
 * focus and the caret survive every update. A part the agent is busy in (focus inside, a menu
 * open, a field changed but not saved) is left alone until the next update.
 *
 * Presence lives only in the browsers: each tab announces what it views (and heartbeats it),
 * and forgets others that stop heartbeating. The page works without this file.
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 10000;      // "still viewing", so others can expire us
  var EXPIRE_MS = 25000;         // no heartbeat for this long: gone
  var TYPING_MS = 6000;          // "typing" shows this long after the last keystroke signal
  var TYPING_EVERY_MS = 2000;    // at most one "typing" message per this interval
  var REFRESH_GAP_MS = 250;      // coalesce bursts of events into one fetch per gap
  var RETRY_MAX_MS = 30000;
  var FORBIDDEN = 4403;          // not logged in or not a member: retrying will not help

  var socket = null;
  var socketAccount = null;
  var connectedOnce = false;
  var retries = 0;
  var retryTimer = null;
  var stopped = false;

  var presence = {};             // socket id -> {user, name, conversation, viewingUntil, typingUntil}
  var announced = null;          // the display id this tab said it views
  var lastTypingSent = 0;

  var pending = { list: false, conversation: false };
  var inFlight = false;
  var lastRefresh = 0;
  var refreshTimer = null;

  // --- What the page says -------------------------------------------------------------

  function app() { return document.getElementById("app"); }

  function accountId() {
    var element = app();
    return element ? element.getAttribute("data-account") : null;
  }

  function myId() {
    var element = app();
    return element ? element.getAttribute("data-me") : null;
  }

  function pane() {
    var element = document.getElementById("conversation");
    return element && element.hasAttribute("data-conversation") ? element : null;
  }

  function openConversation() {
    var element = pane();
    return element ? Number(element.getAttribute("data-conversation")) : null;
  }

  function text(key, name) {
    var strings = document.getElementById("live-strings");
    var template = (strings && strings.getAttribute("data-" + key)) || "";
    return template.replace("%(name)s", name || "");
  }

  // --- The socket -----------------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function connect() {
    var account = accountId();
    if (!account || stopped) return;
    if (socket && socketAccount === account) return;
    clearTimeout(retryTimer);
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    presence = {};
    announced = null;
    socketAccount = account;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/a/" + account + "/");
    socket.onopen = onOpen;
    socket.onmessage = function (event) { onEvent(JSON.parse(event.data)); };
    socket.onclose = onClose;
  }

  function onOpen() {
    var reconnected = connectedOnce;
    connectedOnce = true;
    retries = 0;
    showStatus(null);
    send({ type: "presence", state: "hello" });
    announce(true);
    // Events sent while we were away are lost; catch up once.
    if (reconnected) queueRefresh(true);
  }

  function onClose(event) {
    socket = null;
    if (event.code === FORBIDDEN) {
      stopped = true;
      showStatus("stopped");
      return;
    }
    showStatus("offline");
    var delay = Math.min(RETRY_MAX_MS, 500 * Math.pow(2, retries)) * (0.75 + Math.random() / 2);
    retries += 1;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      socketAccount = null;
      connect();
    }, delay);
  }

  function showStatus(state) {
    var marker = document.getElementById("live-status");
    if (!state) {
      if (marker) marker.hidden = true;
      return;
    }
    if (!marker) {
      marker = document.createElement("div");
      marker.id = "live-status";
      marker.className = "live-status";
      marker.setAttribute("role", "status");
      document.body.appendChild(marker);
    }
    marker.textContent = text(state);
    marker.hidden = false;
  }

  function onEvent(event) {
    if (event.type === "conversation") {
      queueRefresh(event.display_id === openConversation());
    } else if (event.type === "presence") {
      onPresence(event);
    }
  }

  // --- Refreshing what the page shows ----------------------------------------------------

  function queueRefresh(conversationToo) {
    pending.list = true;
    if (conversationToo) pending.conversation = true;
    pump();
  }

  function pump() {
    if (inFlight || !pending.list) return;
    if (!app()) {
      pending = { list: false, conversation: false };
      return;
    }
    var wait = lastRefresh + REFRESH_GAP_MS - Date.now();
    if (wait > 0) {
      if (!refreshTimer) refreshTimer = setTimeout(function () { refreshTimer = null; pump(); }, wait);
      return;
    }
    var withConversation = pending.conversation && openConversation() !== null;
    pending = { list: false, conversation: false };
    inFlight = true;
    lastRefresh = Date.now();
    var here = window.location.href;
    var listUrl = app().getAttribute("data-list-url");
    var url = withConversation ? here : listUrl;
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // The agent moved on meanwhile: the page they went to is already fresh. Both are
        // checked, because a navigation may change the address before or after it swaps
        // the page; rows of the view they left must never land in the one they opened.
        if (!html || window.location.href !== here || !app()) return;
        if (app().getAttribute("data-list-url") !== listUrl) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (!doc.getElementById("app")) return;  // e.g. the login page: leave the screen be
        apply(doc, withConversation);
      })
      .catch(function () { /* offline: the socket's reconnect catches up */ })
      .then(function () {
        inFlight = false;
        pump();
      });
  }

  function apply(doc, withConversation) {
    swapCounts(doc);
    swapRows(doc);
    if (withConversation) {
      document.title = doc.title;
      swapConversation(doc);
    }
    renderPresence();
  }

  function swapCounts(doc) {
    doc.querySelectorAll("[data-count]").forEach(function (fresh) {
      var key = fresh.getAttribute("data-count");
      var current = document.querySelector('[data-count="' + key + '"]');
      if (!current) return;
      if (current.textContent !== fresh.textContent) current.textContent = fresh.textContent;
      // A badge that is only shown when it counts something (unread notifications).
      current.hidden = fresh.hidden;
    });
    var title = doc.querySelector("[data-count-title]");
    var currentTitle = document.querySelector("[data-count-title]");
    if (title && currentTitle) currentTitle.textContent = title.textContent;
  }

  function swapRows(doc) {
    var fresh = doc.getElementById("rows");
    var current = document.getElementById("rows");
    if (!fresh || !current) return;
    var focused = current.contains(document.activeElement) ? document.activeElement.id : null;
    var selected = current.querySelector("[data-row].is-selected");
    var selectedId = selected ? selected.id : null;
    var scroll = current.scrollTop;
    current.innerHTML = fresh.innerHTML;
    if (window.htmx) window.htmx.process(current);
    markOpenRow(current, selectedId);
    current.scrollTop = scroll;
    if (focused && document.getElementById(focused)) {
      document.getElementById(focused).focus({ preventScroll: true });
    }
  }

  // The row of the open conversation is current; the row the agent moved to with j/k stays
  // selected (the list page, fetched when another conversation changed, marks neither).
  function markOpenRow(list, selectedId) {
    var open = pane();
    var openRow = open && document.getElementById("row-" + open.getAttribute("data-conversation-pk"));
    list.querySelectorAll("[data-row]").forEach(function (row) {
      row.classList.toggle("is-selected", row.id === (selectedId || (openRow && openRow.id)));
      if (row === openRow) row.setAttribute("aria-current", "page");
      else row.removeAttribute("aria-current");
    });
  }

  function swapConversation(doc) {
    var freshPane = doc.getElementById("conversation");
    var current = pane();
    if (!freshPane || !current) return;
    if (freshPane.getAttribute("data-conversation") !== current.getAttribute("data-conversation")) return;
    swapPart(freshPane, current, ".conv-title");
    swapPart(freshPane, current, ".conv-actions");
    swapMergedNotice(freshPane, current);
    swapThread(freshPane, current);
    var freshPanels = freshPane.querySelectorAll(".side-col .panel");
    current.querySelectorAll(".side-col .panel").forEach(function (panel, index) {
      if (freshPanels[index]) replace(panel, freshPanels[index]);
    });
  }

  function swapPart(freshPane, current, selector) {
    var fresh = freshPane.querySelector(selector);
    var old = current.querySelector(selector);
    if (fresh && old) replace(old, fresh);
  }

  function replace(old, fresh) {
    if (busy(old) || old.innerHTML === fresh.innerHTML) return;
    var copy = document.importNode(fresh, true);
    // The presence line is ours, not the server's: keep the node, so screen readers do not
    // hear it announced again on every update.
    var line = old.querySelector("[data-presence]");
    var slot = copy.querySelector("[data-presence]");
    if (line && slot) slot.replaceWith(line);
    old.replaceWith(copy);
    if (window.htmx) window.htmx.process(copy);
  }

  // The agent is in the middle of something here: focus inside, a menu open, or a field
  // changed but not yet saved. Swapping would throw that away.
  function busy(element) {
    if (element.contains(document.activeElement) && document.activeElement !== document.body) return true;
    if (element.querySelector("details[open]")) return true;
    var fields = element.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      if (changed(fields[i])) return true;
    }
    return false;
  }

  function changed(field) {
    if (field.tagName === "SELECT") {
      for (var i = 0; i < field.options.length; i++) {
        if (field.options[i].selected !== field.options[i].defaultSelected) return true;
      }
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.type === "hidden") return false;
    return field.value !== field.defaultValue;
  }

  function swapMergedNotice(freshPane, current) {
    var fresh = freshPane.querySelector("[data-merged]");
    var old = current.querySelector("[data-merged]");
    if (old && !fresh) old.remove();
    if (fresh && !old) {
      var head = current.querySelector(".conv-head");
      if (head) head.after(document.importNode(fresh, true));
    }
  }

  function swapThread(freshPane, current) {
    var fresh = freshPane.querySelector("#thread");
    var thread = current.querySelector("#thread");
    if (!fresh || !thread || busy(thread) || thread.innerHTML === fresh.innerHTML) return;
    var atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    var scroll = thread.scrollTop;
    thread.innerHTML = fresh.innerHTML;
    if (window.htmx) window.htmx.process(thread);
    thread.scrollTop = atBottom ? thread.scrollHeight : scroll;
    // For whoever needs to know what the agent has now seen (e.g. the composer's guard).
    thread.dispatchEvent(new CustomEvent("webcare:thread-updated", { bubbles: true }));
  }

  // --- Presence ---------------------------------------------------------------------------

  function announce(force) {
    var current = openConversation();
    if (!force && current === announced) return;
    if (announced !== null && announced !== current) {
      send({ type: "presence", conversation: announced, state: "left" });
    }
    announced = current;
    if (current !== null) send({ type: "presence", conversation: current, state: "viewing" });
  }

  function onPresence(event) {
    if (String(event.user_id) === myId()) return;  // our own tabs: not worth showing
    if (event.state === "hello") {
      announce(true);  // a tab just opened: tell it where we are now, not in 10 seconds
      return;
    }
    var now = Date.now();
    if (event.state === "left") {
      delete presence[event.socket];
    } else {
      var known = presence[event.socket];
      var entry = known && known.conversation === event.conversation ? known : { typingUntil: 0 };
      entry.user = String(event.user_id);
      // A chat visitor has no account with us: named as the conversation names them.
      entry.name = event.name || (event.visitor ? text("customer") : "");
      entry.conversation = event.conversation;
      entry.viewingUntil = now + EXPIRE_MS;
      if (event.state === "typing") entry.typingUntil = now + TYPING_MS;
      presence[event.socket] = entry;
    }
    renderPresence();
  }

  // Who is in `conversation`, one entry per person (typing wins over viewing), by name.
  function peopleIn(conversation) {
    var now = Date.now();
    var people = {};
    Object.keys(presence).forEach(function (key) {
      var entry = presence[key];
      if (entry.conversation !== conversation || entry.viewingUntil < now) return;
      var typing = entry.typingUntil > now;
      var person = people[entry.user];
      if (!person) people[entry.user] = { name: entry.name, typing: typing };
      else person.typing = person.typing || typing;
    });
    return Object.keys(people).map(function (id) { return people[id]; }).sort(function (a, b) {
      return a.name.localeCompare(b.name);
    });
  }

  function sentence(person) {
    return text(person.typing ? "typing" : "viewing", person.name);
  }

  function renderPresence() {
    var open = openConversation();
    var slot = document.querySelector("[data-presence]");
    if (slot) {
      var here = open === null ? [] : peopleIn(open);
      var line = here.map(sentence).join(" · ");
      if (slot.textContent !== line) slot.textContent = line;
      slot.hidden = !line;
      slot.classList.toggle("is-typing", here.some(function (p) { return p.typing; }));
    }
    document.querySelectorAll("[data-row][data-display-id]").forEach(renderRowMarker);
  }

  function renderRowMarker(row) {
    var people = peopleIn(Number(row.getAttribute("data-display-id")));
    var marker = row.querySelector(".row-presence");
    if (!people.length) {
      if (marker) marker.remove();
      return;
    }
    if (!marker) {
      marker = document.createElement("span");
      marker.className = "row-presence";
      var meta = row.querySelector(".row-meta");
      var assignee = meta && meta.querySelector(".assignee");
      if (assignee) assignee.before(marker);
      else (meta || row).append(marker);
    }
    var title = people.map(sentence).join(" · ");
    var names = people.map(function (p) { return p.name; }).join(", ");
    if (marker.title !== title) {
      marker.title = title;
      marker.innerHTML = "";
      var visible = document.createElement("span");
      visible.setAttribute("aria-hidden", "true");
      visible.textContent = names;
      var spoken = document.createElement("span");
      spoken.className = "visually-hidden";
      spoken.textContent = title;
      marker.append(visible, spoken);
    }
    marker.classList.toggle("is-typing", people.some(function (p) { return p.typing; }));
  }

  function expire() {
    var now = Date.now();
    Object.keys(presence).forEach(function (key) {
      if (presence[key].viewingUntil < now) delete presence[key];
    });
    renderPresence();
  }

  // --- Wiring -----------------------------------------------------------------------------

  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "reply-text" || announced === null) return;
    var now = Date.now();
    if (now - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = now;
    send({ type: "presence", conversation: announced, state: "typing" });
  });

  // After htmx swapped #app (another conversation, another account, a saved change).
  function afterNavigation() {
    if (accountId() !== socketAccount) {
      stopped = false;
      connect();
    } else {
      announce(false);
    }
    renderPresence();
  }
  document.addEventListener("htmx:afterSettle", afterNavigation);
  document.addEventListener("htmx:historyRestore", afterNavigation);

  function start() {
    connect();
    setInterval(function () { announce(true); }, HEARTBEAT_MS);
    setInterval(expire, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
