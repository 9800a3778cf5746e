// Feed playback: the visible card plays, the others pause; a tap toggles sound.
(() => {
  "use strict";
  const KEY = "nv-sound";
  let sound = sessionStorage.getItem(KEY) === "on";
  const videos = () => document.querySelectorAll("video.nv-card-video");

  const play = (video) => {
    video.muted = !sound;
    video.play().catch(() => {
      // Browsers refuse unmuted autoplay without a gesture: fall back to muted.
      video.muted = true;
      video.play().catch(() => {});
    });
    const next = video.closest(".nv-card")?.nextElementSibling?.querySelector("video");
    if (next) next.preload = "auto";
  };

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting && entry.intersectionRatio >= 0.6) play(entry.target);
      else entry.target.pause();
    }
  }, { threshold: [0, 0.6] });

  const render = () => {
    for (const button of document.querySelectorAll(".nv-card-sound")) {
      button.setAttribute("aria-pressed", String(sound));
      button.setAttribute("aria-label", sound ? "Mute" : "Unmute");
    }
  };

  const setup = (root) => {
    for (const video of root.querySelectorAll("video.nv-card-video:not([data-nv])")) {
      video.dataset.nv = "1";
      observer.observe(video);
    }
    render();
  };

  document.addEventListener("click", (event) => {
    const card = event.target.closest(".nv-card");
    if (!card || event.target.closest("a, form, [data-nv-action]")) return;
    sound = !sound;
    sessionStorage.setItem(KEY, sound ? "on" : "off");
    for (const video of videos()) video.muted = !sound;
    const video = card.querySelector("video");
    if (video && video.paused) play(video);
    render();
  });
  document.addEventListener("htmx:load", (event) => setup(event.detail.elt));
  setup(document);
})();
