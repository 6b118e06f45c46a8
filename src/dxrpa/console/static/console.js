// dxrpa console: live run progress and the keyboard-only OCR review. No external code.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  row.appendChild(td);
  return td;
}

function link(td, href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  td.appendChild(a);
  td.appendChild(document.createTextNode(" "));
  return a;
}

function etaText(root, seconds) {
  if (seconds == null) return "";
  const d = root.dataset;
  if (seconds >= 120) return d.labelEta + " " + Math.round(seconds / 60) + " " + d.labelMinutes;
  return d.labelEta + " " + seconds + " " + d.labelEtaUnit;
}

function renderProgress(root, snap) {
  const robot = document.getElementById("run-robot");
  if (robot && snap.robot && robot.textContent.trim() !== snap.robot) {
    robot.replaceChildren();
    const a = document.createElement("a");
    a.href = "/robots/" + encodeURIComponent(snap.robot);
    a.textContent = snap.robot;
    robot.appendChild(a);
  }
  const bar = document.getElementById("run-progress");
  if (bar) {
    bar.max = snap.total || 1;
    bar.value = snap.processed || 0;
  }
  document.getElementById("run-processed").textContent = String(snap.processed || 0);
  document.getElementById("run-total").textContent = snap.total ? String(snap.total) : "?";
  document.getElementById("run-percent").textContent = String(snap.percent || 0);
  document.getElementById("run-eta").textContent = snap.finished ? "" : etaText(root, snap.eta_seconds);
}

function renderRun(root, snap) {
  renderProgress(root, snap);
  const status = document.getElementById("run-status");
  status.textContent = snap.status_text;
  status.dataset.status = snap.status;
  for (const [id, key] of [["count-done", "done"], ["count-business", "business_error"],
                           ["count-system", "system_error"], ["count-skipped", "skipped"]]) {
    const el = document.getElementById(id);
    if (el) el.textContent = String(snap[key] || 0);
  }
  const err = document.getElementById("run-error");
  if (snap.error) { err.textContent = snap.error; err.hidden = false; }
  const cancel = document.getElementById("cancel-form");
  if (cancel && snap.finished) cancel.hidden = true;
  const body = document.getElementById("items-body");
  body.replaceChildren();
  for (const item of snap.items || []) {
    const tr = document.createElement("tr");
    tr.className = "item " + item.status;
    tr.dataset.key = item.key;
    cell(tr, item.key);
    cell(tr, item.status_text).className = "status";
    cell(tr, item.attempts).className = "n";
    cell(tr, item.step);
    cell(tr, item.message);
    const out = cell(tr, Object.entries(item.outputs || {}).map(([k, v]) => k + "=" + v).join("\n"));
    out.className = "outputs";
    cell(tr, item.url);
    const ev = cell(tr, "");
    for (const e of item.evidence || []) {  // each attempt's own evidence, labelled with its number
      const label = root.dataset.labelAttempt + " " + e.attempt + " ";
      if (e.screenshot) {
        const a = link(ev, e.screenshot, label + root.dataset.labelScreenshot);
        a.className = "shot";
        a.dataset.attempt = String(e.attempt);
      }
      if (e.trace) link(ev, e.trace, label + root.dataset.labelTrace).dataset.attempt = String(e.attempt);
    }
    const act = cell(tr, "");
    if (item.reprocess && root.dataset.canReprocess === "1") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reprocess";
      b.textContent = root.dataset.labelReprocess;
      b.addEventListener("click", () => {
        const form = document.getElementById("reprocess-form");
        form.querySelector('input[name="key"]').value = item.key;
        form.submit();
      });
      act.appendChild(b);
    }
    body.appendChild(tr);
  }
}

