// Small progressive enhancements: Copy buttons, confirmation dialogs, frame resizing. Every page
// works without this file (forms post normally); with it, users get clipboard copy and modals.
(function () {
  "use strict";

  // The async clipboard API needs a secure context and, inside Jira's cross-origin iframe, the
  // frame's clipboard permission; when it is refused, fall back to a selection + execCommand.
  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyWithSelection(text); });
    }
    return copyWithSelection(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) { return; }
    var text = target.value !== undefined ? target.value : target.textContent;
    copyText(text.trim()).then(function () {
      if (status) { status.textContent = "Copied"; }
    }, function () {
      if (status) { status.textContent = "Select the text and press Ctrl+C to copy"; }
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  });

  // Confirmation dialogs: a button with data-dialog opens the <dialog> with that id. Without
  // JavaScript the button is a link to a server-rendered confirmation page instead.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (!opener) { return; }
    var dialog = document.getElementById(opener.getAttribute("data-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    event.preventDefault();
    dialog.showModal();
    var first = dialog.querySelector("[autofocus], button, a, input");
    if (first) { first.focus(); }
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-dialog-close]");
    if (!closer) { return; }
    var dialog = closer.closest("dialog");
    if (dialog) { event.preventDefault(); dialog.close(); }
  });
  // Native <dialog> traps focus and closes on Escape.

  // Prevent a double click from submitting a form twice (the server refuses replays anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "true") { event.preventDefault(); return; }
    form.dataset.submitted = "true";
  });

  window.addEventListener("load", function () {
    if (window.AP && typeof window.AP.resize === "function") {
      try { window.AP.resize(); } catch (e) { /* outside Jira */ }
    }
  });
})();
