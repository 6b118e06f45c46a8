// dxrpa inspect: after locate.js, list what a robot can name on this document, each with its
// best locator (ready to paste into a robot), for `dxrpa inspect`. Reads the page, writes nothing.
const visible = (el) => {
  const r = el.getBoundingClientRect();
  const st = getComputedStyle(el);
  return (r.width > 0 || r.height > 0) && st.visibility !== "hidden" && st.display !== "none";
};
const CONTROL_SEL = "input:not([type=hidden]),select,textarea,button,a[href],[role=button],[role=link]," +
  "[role=checkbox],[role=radio],[role=tab],[role=combobox],[role=textbox],[role=menuitem]";
const strip = (c) => { const o = { ...c }; delete o.unique; return o; };
const controls = [];
for (const el of document.querySelectorAll(CONTROL_SEL)) {
  if (!visible(el)) continue;
  const cands = candidates(el);
  const best = cands.find((c) => c.unique) || cands[cands.length - 1];
  const opensWindow = el.getAttribute("target") === "_blank" || /window\.open/.test(el.getAttribute("onclick") || "");
  const options = el.tagName.toLowerCase() === "select"
    ? Array.from(el.options).slice(0, 8).map((o) => norm(o.label || o.textContent)) : [];
  controls.push({ role: roleOf(el) || el.tagName.toLowerCase(), locator: strip(best), unique: !!best.unique,
                  opens_window: opensWindow, options });
}
const tables = [];
for (const el of document.querySelectorAll("table,[role=table],[role=grid],[role=treegrid]")) {
  if (!visible(el)) continue;
  const cap = el.querySelector("caption");
  const name = labelOf(el) || (cap ? textOf(cap) : "");
  const role = el.getAttribute("role") || "table";
  const heads = Array.from(el.querySelectorAll("th,[role=columnheader]")).slice(0, 8).map(textOf);
  tables.push({ locator: name ? { role, name } : { css: cssPath(el) }, headers: heads });
}
const frames = Array.from(document.querySelectorAll("iframe,frame")).map((el) => ({
  title: el.getAttribute("title") || el.getAttribute("name") || "", src: el.getAttribute("src") || "",
}));
return { title: document.title, url: location.href, controls, tables, frames };
