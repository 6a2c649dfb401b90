// Documents list: the bulk bar's selection, and the progress of background exports (also on an
// export's own page). No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  const RUNNING = ["queued", "running"];

  // Bulk bar: the ticked rows (inputs name="ids" form="bulk"); its buttons wait for a tick.
  const bulk = document.querySelector("form[data-bulk]");
  if (bulk) {
    const selected = new Set();
    const all = document.querySelector("[data-select-all]");
    const count = bulk.querySelector("[data-selected-count]");
    const boxes = function () {
      return Array.from(document.querySelectorAll('input[type="checkbox"][name="ids"]'));
    };
    const update = function () {
      const present = boxes();
      const values = new Set(present.map((b) => b.value));
      selected.forEach((v) => { if (!values.has(v)) selected.delete(v); });
      present.forEach((b) => { b.checked = selected.has(b.value); });
      bulk.querySelectorAll("[data-needs-selection]").forEach((b) => { b.disabled = selected.size === 0; });
      if (count) {
        count.textContent = selected.size ? count.dataset.template.replace("{n}", String(selected.size)) : "";
      }
      if (all) all.checked = present.length > 0 && present.every((b) => b.checked);
    };
    boxes().forEach((b) => { if (b.checked) selected.add(b.value); });  // kept by the browser on back
    document.addEventListener("change", function (event) {
      const target = event.target;
      if (!(target instanceof HTMLInputElement)) return;
      if (target === all) {
        boxes().forEach((b) => { if (all.checked) selected.add(b.value); else selected.delete(b.value); });
      } else if (target.name === "ids" && target.form === bulk) {
        if (target.checked) selected.add(target.value); else selected.delete(target.value);
      } else {
        return;
      }
      update();
    });
    // pages.js replaces the rows while documents are being read: the ticks survive it.
    const rows = document.getElementById("rows");
    if (rows) new MutationObserver(update).observe(rows, { childList: true });
    update();
  }

  // Background exports: a progress bar polled from data-export-job until the file is ready.
  document.querySelectorAll("[data-export-job]").forEach(function (el) {
    const progress = el.querySelector("[data-progress]");
    const state = el.querySelector("[data-state]");
    const download = el.querySelector("[data-download]");
    const failed = el.querySelector("[data-failed]");
    const show = function (d) {
      progress.value = d.percent;
      progress.textContent = d.percent + " %";
      state.textContent = d.status_label;
      if (d.status === "done" && d.download_url) {
        download.href = d.download_url;
        download.hidden = false;
        if (el.hasAttribute("data-autodownload")) location.assign(d.download_url);
      }
      failed.hidden = d.status !== "failed";
    };
    const tick = function () {
      fetch(el.dataset.exportJob, { headers: { Accept: "application/json" } })
        .then((r) => {
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then((d) => {
          show(d);
          if (RUNNING.includes(d.status)) setTimeout(tick, 1500);
        })
        .catch(() => setTimeout(tick, 5000));
    };
    if (RUNNING.includes(el.dataset.status)) setTimeout(tick, 1000);
  });
})();
