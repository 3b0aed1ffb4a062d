// CSV/Excel export page of the back-office: the "select all" box ticks or clears every field.
// Wired here rather than by django-import-export's inline onchange attribute, which the
// Content-Security-Policy (script-src 'self') refuses.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".select-toggle").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      document
        .querySelectorAll('.selectable-field-export-row input[type="checkbox"]')
        .forEach((checkbox) => {
          checkbox.checked = toggle.checked;
        });
    });
  });
});
