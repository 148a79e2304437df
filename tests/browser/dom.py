"""Reading rendered tables back from the page, the way a reader sees them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from playwright.sync_api import Page

# For every figure cell (blank cells carry no data-cell): its key, shown text, plain value, and the texts of the header cells that
# label it (its `headers` attribute), split into column headers (thead) and row headers (tbody),
# plus the classification code printed in the same row before its row header.
EXTRACT = """
(table) => Array.from(table.querySelectorAll('td[data-cell]')).map(td => {
  const ids = (td.getAttribute('headers') || '').split(/\\s+/).filter(Boolean);
  const heads = ids.map(id => document.getElementById(id)).filter(Boolean);
  const cols = heads.filter(h => h.closest('thead')).map(h => h.textContent.trim());
  const rowHeads = heads.filter(h => h.closest('tbody'));
  const rows = rowHeads.map(h => h.textContent.trim());
  let code = '';
  for (const h of rowHeads) {
    const prev = h.previousElementSibling;
    if (prev && prev.classList.contains('code')) code = prev.textContent.trim();
  }
  const text = td.firstChild && td.firstChild.nodeType === Node.TEXT_NODE ? td.firstChild.textContent : '';
  const parts = td.dataset.cell.split('/');
  if (parts.length === 2) parts.push('amount');
  return {key: table.dataset.table + '/' + parts.join('/'), value: text.replaceAll(',', ''), text,
          cols, rows, code, flagged: td.classList.contains('flagged')};
})
"""

# Cells whose position on screen disagrees with the headers they name: a data cell must sit in
# the columns of each column header and in the rows of each row header its `headers` lists.
MISPLACED = """
(table) => {
  const place = new Map();
  const rows = Array.from(table.rows);
  const taken = rows.map(() => []);
  rows.forEach((tr, r) => {
    let c = 0;
    Array.from(tr.cells).forEach(cell => {
      while (taken[r][c]) c++;
      for (let dr = 0; dr < cell.rowSpan; dr++)
        for (let dc = 0; dc < cell.colSpan; dc++)
          if (r + dr < rows.length) taken[r + dr][c + dc] = true;
      place.set(cell, {r0: r, r1: r + cell.rowSpan - 1, c0: c, c1: c + cell.colSpan - 1});
      c += cell.colSpan;
    });
  });
  const wrong = [];
  table.querySelectorAll('td[data-cell]').forEach(td => {
    const p = place.get(td);
    (td.getAttribute('headers') || '').split(/\\s+/).filter(Boolean).forEach(id => {
      const h = document.getElementById(id);
      if (!h || !place.has(h)) return;
      const q = place.get(h);
      const inHead = !!h.closest('thead');
      if (!inHead && h.getAttribute('scope') !== 'row') return;  // a section heading row, not a row header
      const ok = inHead ? (q.c0 <= p.c0 && p.c0 <= q.c1) : (q.r0 <= p.r0 && p.r0 <= q.r1);
      if (!ok) wrong.push(td.dataset.cell + ' under ' + h.textContent.trim());
    });
  });
  return wrong;
}
"""

# The table as a rectangle of cell texts (spans expanded), as a spreadsheet would show it.
MATRIX = """
(table) => {
  const rows = Array.from(table.rows);
  const grid = rows.map(() => []);
  rows.forEach((tr, r) => {
    let c = 0;
    Array.from(tr.cells).forEach(cell => {
      while (grid[r][c] !== undefined) c++;
      const figure = cell.dataset.cell !== undefined;
      const first = cell.firstChild && cell.firstChild.nodeType === Node.TEXT_NODE ? cell.firstChild.textContent : '';
      const text = figure ? first.replaceAll(',', '') : cell.textContent.trim();
      for (let dr = 0; dr < cell.rowSpan; dr++)
        for (let dc = 0; dc < cell.colSpan; dc++)
          if (r + dr < rows.length) grid[r + dr][c + dc] = (dr === 0 && dc === 0) ? text : '';
      c += cell.colSpan;
    });
  });
  return grid.map(row => Array.from(row, v => v === undefined ? '' : v));
}
"""


@dataclass(frozen=True)
class Figure:
    key: str
    value: str
    text: str
    cols: tuple[str, ...]
    rows: tuple[str, ...]
    code: str
    flagged: bool

    @property
    def table(self) -> str:
        return self.key.split("/")[0]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.value) if self.value else Decimal(0)

    @property
    def blank(self) -> bool:
        return self.value == ""


def figures(page: Page, table_id: str) -> list[Figure]:
    table = page.locator(f'table[data-table="{table_id}"]')
    raw = table.evaluate(EXTRACT)
    return [Figure(r["key"], r["value"], r["text"], tuple(r["cols"]), tuple(r["rows"]), r["code"], r["flagged"]) for r in raw]


def matrix(page: Page, table_id: str) -> list[list[str]]:
    return page.locator(f'table[data-table="{table_id}"]').evaluate(MATRIX)


def misplaced(page: Page, table_id: str) -> list[str]:
    return page.locator(f'table[data-table="{table_id}"]').evaluate(MISPLACED)


def table_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("table[data-table]", "ts => ts.map(t => t.dataset.table)")
