"""Compact per-report summaries (issue 11): what the site-wide pages need of a report.

A worker builds one ``ReportSummary`` per rendered report and returns it to the main process in
place of the full ``Report``, so site-wide pages (home, unit pages across years, comparison pages,
corrections, sitemap) never need the whole portal in memory. A summary holds the report's identity,
its headline figures (where each one is read, per template, is data: ``standards/headlines.yaml``),
what comparisons need of the performance self-evaluations, and the rows of the standard tables in
a compact form. Amounts stay ``Decimal``; a blank cell stays ``None``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import orjson

from site_builder.findings import Place
from site_builder.model import Amount, Correction, Report, Table, Unit
from site_builder.standards import STANDARDS_DIR, TableFrame
from site_builder.yamlsafe import load_package_file

HEADLINES_PATH = STANDARDS_DIR / "headlines.yaml"
HEADLINES_SCHEMA = STANDARDS_DIR / "headlines.schema.json"
EVALUATION_FORMS = ("performance", "department_performance")


# -- the headline data --------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    id: str
    label: str
    part_of: str = ""
    chart: bool = False  # drawn year by year on the unit page


@dataclass(frozen=True)
class CellRef:
    table: str
    section: str
    row: str
    column: str


@dataclass(frozen=True)
class Ratio:
    id: str
    label: str
    part: str
    whole: str


@dataclass(frozen=True)
class HeadlineData:
    headlines: tuple[Headline, ...]
    sources: dict[str, dict[str, tuple[CellRef, ...]]]  # template id -> headline id -> cells (any_of)
    ratios: tuple[Ratio, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)

    def label(self, headline: str) -> str:
        return next(h.label for h in self.headlines if h.id == headline)


def read_standards_file(path: Path, schema_path: Path) -> tuple[Any, str]:
    """A standards data file and, when it does not match its JSON Schema, the first problem as
    "file: path/in/data: message" (else "")."""
    data = load_package_file(path.read_text(encoding="utf-8"))
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if not errors:
        return data, ""
    where = "/".join(str(p) for p in errors[0].path) or "(top)"
    return data, f"{path.name}: {where}: {errors[0].message}"


class HeadlineDataError(ValueError):
    """headlines.yaml does not match its schema or names an unknown headline."""


def read_headlines(path: Path = HEADLINES_PATH) -> HeadlineData:
    """Read and validate a headline mapping file (the package's, or a test fixture)."""
    data, problem = read_standards_file(path, HEADLINES_SCHEMA)
    if problem:
        raise HeadlineDataError(problem)
    headlines = tuple(Headline(h["id"], h["label"], h.get("part_of", ""), h.get("chart", False)) for h in data["headlines"])
    known = {h.id for h in headlines}
    sources: dict[str, dict[str, tuple[CellRef, ...]]] = {}
    for template, mapping in data["templates"].items():
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise HeadlineDataError(f"{path.name}: templates/{template}: unknown headline {unknown[0]!r}")
        sources[template] = {key: _cells(value) for key, value in mapping.items()}
    ratios = tuple(Ratio(r["id"], r["label"], r["part"], r["whole"]) for r in data["ratios"])
    for ratio in ratios:
        if not {ratio.part, ratio.whole} <= known:
            raise HeadlineDataError(f"{path.name}: ratios/{ratio.id}: part and whole must be headlines")
    return HeadlineData(headlines, sources, ratios, dict(data["texts"]))


def _cells(value: dict[str, Any]) -> tuple[CellRef, ...]:
    items = value["any_of"] if "any_of" in value else [value]
    return tuple(CellRef(c["table"], c["section"], str(c["row"]), c["column"]) for c in items)


@cache
def headline_data() -> HeadlineData:
    return read_headlines()


# -- the summary --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormFigures:
    """What comparisons need of one performance self-evaluation: its funds total and its grade."""

    slug: str
    kind: str
    name: str
    amount_unit: str
    annual: Decimal | None  # 全年预算数 of the 资金总额 row (None: blank or no total row)
    executed: Decimal | None  # 全年执行数
    score: Decimal | None
    grade: str | None


@dataclass(frozen=True, slots=True)
class Line:
    """One row of a standard table: its key (a code, or a frame row id), printed name, cells."""

    section: str
    key: str
    name: str
    cells: tuple[tuple[str, Decimal | None], ...]


@dataclass(frozen=True, slots=True)
class TableRows:
    id: str
    title: str
    codes: str  # "function" | "economic" | "" (fixed rows)
    columns: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # section -> ((column id, title), …)
    count_sections: tuple[str, ...]  # sections of counts (vehicles …), never converted between 万元 and 元
    lines: tuple[Line, ...]

    def column_titles(self, section: str) -> dict[str, str]:
        return dict(next((cols for s, cols in self.columns if s == section), ()))


@dataclass(frozen=True)
class ReportSummary:
    unit: Unit
    year: int
    rel: str
    title: str
    template_id: str
    amount_unit: str
    headlines: tuple[tuple[str, Decimal | None], ...]  # the headlines this template maps; None = blank
    forms: tuple[FormFigures, ...]
    tables: tuple[TableRows, ...]
    corrections: tuple[Correction, ...]

    @property
    def figures(self) -> dict[str, Decimal | None]:
        return dict(self.headlines)

    # the keys the home page has always read
    @property
    def total_expenditure(self) -> Decimal | None:
        return self.figures.get("total_expenditure")

    @property
    def total_income(self) -> Decimal | None:
        return self.figures.get("total_income")

    def table(self, table_id: str) -> TableRows | None:
        return next((t for t in self.tables if t.id == table_id), None)


def summarize(report: Report, data: HeadlineData | None = None) -> ReportSummary:
    data = data or headline_data()
    mapping = data.sources.get(report.template.id, {})
    headlines = tuple((h.id, headline_value(report, mapping[h.id])) for h in data.headlines if h.id in mapping)
    return ReportSummary(
        unit=report.unit, year=report.year, rel=report.rel, title=report.title, template_id=report.template.id,
        amount_unit=report.amount_unit, headlines=headlines, forms=tuple(form_figures(report)),
        tables=tuple(table_rows(report, frame) for frame in report.template.tables if frame.id in report.tables),
        corrections=tuple(replace(c, place=replace(c.place, path=_inside_content(report, c.place.path)))
                          for c in report.corrections),
    )


def _inside_content(report: Report, shown: str) -> str:
    """A file of the report as findings show it (from the current folder) as its path inside the
    content folder: a summary is the same whichever folder the build ran from (its digest keys pages)."""
    folder = report.folder.rstrip("/") + "/"
    return report.rel + "/" + shown[len(folder):] if shown.startswith(folder) else shown


def headline_value(report: Report, cells: tuple[CellRef, ...]) -> Decimal | None:
    """The figure of one headline: the sum of the listed cells that carry a figure; None (blank)
    when none does — a blank cell never counts as 0."""
    values = [_cell(report.tables.get(ref.table), ref) for ref in cells]
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _cell(table: Table | None, ref: CellRef) -> Decimal | None:
    amount = table.cell(ref.section, ref.row, ref.column) if table else None
    return amount.value if amount else None


def _value(item: Any) -> Decimal | None:
    return item.value if isinstance(item, Amount) else None


def form_figures(report: Report) -> list[FormFigures]:
    result = []
    for attachment in report.attachments:
        data = attachment.data
        if data.get("kind") not in EVALUATION_FORMS:
            continue
        funds = data.get("funds") or {}
        rows = funds.get("rows") or []
        total = rows[0] if rows and funds.get("total_row", True) else None
        name = data.get("project") or data.get("department") or data.get("title") or attachment.slug
        grade = data.get("grade")
        result.append(FormFigures(
            slug=attachment.slug, kind=str(data["kind"]), name=str(name),
            amount_unit=str(data.get("amount_unit") or report.amount_unit),
            annual=_value(total.get("annual")) if total else None,
            executed=_value(total.get("executed")) if total else None,
            score=_value(data.get("total_score")), grade=str(grade) if grade is not None else None,
        ))
    return result


def table_rows(report: Report, frame: TableFrame) -> TableRows:
    table = report.tables[frame.id]
    columns = tuple((section, _column_titles(frame, section)) for section in frame.sections)
    book = report.codebook(frame.codes) if frame.codes else None  # one look-up per table, not per row
    year = str(report.year)
    lines: list[Line] = []
    for section in frame.sections:
        names = _row_names(frame, section)
        for key, cells in table.sections.get(section, {}).items():
            name = table.names[key][0] if key in table.names else names.get(key, "")
            if not name and book is not None:
                name = book.name(key, report.year) or ""
            lines.append(Line(section, key, name.replace("{year}", year), tuple([(c, _value(a)) for c, a in cells.items()])))
    counts = tuple(p["section"] for p in frame.raw.get("parts", []) if p.get("counts"))
    return TableRows(frame.id, frame.title, frame.codes, columns, counts, tuple(lines))


def _column_titles(frame: TableFrame, section: str) -> tuple[tuple[str, str], ...]:
    if frame.layout == "two_sided":
        side = next(s for s in frame.sides if s.section == section)
        return tuple((c.id, c.title) for c in side.columns)
    if frame.layout in ("coded", "three_public"):
        return tuple((c.id, c.title) for c in frame.columns)
    if frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == section)
        return (("amount", str(part.get("value_title") or frame.raw.get("value_title", ""))),)
    return (("amount", str(frame.raw.get("value_title", ""))),)


