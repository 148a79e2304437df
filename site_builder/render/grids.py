"""Table view models: every standard table laid out as a grid of header and data cells.

The grid is built from the template frame (rows, 行次, 栏次, headers) and the report's figures.
One Jinja macro renders any grid as accessible HTML (``<th id>`` + ``headers`` on every data cell),
and the CSV download is written from the same grid, so page and download cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from site_builder import standards
from site_builder.classification import CodeBook
from site_builder.model import Amount, Cells, Report, Table
from site_builder.render import search_aid
from site_builder.standards import Column, TableFrame


@dataclass
class Cell:
    text: str = ""
    header: bool = False
    scope: str = ""
    colspan: int = 1
    rowspan: int = 1
    kind: str = ""  # amount | code | lanci | name | dash
    value: str = ""  # the amount as a plain decimal, for data-value and CSV
    key: str = ""  # "table/section/row/column" of an amount cell
    id: str = ""
    headers: str = ""
    indent: int = 0
    strong: bool = False
    notes: list[str] = field(default_factory=list)  # ids of 数据核验 notes about this figure


class FigureLabel(NamedTuple):
    """What the page prints around one figure: its row (code, name, anchor) and its column title.
    A named tuple: one is made per figure, several times faster than a frozen dataclass."""

    row_code: str
    row_name: str
    column_title: str
    anchor: str


@dataclass
class Grid:
    table_id: str
    number: str
    title: str
    unit_label: str
    head: list[list[Cell]]
    body: list[list[Cell]]
    note: str
    empty_note: str
    columns: int
    search_aid: str = ""
    labels: dict[str, FigureLabel] = field(default_factory=dict)  # cell key -> printed labels, in printed order

    @property
    def anchor(self) -> str:
        return f"table-{self.table_id}"


def cell_anchor(key: str) -> str:
    """The ``id`` of a figure's cell ("table/section/row/column"), for links from the prose."""
    return "cell-" + key.replace("/", "-")


def amount_text(amount: Amount | None) -> str:
    return "" if amount is None else f"{amount.value:,}"


def plain(amount: Amount | None) -> str:
    return "" if amount is None else format(amount.value, "f")


class _Builder:
    def __init__(self, report: Report, frame: TableFrame, table: Table | None, anchors: frozenset[str] | set[str]) -> None:
        self.report = report
        self.anchors = anchors
        self.frame = frame
        self.table = table
        self.prefix = f"t{report.template.tables.index(frame) + 1}h"
        self.ids: dict[tuple[str, ...], str] = {}
        self.asked: dict[tuple[str, ...], str] = {}  # hid's answer by its arguments as given (blanks kept)
        self.labels: dict[str, FigureLabel] = {}

    def hid(self, *parts: str) -> str:
        """A short id for a header cell (t3h12): ids are repeated in every data cell's `headers`, so
        their length is most of a table's weight. Numbered in order of first use: stable per frame."""
        known = self.asked.get(parts)
        if known is not None:
            return known
        key = tuple(p for p in parts if p)
        if key not in self.ids:
            self.ids[key] = f"{self.prefix}{len(self.ids)}"
        self.asked[parts] = self.ids[key]
        return self.ids[key]

    def code_id(self, row: str) -> str:
        """The id of a coded row's header cell, made from its code (t3r2080109): a citation of the
        row stays valid when a correction adds or removes other codes. Codes are digits (schema)."""
        return f"{self.prefix[:-1]}r{row}"

    def row_cells(self, section: str, row: str) -> Cells:
        """The report's cells of one row (none when the table or the row is not written)."""
        return self.table.sections.get(section, {}).get(row, {}) if self.table else {}

    def amount(self, section: str, row: str, column: str, headers: list[str],
               label: tuple[str, str, str] = ("", "", ""), anchor: str = "", cells: Cells | None = None) -> Cell:
        """``label``: the row's code (coded rows), printed row name and printed column title;
        ``anchor``: the id of the header cell that names the figure's row, the row's citable URL
        fragment (fixed-row tables: numbered by the template frame alone, so stable too);
        ``cells``: the row's cells (``row_cells``), when the caller has them."""
        value = (self.row_cells(section, row) if cells is None else cells).get(column)
        key = f"{self.frame.id}/{section}/{row}/{column}"
        self.labels[key] = FigureLabel(*label, anchor=anchor)
        return Cell(
            amount_text(value), kind="amount", value=plain(value), key=key,
            headers=" ".join([h for h in headers if h]), id=cell_anchor(key) if key in self.anchors else "",
        )

    def grid(self, head: list[list[Cell]], body: list[list[Cell]]) -> Grid:
        width = sum(c.colspan for c in head[0])
        return Grid(self.frame.id, self.frame.number, self.frame.title, self.frame.unit_label, head, body,
                    self.frame.note.replace("{year}", str(self.report.year)),
                    self.table.empty_note if self.table else "", width, labels=self.labels)


