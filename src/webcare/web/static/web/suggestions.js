/* Suggested replies: "Use" puts a canned response, already filled in for this customer, in the
 * composer. It fires the events typing would, so the counter measures it and the draft saves.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-reply]");
    if (!button) return;
    var box = document.getElementById("reply-text");
    if (!box) return;
    event.preventDefault();
    box.value = button.getAttribute("data-use-reply");
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  });
})();
