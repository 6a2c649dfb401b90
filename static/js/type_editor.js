// The visual type editor (templates/processing/type_editor.html): lines of a sample page drawn
// over it; a clicked line becomes the current field's label or value, a dragged box its region or
// a section; the draft is tried on the page or the last 20 documents and saved as field specs.
(function () {
  "use strict";
  const dataNode = document.getElementById("editor-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const draft = data.draft;
  const lines = data.lines;
  const strings = document.getElementById("editor-strings").dataset;
  const svg = document.getElementById("editor-page");
  const SVG = "http://www.w3.org/2000/svg";
  const list = document.getElementById("field-list");
  const form = document.getElementById("field-form");
  const selection = document.getElementById("selection");
  const message = document.getElementById("editor-message");
  let current = draft.fields.length ? 0 : -1;
  let selected = null; // {line: i} or {box: [x0, y0, x1, y1]}
  let results = {};

  const labelPart = (text) => text.split(/[:：]/)[0].replace(/\s+$/, "");
  const norm = (text) => text.replace(/[\s:：]/g, "");
  const field = () => draft.fields[current];
  const say = (text, bad) => { message.textContent = text; message.className = bad ? "error" : "ok"; };

  function rect(box, cls, parent) {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", box[0]); r.setAttribute("y", box[1]);
    r.setAttribute("width", Math.max(1, box[2] - box[0])); r.setAttribute("height", Math.max(1, box[3] - box[1]));
    r.setAttribute("class", cls);
    parent.appendChild(r);
    return r;
  }

  function drawLines() {
    if (!svg) return;
    const group = document.getElementById("lines");
    lines.forEach(function (line, i) {
      const r = rect(line.box, "line", group);
      r.dataset.i = i;
      r.setAttribute("tabindex", "0");
      r.setAttribute("role", "button");
      r.setAttribute("aria-label", line.text);
      const title = document.createElementNS(SVG, "title");
      title.textContent = line.text;
      r.appendChild(title);
      r.addEventListener("click", function (e) { e.stopPropagation(); selectLine(i); });
      r.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); selectLine(i); } });
    });
  }

  function drawMarks() {
    if (!svg) return;
    const marks = document.getElementById("marks");
    marks.replaceChildren();
    const f = field();
    if (f) {
      const label = labelLine(f);
      if (label !== null) rect(lines[label].box, "mark label", marks);
      const found = results[f.key];
      if (found && found.box) rect(found.box, "mark value", marks);
      const region = f.location && f.location.region;
      if (region && data.frame) rect(fromFrame(region.box), "mark region", marks);
    }
    if (selected && selected.box) rect(selected.box, "mark selected", marks);
    document.querySelectorAll("#lines rect").forEach(function (r) {
      r.classList.toggle("selected", selected !== null && selected.line === Number(r.dataset.i));
    });
  }

  function toFrame(box) {
    const [fx0, fy0, fx1, fy1] = data.frame;
    const w = fx1 - fx0, h = fy1 - fy0;
    const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
    return [clamp((box[0] - fx0) / w), clamp((box[1] - fy0) / h), clamp((box[2] - fx0) / w), clamp((box[3] - fy0) / h)];
  }

  function fromFrame(box) {
    const [fx0, fy0, fx1, fy1] = data.frame;
    const w = fx1 - fx0, h = fy1 - fy0;
    return [fx0 + box[0] * w, fy0 + box[1] * h, fx0 + box[2] * w, fy0 + box[3] * h];
  }

  function labelLine(f) {
    if (!f || !f.label || (f.location && f.location.by && f.location.by !== "label")) return null;
    const same = [];
    lines.forEach(function (line, i) { if (norm(labelPart(line.text)) === norm(f.label)) same.push(i); });
    if (!same.length) return null;
    const n = (f.location && f.location.occurrence) || 1;
    return same[n > 0 ? Math.min(n, same.length) - 1 : same.length - 1];
  }

  function renderList() {
    list.replaceChildren();
    draft.fields.forEach(function (f, i) {
      const item = document.createElement("li");
      item.className = i === current ? "current" : "";
      item.tabIndex = 0;
      const found = results[f.key];
      const value = found ? (found.box ? found.value : "— " + strings.notFound) : "";
      item.innerHTML = "<b></b> <span class='muted'></span><div class='found'></div><div class='reason'></div>";
      item.querySelector("b").textContent = f.key || "?";
      item.querySelector(".muted").textContent = f.label || "";
      item.querySelector(".found").textContent = value;
      const reason = item.querySelector(".reason");
      reason.textContent = found ? found.reasons.map((r) => r.message).join(" ") : "";
      reason.hidden = !reason.textContent;
      item.dataset.key = f.key;
      item.addEventListener("click", function () { pick(i); });
      list.appendChild(item);
    });
  }

  function renderForm() {
    const f = field();
    form.hidden = !f;
    if (!f) return;
    form.querySelectorAll("[data-prop]").forEach(function (input) {
      const value = f[input.dataset.prop];
      if (input.type === "checkbox") input.checked = value !== false;
      else if (input.hasAttribute("data-json")) input.value = JSON.stringify(value || (input.dataset.prop === "cleaning" ? [] : {}));
      else if (Array.isArray(value)) input.value = value.join(", ");
      else input.value = value == null ? "" : value;
    });
  }

  function render() { renderList(); renderForm(); drawMarks(); }

  function pick(i) {
    if (i < 0 || i >= draft.fields.length) return;
    current = i;
    render();
  }

  function selectLine(i) {
    selected = { line: i };
    selection.hidden = false;
    document.getElementById("line-actions").hidden = false;
    document.getElementById("box-actions").hidden = false;
    document.getElementById("selection-text").textContent = lines[i].text;
    drawMarks();
  }

  function selectBox(box) {
    selected = { box: box };
    selection.hidden = false;
    document.getElementById("line-actions").hidden = true;
    document.getElementById("box-actions").hidden = false;
    const inside = lines.filter((l) => l.box[0] >= box[0] && l.box[1] >= box[1] && l.box[2] <= box[2] && l.box[3] <= box[3]);
    document.getElementById("selection-text").textContent = inside.map((l) => l.text).join(" · ");
    drawMarks();
  }

  function clearSelection() { selected = null; selection.hidden = true; drawMarks(); }

  function selectedBox() {
    if (!selected) return null;
    return selected.box || lines[selected.line].box;
  }

  function act(kind) {
    const f = field();
    if (!f) { say(strings.noField, true); return; }
    if (!selected) return;
    const loc = Object.assign({}, f.location || {});
    if (kind === "label" && selected.line !== undefined) {
      const text = labelPart(lines[selected.line].text);
      f.label = text;
      const same = [];
      lines.forEach(function (line, i) { if (norm(labelPart(line.text)) === norm(text)) same.push(i); });
      delete loc.by; delete loc.region; delete loc.occurrence;
      if (same.length > 1) loc.occurrence = same.indexOf(selected.line) + 1;
      f.location = loc; f.region = null;
    } else if (kind === "value" && selected.line !== undefined) {
      const label = labelLine(f);
      const value = lines[selected.line].box;
      if (label === null) {
        f.location = { by: "region", region: { frame: "content", box: toFrame(pad(value)) } };
      } else {
        const lb = lines[label].box;
        const sameRow = Math.min(lb[3], value[3]) - Math.max(lb[1], value[1]) > 0.5 * Math.min(lb[3] - lb[1], value[3] - value[1]);
        const side = label === selected.line ? "inline" : sameRow ? "right" : "below";
        loc.value = Object.assign({}, loc.value || {}, { side: side });
        f.location = loc;
      }
      f.region = null;
    } else if (kind === "region") {
      const box = selectedBox();
      f.location = { by: "region", region: { frame: "content", box: toFrame(pad(box)) } };
      f.region = null;
      if (!f.label) {
        const first = lines.find((l) => l.box[0] >= box[0] - 2 && l.box[1] >= box[1] - 2 && l.box[2] <= box[2] + 2 && l.box[3] <= box[3] + 2);
        f.label = first ? labelPart(first.text) : f.key;
      }
    } else if (kind === "section") {
      const box = selectedBox();
      const inside = lines.map((l, i) => [l, i]).filter(([l]) => l.box[1] >= box[1] - 2 && l.box[3] <= box[3] + 2 && l.box[0] >= box[0] - 2 && l.box[2] <= box[2] + 2);
      if (!inside.length) return;
      const name = (document.getElementById("section-name").value || "section" + (Object.keys((draft.layout.sections || {})).length + 1)).trim();
      draft.layout.sections = Object.assign({}, draft.layout.sections || {}, { [name]: [labelPart(inside[0][0].text)] });
      loc.section = name;
      f.location = loc;
    }
    clearSelection();
    render();
  }

  function pad(box) {
    const h = box[3] - box[1];
    return [box[0] - h * 0.5, box[1] - h * 0.3, box[2] + h * 0.5, box[3] + h * 0.3];
  }

  function post(url, body) {
    const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.split("=")[1] : "" },
      body: JSON.stringify(body),
    }).then((r) => r.json().then((json) => ({ ok: r.ok, json: json })));
  }

  function failed(json) {
    const errors = json.errors ? Object.entries(json.errors).map(([k, v]) => k + ": " + v).join(" · ") : json.detail;
    say(strings.invalid + " " + errors, true);
  }

  function testPage() {
    post(data.urls.test, { draft: draft, document: data.document, scope: "page" }).then(function (res) {
      if (!res.ok) return failed(res.json);
      results = {};
      res.json.results.forEach(function (r) { results[r.key] = r; });
      say(strings.tested, false);
      render();
    }).catch(() => say(strings.network, true));
  }

  function testRecent() {
    post(data.urls.test, { draft: draft, scope: "recent" }).then(function (res) {
      if (!res.ok) return failed(res.json);
      const table = document.createElement("table");
      table.className = "grid compact";
      const keys = draft.fields.map((f) => f.key);
      const head = table.insertRow();
      [strings.document].concat(keys).forEach(function (k) { const th = document.createElement("th"); th.textContent = k; head.appendChild(th); });
      res.json.documents.forEach(function (d) {
        const row = table.insertRow();
        row.insertCell().textContent = "#" + d.id + " " + d.name;
        keys.forEach(function (k) {
          const cell = row.insertCell();
          cell.textContent = d.values[k] || "—";
          if (d.flagged.includes(k)) cell.className = "flagged";
        });
      });
      document.getElementById("recent-results").replaceChildren(table);
    }).catch(() => say(strings.network, true));
  }

  function save() {
    post(data.urls.save, { draft: draft }).then(function (res) {
      if (!res.ok) return failed(res.json);
      say(strings.saved, false);
    }).catch(() => say(strings.network, true));
  }

  function addField() {
    draft.fields.push({ key: "field_" + (draft.fields.length + 1), label: "", aliases: [], kind: "text", required: true, location: {}, cleaning: [], rules: {}, threshold: null, region: null });
    pick(draft.fields.length - 1);
    document.getElementById("f-key").focus();
    document.getElementById("f-key").select();
  }

  form.addEventListener("input", function (e) {
    const input = e.target;
    const f = field();
    if (!f || !input.dataset.prop) return;
    const prop = input.dataset.prop;
    if (input.type === "checkbox") f[prop] = input.checked;
    else if (input.hasAttribute("data-json")) {
      try { f[prop] = JSON.parse(input.value || (prop === "cleaning" ? "[]" : "{}")); input.setCustomValidity(""); }
      catch (err) { input.setCustomValidity(strings.badJson); }
    } else if (prop === "aliases") f[prop] = input.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
    else f[prop] = input.value;
    renderList();
    drawMarks();
  });
  form.addEventListener("change", function (e) { if (e.target.type === "checkbox") form.dispatchEvent(new Event("input")); });
  form.addEventListener("submit", (e) => e.preventDefault());
  document.querySelectorAll("[data-act]").forEach(function (b) { b.addEventListener("click", () => act(b.dataset.act)); });
  document.getElementById("add-field").addEventListener("click", addField);
  document.getElementById("test-page").addEventListener("click", testPage);
  document.getElementById("test-recent").addEventListener("click", testRecent);
  document.getElementById("save").addEventListener("click", save);

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); return; }
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if (typing || e.ctrlKey || e.metaKey || e.altKey) { if (e.key === "Escape") e.target.blur(); return; }
    const keys = { l: () => act("label"), v: () => act("value"), r: () => act("region"), s: () => act("section"),
      t: testPage, d: testRecent, a: addField, j: () => pick(current + 1), k: () => pick(current - 1), escape: clearSelection };
    const handler = keys[e.key.toLowerCase()];
    if (handler) { e.preventDefault(); handler(); }
  });

  // Drag a box over the page: a region or a section.
  if (svg) {
    let start = null, ghost = null;
    const point = function (e) {
      const p = svg.createSVGPoint();
      p.x = e.clientX; p.y = e.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    };
    svg.addEventListener("mousedown", function (e) {
      if (e.target.classList.contains("line")) return;
      start = point(e);
      ghost = rect([start.x, start.y, start.x + 1, start.y + 1], "mark selected", document.getElementById("marks"));
    });
    svg.addEventListener("mousemove", function (e) {
      if (!start) return;
      const p = point(e);
      ghost.setAttribute("x", Math.min(p.x, start.x)); ghost.setAttribute("y", Math.min(p.y, start.y));
      ghost.setAttribute("width", Math.abs(p.x - start.x)); ghost.setAttribute("height", Math.abs(p.y - start.y));
    });
    window.addEventListener("mouseup", function (e) {
      if (!start) return;
      const p = point(e);
      const box = [Math.min(p.x, start.x), Math.min(p.y, start.y), Math.max(p.x, start.x), Math.max(p.y, start.y)].map(Math.round);
      start = null;
      if (box[2] - box[0] > 8 && box[3] - box[1] > 8) selectBox(box); else drawMarks();
    });
  }

  drawLines();
  render();
})();
