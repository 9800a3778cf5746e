// Gift picker: opens in a sheet, gives each send its own id, shows refusals in place.
(() => {
  "use strict";
  const SHOWN = new Set([400, 403, 404, 409]);
  const sheet = () => document.getElementById("nv-gift-sheet");
  const newId = () =>
    (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(36).slice(2));

  const close = () => {
    const s = sheet();
    if (!s) return;
    s.hidden = true;
    s.replaceChildren();
  };

  // A send refused (too few coins, a gift to oneself...) returns the picker with why.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target === sheet() && SHOWN.has(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const s = sheet();
    if (event.detail.target !== s) return;
    s.hidden = false;
    // The page makes the send id, so a retry of this very send is recognised as one.
    for (const field of s.querySelectorAll("[data-nv-send-id]")) field.value = newId();
    const first = s.querySelector("input:checked, button");
    if (first) first.focus({ preventScroll: true });
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-nv-gift-close]")) close();
    if (event.target.closest("[data-nv-print]")) window.print();
  });
  document.addEventListener("keydown", (event) => {
    const s = sheet();
    if (event.key === "Escape" && s && !s.hidden) close();
  });
})();