def two_sided(b: _Builder) -> Grid:
    sides = b.frame.sides
    item, line, lanci_label = b.frame.label("item"), b.frame.label("line"), b.frame.label("lanci")
    lead = 1 + bool(line)  # 项目 (and 行次) columns before the figures of a side
    top: list[Cell] = []
    second: list[Cell] = []
    third: list[Cell] = []
    grouped = any(s.column_group for s in sides)
    for side in sides:
        top.append(Cell(side.heading, header=True, scope="colgroup", colspan=lead + len(side.columns), id=b.hid(side.section)))
        rows_span = 2 if grouped else 1  # 项目/行次 span the group row and the column-title row
        second.append(Cell(item, header=True, scope="col", id=b.hid(side.section, "item"), rowspan=rows_span))
        if line:
            second.append(Cell(line, header=True, scope="col", id=b.hid(side.section, "line"), rowspan=rows_span))
        if side.column_group:
            second.append(Cell(side.column_group, header=True, scope="colgroup", colspan=len(side.columns), id=b.hid(side.section, "group")))
            third.extend(Cell(c.title, header=True, scope="col", id=b.hid(side.section, c.id)) for c in side.columns)
        elif grouped:
            second.extend(Cell(c.title, header=True, scope="col", id=b.hid(side.section, c.id), rowspan=2) for c in side.columns)
        else:
            second.extend(Cell(c.title, header=True, scope="col", id=b.hid(side.section, c.id)) for c in side.columns)
    lanci: list[Cell] = []
    for side in sides if lanci_label else ():
        lanci.append(Cell(lanci_label, header=True, scope="row", kind="lanci", id=b.hid(side.section, "lanci")))
        if line:
            lanci.append(Cell("", kind="lanci"))
        lanci.extend(Cell(c.lanci, header=True, scope="col", kind="lanci") for c in side.columns)
    head = [top, second, *([third] if third else []), *([lanci] if lanci else [])]
    columns = [_SideColumns(b, side) for side in sides]  # every id they hold was given by the head above
    body: list[list[Cell]] = []
    count = max(len(s.rows) for s in sides)
    for index in range(count):
        cells: list[Cell] = []
        for side, side_columns in zip(sides, columns, strict=True):
            row = side.rows[index] if index < len(side.rows) else standards.FrameRow(None, "", None)
            cells.extend(_side_cells(b, side, side_columns, row, bool(line)))
        body.append(cells)
    return b.grid(head, body)


class _SideColumns:
    """What every figure of a side repeats: the side's header id, its group's, and each column's
    header id and printed title (looked up once per side, not once per figure)."""

    def __init__(self, b: _Builder, side: standards.Side) -> None:
        self.side_id = b.hid(side.section)
        self.group_id = b.hid(side.section, "group") if side.column_group else ""
        self.columns = [(column.id, b.hid(side.section, column.id), _titled(side.column_group, column.title))
                        for column in side.columns]


def _side_cells(b: _Builder, side: standards.Side, side_columns: _SideColumns, row: standards.FrameRow,
                numbered: bool) -> list[Cell]:
    """One side's cells of a printed row: name, 行次 (when printed), figures."""
    if row.id is None:
        return [Cell("", kind="name"), *([Cell(str(row.line or ""), kind="lanci")] if numbered else []),
                *(Cell("") for _ in side.columns)]
    row_id = b.hid(side.section, "r", row.id)
    cells = [Cell(row.name, header=True, scope="row", id=row_id, kind="name", indent=row.indent, strong=row.strong)]
    if numbered:
        cells.append(Cell(str(row.line or ""), kind="lanci", headers=b.hid(side.section, "line")))
    row_cells = b.row_cells(side.section, row.id)
    code = row.id if row.is_class else ""
    for column_id, column_header, title in side_columns.columns:
        cell = b.amount(side.section, row.id, column_id, [side_columns.side_id, row_id, side_columns.group_id, column_header],
                        (code, row.name, title), row_id, row_cells)
        cell.strong = row.strong
        cells.append(cell)
    return cells


