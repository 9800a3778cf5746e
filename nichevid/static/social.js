// Share buttons: the system share sheet where there is one, else copy the link.
// A share that went through fires "nv-shared" on the button, which htmx counts.
(() => {
  "use strict";
  // What it says, in the page's language (see base.html).
  const TEXT = JSON.parse(document.getElementById("nv-strings")?.textContent || "{}");
  let toast;
  let timer;
  const say = (text) => {
    if (!toast) {
      toast = document.createElement("p");
      toast.className = "nv-toast";
      toast.setAttribute("role", "status");
      document.body.append(toast);
    }
    toast.textContent = text;
    toast.classList.add("is-shown");
    clearTimeout(timer);
    timer = setTimeout(() => toast.classList.remove("is-shown"), 2500);
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-nv-share]");
    if (!button) return;
    event.preventDefault();
    const url = new URL(button.dataset.url, location.href).href;
    try {
      if (navigator.share) {
        await navigator.share({ url, title: document.title });
      } else if (navigator.clipboard) {
        await navigator.clipboard.writeText(url);
        say(TEXT.copied);
      } else {
        window.prompt(TEXT.copy, url);
      }
    } catch (error) {
      if (error && error.name === "AbortError") return; // the share sheet was closed
      window.prompt(TEXT.copy, url);
    }
    button.dispatchEvent(new CustomEvent("nv-shared"));
  });
})();
