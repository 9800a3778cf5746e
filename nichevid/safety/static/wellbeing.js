// Well-being notices of the feed: "take a break" after N minutes of continuous feed, and
// the daily limit. Time counts while the page is visible; a page hidden for 5 minutes
// starts a new continuous stretch. The day's time so far comes from the server (the
// feed's own watch events); the notices and their words come with it, translated.
(() => {
  "use strict";
  const GAP = 300000;
  const start = (html) => {
    const box = document.createElement("div");
    box.innerHTML = html;
    const cfg = box.querySelector("#nv-wellbeing");
    if (!cfg) return;
    const pause = +cfg.dataset.break, limit = +cfg.dataset.limit;
    if (!pause && !limit) return;
    document.body.append(...box.children);
    let stretch = 0, used = +cfg.dataset.used, hiddenAt = 0, limitShown = false, back = null;
    const open = () => document.querySelector(".nv-wellbeing:not([hidden])");
    const show = (id) => {
      if (open()) return;
      back = document.activeElement;
      for (const v of document.querySelectorAll("video")) v.pause();
      const el = document.getElementById(id);
      el.hidden = false;
      el.querySelector("[data-nv-dismiss]").focus();
    };
    const dismiss = () => {
      const el = open();
      if (!el) return;
      el.hidden = true;
      stretch = 0;
      if (back && back.focus) back.focus();
    };
    document.addEventListener("click", (e) => e.target.closest("[data-nv-dismiss]") && dismiss());
    document.addEventListener("keydown", (e) => {
      if (!open()) return;
      if (e.key === "Escape") dismiss();
      // The feed's keys (j, k, arrows) wait while a notice is up; Tab, Enter and Space work.
      if (e.key !== "Tab" && e.key !== "Enter" && e.key !== " ") e.stopPropagation();
    }, true);
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) hiddenAt = Date.now();
      else if (hiddenAt && Date.now() - hiddenAt >= GAP) stretch = 0;
    });
    setInterval(() => {
      if (document.hidden || open()) return;
      stretch += 1;
      used += 1;
      if (limit && used >= limit && !limitShown) {
        limitShown = true;
        show("nv-limit");
      } else if (pause && stretch >= pause) show("nv-break");
    }, 1000);
  };
  fetch("/safety/wellbeing", { credentials: "same-origin", headers: { accept: "text/html" } })
    .then((r) => (r.ok ? r.text() : ""))
    .then(start)
    .catch(() => {});
})();
