/* Webcare drafts: the composer's text is saved on the server while the agent types.
 * Plain JavaScript, no build step.
 *
 * A moment after the agent stops typing (DELAY_MS) the text is posted to the composer's
 * data-draft-url; the answer is the status line ("Draft saved 14:02"), swapped in place. The
 * server fills the composer with the draft when the conversation opens again, so a closed
 * tab or browser loses at most the last pause's worth of typing, and not even that when the
 * page is left normally (the pending save is sent at once, with keepalive).
 *
 * Never touched: the hidden expected_last_message_id (the collision guard keeps what the
 * page rendered; it is only read, as the draft's seen_message_id), and anything live.js does.
 * The page works without this file: the composer posts as before, only nothing autosaves.
 */
(function () {
  "use strict";

  var DELAY_MS = 700;

  var timer = null;
  var inFlight = false;
  var again = false;             // the text changed while a save was on its way
  var saved = {};                // draft URL -> the text the server holds, as far as we know
  var carry = null;              // {url, text} of the composer while another request runs

  function composer() { return document.getElementById("composer"); }
  function box() { return document.getElementById("reply-text"); }
  function draftUrl(form) { return form ? form.getAttribute("data-draft-url") : null; }

  function csrfToken(form) {
    var input = form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function unsaved() {
    var form = composer();
    var field = box();
    var url = draftUrl(form);
    return Boolean(url && field && saved[url] !== field.value);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; save(false); }, DELAY_MS);
  }

  function cancel() {
    clearTimeout(timer);
    timer = null;
    again = false;
  }

  // One save at a time, so an older text can never arrive after a newer one.
  function save(leaving) {
    var form = composer();
    var field = box();
    var url = draftUrl(form);
    if (!url || !field || saved[url] === field.value) return;
    if (inFlight && !leaving) {
      again = true;
      return;
    }
    var text = field.value;
    var body = new URLSearchParams();
    body.set("text", text);
    var seen = form.querySelector("[name=expected_last_message_id]");
    if (seen && seen.value) body.set("seen_message_id", seen.value);
    inFlight = true;
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "X-CSRFToken": csrfToken(form) },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          // A redirect is the login page (the session ended): nothing was saved.
          var ok = response.ok && !response.redirected;
          if (ok) saved[url] = text;
          showStatus(form, ok || response.status < 500 ? html : null);
        });
      })
      .catch(function () { showStatus(form, null); })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          save(false);
        }
      });
  }

  // Put the server's status line in place, or the "not saved" words when there is none.
  function showStatus(form, html) {
    var current = form.querySelector("#draft-status");
    if (!current || !document.body.contains(form)) return;
    var fresh = null;
    if (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      fresh = doc.getElementById("draft-status");
    }
    if (fresh) {
      current.replaceWith(document.importNode(fresh, true));
      return;
    }
    current.textContent = current.getAttribute("data-failed") || "";
    current.classList.add("is-error");
    current.setAttribute("role", "alert");
  }

  // A composer the server just rendered holds the server's draft (or, after a refused send,
  // the text of that send, which is saved again below): start from there.
  function remember() {
    var form = composer();
    var field = box();
    var url = draftUrl(form);
    if (!url || !field || field.webcareDraftKnown) return;
    field.webcareDraftKnown = true;
    saved[url] = field.defaultValue;
  }

  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "reply-text") return;
    remember();
    schedule();
  });

  // Sending or discarding: a save after this would bring the text back.
  document.addEventListener("submit", function (event) {
    if (!event.target || event.target.id !== "composer") return;
    cancel();
    carry = null;
  }, true);

  // Any other request (opening a conversation, assigning, a status change) may swap the
  // page: send the pending save now, and keep the text to put back if the same
  // conversation comes back (the server's copy may not have caught up yet).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = composer();
    var source = event.detail && event.detail.elt;
    if (!form || (source && form.contains(source))) return;
    var field = box();
    carry = field ? { url: draftUrl(form), text: field.value } : null;
    if (unsaved()) {
      cancel();
      save(true);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var kept = carry;
    carry = null;
    remember();
    var form = composer();
    var field = box();
    var url = draftUrl(form);
    if (!url || !field) return;
    var source = detail.requestConfig && detail.requestConfig.elt;
    if (source && source.id === "composer" && detail.xhr && detail.xhr.status >= 400) {
      // A refused send (too long, a colleague replied first) keeps the text: save it.
      delete saved[url];
      schedule();
    } else if (kept && kept.url === url && field.value !== kept.text &&
               field.value === field.defaultValue) {
      // The same conversation, rendered anew while the agent's last words were on their way.
      field.value = kept.text;
      if (window.htmx) window.htmx.trigger(field, "keyup");  // the character counter
      delete saved[url];
      schedule();
    }
  });

  // Leaving the page (closing the tab, reloading, going elsewhere): save what is pending.
  function leave() {
    if (timer !== null || unsaved()) {
      cancel();
      save(true);
    }
  }
  window.addEventListener("pagehide", leave);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", remember);
  else remember();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leave();
  });
})();