def _row_names(frame: TableFrame, section: str) -> dict[str, str]:
    """Printed names of the frame's own rows (not classification codes)."""
    if frame.layout == "two_sided":
        side = next(s for s in frame.sides if s.section == section)
        return {r.id: r.name for r in side.rows if r.id}
    if frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == section)
        return {r["id"]: r["name"] for r in part["rows"]}
    if frame.layout == "three_public":
        return {row: str(frame.raw.get(f"{row}_heading", "")) for row in ("budget", "final")}
    if frame.layout == "economic_detail":
        return {t["id"]: t["name"] for t in frame.raw.get("totals", [])}
    if frame.label("total"):
        return {"total": frame.label("total")}
    return {}


# -- summaries as JSON data (the incremental build keeps them between builds: build_cache.py) -------


def summary_data(summary: ReportSummary) -> list[Any]:
    """A summary as JSON-ready lists; amounts as their exact decimal text, blank as null."""
    unit = summary.unit
    return [
        [unit.slug, unit.name, unit.parent, unit.region, unit.level, unit.code, unit.description, unit.path],
        summary.year, summary.rel, summary.title, summary.template_id, summary.amount_unit,
        [[key, _text(value)] for key, value in summary.headlines],
        [[f.slug, f.kind, f.name, f.amount_unit, _text(f.annual), _text(f.executed), _text(f.score), f.grade]
         for f in summary.forms],
        [[t.id, t.title, t.codes, [[s, [list(c) for c in cols]] for s, cols in t.columns], list(t.count_sections),
          [[line.section, line.key, line.name, [[c, _text(v)] for c, v in line.cells]] for line in t.lines]]
         for t in summary.tables],
        [[c.date, c.what, c.why, [c.place.path, c.place.line, c.place.col]] for c in summary.corrections],
    ]


