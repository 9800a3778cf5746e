// Ads in the feed. After every few cards the page asks for a promoted card and puts it
// one card ahead; a card that stays on screen long enough is counted as viewed (beacon
// when the page is hidden). On the first visit of the day it asks for the takeover.
(() => {
  "use strict";
  const CONFIG = JSON.parse(document.getElementById("nv-ads")?.textContent || "{}");
  const EVERY = CONFIG.every || 6;
  const CARD = ".nv-card[data-nv-slug]";
  let organic = 0;
  let asking = false;
  const counted = new WeakSet();
  const timers = new WeakMap();
  let queue = [];

  const send = (leaving) => {
    if (!queue.length) return;
    const body = JSON.stringify({ tokens: queue.splice(0, 20) });
    if (leaving && navigator.sendBeacon && navigator.sendBeacon("/ads/seen", body)) return;
    fetch("/ads/seen", {
      method: "POST", body, keepalive: true, credentials: "same-origin",
      headers: { "content-type": "application/json" },
    }).catch(() => {});
  };
  const viewed = (token) => { queue.push(token); send(false); };

  const ask = (card) => {
    if (asking || !window.htmx) return;
    const after = card.nextElementSibling && card.nextElementSibling.matches(CARD) ? card.nextElementSibling : card;
    asking = true;
    htmx.ajax("GET", "/ads/next", { target: after, swap: "afterend" })
      .finally(() => { asking = false; organic = 0; });
  };

  const shown = (card) => {
    if (card.dataset.nvAd) {
      if (counted.has(card)) return;
      timers.set(card, setTimeout(() => { counted.add(card); viewed(card.dataset.nvAd); },
        1000 * Number(card.dataset.nvAdSeconds || 2)));
      return;
    }
    organic += 1;
    if (organic >= EVERY) ask(card);
  };
  const hidden = (card) => clearTimeout(timers.get(card));
  const seenCards = new WeakSet();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        if (!e.target.dataset.nvAd && seenCards.has(e.target)) continue;
        seenCards.add(e.target);
        shown(e.target);
      } else hidden(e.target);
    }
  }, { threshold: 0.6 });
  const watch = (root) => {
    if (root.matches && root.matches(CARD)) observer.observe(root);
    for (const card of root.querySelectorAll ? root.querySelectorAll(CARD) : []) observer.observe(card);
  };
  document.addEventListener("htmx:load", (event) => watch(event.detail.elt));
  watch(document);
  addEventListener("pagehide", () => send(true));
  document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && send(true));

  // ---- the takeover: once a day, before the feed
  const takeover = async () => {
    const answer = await fetch("/ads/takeover", { credentials: "same-origin" });
    if (answer.status !== 200) return;
    const box = document.createElement("div");
    box.innerHTML = await answer.text();
    const dialog = box.querySelector("dialog.nv-takeover");
    if (!dialog) return;
    document.body.append(dialog);
    const skip = dialog.querySelector(".nv-takeover-skip");
    let wait = Number(dialog.dataset.nvWait || 0);
    const close = () => { dialog.close(); dialog.remove(); };
    dialog.addEventListener("cancel", (event) => { if (wait > 0) event.preventDefault(); });
    skip.addEventListener("click", close);
    dialog.querySelector("video")?.addEventListener("ended", close);
    dialog.showModal();
    viewed(dialog.dataset.nvAd);
    const tick = () => {
      if (wait <= 0) {
        skip.disabled = false;
        skip.textContent = skip.dataset.nvSkip;
        skip.focus();
        return;
      }
      skip.textContent = skip.dataset.nvWaitText.replace("{seconds}", wait);
      wait -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  };
  if (document.querySelector(CARD)) takeover().catch(() => {});
})();
