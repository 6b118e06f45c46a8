// dxrpa locator candidates: shared by the recorder (recorder.js) and `dxrpa inspect` (inspect.js).
// For an element, the ways a robot can name it, most readable first (role+name or label, then
// placeholder, text, test_id, css as the last resort), each marked unique on the page or not.
// Plain function declarations: the Python side wraps this file with the script that uses it.
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const textOf = (el) => norm(el.innerText !== undefined ? el.innerText : el.textContent);

function labelOf(el) {
  const by = el.getAttribute("aria-labelledby");
  if (by) {
    const t = by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean)
      .map((e) => textOf(e)).join(" ");
    if (norm(t)) return norm(t);
  }
  const aria = el.getAttribute("aria-label");
  if (aria && norm(aria)) return norm(aria);
  if (el.labels && el.labels.length) return norm(Array.from(el.labels).map(textOf).join(" "));
  return "";
}

function roleOf(el) {
  const explicit = el.getAttribute("role");
  if (explicit) return explicit.split(/\s+/)[0];
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute("type") || "").toLowerCase();
  if (tag === "button") return "button";
  if (tag === "a" && el.hasAttribute("href")) return "link";
  if (tag === "select") return el.multiple || el.size > 1 ? "listbox" : "combobox";
  if (tag === "textarea") return "textbox";
  if (tag === "input") {
    if (["submit", "button", "reset", "image"].includes(type)) return "button";
    if (type === "checkbox") return "checkbox";
    if (type === "radio") return "radio";
    if (["", "text", "email", "tel", "url", "search", "password", "number", "date"].includes(type)) {
      return type === "search" ? "searchbox" : type === "number" ? "spinbutton" : "textbox";
    }
  }
  return "";
}

function nameOf(el) {
  const label = labelOf(el);
  if (label) return label;
  const tag = el.tagName.toLowerCase();
  if (tag === "input") return norm(el.value || el.getAttribute("alt") || el.title);
  return norm(textOf(el) || el.title);
}

const CONTROLS = "input,select,textarea,button,a[href],[role]";
const all = (sel) => Array.from(document.querySelectorAll(sel));

function candidates(el) {
  const out = [];
  const role = roleOf(el);
  const name = nameOf(el);
  const label = labelOf(el);
  const formControl = ["input", "select", "textarea"].includes(el.tagName.toLowerCase())
    && !["button", "checkbox", "radio"].includes(role);
  const byLabel = () => {
    if (!label) return;
    const n = all("input,select,textarea,[aria-label],[aria-labelledby]")
      .filter((e) => labelOf(e) === label).length;
    out.push({ label, unique: n === 1 });
  };
  if (formControl) byLabel();
  if (role && name) {
    const n = all(CONTROLS).filter((e) => roleOf(e) === role && nameOf(e) === name).length;
    out.push({ role, name, unique: n === 1 });
  }
  if (!formControl) byLabel();
  const ph = el.getAttribute("placeholder");
  if (ph) out.push({ placeholder: ph, unique: all("[placeholder]").filter((e) => e.getAttribute("placeholder") === ph).length === 1 });
  const text = textOf(el);
  if (text && text.length <= 40 && !formControl) {
    const n = all("body *").filter((e) => textOf(e) === text && !Array.from(e.children).some((c) => textOf(c) === text)).length;
    out.push({ text, unique: n === 1 });
  }
  const tid = el.getAttribute("data-testid");
  if (tid) out.push({ test_id: tid, unique: all("[data-testid]").filter((e) => e.getAttribute("data-testid") === tid).length === 1 });
  out.push({ css: cssPath(el), unique: true });
  return out;
}

function cssPath(el) {
  if (el.id && document.querySelectorAll("#" + CSS.escape(el.id)).length === 1) return "#" + CSS.escape(el.id);
  const name = el.getAttribute("name");
  const tag = el.tagName.toLowerCase();
  if (name) {
    const sel = `${tag}[name="${name.replace(/"/g, '\\"')}"]`;
    if (document.querySelectorAll(sel).length === 1) return sel;
  }
  const parts = [];
  let node = el;
  while (node && node.nodeType === 1 && node !== document.body) {
    let part = node.tagName.toLowerCase();
    const parent = node.parentElement;
    if (parent) {
      const same = Array.from(parent.children).filter((c) => c.tagName === node.tagName);
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
    }
    parts.unshift(part);
    if (node.id) { parts[0] = "#" + CSS.escape(node.id); break; }
    node = parent;
  }
  return parts.join(" > ");
}

function target(el) {
  return el.closest("button,a[href],input,select,textarea,[role=button],[role=link],[role=checkbox],[role=radio],[role=tab],[role=menuitem],[role=option]") || el;
}

