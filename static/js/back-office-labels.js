/* Back-office: the autocomplete fields (select2) get the name of their label. select2 names
   its combobox after the chosen value only, which leaves an empty field nameless (axe
   "aria-input-field-name"). A static file: the Content-Security-Policy forbids inline scripts. */
(function () {
  "use strict";

  function nameComboboxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector("label[for='" + select.id + "']");
      var container = select.parentElement;
      var combobox = container && container.querySelector(".select2-selection[role='combobox']");
      if (label && combobox) {
        // aria-labelledby wins over aria-label: the label first, then the chosen value.
        label.id = label.id || select.id + "-label";
        var named = (combobox.getAttribute("aria-labelledby") || "").split(" ");
        if (named.indexOf(label.id) === -1) {
          combobox.setAttribute("aria-labelledby", [label.id].concat(named).join(" ").trim());
        }
        var rendered = combobox.querySelector("[role='textbox']");
        if (rendered) {
          rendered.setAttribute("aria-labelledby", label.id + " " + rendered.id);
        }
      }
    });
  }

  // select2 starts on jQuery's "ready": name its fields once it has run.
  document.addEventListener("DOMContentLoaded", function () {
    window.setTimeout(nameComboboxes, 0);
  });
  window.addEventListener("load", nameComboboxes);
  document.addEventListener("formset:added", function () {
    window.setTimeout(nameComboboxes, 0);
  });
})();
