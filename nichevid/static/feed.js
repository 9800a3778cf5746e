// Feed player. The card in view plays (muted until a tap turns sound on for the session),
// the others pause; double-tap likes; j/k and the arrow keys move between cards, m, l and
// c press the card's sound, like and comments buttons, and ? lists the keys. Time
// actually played is measured per viewing and posted to /api/events in batches.
(() => {
  "use strict";
  const SOUND = "nv-sound";
  const API = "/api/events";
  const BATCH = 20;
  const reduced = matchMedia("(prefers-reduced-motion: reduce)");
  const CARD = ".nv-card[data-nv-slug]";
  // The sound button's words, in the page's language (see base.html).
  const TEXT = JSON.parse(document.getElementById("nv-strings")?.textContent || "{}");
  let sound = sessionStorage.getItem(SOUND) === "on";
  let current = null;
  let queue = [];
  const views = new Map();
  const videoOf = (card) => card && card.querySelector("video.nv-card-video");

  // ---- watch time: played time from currentTime steps, loops counted as replays
  const view = (video) => {
    let v = views.get(video);
    if (!v) views.set(video, (v = { ms: 0, last: null, replays: 0, done: false }));
    return v;
  };
  const tick = (video) => {
    const v = view(video);
    const t = video.currentTime;
    const d = video.duration || 0;
    if (v.last !== null) {
      let step = t - v.last;
      if (step < 0 && d) {
        step += d; // looped back to the start: the end was reached
        v.replays += 1;
        v.done = true;
      }
      if (step > 0 && step < 2) v.ms += step * 1000; // larger jumps are seeks, not watching
    }
    if (d && t >= d - 0.3) v.done = true;
    v.last = t;
  };
  const id = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  // A viewing ends when its card is left or the page is hidden; it becomes one event.
  const close = (video) => {
    if (!video) return;
    if (!video.paused) tick(video);
    const v = views.get(video);
    views.delete(video);
    const ms = Math.round(v ? v.ms : 0);
    if (ms <= 0) return;
    const card = video.closest(CARD);
    const duration = (video.duration || 0) * 1000;
    queue.push({
      id: id(),
      video: card.dataset.nvSlug,
      watched_ms: ms,
      replays: v.replays,
      completed: v.done,
      // A skip: left before 3 s, or before a quarter of a video shorter than 12 s.
      skipped: !v.done && ms < Math.min(3000, duration ? duration / 4 : 3000),
      feed: card.dataset.nvFeed || "foryou",
    });
    if (queue.length >= BATCH) send(false);
  };
  const send = (leaving) => {
    while (queue.length) {
      const batch = queue.splice(0, BATCH);
      const body = JSON.stringify({ events: batch });
      // A beacon survives the page; it is sent as text/plain, which the server accepts.
      if (leaving && navigator.sendBeacon && navigator.sendBeacon(API, body)) continue;
      fetch(API, {
        method: "POST",
        body,
        keepalive: true,
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
      })
        .then((r) => (r.status === 429 || r.status >= 500) && retry(batch))
        .catch(() => retry(batch));
    }
  };
  const retry = (batch) => {
    queue = batch.concat(queue).slice(0, 200);
  };
  setInterval(() => send(false), 10000);
  // Hidden pages do not play: the viewing ends here and a new one starts on return.
  const leave = () => {
    if (current) {
      close(videoOf(current));
      videoOf(current).pause();
    }
    send(true);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
    else if (current) play(videoOf(current));
  });
  addEventListener("pagehide", leave);
  for (const type of ["timeupdate", "pause"]) {
    document.addEventListener(type, (e) => {
      if (!e.target.matches || !e.target.matches("video.nv-card-video")) return;
      tick(e.target);
      if (type === "pause") view(e.target).last = null;
    }, true);
  }
  document.addEventListener("play", (e) => {
    if (e.target.matches && e.target.matches("video.nv-card-video")) view(e.target).last = e.target.currentTime;
  }, true);

  // ---- playback
  const render = () => {
    for (const button of document.querySelectorAll(".nv-card-sound")) {
      button.setAttribute("aria-pressed", String(sound));
      const label = sound ? TEXT.mute : TEXT.unmute;
      if (label) button.setAttribute("aria-label", label);
    }
  };
  const play = (video) => {
    video.muted = !sound;
    video.play().catch(() => {
      if (video.muted) return;
      // No unmuted autoplay before a gesture: play muted and show sound as off.
      video.muted = true;
      sound = false;
      render();
      video.play().catch(() => {});
    });
  };
  const activate = (card) => {
    if (card === current) return;
    if (current) {
      const old = videoOf(current);
      close(old);
      old.pause();
    }
    current = card;
    if (!card) return;
    play(videoOf(card));
    const next = card.nextElementSibling;
    const nextVideo = videoOf(next);
    if (nextVideo) nextVideo.preload = "auto";
    else if (next && next.matches(".nv-feed-more") && window.htmx) htmx.trigger(next, "revealed");
  };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) activate(entry.target);
      else if (entry.target === current && !entry.isIntersecting) activate(null);
    }
  }, { threshold: [0, 0.6] });
  const setup = (root) => {
    const found = root.matches && root.matches(CARD) ? [root] : [];
    for (const card of [...found, ...root.querySelectorAll(CARD)]) {
      if (card.dataset.nvSeen) continue;
      card.dataset.nvSeen = "1";
      observer.observe(card);
      if (!card.querySelector(".nv-card-cc")) continue;
      // Cues the file does not place sit above the creator and caption overlay; a cue on
      // screen takes its new place when the track is shown anew.
      for (const el of card.querySelectorAll("track")) {
        el.onload = () => {
          const t = el.track;
          for (const c of t.cues) if (c.line === "auto") c.line = -5;
          if (t.mode === "showing") {
            t.mode = "hidden";
            t.mode = "showing";
          }
        };
      }
      captions(card);
    }
    render();
  };

  // ---- captions: CC shows the track in the page's language, else the first; kept per session
  let cc = sessionStorage.getItem("nv-cc") === "on";
  const captions = (card) => {
    const tracks = [...videoOf(card).textTracks];
    const lang = document.documentElement.lang.toLowerCase();
    const pick = cc && (tracks.find((t) => t.language.toLowerCase() === lang) ||
      tracks.find((t) => t.language.toLowerCase().split("-")[0] === lang.split("-")[0]) || tracks[0]);
    for (const t of tracks) if (t === pick) t.mode = "showing"; else if (t.mode === "showing") t.mode = "hidden";
    card.querySelector(".nv-card-cc").setAttribute("aria-pressed", String(cc));
  };
  const toggleCaptions = () => {
    cc = !cc;
    sessionStorage.setItem("nv-cc", cc ? "on" : "off");
    for (const button of document.querySelectorAll(".nv-card-cc")) captions(button.closest(CARD));
  };

  // ---- taps: one toggles sound, two like
  const toggleSound = (card) => {
    sound = !sound;
    sessionStorage.setItem(SOUND, sound ? "on" : "off");
    for (const video of document.querySelectorAll("video.nv-card-video")) video.muted = !sound;
    if (card !== current) activate(card);
    else if (videoOf(card).paused) play(videoOf(card));
    render();
  };
  const like = (card, event) => {
    const media = card.querySelector(".nv-card-media") || card;
    const box = media.getBoundingClientRect();
    const heart = document.createElement("span");
    heart.className = "nv-heart";
    heart.setAttribute("aria-hidden", "true");
    const x = event.clientX || box.left + box.width / 2;
    const y = event.clientY || box.top + box.height / 2;
    heart.style.left = `${x - box.left}px`;
    heart.style.top = `${y - box.top}px`;
    media.append(heart);
    setTimeout(() => heart.remove(), 900);
    const button = card.querySelector("[data-nv-like]");
    if (button && button.getAttribute("aria-pressed") === "false") button.click();
  };
  let lastTap = 0;
  let tapTimer = 0;
  document.addEventListener("click", (event) => {
    const card = event.target.closest(CARD);
    if (!card) return;
    if (event.target.closest(".nv-card-cc")) return toggleCaptions();
    if (event.target.closest(".nv-card-sound")) return toggleSound(card);
    if (event.target.closest("a, button, input, textarea, select, label, form, details, [data-nv-action]")) return;
    clearTimeout(tapTimer);
    if (event.timeStamp - lastTap < 300) {
      lastTap = 0;
      return like(card, event);
    }
    lastTap = event.timeStamp;
    tapTimer = setTimeout(() => toggleSound(card), 300);
  });

  // ---- keys (j / ArrowDown next, k / ArrowUp previous) and the mouse wheel
  let aim = null;
  let aimAt = 0;
  const move = (step, focus, origin) => {
    const list = [...document.querySelectorAll(`${CARD}, .nv-feed-more, .nv-feed-end`)];
    // While a smooth scroll is under way, step on from where it is going; a key pressed
    // inside a card steps from that card.
    const from = (aim && aim.isConnected && performance.now() - aimAt < 800 && aim) ||
      (origin && origin.closest && origin.closest(CARD)) || current ||
      list.find((el) => el.getBoundingClientRect().bottom > innerHeight / 2);
    const target = list[Math.max(0, list.indexOf(from) + step)];
    if (!target) return;
    aim = target;
    aimAt = performance.now();
    target.scrollIntoView({ behavior: reduced.matches ? "auto" : "smooth", block: "center" });
    // Play it now: the observer reports only changes, and a card already in view (after a
    // sound toggle on another card, say) would never be reported again.
    if (target.matches(CARD)) activate(target);
    if (focus && target.matches(CARD)) target.focus({ preventScroll: true });
  };
  // ---- keys: ? lists them (feed/_keys.html); m, l and c press the card's own buttons
  const keys = document.getElementById("nv-keys");
  const opener = document.querySelector("[data-nv-keys]");
  if (keys && opener) {
    opener.hidden = false;
    opener.addEventListener("click", () => keys.showModal());
  }
  const press = { m: ".nv-card-sound", l: "[data-nv-like]", c: ".nv-card-comments" };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if (event.key === "?" && keys) {
      event.preventDefault();
      return keys.showModal();
    }
    const card = current || document.querySelector(CARD);
    const button = card && press[event.key] && card.querySelector(press[event.key]);
    if (button) {
      event.preventDefault();
      return button.click();
    }
    const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[event.key];
    if (!step || !document.querySelector(CARD)) return;
    event.preventDefault();
    move(step, true, event.target);
  });
  // One card per wheel gesture: the events of a gesture (and a trackpad's inertia) keep
  // extending a short lock, so a flick never skips cards.
  let wheelLock = 0;
  addEventListener("wheel", (event) => {
    if (event.ctrlKey || !document.querySelector(CARD) || Math.abs(event.deltaY) <= Math.abs(event.deltaX)) return;
    event.preventDefault();
    const now = event.timeStamp;
    const locked = now < wheelLock;
    wheelLock = Math.max(wheelLock, now + 250);
    if (!locked) {
      wheelLock = now + 500;
      move(Math.sign(event.deltaY), false);
    }
  }, { passive: false });
  document.addEventListener("htmx:load", (event) => setup(event.detail.elt));
  setup(document);
})();
