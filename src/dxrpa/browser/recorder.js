// dxrpa recorder: injected into every frame of a recording context (add_init_script) after
// locate.js. It watches what the person does and reports each action with locator candidates
// marked unique or not *on the page as it was at that moment* (a click that navigates leaves no
// page to check afterwards). Nothing is written into the page.
if (!window.__dxrpaRecorder) {
  window.__dxrpaRecorder = true;
  const report = (data) => {
    try { window.__dxrpaRecord(data); } catch (e) { /* binding not there yet */ }
  };
  const isTextual = (el) => {
    const tag = el.tagName.toLowerCase();
    if (tag === "textarea") return true;
    if (tag !== "input") return false;
    const t = (el.getAttribute("type") || "text").toLowerCase();
    return !["submit", "button", "reset", "image", "checkbox", "radio", "file", "hidden"].includes(t);
  };

  document.addEventListener("click", (ev) => {
    if (!ev.isTrusted) return;
    const el = target(ev.target);
    const tag = el.tagName.toLowerCase();
    if (tag === "select" || isTextual(el)) return;
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "input" && ["checkbox", "radio", "file"].includes(type)) return;  // reported on change
    if (tag === "label") return;  // the control's own change event follows
    report({ kind: "click", candidates: candidates(el), url: location.href });
  }, true);

  // change events count even when a page script raised them: date pickers and selects set the
  // value for the person and announce it that way (clicks must be the person's own)
  document.addEventListener("change", (ev) => {
    const el = ev.target;
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "select") {
      const chosen = Array.from(el.selectedOptions).map((o) => norm(o.label || o.textContent));
      report({ kind: "select", candidates: candidates(el), value: el.multiple ? chosen : chosen[0] || "" });
    } else if (tag === "input" && (type === "checkbox" || type === "radio")) {
      report({ kind: el.checked ? "check" : "uncheck", candidates: candidates(el) });
    } else if (tag === "input" && type === "file") {
      report({ kind: "upload", candidates: candidates(el), files: Array.from(el.files || []).map((f) => f.name) });
    } else if (isTextual(el)) {
      report({ kind: "fill", candidates: candidates(el), value: el.value, secret: type === "password" });
    }
  }, true);

  document.addEventListener("keydown", (ev) => {
    if (!ev.isTrusted || ev.key !== "Enter" || ev.isComposing) return;
    const el = ev.target;
    if (!isTextual(el) || el.tagName.toLowerCase() === "textarea") return;
    // the value typed so far is reported first: change fires after keydown otherwise
    report({ kind: "fill", candidates: candidates(el), value: el.value,
             secret: (el.getAttribute("type") || "").toLowerCase() === "password" });
    report({ kind: "press", candidates: candidates(el), key: "Enter" });
  }, true);
}
