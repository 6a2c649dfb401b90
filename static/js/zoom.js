// Zoom and pan on page images (any <svg data-zoom> with a viewBox): mouse wheel or +/- to zoom
// (around the pointer, or around the highlighted field box), drag to pan, 0 to fit the page.
// The field box under review stays in view when zooming from the keyboard. No inline script.
(function () {
  "use strict";
  const MIN = 1, MAX = 12, STEP = 1.25;

  function setup(svg) {
    const full = svg.viewBox.baseVal;
    const page = { x: full.x, y: full.y, w: full.width, h: full.height };
    let view = Object.assign({}, page);
    const focus = svg.querySelector(".box.focus") || svg.querySelector(".box.needs_review");

    function apply() {
      svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
      svg.dataset.scale = (page.w / view.w).toFixed(2);
    }
    function clamp() {
      view.w = Math.min(page.w, Math.max(page.w / MAX, view.w));
      view.h = view.w * page.h / page.w;
      view.x = Math.min(page.x + page.w - view.w, Math.max(page.x, view.x));
      view.y = Math.min(page.y + page.h - view.h, Math.max(page.y, view.y));
    }
    function zoom(factor, cx, cy) {
      const w = view.w / factor;
      view.x = cx - (cx - view.x) * (w / view.w);
      view.y = cy - (cy - view.y) * (w / view.w);
      view.w = w;
      clamp();
      apply();
    }
    function focusCentre() {
      if (focus) {
        const b = focus.getBBox();
        return [b.x + b.width / 2, b.y + b.height / 2];
      }
      return [view.x + view.w / 2, view.y + view.h / 2];
    }
    function toPage(event) {
      const r = svg.getBoundingClientRect();
      return [view.x + (event.clientX - r.left) / r.width * view.w,
              view.y + (event.clientY - r.top) / r.height * view.h];
    }

    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [x, y] = toPage(e);
      zoom(e.deltaY < 0 ? STEP : 1 / STEP, x, y);
    }, { passive: false });

    let drag = null;
    svg.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
      svg.setPointerCapture(e.pointerId);
    });
    svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const r = svg.getBoundingClientRect();
      view.x = drag.vx - (e.clientX - drag.x) / r.width * view.w;
      view.y = drag.vy - (e.clientY - drag.y) / r.height * view.h;
      clamp();
      apply();
    });
    svg.addEventListener("pointerup", () => { drag = null; });

    svg.tabIndex = 0;
    svg.zoomBy = (factor) => { const [x, y] = focusCentre(); zoom(factor, x, y); };
    svg.zoomReset = () => { view = Object.assign({}, page); apply(); };
    svg.addEventListener("keydown", (e) => {
      if (e.key === "+" || e.key === "=") { e.preventDefault(); svg.zoomBy(STEP); }
      else if (e.key === "-") { e.preventDefault(); svg.zoomBy(1 / STEP); }
      else if (e.key === "0") { e.preventDefault(); svg.zoomReset(); }
    });
    apply();
  }

  document.querySelectorAll("svg[data-zoom]").forEach(setup);

  // Buttons next to a page: <button data-zoom-target="ID" data-zoom-step="in|out|fit">.
  document.addEventListener("click", (e) => {
    const button = e.target.closest ? e.target.closest("[data-zoom-target]") : null;
    if (!button) return;
    const svg = document.getElementById(button.dataset.zoomTarget);
    if (!svg || !svg.zoomBy) return;
    const step = button.dataset.zoomStep;
    if (step === "fit") svg.zoomReset(); else svg.zoomBy(step === "in" ? STEP : 1 / STEP);
  });

  // The field crop grows to the card's full width and back (click or Enter on it).
  document.querySelectorAll("img.crop").forEach((img) => {
    img.tabIndex = 0;
    const toggle = () => img.classList.toggle("enlarged");
    img.addEventListener("click", toggle);
    img.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.stopPropagation(); toggle(); } });
  });
})();
