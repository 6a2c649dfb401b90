// The review page: keyboard-first decisions, a live rule check, a lease heartbeat.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const form = document.getElementById("decide-form");
  const input = document.getElementById("value");
  const message = document.getElementById("message");
  const live = document.getElementById("live-check");
  const override = document.getElementById("override");
  const overrideReason = document.getElementById("override-reason");
  const help = document.getElementById("help");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const openedAt = Date.now();
  let leaving = false;
  let busy = false;
  // An Enter pressed on the previous page can finish (keypress) on this one and submit it at
  // once; only act on keys that went down here, or on a pointer press.
  let armed = false;
  let typed = false;
  if (input) input.addEventListener("input", () => { typed = true; }, { once: true });
  document.addEventListener("keydown", () => { armed = true; }, true);
  document.addEventListener("pointerdown", () => { armed = true; }, true);

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
  }

  function goNext() {
    leaving = true;
    document.getElementById("next-form").submit();
  }

  function skip() {
    leaving = true;
    document.getElementById("skip-form").submit();
  }

  function save() {
    if (!form || busy) return;
    busy = true;
    message.textContent = "";
    post(root.dataset.decide, {
      value: input.value,
      version: Number(root.dataset.version),
      seconds: (Date.now() - openedAt) / 1000,
      override_reason: overrideReason && !override.hidden ? overrideReason.value : "",
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        busy = false;
        if (ok) return goNext();
        message.textContent = data.detail || root.dataset.msgNotSaved;
        if (data.code === "rules_still_fail") {
          override.hidden = false;
          overrideReason.focus();
        }
      })
      .catch(() => { busy = false; message.textContent = root.dataset.msgNetwork; });
  }

  if (form) {
    input.select();
    form.addEventListener("submit", (e) => { e.preventDefault(); if (armed) save(); });
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        post(root.dataset.check, { value: input.value }).then((r) => r.json()).then((d) => {
          live.replaceChildren(...d.failures.map((f) => {
            const div = document.createElement("div");
            div.className = "reason";
            div.textContent = f.message;
            return div;
          }));
          live.classList.toggle("ok", d.failures.length === 0);
          if (d.failures.length === 0) override.hidden = true;
        });
      }, 250);
    });
  }

  document.addEventListener("keydown", (e) => {
    if (help.open) return;
    if (e.key === "Escape") { e.preventDefault(); skip(); return; }
    if (e.key === "Tab" && form) { e.preventDefault(); save(); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) { e.preventDefault(); save(); return; }
    // "?" opens the keys also from the value box as long as nothing was typed there yet (the first
    // key); Ctrl+/ opens them anywhere, always.
    const typing = document.activeElement && document.activeElement.tagName === "INPUT";
    const firstKey = document.activeElement === input && !typed;
    if ((e.key === "?" && (!typing || firstKey)) || (e.key === "/" && e.ctrlKey)) {
      e.preventDefault();
      help.showModal();
    }
  });
  document.getElementById("help-button").addEventListener("click", () => help.showModal());
  const skipButton = document.getElementById("skip");
  if (skipButton) skipButton.addEventListener("click", skip);

  // Keep the lease while the page is open; give the field back when the clerk leaves.
  const every = Math.max(5, Number(root.dataset.lease) / 3) * 1000;
  const beat = setInterval(() => {
    post(root.dataset.heartbeat).then((r) => {
      if (r.status === 409) {
        clearInterval(beat);
        message.textContent = root.dataset.msgLeaseLost;
      }
    });
  }, every);
  window.addEventListener("pagehide", () => {
    if (leaving || root.dataset.status !== "needs_review") return;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrf);
    navigator.sendBeacon(root.dataset.release, data);
  });
})();
