// Drag-and-drop upload: each file is sent on its own request with a progress bar, then its
// document's status is polled until recognition finishes.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const drop = document.getElementById("drop");
  const input = document.getElementById("file-input");
  const table = document.getElementById("uploads");
  const body = table.querySelector("tbody");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const FINAL = ["completed", "needs_review", "failed"];
  const maxBytes = Number(form.dataset.maxBytes) || Infinity;

  function row(file) {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = file.name;
    const progress = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    progress.appendChild(bar);
    const status = document.createElement("td");
    status.textContent = "…";
    tr.append(name, progress, status);
    body.appendChild(tr);
    table.hidden = false;
    return { tr, bar, status, name };
  }

  function poll(url, view) {
    fetch(url, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((doc) => {
        view.status.textContent = doc.status_label;
        view.status.className = "status " + doc.status;
        if (!FINAL.includes(doc.status)) setTimeout(() => poll(url, view), 1500);
      })
      .catch(() => setTimeout(() => poll(url, view), 4000));
  }

  function send(file) {
    const view = row(file);
    if (file.size > maxBytes) {  // the server would refuse it from its size; spare the upload
      view.status.textContent = form.dataset.tooLarge;
      view.status.className = "status failed";
      return;
    }
    const data = new FormData();
    data.append("file", file);
    data.append("document_type", document.getElementById("document-type").value);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) view.bar.value = (100 * e.loaded) / e.total; };
    xhr.onload = () => {
      let reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = { error: xhr.statusText }; }
      view.bar.value = 100;
      if (xhr.status >= 400) {
        view.status.textContent = reply.detail || xhr.statusText;
        view.status.className = "status failed";
        return;
      }
      const link = document.createElement("a");
      link.href = reply.url; link.textContent = file.name;
      view.name.replaceChildren(link);
      view.status.textContent = reply.created ? reply.status_label : reply.status_label + " " + form.dataset.msgAlready;
      view.status.className = "status " + reply.status;
      poll(reply.url + "status/", view);
    };
    xhr.onerror = () => { view.status.textContent = form.dataset.msgNetwork; view.status.className = "status failed"; };
    xhr.send(data);
  }

  function accept(files) { Array.from(files).forEach(send); }
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); accept(e.dataTransfer.files); });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") input.click(); });
  input.addEventListener("change", () => { accept(input.files); input.value = ""; });
})();
