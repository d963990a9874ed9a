/* Webcare promise countdowns. Plain JavaScript, no build step.
 *
 * Every <time class="due" datetime="ISO" data-warn-at="ISO"> says how long until the answer
 * is due ("12 min left" / "nog 12 min") or how late it is ("overdue 7 min" / "7 min te laat"),
 * and carries due--ok, due--warn (past data-warn-at) or due--late (past datetime). The server
 * renders the same words, so the page is right before this runs; this only keeps it right
 * while the page stays open: every 15 s, after htmx swaps, on webcare:thread-updated, and
 * when the tab becomes visible again (browsers slow timers in background tabs).
 */
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var WORDS = {
    en: {
      left: function (span) { return span + " left"; },
      late: function (span) { return "overdue " + span; },
      day: "d", hour: "h", minute: "min"
    },
    nl: {
      left: function (span) { return "nog " + span; },
      late: function (span) { return span + " te laat"; },
      day: "d", hour: "u", minute: "min"
    }
  };
  var STATES = ["due--ok", "due--warn", "due--late"];

  function words() {
    var lang = (document.documentElement.lang || "en").toLowerCase().slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }

  function parse(value) {
    if (!value) return NaN;
    // Python writes microseconds; not every engine reads more than milliseconds.
    return Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  }

  // "12 min", "2 h 5 min", "1 d 3 h": two units at most, which is all a glance can take.
  function span(minutes, w) {
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    if (days > 0) return days + " " + w.day + (hours ? " " + hours + " " + w.hour : "");
    if (hours > 0) return hours + " " + w.hour + (rest ? " " + rest + " " + w.minute : "");
    return rest + " " + w.minute;
  }

  function render(element, now, w) {
    var due = parse(element.getAttribute("datetime"));
    if (isNaN(due)) return;
    var warnAt = parse(element.getAttribute("data-warn-at"));
    var state;
    var text;
    if (now >= due) {
      state = "due--late";
      text = w.late(span(Math.max(1, Math.floor((now - due) / MINUTE)), w));
    } else {
      state = !isNaN(warnAt) && now >= warnAt ? "due--warn" : "due--ok";
      // Rounded up: "0 min left" would read as already late.
      text = w.left(span(Math.ceil((due - now) / MINUTE), w));
    }
    if (element.textContent !== text) element.textContent = text;
    STATES.forEach(function (name) {
      element.classList.toggle(name, name === state);
    });
  }

  function update() {
    var now = Date.now();
    var w = words();
    document.querySelectorAll("time.due").forEach(function (element) {
      render(element, now, w);
    });
  }

  update();
  window.setInterval(update, 15 * 1000);
  document.addEventListener("htmx:afterSwap", update);
  document.addEventListener("webcare:thread-updated", update);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") update();
  });
  window.webcareCountdown = { update: update };
})();
