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
  // Native <dialog> closes on Escape and makes the page behind it inert, but inside Jira's iframe
  // Tab would walk out of the dialog into Jira's page: keep it cycling within the dialog.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") { return; }
    var dialog = document.querySelector("dialog[open]");
    if (!dialog) { return; }
    var items = Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"),
      function (item) { return item.offsetParent !== null; }
    );
    if (items.length === 0) { return; }
    var first = items[0];
    var last = items[items.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });

  // Searchable checkbox lists: a search box (hidden until this script shows it) filters the
  // items of its list by their data-filter-text; without JavaScript the whole list shows.
  function filterList(input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) { return; }
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var items = list.querySelectorAll("[data-filter-text]");
    var shown = 0;
    items.forEach(function (item) {
      var text = item.getAttribute("data-filter-text").toLowerCase();
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    list.querySelectorAll("[data-filter-group]").forEach(function (heading) {
      var group = heading.nextElementSibling;
      var any = group && group.querySelector("[data-filter-text]:not([hidden])");
      heading.hidden = !any;
      if (group) { group.hidden = !any; }
    });
    var status = document.getElementById(input.getAttribute("data-filter-status"));
    if (status) { status.textContent = words.length ? shown + " of " + items.length + " shown" : ""; }
  }
  document.querySelectorAll("[data-filter-list]").forEach(function (input) {
    input.hidden = false;
    input.addEventListener("input", function () { filterList(input); });
    // Enter in the search box must not submit the form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  });

  // "N picked" under a checkbox list, kept current.
  document.querySelectorAll("[data-picked-count]").forEach(function (counter) {
    var list = document.getElementById(counter.getAttribute("data-picked-count"));
    if (!list) { return; }
    list.addEventListener("change", function () {
      counter.textContent = list.querySelectorAll("input[type=checkbox]:checked").length + " picked";
    });
  });

  // Issues by projects or by JQL: show only the section of the chosen mode. Without JavaScript
  // both show, and the radio button decides which one is used.
  function showMode() {
    var chosen = document.querySelector("[data-mode-switch]:checked");
    if (!chosen) { return; }
    document.querySelectorAll("[data-mode-section]").forEach(function (section) {
      section.hidden = section.getAttribute("data-mode-section") !== chosen.value;
    });
  }
  document.querySelectorAll("[data-mode-switch]").forEach(function (radio) {
    radio.addEventListener("change", showMode);
  });
  showMode();

  // Prevent a double click from submitting a form twice (the server refuses replays anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "true") { event.preventDefault(); return; }
    form.dataset.submitted = "true";
  });

  // After a submission, put the keyboard where the user needs it next: the first field with an
  // error, or the element the page marks (the new token's Copy button).
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector("[aria-invalid='true']:not([disabled])") ||
      document.querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  });

  // A call to action that leads to a form field focuses it (without JavaScript it scrolls there).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-focus]");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("data-focus"));
    if (!field) { return; }
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  // Session expired: reload Jira's page, which loads the app with a fresh session. Inside Jira
  // all.js does it; outside (or if all.js is missing) the page's text says how to reload.
  var reload = document.querySelector("[data-reload-jira]");
  if (reload) {
    reload.hidden = false;
    reload.addEventListener("click", function () {
      if (window.AP && window.AP.navigator && typeof window.AP.navigator.reload === "function") {
        window.AP.navigator.reload();
        return;
      }
      try { window.top.location.reload(); } catch (e) {
        reload.hidden = true;
        var hint = document.querySelector(".error-state__hint");
        if (hint) { hint.setAttribute("tabindex", "-1"); hint.focus(); }
      }
    });
  }

  window.addEventListener("load", function () {
    if (window.AP && typeof window.AP.resize === "function") {
      try { window.AP.resize(); } catch (e) { /* outside Jira */ }
    }
  });
})();