def summary_from_data(data: list[Any]) -> ReportSummary:
    """The inverse of ``summary_data``; raises ValueError, TypeError or KeyError on anything else."""
    unit, year, rel, title, template_id, amount_unit, headlines, forms, tables, corrections = data
    return ReportSummary(
        unit=Unit(*(_str(v) for v in unit)), year=_int(year), rel=_str(rel), title=_str(title),
        template_id=_str(template_id), amount_unit=_str(amount_unit),
        headlines=tuple((_str(k), _amount(v)) for k, v in headlines),
        forms=tuple(FormFigures(_str(slug), _str(kind), _str(name), _str(unit_), _amount(annual), _amount(executed),
                                _amount(score), None if grade is None else _str(grade))
                    for slug, kind, name, unit_, annual, executed, score, grade in forms),
        tables=tuple(TableRows(_str(id_), _str(title_), _str(codes),
                               tuple((_str(s), tuple((_str(c), _str(t)) for c, t in cols)) for s, cols in columns),
                               tuple(_str(s) for s in counts),
                               tuple(Line(_str(section), _str(key), _str(name), tuple((_str(c), _amount(v)) for c, v in cells))
                                     for section, key, name, cells in lines))
                     for id_, title_, codes, columns, counts, lines in tables),
        corrections=tuple(Correction(_str(date), _str(what), _str(why), Place(_str(p[0]), _int(p[1]), _int(p[2])))
                          for date, what, why, p in corrections),
    )


