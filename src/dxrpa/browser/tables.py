"""Read a table from the page as header names and rows of cell text.

Government pages build tables in every way there is, and a wrong mapping is silent, so the
reading is done once, here, in the browser:

* ``<table>`` and ARIA tables (``role=table``/``grid``/``treegrid`` made of ``role=row`` and
  ``columnheader``/``rowheader``/``cell``/``gridcell``), the first one inside the located element
  when it is not a table itself;
* ``colspan``/``rowspan`` (and ``aria-colspan``/``aria-rowspan``) are laid out on a grid, so a
  spanning cell's text is under every column it covers and the row after a rowspan keeps its
  columns;
* header rows (``<thead>``, or leading rows of header cells only) are joined per column into
  ``親/子`` names; a table without one gets ``列1``, ``列2``… or the names the robot gives.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Locator

_MAX_SPAN = 1000  # a spanning cell covers at most this many rows or columns (rowspan=0: the rest)

_TABLE_JS = r"""(el, maxSpan) => {
  const role = e => ((e.getAttribute && e.getAttribute('role')) || '').toLowerCase();
  const isAria = e => ['table', 'grid', 'treegrid'].includes(role(e));
  const t = (el.tagName === 'TABLE' || isAria(el)) ? el
    : el.querySelector('table, [role=table], [role=grid], [role=treegrid]');
  if (!t) return null;
  const text = c => (c.innerText || c.textContent || '').replace(/\s+/g, ' ').trim();
  const span = (v, rows) => {
    const n = parseInt(v, 10);
    if (n === 0 && rows) return maxSpan;
    return Number.isFinite(n) && n > 0 ? Math.min(n, maxSpan) : 1;
  };
  let rows;
  if (t.tagName === 'TABLE' && !isAria(t)) {
    rows = Array.from(t.rows).filter(r => r.closest('table') === t).map(r => ({
      thead: r.parentElement && r.parentElement.tagName === 'THEAD',
      cells: Array.from(r.cells).map(c => ({
        text: text(c), head: c.tagName === 'TH',
        cs: span(c.getAttribute('colspan'), false), rs: span(c.getAttribute('rowspan'), true)})),
    }));
  } else {
    const tables = 'table, [role=table], [role=grid], [role=treegrid]';
    rows = Array.from(t.querySelectorAll('[role=row]')).filter(r => r.closest(tables) === t).map(r => ({
      thead: false,
      cells: Array.from(r.querySelectorAll(
        '[role=cell], [role=gridcell], [role=columnheader], [role=rowheader]'))
        .filter(c => c.closest('[role=row]') === r).map(c => ({
          text: text(c), head: role(c) === 'columnheader',
          cs: span(c.getAttribute('aria-colspan'), false), rs: span(c.getAttribute('aria-rowspan'), true)})),
    }));
  }
  rows = rows.filter(r => r.cells.length);
  const grid = [];
  rows.forEach((r, ri) => {
    grid[ri] = grid[ri] || [];
    let col = 0;
    for (const c of r.cells) {
      while (grid[ri][col] !== undefined) col++;
      const rs = Math.min(c.rs, rows.length - ri);
      for (let dr = 0; dr < rs; dr++) {
        const row = grid[ri + dr] = grid[ri + dr] || [];
        for (let dc = 0; dc < c.cs; dc++) row[col + dc] = c.text;
      }
      col += c.cs;
    }
  });
  let headRows = 0;
  if (rows.some(r => r.thead)) {
    while (headRows < rows.length && rows[headRows].thead) headRows++;
  } else {
    while (headRows < rows.length - 1 && rows[headRows].cells.every(c => c.head)) headRows++;
    if (headRows === 0 && rows.length === 1 && rows[0].cells.every(c => c.head)) headRows = 1;
  }
  const width = Math.max(0, ...grid.map(r => r.length));
  const headers = [];
  for (let col = 0; headRows && col < width; col++) {
    const parts = [];
    for (let ri = 0; ri < headRows; ri++) {
      const v = (grid[ri] || [])[col];
      if (v && parts[parts.length - 1] !== v) parts.push(v);
    }
    headers.push(parts.join('/'));
  }
  const body = grid.slice(headRows).map(r => Array.from(r, v => v === undefined ? '' : v));
  return {headers, rows: body};
}"""


async def read_table(target: Locator, *, timeout_ms: float) -> tuple[list[str], list[list[str]]] | None:
    """``(headers, rows)`` of the table at (or first inside) ``target``; None when there is none."""
    data: Any = await target.evaluate(_TABLE_JS, _MAX_SPAN, timeout=timeout_ms)
    if data is None:
        return None
    return [str(h) for h in data["headers"]], [[str(c) for c in row] for row in data["rows"]]


async def table_signature(target: Locator, *, timeout_ms: float) -> str:
    """The table's text: paging is done when it changes after a click on "next"."""
    text = await target.evaluate("el => (el.innerText || el.textContent || '')", timeout=timeout_ms)
    return str(text)


def table_records(headers: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows keyed by header text; blank or repeated headers become 列N / 名前_2."""
    names: list[str] = []
    for i, h in enumerate(headers):
        name = h or f"列{i + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    width = max([len(names), *(len(r) for r in rows)]) if rows else len(names)
    names += [f"列{i + 1}" for i in range(len(names), width)]
    return [{names[i]: cell for i, cell in enumerate(row)} for row in rows]