function startRunPage(root) {
  const url = root.dataset.statusUrl;
  const poll = () => {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then((r) => r.json())
      .then((snap) => {
        renderRun(root, snap);
        if (!snap.finished) setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  };
  poll();
  const cancel = document.getElementById("cancel-form");
  if (cancel) {
    cancel.addEventListener("submit", (ev) => {
      ev.preventDefault();
      fetch(cancel.action, {method: "POST", credentials: "same-origin",
                            headers: {"X-CSRF-Token": csrfToken(), Accept: "application/json"}})
        .then(() => poll());
    });
  }
}

function startPageView() {
  const inner = document.getElementById("page-inner");
  const frame = document.getElementById("page-frame");
  const img = document.getElementById("page-image");
  const box = document.getElementById("page-box");
  const missing = document.getElementById("page-missing");
  const level = document.getElementById("zoom-level");
  let zoom = 1;
  let current = null;
  const centre = () => {
    if (box.hidden) return;
    frame.scrollLeft = box.offsetLeft + box.offsetWidth / 2 - frame.clientWidth / 2;
    frame.scrollTop = box.offsetTop + box.offsetHeight / 2 - frame.clientHeight / 2;
  };
  const setZoom = (z) => {
    zoom = Math.min(4, Math.max(1, Math.round(z * 4) / 4));
    inner.style.width = (zoom * 100) + "%";
    level.textContent = Math.round(zoom * 100) + "%";
    centre();
  };
  const show = (row) => {
    current = row;
    const src = row.dataset.page;
    img.hidden = !src;
    missing.hidden = Boolean(src);
    if (src && img.getAttribute("src") !== src) img.src = src;
    const parts = (row.dataset.box || "").split(",").map(Number);
    box.hidden = !src || parts.length !== 4 || parts.some(Number.isNaN);
    if (!box.hidden) {
      box.style.left = (parts[0] * 100) + "%";
      box.style.top = (parts[1] * 100) + "%";
      box.style.width = (parts[2] * 100) + "%";
      box.style.height = (parts[3] * 100) + "%";
    }
    centre();
  };
  img.addEventListener("load", centre);
  document.getElementById("zoom-in").addEventListener("click", () => setZoom(zoom + 0.5));
  document.getElementById("zoom-out").addEventListener("click", () => setZoom(zoom - 0.5));
  return {show, zoomIn: () => setZoom(zoom + 0.5), zoomOut: () => setZoom(zoom - 0.5),
          current: () => current};
}

function startReview(form) {
  const inputs = Array.from(form.querySelectorAll("input.value"));
  const save = document.getElementById("review-save");
  const view = document.getElementById("page-view") ? startPageView() : null;
  const counter = document.getElementById("review-n");
  const acceptedCount = document.getElementById("review-accepted");
  let active = 0;
  let lastKey = Date.now();
  setInterval(() => {
    if (document.visibilityState === "visible" && Date.now() - lastKey < 120000) active += 1;
  }, 1000);
  const choose = (row, input, kind) => {
    const radio = row.querySelector("input.form-choice." + kind);
    if (!radio) return;
    radio.checked = true;
    input.value = radio.dataset.value;
    row.classList.add("edited");
  };
  inputs.forEach((input, i) => {
    const row = input.closest("tr");
    input.addEventListener("focus", () => {
      if (counter) counter.textContent = row.dataset.n;
      if (view) view.show(row);
    });
    input.addEventListener("input", () => row.classList.add("edited"));
    for (const radio of row.querySelectorAll("input.form-choice")) {
      radio.addEventListener("change", () => { input.value = radio.dataset.value; input.focus(); });
    }
    input.addEventListener("keydown", (ev) => {
      lastKey = Date.now();
      if (ev.isComposing || ev.keyCode === 229) return;  // an IME conversion's Enter is not ours
      if (ev.altKey && (ev.key === "1" || ev.key === "2")) {
        ev.preventDefault();
        choose(row, input, ev.key === "1" ? "raw" : "normalized");
        return;
      }
      if (ev.altKey && view && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
        ev.preventDefault();
        if (ev.key === "ArrowUp") view.zoomIn(); else view.zoomOut();
        return;
      }
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) {  // Ctrl+Enter: save what was accepted so far
        document.getElementById("active-seconds").value = String(active);
        form.requestSubmit(save);
        return;
      }
      row.querySelector("input.accepted").value = "1";
      row.classList.add("accepted");
      row.querySelector(".mark").textContent = "✓";
      if (acceptedCount) acceptedCount.textContent = String(form.querySelectorAll("tr.field.accepted").length);
      const next = inputs[i + 1];
      (next || save).focus();
      if (next) next.select();
    });
  });
  form.addEventListener("submit", () => {
    document.getElementById("active-seconds").value = String(active);
  });
  if (inputs.length) { inputs[0].focus(); inputs[0].select(); }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  const run = document.getElementById("run");
  if (run) startRunPage(run);
  const review = document.getElementById("review-form");
  if (review) startReview(review);
});
