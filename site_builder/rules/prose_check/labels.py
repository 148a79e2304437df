"""Labels in prose → table cells, from ``standards/prose_labels.yaml`` (data, not code)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from site_builder import standards
from site_builder.findings import Place
from site_builder.model import Amount, Cells, Report
from site_builder.yamlsafe import load_package_file

CLASSIFIED = re.compile(r"([^（）()\s，。：；、\d*-]+?)[（(](类|款|项)[）)](支出)?")  # full- or half-width brackets


@dataclass(frozen=True)
class Label:
    phrase: str
    cells: tuple[str, ...]
    within: dict[str, tuple[str, ...]]
    budget: tuple[str, ...]


@dataclass(frozen=True)
class LabelBook:
    sections: tuple[tuple[str, re.Pattern[str]], ...]
    section_tables: dict[str, frozenset[str]]
    phrases: re.Pattern[str] | None
    labels: dict[str, Label]
    economic_sections: frozenset[str]
    function_default: str
    function_within: dict[str, str]
    economic_names: dict[str, tuple[str, ...]]
    function_names: dict[str, tuple[str, ...]]

    def section_kind(self, heading: str) -> str:
        for kind, pattern in self.sections:
            if pattern.search(heading):
                return kind
        return ""


def _cells(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (str(value),)


def _names(book: standards.CodeBook) -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for code, name in book.names.items():
        names.setdefault(name, []).append(code)
    for code, aliases in book.aliases.items():
        for alias in aliases:
            names.setdefault(alias, []).append(code)
    return {name: tuple(codes) for name, codes in names.items()}


def raw() -> dict[str, Any]:
    with open(standards.STANDARDS_DIR / "prose_labels.yaml", encoding="utf-8") as handle:
        data: dict[str, Any] = load_package_file(handle)
    return data


@cache
def book() -> LabelBook:
    data = raw()
    labels: dict[str, Label] = {}
    for entry in data["labels"]:
        within = {kind: _cells(cells) for kind, cells in (entry.get("within") or {}).items()}
        for phrase in entry["phrases"]:
            labels[phrase] = Label(phrase, _cells(entry["cell"]), within, _cells(entry.get("budget")))
    ordered = sorted(labels, key=len, reverse=True)  # the longest phrase wins at a position
    phrases = re.compile("|".join(re.escape(p) for p in ordered)) if ordered else None
    sections = tuple((s["kind"], re.compile(s["heading"])) for s in data["sections"])
    functions = data.get("function_tables") or {}
    economic = _names(standards.economic_codes())
    scoped = {s["kind"]: frozenset(s["tables"]) for s in data["sections"] if "tables" in s}
    return LabelBook(sections, scoped, phrases, labels, frozenset(data.get("economic_sections") or ()),
                     functions.get("default", ""), dict(functions.get("within") or {}), economic,
                     _names(standards.function_codes()))


@dataclass(frozen=True)
class Resolved:
    """What a label names: the cells, their summed value (None: blank or missing) and a readable name."""

    name: str
    cells: tuple[str, ...]
    value: Decimal | None
    why_not: str = ""  # when value is None
    places: tuple[Place, ...] = ()  # where the cells are, for findings to name


def cell_place(report: Report, ref: str) -> Place | None:
    table_id, section, row, column = (ref.split("/") + ["", "", "", ""])[:4]
    table = report.tables.get(table_id)
    amount = table.cell(section, row, column) if table else None
    return amount.place if amount else None


def cell_value(report: Report, ref: str) -> tuple[Decimal | None, str]:
    parts = ref.split("/")
    if len(parts) != 4:
        return None, f"label data names no cell ({ref})"
    table_id, section, row, column = parts
    table = report.tables.get(table_id)
    if table is None:
        return None, f"the report has no {table_id} table"
    if not table.has_figures():
        return None, f"the {table_id} table is printed empty"
    rows = table.sections.get(section, {})
    if row not in rows:
        return None, f"{table_id} has no row {row}"
    amount = rows[row].get(column)
    if amount is None:
        return None, f"{table_id} {row} {column} is blank (blank is not zero)"
    return amount.value, ""


def resolve_cells(report: Report, name: str, refs: tuple[str, ...]) -> Resolved:
    total: Decimal | None = None
    reasons = []
    places = []
    for ref in refs:
        amount = _written_cell(report, ref)
        if amount is None:
            value, why = cell_value(report, ref)  # None: the reason it is
            reasons.append(why)
            place = cell_place(report, ref)
            if place is not None:
                places.append(place)
            continue
        total = amount.value if total is None else total + amount.value
        places.append(amount.place)
    return Resolved(name, refs, total, "; ".join(reasons) if total is None else "", tuple(places))


def _written_cell(report: Report, ref: str) -> Amount | None:
    """The amount of a cell reference ``table/section/row/column`` that is written (not blank),
    else None: then ``cell_value`` is None with its reason (a written cell has its value, so
    ``cell_value`` and ``cell_place`` are not needed for it)."""
    parts = ref.split("/")
    if len(parts) != 4:
        return None
    table = report.tables.get(parts[0])
    if table is None:
        return None
    return table.sections.get(parts[1], _NO_ROWS).get(parts[2], _NO_CELLS).get(parts[3])


_NO_ROWS: dict[str, Cells] = {}
_NO_CELLS: Cells = {}


def label_cells(label: Label, kinds: tuple[str, ...], budget: bool) -> tuple[str, ...]:
    if budget:
        return label.budget
    for kind in reversed(kinds):  # the innermost heading decides first
        if kind in label.within:
            return label.within[kind]
    return label.cells


def function_label(text: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """The deepest 类/款/项 named in ``text`` as (name, cell ref), e.g. 社会保险经办机构（项） → 2080109."""
    lb = book()
    code = ""
    name = ""
    for match in CLASSIFIED.finditer(text):
        word = match.group(1)
        candidates = lb.function_names.get(word, ()) or lb.function_names.get(word + "支出", ())
        digits = {"类": 3, "款": 5, "项": 7}[match.group(2)]
        fitting = [c for c in candidates if c.startswith(code) and len(c) == digits]
        if len(fitting) == 1:
            code, name = fitting[0], match.group(0)
    if not code:
        return None
    template = next((lb.function_within[k] for k in reversed(kinds) if k in lb.function_within), lb.function_default)
    return name, template.format(code=code)


def economic_label(text: str) -> tuple[str, str] | None:
    """An economic classification name ending ``text`` (工资福利支出, 办公费 …), if it names one code."""
    lb = book()
    best = ""
    for name in lb.economic_names:
        if text.endswith(name) and len(name) > len(best):
            best = name
    codes = lb.economic_names.get(best, ())
    widest = min(codes, key=len) if codes else ""
    if not best or not all(c.startswith(widest) for c in codes):  # 其他支出 = 399 (its 款 39999 below it)
        return None
    return best, f"basic_expenditure_detail/rows/{widest}/amount"
