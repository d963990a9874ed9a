/* Webcare keyboard shortcuts. Plain JavaScript, no build step.
 *
 * The page works without this file; it only adds keys. Every key reads the current DOM, so
 * it keeps working after htmx swaps #app. While the agent types in a field, only Esc (leave
 * the field) and Ctrl+Enter (send) act; every other key is just typing.
 */
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
  }

  function selectedIndex(list) {
    var active = list.indexOf(document.activeElement);
    if (active >= 0) return active;
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-selected")) return i;
    }
    return -1;
  }

  function select(list, index) {
    if (!list.length) return;
    var target = list[Math.max(0, Math.min(list.length - 1, index))];
    list.forEach(function (row) { row.classList.remove("is-selected"); });
    target.classList.add("is-selected");
    target.focus();
    target.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    var index = selectedIndex(list);
    select(list, index < 0 ? 0 : index + step);
  }

  function openSelected() {
    var list = rows();
    var index = selectedIndex(list);
    if (index >= 0) list[index].click();
  }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function focusReply() {
    var box = document.getElementById("reply-text");
    if (!box) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function closeMenus() {
    var closed = false;
    document.querySelectorAll("details[open]").forEach(function (menu) {
      menu.open = false;
      closed = true;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
    return closed;
  }

  function openAssignMenu() {
    openMenu("assign-menu");
  }

  // With customers still waiting, "resolve" asks why no reply is needed: open that menu.
  function resolve() {
    var form = document.querySelector("form[data-resolve]");
    if (form) submit(form);
    else openMenu("resolve-menu");
  }

  function openMenu(id) {
    var menu = document.getElementById(id);
    if (!menu) return;
    menu.open = true;
    var first = menu.querySelector(".menu-item");
    if (first) first.focus();
  }

  function showShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function isTyping(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable ||
      (tag === "INPUT" && !/^(button|submit|reset|checkbox|radio)$/i.test(element.type));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (target.form && target.tagName === "TEXTAREA") {
        event.preventDefault();
        submit(target.form);
      }
      return;
    }
    if (event.key === "Escape") {
      if (isTyping(target)) {
        target.blur();
        event.preventDefault();
      } else if (closeMenus()) {
        event.preventDefault();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(target)) return;
    var menu = document.getElementById("assign-menu");
    if (menu && menu.open && event.key === "m") {
      event.preventDefault();
      var me = menu.querySelector("[data-assign-me]");
      if (me) me.click();
      return;
    }
    if (document.querySelector("dialog[open]")) return;

    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": openSelected(); break;
      case "Enter":
        // A focused row is a link and opens itself; this covers a row selected but not focused.
        if (target.matches && target.matches("[data-row], a, button, summary")) return;
        openSelected();
        break;
      case "r": focusReply(); break;
      case "e": resolve(); break;
      case "a": openAssignMenu(); break;
      case "/":
        var search = document.getElementById("search");
        if (search) { search.focus(); search.select(); }
        break;
      case "?": showShortcuts(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-open-shortcuts]")) showShortcuts();
  });

  // After a reply or note is saved, leave the (now empty) box, so the next key is a shortcut.
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var source = detail.requestConfig && detail.requestConfig.elt;
    if (source && source.id === "composer" && detail.xhr && detail.xhr.status < 300) {
      var box = document.getElementById("reply-text");
      if (box && document.activeElement === box) box.blur();
    }
    scrollThread();
  });

  // A swap of #app needs a page that has one. The login page (an expired session) or an
  // error page does not: show that page whole instead of an empty screen.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "app" || !detail.shouldSwap) return;
    if (detail.xhr.responseText.indexOf('id="app"') < 0) {
      event.preventDefault();
      window.location.href = detail.xhr.responseURL || window.location.href;
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "app") return;
    var get = detail.requestConfig && detail.requestConfig.verb === "get";
    // A failed GET shows its error page; after a failed POST, reload what the agent was on.
    window.location.href = get && detail.xhr.responseURL ? detail.xhr.responseURL : window.location.href;
  });

  // The newest message is at the bottom; start there, as in any chat.
  function scrollThread() {
    var thread = document.getElementById("thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
    var selected = document.querySelector("[data-row].is-selected");
    if (selected) selected.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("DOMContentLoaded", scrollThread);
})();
