/* The portal's small behaviours (a static file: the Content-Security-Policy forbids inline
   scripts and handlers). Every page works without it. */
(function () {
  "use strict";

  // After a failed submit, the error summary takes the focus so that screen readers read it
  // and keyboard users start from it.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // Irreversible actions ask first: <form data-confirm="Question ?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The navigation folds behind a menu button on narrow screens.
  function setUpMenu() {
    var button = document.querySelector("[data-menu-button]");
    var nav = document.getElementById(button ? button.getAttribute("aria-controls") : "");
    if (!button || !nav) {
      return;
    }
    button.hidden = false;
    nav.classList.add("is-collapsible");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("is-open", !open);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    setUpMenu();
  });
})();
