// Comment sheets on feed cards; form errors swapped in; comment counts kept current.
(() => {
  "use strict";
  // A form answered with one of these carries its own error message: show it.
  const FORM_ERRORS = new Set([400, 409, 422, 429]);

  document.addEventListener("htmx:beforeSwap", (event) => {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!FORM_ERRORS.has(event.detail.xhr.status) || !source || !source.closest) return;
    if (source.closest(".nv-comments, .nv-comment-form")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  const closeSheet = (sheet) => {
    if (!sheet) return;
    sheet.hidden = true;
    sheet.replaceChildren();
    const opener = sheet.parentElement && sheet.parentElement.querySelector(".nv-card-comments");
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    }
  };

  document.addEventListener("htmx:afterSwap", (event) => {
    const sheet = event.detail.target;
    if (!sheet.classList || !sheet.classList.contains("nv-comments-sheet")) return;
    sheet.hidden = false;
    const opener = sheet.parentElement.querySelector(".nv-card-comments");
    if (opener) opener.setAttribute("aria-expanded", "true");
    const first = sheet.querySelector("textarea, .nv-comments-close");
    if (first) first.focus({ preventScroll: true });
  });

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-nv-close]");
    if (close) closeSheet(close.closest(".nv-comments-sheet"));
    const cancel = event.target.closest("[data-nv-cancel]");
    if (cancel) cancel.closest("form").remove();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSheet(document.querySelector(".nv-comments-sheet:not([hidden])"));
  });

  document.addEventListener("nv-comment-count", (event) => {
    const { video, count } = event.detail;
    for (const el of document.querySelectorAll(`[data-comment-count="${CSS.escape(video)}"]`)) {
      el.textContent = String(count);
    }
  });
})();
