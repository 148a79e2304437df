"""HTML of table rows, built in Python: a report page has thousands of cells, and a Jinja macro
call per cell made rendering five times slower. The table around the rows (caption, headings,
notes, downloads) stays in the theme's templates."""

from __future__ import annotations

from functools import cache, lru_cache
from html import escape

from markupsafe import Markup

from site_builder.render.grids import Cell


def cell_html(cell: Cell, term_links: dict[str, str]) -> str:
    tag = "th" if cell.header else "td"
    html = "<" + tag
    if cell.scope:
        html += f' scope="{cell.scope}"'
    if cell.id:
        html += f' id="{cell.id}"'
    if cell.headers:
        html += f' headers="{cell.headers}"'
    if cell.colspan > 1:
        html += f' colspan="{cell.colspan}"'
    if cell.rowspan > 1:
        html += f' rowspan="{cell.rowspan}"'
    if cell.kind not in _UNSTYLED or cell.strong or cell.indent or cell.notes:
        html += _class_attribute(cell.kind, cell.strong, cell.indent, bool(cell.notes))
    if cell.key and cell.value:
        html += _data_cell(cell.key)
    html += ">"
    if cell.kind == "amount":
        # the text of a figure is a formatted Decimal: digits, sign, separators and point only
        html += cell.text
        for note in cell.notes:
            html += f'<a class="flag" href="#{note}" aria-label="见数据核验说明 {note}">※</a>'
    elif cell.header and cell.text in term_links:
        html += f'<a class="term" href="#{escape(term_links[cell.text])}">{_escaped(cell.text)}</a>'
    elif cell.text:
        html += _escaped(cell.text)
    return f"{html}</{tag}>"


_UNSTYLED = ("amount", "name", "")  # kinds without a class of their own: figures are styled by td[data-cell]


@cache  # a handful of combinations
def _class_attribute(kind: str, strong: bool, indent: int, flagged: bool) -> str:
    classes = " ".join(c for c in ("" if kind in _UNSTYLED else kind, "strong" if strong else "",
                                   f"indent-{indent}" if indent else "", "flagged" if flagged else "") if c)
    return f' class="{classes}"'


@lru_cache(maxsize=65536)  # the same codes and columns in every report of a template
def _data_cell(key: str) -> str:
    return f' data-cell="{escape(short_key(key))}"'


@lru_cache(maxsize=65536)  # row names and header titles repeat in every report of a template
def _escaped(text: str) -> str:
    return escape(text)


def short_key(key: str) -> str:
    """"table/section/row/column" → "section/row[/column]": the table is on the <table>, and
    single-column sections have no column. Only cells with a figure carry it (blank cells are empty)."""
    _table, rest = key.split("/", 1)
    return rest[: -len("/amount")] if rest.endswith("/amount") else rest


def row_html(row: list[Cell], term_links: dict[str, str]) -> Markup:
    return Markup(_row(row, term_links))


def body_html(rows: list[list[Cell]], term_links: dict[str, str]) -> Markup:
    """All body rows of a table in one call: a template loop calling ``row_html`` per row paid
    the sandbox's checks on every call and attribute."""
    return Markup("".join([_row(row, term_links) for row in rows]))


def _row(row: list[Cell], term_links: dict[str, str]) -> str:
    return "<tr>" + "".join([cell_html(cell, term_links) for cell in row]) + "</tr>\n"


_HEAD_CACHE: dict[tuple, Markup] = {}


def head_html(rows: list[list[Cell]], term_links: dict[str, str]) -> Markup:
    """The header rows of a table: the same for every report of a template, so built once."""
    key = tuple((c.text, c.id, c.headers, c.scope, c.colspan, c.rowspan, c.kind, term_links.get(c.text)) for row in rows for c in row)
    if key not in _HEAD_CACHE:
        if len(_HEAD_CACHE) > 4096:
            _HEAD_CACHE.clear()
        _HEAD_CACHE[key] = Markup("".join(row_html(row, term_links) for row in rows))
    return _HEAD_CACHE[key]
