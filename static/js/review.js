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
  // The last time the clerk did anything here: the lease (and the login) is kept only while
  // someone works on the page, not for a screen left open over lunch.
  let activeAt = Date.now();
  const active = () => { activeAt = Date.now(); };
  if (input) input.addEventListener("input", () => { typed = true; }, { once: true });
  document.addEventListener("keydown", () => { armed = true; active(); }, true);
  document.addEventListener("pointerdown", () => { armed = true; active(); }, true);
  ["pointermove", "wheel", "input"].forEach((type) => {
    document.addEventListener(type, active, { capture: true, passive: true });
  });

  // A session that timed out answers with the login page (a redirect), not JSON: say so.
  class SessionEnded extends Error {}

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    }).then((r) => {
      const json = (r.headers.get("Content-Type") || "").includes("application/json");
      if (r.redirected || !json) throw new SessionEnded();
      return r;
    });
  }

  function failed(error) {
    busy = false;
    message.textContent = error instanceof SessionEnded ? root.dataset.msgSession : root.dataset.msgNetwork;
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
      .catch(failed);
  }

  if (form) {
    input.select();
    form.addEventListener("submit", (e) => { e.preventDefault(); if (armed) save(); });
    let timer = null;
    let asked = 0;  // only the answer to the latest question is shown
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const question = ++asked;
        post(root.dataset.check, { value: input.value }).then((r) => r.json()).then((d) => {
          if (question !== asked) return;
          live.replaceChildren(...d.failures.map((f) => {
            const div = document.createElement("div");
            div.className = "reason";
            div.textContent = f.message;
            return div;
          }));
          live.classList.toggle("ok", d.failures.length === 0);
          if (d.failures.length === 0) override.hidden = true;
        }).catch(() => { if (question === asked) live.replaceChildren(); });
      }, 250);
    });
  }

  document.addEventListener("keydown", (e) => {
    if (help && help.open) return;
    // Keys that pick a candidate in an input method (pinyin) are the IME's, not ours.
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === "Escape") {
      e.preventDefault();
      // The first Esc takes back what was typed; Esc on an untouched value skips the field.
      if (input && input.value !== input.dataset.original) {
        input.value = input.dataset.original;
        input.dispatchEvent(new Event("input"));
        input.select();
        return;
      }
      skip();
      return;
    }
    // Tab in the value box saves; elsewhere (the override reason, the zoom) it moves focus.
    if (e.key === "Tab" && !e.shiftKey && form && document.activeElement === input) {
      e.preventDefault();
      save();
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) { e.preventDefault(); save(); return; }
    // "?" opens the keys also from the value box as long as nothing was typed there yet (the first
    // key); Ctrl+/ opens them anywhere, always.
    const typing = document.activeElement && document.activeElement.tagName === "INPUT";
    const firstKey = document.activeElement === input && !typed;
    if (help && ((e.key === "?" && (!typing || firstKey)) || (e.key === "/" && e.ctrlKey))) {
      e.preventDefault();
      help.showModal();
    }
  });
  const helpButton = document.getElementById("help-button");
  if (helpButton) helpButton.addEventListener("click", () => help.showModal());
  const skipButton = document.getElementById("skip");
  if (skipButton) skipButton.addEventListener("click", skip);

  // Keep the lease while the page is open; give the field back when the clerk leaves.
  // Beats stop after a lease's time without any input, so the field goes back to the queue and
  // the session's idle timeout applies; they resume with the next key or pointer movement.
  const leaseMs = Number(root.dataset.lease) * 1000;
  const every = Math.max(5000, leaseMs / 3);
  const beat = setInterval(() => {
    if (Date.now() - activeAt > leaseMs) return;
    post(root.dataset.heartbeat).then((r) => {
      if (r.status === 409) {
        clearInterval(beat);
        message.textContent = root.dataset.msgLeaseLost;
      }
    }).catch((error) => {
      if (error instanceof SessionEnded) {
        clearInterval(beat);
        message.textContent = root.dataset.msgSession;
      }
    });
  }, every);
  window.addEventListener("pagehide", () => {
    if (leaving || root.dataset.status !== "needs_review") return;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrf);
    data.append("claimed", root.dataset.claimed);  // this page's hold only, not a reload's
    navigator.sendBeacon(root.dataset.release, data);
  });
})();
