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
      return;
    }
    // Forms without a summary (e.g. the account pages): the first field in error.
    var invalid = document.querySelector("main [aria-invalid='true']");
    if (invalid) {
      invalid.focus();
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

  // Wide tables and charts scroll inside their own region on a phone instead of widening the
  // page: a focusable region (keyboard scrolling), named after the table's caption, with a
  // hint shown only while something is hidden.
  function scrollRegion(element, className, label) {
    var region = element.parentElement;
    if (!region.classList.contains(className)) {
      region = document.createElement("div");
      region.className = className;
      element.parentNode.insertBefore(region, element);
      region.appendChild(element);
    }
    region.classList.add("table-scroll");
    region.setAttribute("role", "region");
    region.setAttribute("tabindex", "0");
    region.setAttribute("aria-label", label);
    var hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = document.body.getAttribute("data-scroll-hint") || "";
    region.parentNode.insertBefore(hint, region.nextSibling);
    return region;
  }

  var regions = [];

  function measureScrollRegions() {
    regions.forEach(function (region) {
      region.classList.toggle("is-overflowing", region.scrollWidth > region.clientWidth + 1);
    });
  }

  // Also run after htmx swaps content in (a batch's result table): elements already set up
  // (their region has role="region") are left as they are.
  function setUpScrollRegions() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.getAttribute("role") === "region") return;
      var caption = table.querySelector("caption");
      var heading = caption ? caption.textContent.trim() : "";
      regions.push(scrollRegion(table, "table-scroll", heading || document.body.getAttribute("data-table-label") || ""));
    });
    document.querySelectorAll("main figure svg").forEach(function (chart) {
      if (chart.parentElement.getAttribute("role") === "region") return;
      var title = chart.querySelector("title");
      regions.push(scrollRegion(chart, "chart-scroll", title ? title.textContent.trim() : ""));
    });
    regions = regions.filter(function (region) { return document.body.contains(region); });
    measureScrollRegions();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpScrollRegions();
    window.addEventListener("resize", measureScrollRegions);
    document.body.addEventListener("htmx:afterSettle", setUpScrollRegions);
    focusErrorSummary();
    setUpMenu();
  });
})();
