// Date-and-time fields marked data-nv-local-time: shown in the browser's time, and sent
// with its offset from UTC (utc_offset, minutes as getTimezoneOffset gives them).
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  for (const field of document.querySelectorAll("input[data-nv-local-time]")) {
    if (field.dataset.utc) field.value = local(new Date(field.dataset.utc));
    const offset = field.form && field.form.querySelector("input[name=utc_offset]");
    const fill = () => {
      if (!offset) return;
      const when = field.value ? new Date(field.value) : new Date();
      offset.value = String(when.getTimezoneOffset());
    };
    field.addEventListener("change", fill);
    if (field.form) field.form.addEventListener("submit", fill);
    fill();
  }
})();