def _titled(group: str, title: str) -> str:
    """A column's printed title under its group heading, as one text ("group / title")."""
    return f"{group} / {title}" if group else title


def _column_layout(columns: tuple[Column, ...], groups: list[dict]) -> list[tuple[str, int, list[Column]]]:
    """Split columns into header blocks: (group title or "", span, columns)."""
    blocks: list[tuple[str, int, list[Column]]] = []
    grouped = {c: g for g in groups for c in g["columns"]}
    for column in columns:
        group = grouped.get(column.id)
        if group and blocks and blocks[-1][0] == group["title"]:
            blocks[-1][2].append(column)
            continue
        blocks.append((group["title"] if group else "", 0, [column]))
    return [(t, len(cs), cs) for t, _, cs in blocks]


def coded(b: _Builder) -> Grid:
    blocks = _column_layout(b.frame.columns, b.frame.column_groups)
    top = [Cell(b.frame.label("item"), header=True, scope="colgroup", colspan=2, id=b.hid("item"))]
    second = [Cell(b.frame.label("code"), header=True, scope="col", id=b.hid("code")),
              Cell(b.frame.label("name"), header=True, scope="col", id=b.hid("name"))]
    column_headers: dict[str, list[str]] = {}
    for title, span, columns in blocks:
        if title:
            group_id = b.hid("g", columns[0].id)
            top.append(Cell(title, header=True, scope="colgroup", colspan=span, id=group_id))
            for column in columns:
                second.append(Cell(column.title, header=True, scope="col", id=b.hid(column.id)))
                column_headers[column.id] = [group_id, b.hid(column.id)]
        else:
            column = columns[0]
            top.append(Cell(column.title, header=True, scope="col", rowspan=2, id=b.hid(column.id)))
            column_headers[column.id] = [b.hid(column.id)]
    head = [top, second]
    if b.frame.label("lanci"):
        lanci = [Cell(b.frame.label("lanci"), header=True, scope="row", colspan=2, kind="lanci")]
        lanci.extend(Cell(c.lanci, header=bool(c.lanci), scope="col" if c.lanci else "", kind="lanci") for c in b.frame.columns)
        head.append(lanci)
    titles = {c: _titled(title, c.title) for title, _, columns in blocks for c in columns}
    column_titles = {c.id: t for c, t in titles.items()}
    book = b.report.codebook(b.frame.codes)  # with the codes the content folder declares
    body = [_coded_row(b, key, column_headers, column_titles, book) for key in _coded_keys(b)]
    return b.grid(head, body)


def _coded_keys(b: _Builder) -> list[str]:
    """Row keys in printed order: the report's codes, with 合计 first or last as the template prints it."""
    rows = b.table.sections.get("rows", {}) if b.table else {}
    codes = [key for key in rows if key != "total"]
    return [*codes, "total"] if b.frame.raw.get("total_row") == "bottom" else ["total", *codes]