def summary_bytes(summary: ReportSummary) -> bytes:
    """The whole summary as a file (deterministic JSON): what a unit page reads of its reports.

    The bytes of ``summary_data`` written compactly, made by orjson from the summary's own tuples
    (the table rows' cells are most of it), amounts turned into their text as orjson meets them."""
    return orjson.dumps(_orjson_ready(summary), default=_decimal_text)


def _orjson_ready(summary: ReportSummary) -> list[Any]:
    """``summary_data`` with the tuples left as they are (orjson writes a tuple as an array) and
    the amounts as Decimals (``_decimal_text``); the dataclasses as arrays, as orjson would not."""
    unit = summary.unit
    return [
        [unit.slug, unit.name, unit.parent, unit.region, unit.level, unit.code, unit.description, unit.path],
        summary.year, summary.rel, summary.title, summary.template_id, summary.amount_unit,
        summary.headlines,
        [[f.slug, f.kind, f.name, f.amount_unit, f.annual, f.executed, f.score, f.grade] for f in summary.forms],
        [[t.id, t.title, t.codes, t.columns, t.count_sections,
          [[line.section, line.key, line.name, line.cells] for line in t.lines]]
         for t in summary.tables],
        [[c.date, c.what, c.why, [c.place.path, c.place.line, c.place.col]] for c in summary.corrections],
    ]


def _decimal_text(value: Any) -> str:
    """``_text`` of an amount, for orjson; anything else it cannot write is refused (TypeError)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"not JSON data: {type(value).__name__}")
    return str(value)


def summary_from_bytes(data: bytes) -> ReportSummary:
    """The inverse of ``summary_bytes``; raises ValueError (orjson's JSONDecodeError is one),
    TypeError or KeyError on anything else."""
    return summary_from_data(orjson.loads(data))


def without_tables(summary: ReportSummary) -> ReportSummary:
    """What the build keeps of a report in memory: a few kilobytes, against tens with the table
    rows, which only its unit's page reads (from the file of ``summary_bytes``)."""
    return replace(summary, tables=())


def sharing(summary: ReportSummary, unit: Unit) -> ReportSummary:
    """``summary`` with the plan's ``unit`` (when equal) and the ids it has in common with every
    other summary shared: the build keeps a summary per report to its end, and each one unpickled
    from a worker or read from the build cache had its own copies of them."""
    if summary.unit == unit:
        summary = replace(summary, unit=unit)
    return replace(summary, template_id=sys.intern(summary.template_id), amount_unit=sys.intern(summary.amount_unit),
                   headlines=tuple((sys.intern(key), value) for key, value in summary.headlines),
                   forms=tuple(replace(form, kind=sys.intern(form.kind), amount_unit=sys.intern(form.amount_unit))
                               for form in summary.forms))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    amount = Decimal(_str(value))  # str() of a Decimal gives it back exactly, exponent included
    if not amount.is_finite():
        raise ValueError("not a figure")
    return amount


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("not a whole number")
    return value
