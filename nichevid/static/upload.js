// Upload page: a resumable tus upload with progress, pause/resume and cancel, then the
// new video's processing status (an htmx fragment that polls itself).
(() => {
  "use strict";
  const root = document.getElementById("nv-upload");
  if (!root) return;
  const $ = (selector) => root.querySelector(selector);
  // What the page says, in its language (page.html); {name} marks a value filled in here.
  const T = JSON.parse(document.getElementById("nv-upload-strings")?.textContent || "{}");
  const text = (key, values = {}) =>
    (T[key] || key).replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  const lang = document.documentElement.lang || undefined;
  const decimal = { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false };
  const form = $("form");
  const input = $("#upload-file");
  const zone = $(".nv-drop");
  const chosen = $("#upload-chosen");
  const caption = $("#upload-caption");
  const counter = $("#upload-counter span");
  const preview = $("#upload-preview");
  const visibility = $("#upload-visibility");
  const publishAt = $("#upload-publish-at");
  const submit = $("#upload-submit");
  const progress = $("#upload-progress");
  const bar = $("#upload-bar");
  const percent = $("#upload-percent");
  const figures = $("#upload-bytes");
  const controls = $(".nv-upload-controls");
  const pause = $("#upload-pause");
  const cancel = $("#upload-cancel");
  const message = $("#upload-message");
  const region = document.getElementById("upload-status-region");
  const captionMax = Number(root.dataset.captionMax) || 2200;
  const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|webm|mkv|avi|3gp|3g2|ogv|mpg|mpeg|ts|flv)$/i;
  // The server's rules (nichevid.media.services): hashtags are words, mentions usernames.
  const HASHTAG = /(^|[^\p{L}\p{M}\p{N}_#])#([\p{L}\p{M}\p{N}_]{1,64})/gu;
  const MENTION = /(^|[^\p{L}\p{M}\p{N}_@])@([A-Za-z0-9_]{3,32})(?![\p{L}\p{M}\p{N}_])/gu;
  let upload = null;
  let state = "idle"; // idle | uploading | paused | done

  const csrf = () => {
    const match = document.cookie.match(/(?:^|; )nv_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };
  const size = (bytes) => {
    if (bytes < 1000) return text("bytes", { num: bytes });
    const units = ["kB", "MB", "GB"];
    let value = bytes / 1000;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
    return `${value.toLocaleString(lang, decimal)} ${units[unit]}`;
  };
  const say = (words, isError = false) => {
    message.textContent = words;
    message.classList.toggle("nv-error", isError);
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // --- caption: counter and a preview of its hashtags and mentions -------------------
  const unique = (regex, text) => {
    const found = [];
    for (const match of text.matchAll(regex)) {
      const word = match[2].toLowerCase();
      if (!found.includes(word)) found.push(word);
    }
    return found;
  };
  const chips = (box, words, prefix) => {
    box.replaceChildren(...words.map((word) => {
      const chip = document.createElement("span");
      chip.className = "nv-chip";
      chip.textContent = prefix + word;
      return chip;
    }));
  };
  const captionLength = () => [...caption.value.trim()].length;
  const renderCaption = () => {
    const length = captionLength();
    counter.textContent = String(length);
    counter.parentElement.classList.toggle("nv-over", length > captionMax);
    const tags = unique(HASHTAG, caption.value).slice(0, 30);
    const mentions = unique(MENTION, caption.value).slice(0, 20);
    chips(preview.querySelector(".nv-upload-tags"), tags, "#");
    chips(preview.querySelector(".nv-upload-mentions"), mentions, "@");
    preview.querySelector(".nv-upload-hint").hidden = mentions.length === 0;
    preview.hidden = tags.length + mentions.length === 0;
  };
  caption.addEventListener("input", renderCaption);

  // --- the file: picker, drag and drop, checks before anything is sent ---------------
  const problem = (file) => {
    const maxBytes = Number(root.dataset.maxBytes) || 0;
    if (!file) return text("choose");
    const looksLikeVideo = file.type ? file.type.startsWith("video/") : VIDEO_EXTENSIONS.test(file.name);
    if (!looksLikeVideo) return text("notVideo", { name: file.name });
    if (file.size === 0) return text("empty", { name: file.name });
    if (maxBytes && file.size > maxBytes) {
      return text("tooBig", { name: file.name, size: size(file.size), max: size(maxBytes) });
    }
    if (captionLength() > captionMax) {
      return text("captionLong", { max: captionMax, over: captionLength() - captionMax });
    }
    return "";
  };
  const showChosen = () => {
    const file = input.files[0];
    chosen.textContent = file ? `${file.name} · ${size(file.size)}` : "";
    const issue = file ? problem(file) : "";
    say(issue, Boolean(issue));
  };
  input.addEventListener("change", showChosen);
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("is-over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (state !== "idle" || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    showChosen();
  });

  // --- the upload ---------------------------------------------------------------------
  const setBusy = (busy) => {
    for (const field of [input, caption, visibility, publishAt, submit]) {
      if (field) field.disabled = busy; // a theme's form may leave the time out
    }
    controls.hidden = !busy;
    if (busy) progress.hidden = false;
  };
  const setProgress = (sent, total) => {
    const share = total ? Math.floor((sent / total) * 100) : 0;
    bar.value = share;
    bar.textContent = `${share} %`;
    percent.textContent = `${share} %`;
    figures.textContent = text("of", { sent: size(sent), total: size(total) });
  };
  const reset = (keepProgress = false) => {
    upload = null;
    state = "idle";
    delete root.dataset.uploadId;
    pause.textContent = text("pause");
    setBusy(false);
    progress.hidden = !keepProgress;
  };
  const serverMessage = (error) => {
    const response = error && error.originalResponse;
    if (!response) return text("lost");
    const status = response.getStatus();
    if (status === 401) return text("loggedOut");
    let detail = "";
    try {
      detail = JSON.parse(response.getBody()).detail || "";
    } catch {
      detail = (response.getBody() || "").slice(0, 300);
    }
    return detail || text("refused", { status });
  };
  const uploadIdOf = (url) => url.replace(/\/+$/, "").split("/").pop();
  const showStatus = (slug) => {
    const url = root.dataset.status + encodeURIComponent(slug);
    // A reload of the page shows this video's status again.
    history.replaceState(null, "", url);
    return htmx.ajax("GET", url, { target: region, swap: "innerHTML" })
      .then(() => say(text("complete")));
  };
  const handOver = async (id) => {
    // The last piece makes the video on the server; ask which one, briefly, if not yet.
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const response = await fetch(root.dataset.api + encodeURIComponent(id), {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      const info = response.ok ? await response.json() : null;
      if (info && info.video_id) return showStatus(info.video_id);
      if (info && info.status === "failed") {
        say(info.failure_reason || text("notTaken"), true);
        return null;
      }
      await sleep(1000);
    }
    say(text("handingOver"));
    return null;
  };
  // Plugins' fields (a minimum tier, say) travel in the metadata too.
  const options = () => {
    const chosen = {};
    for (const field of form.querySelectorAll(".nv-video-options [name]")) {
      // A box that is not ticked sends nothing, as a form would.
      if (field.disabled || (/^(checkbox|radio)$/.test(field.type) && !field.checked)) continue;
      chosen[field.name] = field.value;
    }
    return chosen;
  };
  const samePlan = (previous, metadata) =>
    previous.metadata &&
    Object.keys(metadata).every((name) => name === "filename" ||
      (previous.metadata[name] || "") === metadata[name]);

  const start = async (file) => {
    const metadata = {
      ...options(),
      filename: file.name,
      caption: caption.value.trim(),
      visibility: visibility.value,
      // The browser reads the field in its own time; the server gets it in UTC.
      publish_at: publishAt && publishAt.value ? new Date(publishAt.value).toISOString() : "",
    };
    const headers = { "x-csrftoken": csrf() };
    upload = new tus.Upload(file, {
      endpoint: root.dataset.endpoint,
      chunkSize: Number(root.dataset.chunkSize) || 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata,
      headers,
      onUploadUrlAvailable: () => { root.dataset.uploadId = uploadIdOf(upload.url); },
      onProgress: (sent, total) => setProgress(sent, total),
      onError: (error) => {
        const reason = serverMessage(error);
        if (error && !error.originalResponse) {
          // Nothing answered: keep the upload so Resume continues where it stopped.
          state = "paused";
          pause.textContent = text("resume");
          say(reason, true);
          return;
        }
        reset();
        say(reason, true);
      },
      onSuccess: () => {
        const id = uploadIdOf(upload.url);
        setProgress(file.size, file.size);
        state = "done";
        controls.hidden = true;
        say(text("preparing"));
        form.reset();
        chosen.textContent = "";
        renderCaption();
        // The bar stays at 100 % until the next upload.
        handOver(id).finally(() => reset(true));
      },
    });
    const previous = (await upload.findPreviousUploads())
      .sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
    if (previous.length && samePlan(previous[0], metadata)) {
      upload.resumeFromPreviousUpload(previous[0]);
      say(text("continuing"));
    } else {
      for (const old of previous) {
        // Sent with another caption or audience: drop it rather than publish the old one.
        tus.Upload.terminate(old.uploadUrl, { headers, retryDelays: null }).catch(() => {});
        tus.defaultOptions.urlStorage.removeUpload(old.urlStorageKey).catch(() => {});
      }
      say(text("uploading"));
    }
    state = "uploading";
    setProgress(0, file.size);
    setBusy(true);
    upload.start();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (state !== "idle") return;
    const file = input.files[0];
    const refusal = problem(file);
    if (refusal) {
      say(refusal, true);
      (file ? caption : input).focus();
      return;
    }
    start(file).catch((error) => {
      reset();
      say(text("noStart", { error: error.message }), true);
    });
  });

  pause.addEventListener("click", () => {
    if (!upload) return;
    if (state === "uploading") {
      state = "paused";
      upload.abort();
      pause.textContent = text("resume");
      say(text("paused", { percent: `${bar.value} %` }));
    } else if (state === "paused") {
      state = "uploading";
      pause.textContent = text("pause");
      say(text("uploading"));
      upload.start();
    }
  });

  cancel.addEventListener("click", () => {
    if (!upload || state === "done") return;
    const current = upload;
    state = "done";
    say(text("cancelling"));
    current.abort(true)
      .then(() => say(text("cancelled")))
      .catch(() => say(text("stopped")))
      .finally(() => reset());
  });

  window.addEventListener("beforeunload", (event) => {
    if (state === "uploading") event.preventDefault();
  });

  // A refused retry (409) still brings the current status and the reason: show them.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 409 && region.contains(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  if (!window.tus || !tus.isSupported) {
    say(text("browser"), true);
    return;
  }
  renderCaption();
  submit.disabled = false;
})();