def _coded_row(b: _Builder, key: str, column_headers: dict[str, list[str]], column_titles: dict[str, str],
               book: CodeBook) -> list[Cell]:
    row_id = b.code_id(key)
    if key == "total":
        code, name = "", b.frame.label("total")
        cells = [Cell(name, header=True, scope="row", colspan=2, id=row_id, kind="name", strong=True)]
    else:
        printed = b.table.names.get(key, (None,))[0] if b.table else None
        code, name = key, printed or book.name(key, b.report.year) or ""
        cells = [Cell(key, kind="code", headers=b.hid("code")),
                 Cell(name, header=True, scope="row", id=row_id, kind="name", indent=(len(key) - 3) // 2)]
    row_cells = b.row_cells("rows", key)
    for column in b.frame.columns:
        cell = b.amount("rows", key, column.id, [row_id, *column_headers[column.id]], (code, name, column_titles[column.id]), row_id,
                        row_cells)
        cell.strong = key == "total"
        cells.append(cell)
    return cells


def economic_detail(b: _Builder) -> Grid:
    raw = b.frame.raw
    present = list(b.table.sections.get("rows", {})) if b.table else []
    groups = standards.laid_out_groups(b.frame, present)
    dash = set(raw.get("dash_codes", []))
    book = b.report.codebook("economic")  # with the codes the content folder declares
    head: list[list[Cell]] = []
    heading_of: dict[int, str] = {}
    if raw.get("headings"):
        top: list[Cell] = []
        group_index = 0
        for heading in raw["headings"]:
            heading_id = b.hid("h", str(group_index))
            top.append(Cell(heading["title"], header=True, scope="colgroup", colspan=3 * heading["groups"], id=heading_id))
            for offset in range(heading["groups"]):
                heading_of[group_index + offset] = heading_id
            group_index += heading["groups"]
        head.append(top)
    second: list[Cell] = []
    for g in range(len(groups)):
        second.append(Cell(b.frame.label("code"), header=True, scope="col", id=b.hid("code", str(g))))
        second.append(Cell(b.frame.label("name"), header=True, scope="col", id=b.hid("name", str(g))))
        second.append(Cell(raw["value_title"], header=True, scope="col", id=b.hid("value", str(g))))
    head.append(second)
    body = []
    for index in range(max(len(g) for g in groups)):
        cells: list[Cell] = []
        for g, codes in enumerate(groups):
            if index >= len(codes):
                cells.extend([Cell(""), Cell("", kind="name"), Cell("", kind="amount")])
                continue
            code = codes[index]
            row_id = b.code_id(code)
            cells.append(Cell(code, kind="code", headers=b.hid("code", str(g))))
            printed = b.table.names.get(code, (None,))[0] if b.table else None
            name = printed or book.name(code, b.report.year) or ""
            cells.append(Cell(name, header=True, id=row_id, kind="name", indent=0 if len(code) == 3 else 1,
                              headers=b.hid("name", str(g))))
            if code in dash:
                cells.append(Cell("——", kind="dash", headers=f"{row_id} {b.hid('value', str(g))}"))
            else:
                cells.append(b.amount("rows", code, "amount", [heading_of.get(g, ""), row_id, b.hid("value", str(g))],
                                      (code, name, raw["value_title"]), row_id))
        body.append(cells)
    totals_row: list[Cell] = []
    under = {t["under_group"]: t for t in raw["totals"]}
    for g in range(len(groups)):
        total = under.get(g)
        if total is None:
            totals_row.extend([Cell(""), Cell("", kind="name"), Cell("", kind="amount")])
            continue
        row_id = b.code_id(total["id"])
        totals_row.append(Cell(total["name"], header=True, colspan=2, id=row_id, kind="name", strong=True))
        cell = b.amount("rows", total["id"], "amount", [heading_of.get(g, ""), row_id, b.hid("value", str(g))],
                        ("", total["name"], raw["value_title"]), row_id)
        cell.strong = True
        totals_row.append(cell)
    body.append(totals_row)
    return b.grid(head, body)


def three_public(b: _Builder) -> Grid:
    year = str(b.report.year)
    rows = (("budget", b.frame.raw["budget_heading"].replace("{year}", year)),
            ("final", b.frame.raw["final_heading"].replace("{year}", year)))
    if b.frame.raw.get("arrangement") == "column_pairs":
        return _three_public_pairs(b, rows)
    blocks = _column_layout(b.frame.columns, b.frame.column_groups)
    depth = 2 if any(title for title, _, _ in blocks) else 1
    top, second, third, lanci, data = [], [], [], [], []
    number = 1
    for row, heading in rows:
        top.append(Cell(heading, header=True, scope="colgroup", colspan=len(b.frame.columns), id=b.hid(row)))
        for title, span, columns in blocks:
            group = b.hid(row, "g", columns[0].id) if title else ""
            if title:
                second.append(Cell(title, header=True, scope="colgroup", colspan=span, id=group))
                third.extend(Cell(c.title, header=True, scope="col", id=b.hid(row, c.id)) for c in columns)
            else:
                second.append(Cell(columns[0].title, header=True, scope="col", rowspan=depth, id=b.hid(row, columns[0].id)))
            for column in columns:
                lanci.append(Cell(str(number), header=True, scope="col", kind="lanci"))
                number += 1
                data.append(b.amount("rows", row, column.id, [b.hid(row), group, b.hid(row, column.id)],
                                     ("", heading, _titled(title, column.title)), b.hid(row)))
    head = [top, second, *([third] if third else []), *([lanci] if b.frame.label("lanci") else [])]
    return b.grid(head, [data])


def _three_public_pairs(b: _Builder, rows: tuple[tuple[str, str], ...]) -> Grid:
    """Each column split into 预算数 | 决算数 (Shanghai), under an optional heading over the table."""
    blocks = _column_layout(b.frame.columns, b.frame.column_groups)
    depth = 2 if any(title for title, _, _ in blocks) else 1
    head: list[list[Cell]] = []
    width = 2 * len(b.frame.columns)
    top_id = ""
    if b.frame.raw.get("heading"):
        top_id = b.hid("heading")
        head.append([Cell(b.frame.raw["heading"], header=True, scope="colgroup", colspan=width, id=top_id)])
    second, third, pairs, data = [], [], [], []
    for title, span, columns in blocks:
        group = b.hid("g", columns[0].id) if title else ""
        if title:
            second.append(Cell(title, header=True, scope="colgroup", colspan=2 * span, id=group))
            third.extend(Cell(c.title, header=True, scope="colgroup", colspan=2, id=b.hid(c.id)) for c in columns)
        else:
            second.append(Cell(columns[0].title, header=True, scope="colgroup", colspan=2, rowspan=depth, id=b.hid(columns[0].id)))
        for column in columns:
            for row, heading in rows:
                pairs.append(Cell(heading, header=True, scope="col", id=b.hid(column.id, row)))
                data.append(b.amount("rows", row, column.id, [top_id, group, b.hid(column.id), b.hid(column.id, row)],
                                     ("", heading, _titled(title, column.title)), b.hid(column.id, row)))
    head.extend([second, *([third] if third else []), pairs])
    return b.grid(head, [data])


def related_info(b: _Builder) -> Grid:
    line = b.frame.label("line")
    head = [[Cell(b.frame.label("item"), header=True, scope="col", id=b.hid("item")),
             *([Cell(line, header=True, scope="col", id=b.hid("line"))] if line else []),
             Cell(b.frame.raw["value_title"], header=True, scope="col", id=b.hid("value"))]]
    width = 2 + bool(line)
    body: list[list[Cell]] = []
    for p, part in enumerate(b.frame.raw["parts"]):
        part_id = b.hid("part", str(p))
        body.append([Cell(part["heading"], header=True, scope="colgroup", colspan=width, id=part_id, kind="name", strong=True)])
        for row in part["rows"]:
            row_id = b.hid("r", part["section"], row["id"])
            body.append([
                Cell(row["name"], header=True, scope="row", id=row_id, kind="name", indent=row.get("indent", 0), strong=row.get("strong", False)),
                *([Cell(str(row.get("line", "")), kind="lanci", headers=b.hid("line"))] if line else []),
                b.amount(part["section"], row["id"], "amount", [part_id, row_id, b.hid("value")], ("", row["name"], b.frame.raw["value_title"]),
                         row_id),
            ])
    return b.grid(head, body)


LAYOUTS = {
    "two_sided": two_sided,
    "coded": coded,
    "economic_detail": economic_detail,
    "three_public": three_public,
    "related_info": related_info,
}


def build_grid(report: Report, frame: TableFrame, aid_seen: set[str] | None = None,
               anchors: frozenset[str] | set[str] = frozenset()) -> Grid:
    """``anchors``: keys of the cells the prose links to, which get an ``id``."""
    grid = LAYOUTS[frame.layout](_Builder(report, frame, report.tables.get(frame.id), anchors))
    cells = [c for row in grid.head + grid.body for c in row]
    texts = [grid.title, grid.number, *(c.text for c in cells if c.kind != "amount")]
    grid.search_aid = search_aid.aid(texts, [c.value for c in cells if c.kind == "amount"], aid_seen)
    return grid
