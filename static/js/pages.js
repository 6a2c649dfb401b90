// Small behaviours shared by every page (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // Dates are shown in the reader's time zone (ocr_review.middleware.UserTimeZoneMiddleware).
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !document.cookie.split("; ").includes("tz=" + zone)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
      if (document.body.dataset.tz && document.body.dataset.tz !== zone) location.reload();
    }
  } catch (e) { /* an old browser: the server's zone is used */ }

  // <select data-autosubmit> submits its form when changed (filters, language).
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });

  // Documents list: refresh the rows while any document is still queued or being read.
  const rows = document.getElementById("rows");
  if (rows && rows.dataset.refresh) {
    const tick = function () {
      if (document.hidden) return setTimeout(tick, 3000);
      fetch(rows.dataset.refresh, { headers: { Accept: "text/html" } })
        .then((r) => r.text())
        .then((html) => {
          rows.innerHTML = html;
          if (/data-busy-row/.test(html)) setTimeout(tick, 2500);
        });
    };
    if (rows.dataset.busy === "1") setTimeout(tick, 2500);
  }

  // Document page: reload once recognition has finished.
  const poll = document.querySelector("[data-poll]");
  if (poll) {
    const check = function () {
      fetch(poll.dataset.poll)
        .then((r) => r.json())
        .then((d) => {
          if (d.status === "queued" || d.status === "processing") setTimeout(check, 1500);
          else location.reload();
        })
        .catch(() => setTimeout(check, 4000));
    };
    check();
  }

  // Confidence bars read their value from data-c (inline style attributes are not allowed).
  document.querySelectorAll(".conf[data-c]").forEach(function (el) {
    el.style.setProperty("--c", el.dataset.c);
  });
})();
