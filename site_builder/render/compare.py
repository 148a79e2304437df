"""Unit pages across years and comparison pages across units (issue 11), from report summaries.

Derived figures: changes and shares are computed from the exact Decimals and rounded
ROUND_HALF_UP to 2 places (percent). A change or ratio with a blank input, a zero divisor or
non-consecutive years is absent, with the reason. Amounts in 万元 and 元 are never mixed: when the
reports of one page use both, every amount is converted to 元 (1 万元 = 10000 元, exact).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

from site_builder.crosswalk import Crosswalk
from site_builder.summaries import HeadlineData, ReportSummary

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
WAN = "万元"
YUAN = "元"

# reasons shown when a derived figure is absent (page text and CSV)
NO_PREVIOUS = "上年无报告"
BLANK = "一方为空白"
ZERO_BASE = "上年为0，不计算百分比"
NOT_MAPPED = "本年度报表格式无此项"


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole × 100, ROUND_HALF_UP to 2 places (whole ≠ 0)."""
    return (part * HUNDRED / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def convert(value: Decimal | None, unit: str, target: str) -> Decimal | None:
    """An amount in ``unit`` expressed in ``target`` (万元 ↔ 元), exactly."""
    if value is None or unit == target:
        return value
    if unit == WAN and target == YUAN:
        return value * 10000
    return value / 10000


def common_unit(units: Iterable[str]) -> tuple[str, bool]:
    """The amount unit for figures of several reports, and whether any were converted."""
    seen = set(units)
    if len(seen) <= 1:
        return (next(iter(seen)) if seen else YUAN), False
    return YUAN, True


def group_slug(kind: str, *names: str) -> str:
    """A safe URL segment for a region or parent department: untrusted names never reach a URL."""
    digest = hashlib.sha256("\x00".join(names).encode("utf-8")).hexdigest()[:12]
    return f"{kind}-{digest}"


@dataclass
class Change:
    amount: Decimal | None = None
    pct: Decimal | None = None
    reason: str = ""  # why amount (or pct) is absent


def change(previous: Decimal | None, current: Decimal | None, consecutive: bool) -> Change:
    if not consecutive:
        return Change(reason=NO_PREVIOUS)
    if previous is None or current is None:
        return Change(reason=BLANK)
    amount = current - previous
    if previous == 0:
        return Change(amount, None, ZERO_BASE)
    return Change(amount, percent(amount, previous))


# -- unit pages -----------------------------------------------------------------------------------


@dataclass
class SeriesRow:
    """One figure followed year by year (a headline, or a table row × column)."""

    label: str
    values: list[Decimal | None]
    changes: list[Change | None]  # per year; None for the first year
    mapped: list[bool]  # False: the year's template has no such figure
    code: str = ""
    notes: list[str] = field(default_factory=list)
    is_count: bool = False


@dataclass
class SeriesTable:
    id: str
    title: str
    rows: list[SeriesRow]

    @property
    def coded(self) -> bool:
        """Whether any row has a 科目编码 (the table then shows a code column)."""
        return any(row.code for row in self.rows)


@dataclass
class UnitHistory:
    years: list[int]
    unit: str  # amount unit of every figure shown
    converted: bool
    headlines: list[SeriesRow]
    tables: list[SeriesTable]
    reports: list[ReportSummary]


def unit_history(reports: list[ReportSummary], headlines: HeadlineData, walk: Crosswalk) -> UnitHistory:
    reports = sorted(reports, key=lambda r: r.year)
    years = [r.year for r in reports]
    unit, converted = common_unit(r.amount_unit for r in reports)
    rows = []
    for headline in headlines.headlines:
        figures = [r.figures for r in reports]
        values = [convert(f.get(headline.id), r.amount_unit, unit) for f, r in zip(figures, reports, strict=True)]
        rows.append(_series(headline.label, values, years, [headline.id in f for f in figures]))
    return UnitHistory(years, unit, converted, rows, _followed_tables(reports, unit, walk), reports)


def _series(label: str, values: list[Decimal | None], years: list[int], mapped: list[bool], **extra: object) -> SeriesRow:
    changes: list[Change | None] = [None]
    for i in range(1, len(values)):
        changes.append(change(values[i - 1], values[i], years[i] == years[i - 1] + 1))
    return SeriesRow(label, values, changes, mapped, **extra)  # type: ignore[arg-type]


def _followed_tables(reports: list[ReportSummary], unit: str, walk: Crosswalk) -> list[SeriesTable]:
    years = [r.year for r in reports]
    order: list[str] = []
    titles: dict[str, str] = {}
    for report in reversed(reports):  # the latest title and order first
        for table in report.tables:
            if table.id not in titles:
                titles[table.id] = table.title
                order.append(table.id)
    result = []
    for table_id in order:
        rows = _followed_rows(table_id, reports, unit, walk)
        if rows:
            result.append(SeriesTable(table_id, titles[table_id], [_series(**row, years=years) for row in rows]))
    return result


def _followed_rows(table_id: str, reports: list[ReportSummary], unit: str, walk: Crosswalk) -> list[dict]:
    """Rows × columns of one table, keyed through the crosswalk, with a value per year."""
    keyed: dict[tuple[str, str, str], dict] = {}
    for index, report in enumerate(reports):
        table = report.table(table_id)
        if table is None:
            continue
        for line in table.lines:
            key, was, note = line.key, "", ""
            if table.codes:
                followed = walk.follow(table.codes, line.key, report.year)
                key, was = followed.code, followed.was
                if followed.split:
                    note = f"{followed.split.since}年起分为{'、'.join(followed.split.new)}科目（{followed.split.note}）"
            titles = table.column_titles(line.section)
            is_count = line.section in table.count_sections
            for column, value in line.cells:
                ident = (line.section, key, column)
                label = line.name if len(titles) == 1 else f"{line.name} · {titles.get(column, column)}"
                if ident not in keyed:
                    keyed[ident] = {"label": label, "values": [None] * len(reports), "mapped": [False] * len(reports),
                                    "code": key if table.codes and key.isdigit() else "", "notes": [], "is_count": is_count}
                row = keyed[ident]
                if index == len(reports) - 1 or not row["mapped"][-1]:
                    row["label"] = label  # the latest printed name
                row["values"][index] = value if is_count else convert(value, report.amount_unit, unit)
                row["mapped"][index] = True
                for text in ([f"{report.year}年为{was}科目"] if was else []) + ([note] if note else []):
                    if text not in row["notes"]:
                        row["notes"].append(text)
    return [row for row in keyed.values() if any(v is not None for v in row["values"])]


def unit_csv(history: UnitHistory, texts: dict[str, str]) -> bytes:
    """Exactly the figures of the unit page: one line per figure and year, with its change."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([texts[k] for k in ("csv_table", "csv_code", "csv_item", "csv_year", "csv_amount", "csv_amount_unit",
                                         "csv_change", "csv_change_pct", "csv_note")])
    blocks = [(texts["headlines"], history.headlines)] + [(t.title, t.rows) for t in history.tables]
    for title, rows in blocks:
        for row in rows:
            for index, year in enumerate(history.years):
                if not row.mapped[index]:
                    continue
                delta = row.changes[index]
                notes = [*row.notes, *([delta.reason] if delta and delta.reason else [])]
                writer.writerow([title, row.code, row.label, year, _text(row.values[index]),
                                 "" if row.is_count else history.unit, _text(delta.amount if delta else None),
                                 _text(delta.pct if delta else None), "；".join(notes)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


# -- comparison pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    kind: str  # amount | percent | text
    sortable: bool = True


@dataclass
class CompareRow:
    unit_name: str
    unit_slug: str
    rel: str
    values: dict[str, Decimal | str | None]
    reasons: dict[str, str]


@dataclass
class CompareGroup:
    kind: str  # region | parent
    name: str
    region: str
    slug: str
    year: int
    unit: str
    converted: bool
    rows: list[CompareRow]

    @property
    def path(self) -> str:
        return group_path(self.year, self.slug)

    @property
    def units(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class GroupPlan:
    """A comparison group before its rows are made (``make_group``): its place and which reports it
    compares, by their positions in the build's list of summaries. What the comparison index and
    the sitemap read, and all the build's main process keeps of a group: the rows, about 1 kB a
    report in each of its two groups, are made one group at a time where the group is keyed or
    rendered."""

    kind: str  # region | parent
    name: str
    region: str
    slug: str
    year: int
    members: tuple[int, ...]

    @property
    def path(self) -> str:
        return group_path(self.year, self.slug)

    @property
    def units(self) -> int:
        return len(self.members)


def group_path(year: int, slug: str) -> str:
    """The folder of a comparison group's pages."""
    return f"compare/{year}/{slug}/"


INDEX_GROUPS = 300  # comparison pages compare/index.html lists at most; above it, one index page per year
COMPARE_INDEX = "compare/index.html"


@dataclass
class IndexPage:
    """An index of comparison pages: compare/index.html, or a year's compare/<year>/index.html."""

    path: str
    year: int | None  # the year it lists, None for compare/index.html
    groups: Sequence[CompareGroup | GroupPlan]  # the comparison pages it lists
    years: list[tuple[int, int]] = field(default_factory=list)  # (year, its comparison pages), newest first


def index_pages(groups: Sequence[CompareGroup | GroupPlan], limit: int = INDEX_GROUPS) -> list[IndexPage]:
    """compare/index.html listing every comparison page, or, above ``limit`` of them, listing the
    years, followed by one index page per year."""
    if len(groups) <= limit:
        return [IndexPage(COMPARE_INDEX, None, groups)]
    by_year: dict[int, list[CompareGroup | GroupPlan]] = defaultdict(list)
    for group in groups:
        by_year[group.year].append(group)
    years = sorted(by_year, reverse=True)
    top = IndexPage(COMPARE_INDEX, None, [], [(year, len(by_year[year])) for year in years])
    return [top, *(IndexPage(f"compare/{year}/index.html", year, by_year[year]) for year in years)]


COMPARED = ("total_expenditure", "total_income", "basic", "project", "fiscal_expenditure", "three_public",
            "reception", "running_costs", "personnel")
SORTED_VIEWS = ("total_expenditure", "three_public", "reception", "personnel", "personnel_share", "project_share",
                "execution_rate")


def compare_columns(headlines: HeadlineData) -> list[Column]:
    labels = {h.id: h.label for h in headlines.headlines}
    columns = [Column(key, labels[key], "amount") for key in COMPARED if key in labels]
    columns += [Column(r.id, r.label, "percent") for r in headlines.ratios]
    columns.append(Column("execution_rate", headlines.texts["execution_rate"], "percent"))
    columns.append(Column("grades", headlines.texts["grades"], "text", sortable=False))
    return columns


MIN_UNITS = 2  # a region or department with one unit that year has nothing to compare


def compare_groups(reports: list[ReportSummary], headlines: HeadlineData) -> list[CompareGroup]:
    return [make_group(plan, reports, headlines) for plan in group_plans(reports)]


def group_plans(reports: list[ReportSummary]) -> list[GroupPlan]:
    """The comparison groups of ``reports``: each region's and each parent department's reports of
    a year, when there are at least ``MIN_UNITS``; members in row order (unit name, then report)."""
    buckets: dict[tuple[str, str, str, int], list[int]] = defaultdict(list)
    for number, report in enumerate(reports):
        buckets[("region", report.unit.region, "", report.year)].append(number)
        buckets[("parent", report.unit.parent, report.unit.region, report.year)].append(number)
    plans = []
    for (kind, name, region, year), members in sorted(buckets.items()):
        if len(members) < MIN_UNITS:
            continue
        slug = group_slug(kind, name) if kind == "region" else group_slug(kind, region, name)
        members.sort(key=lambda number: (reports[number].unit.name, reports[number].rel))
        plans.append(GroupPlan(kind, name, region, slug, year, tuple(members)))
    return plans


def make_group(plan: GroupPlan, reports: list[ReportSummary], headlines: HeadlineData) -> CompareGroup:
    """The group ``plan`` names, with its rows (``reports``: the list ``group_plans`` was given)."""
    members = [reports[number] for number in plan.members]
    unit, converted = common_unit(r.amount_unit for r in members)
    rows = [_compare_row(r, unit, headlines) for r in members]
    return CompareGroup(plan.kind, plan.name, plan.region, plan.slug, plan.year, unit, converted, rows)


def _compare_row(report: ReportSummary, unit: str, headlines: HeadlineData) -> CompareRow:
    figures = report.figures
    values: dict[str, Decimal | str | None] = {}
    reasons: dict[str, str] = {}
    for key in COMPARED:
        values[key] = convert(figures.get(key), report.amount_unit, unit)
        if key not in figures:
            reasons[key] = NOT_MAPPED
    for ratio in headlines.ratios:  # a ratio of two figures of one report: the same unit, no conversion
        values[ratio.id], reasons[ratio.id] = _share(figures.get(ratio.part), figures.get(ratio.whole))
    values["execution_rate"], reasons["execution_rate"] = execution_rate(report)
    values["grades"] = grade_counts(report)
    if not report.forms:
        reasons["grades"] = "无绩效自评表"
    return CompareRow(report.unit.name, report.unit.slug, report.rel, values, {k: v for k, v in reasons.items() if v})


def _share(part: Decimal | None, whole: Decimal | None) -> tuple[Decimal | None, str]:
    if part is None or whole is None:
        return None, BLANK
    if whole == 0:
        return None, "分母为0"
    return percent(part, whole), ""


def execution_rate(report: ReportSummary) -> tuple[Decimal | None, str]:
    """Σ 全年执行数 ÷ Σ 全年预算数 of the project self-evaluations (the 部门整体 form alone when there
    is one: it already covers the projects), in 元, ROUND_HALF_UP to 2 places (percent)."""
    forms = [f for f in report.forms if f.kind == "department_performance"] or list(report.forms)
    if not forms:
        return None, "无绩效自评表"
    if any(f.annual is None or f.executed is None for f in forms):
        return None, "自评表资金总额有空白"
    annual = sum((convert(f.annual, f.amount_unit, YUAN) or Decimal(0) for f in forms), Decimal(0))
    executed = sum((convert(f.executed, f.amount_unit, YUAN) or Decimal(0) for f in forms), Decimal(0))
    if annual == 0:
        return None, "全年预算数为0"
    return percent(executed, annual), ""


def grade_counts(report: ReportSummary) -> str:
    counts: dict[str, int] = {}
    for form in report.forms:
        if form.grade:
            counts[form.grade] = counts.get(form.grade, 0) + 1
    return " ".join(f"{grade}{n}" for grade, n in counts.items())


def sorted_rows(rows: list[CompareRow], key: str) -> list[CompareRow]:
    """Descending by ``key``; blank and absent figures last, then by unit name (stable)."""
    present = [r for r in rows if isinstance(r.values.get(key), Decimal)]
    absent = [r for r in rows if not isinstance(r.values.get(key), Decimal)]
    present.sort(key=_descending(key))
    return present + absent


def _descending(key: str) -> Callable[[CompareRow], tuple[Decimal, str, str]]:
    return lambda row: (-row.values[key], row.unit_name, row.rel)  # type: ignore[operator]


def view_file(key: str) -> str:
    return "index.html" if key == SORTED_VIEWS[0] else f"by-{key.replace('_', '-')}.html"


def compare_csv(group: CompareGroup, columns: list[Column], rows: list[CompareRow], texts: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [texts["csv_unit_name"], texts["csv_year"]] + [f"{c.label}（{group.unit}）" if c.kind == "amount" else
                                 f"{c.label}（%）" if c.kind == "percent" else c.label for c in columns]
    writer.writerow(header + [texts["csv_note"]])
    for row in rows:
        notes = [f"{c.label}：{row.reasons[c.id]}" for c in columns if c.id in row.reasons and row.values.get(c.id) in (None, "")]
        writer.writerow([row.unit_name, group.year] + [_cell_text(row.values.get(c.id)) for c in columns] + ["；".join(notes)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell_text(value: Decimal | str | None) -> str:
    return "" if value is None else str(value)


# -- HTML of the table bodies ---------------------------------------------------------------------
# The bodies are built here, once per group (every pre-sorted view reuses the same rows) and once per
# unit: through the template sandbox each attribute read is checked, which made the comparison pages
# of a 1,000-report portal take longer than all report pages. Every text is escaped.


def _amount(value: Decimal) -> str:
    return f"{value:,}"


def _signed(value: Decimal, text: str) -> str:
    return ("+" if value > 0 else "") + text


def _absent(reason: str) -> str:
    hidden = f'<span class="visually-hidden">（{escape(reason)}）</span>' if reason else ""
    return f'<span class="absent">—{hidden}</span>'


def compare_row_html(row: CompareRow, columns: list[Column], report_href: str) -> Markup:
    cells = []
    for column in columns:
        value = row.values.get(column.id)
        kind = "text" if column.kind == "text" else "amount"
        if value is None or value == "":
            inner = _absent(row.reasons.get(column.id, ""))
        elif column.kind == "amount" and isinstance(value, Decimal):
            inner = f'<span class="num">{_amount(value)}</span>'
        else:
            inner = f'<span class="num">{escape(str(value))}</span>'
        cells.append(f'<td class="{kind}" data-col="{column.id}">{inner}</td>')
    head = f'<th scope="row"><a href="{escape(report_href)}">{escape(row.unit_name)}</a></th>'
    return Markup(f'<tr data-rel="{escape(row.rel)}">{head}{"".join(cells)}</tr>\n')


def series_rows_html(rows: list[SeriesRow], years: list[int], show_code: bool) -> Markup:
    return Markup("".join(_series_row(row, years, show_code) for row in rows))


def _series_row(row: SeriesRow, years: list[int], show_code: bool) -> str:
    parts = [f'<tr data-row="{escape(row.code or row.label)}">']
    if show_code:
        parts.append(f"<td>{escape(row.code)}</td>")
    notes = "".join(f'<br><span class="crosswalk-note">{escape(n)}</span>' for n in row.notes)
    count = '<span class="count-note">（数量）</span>' if row.is_count else ""
    parts.append(f'<th scope="row">{escape(row.label)}{count}{notes}</th>')
    for index, year in enumerate(years):
        value = row.values[index]
        if not row.mapped[index]:
            inner = _absent(NOT_MAPPED)
        elif value is None:
            inner = '<span class="blank"><span class="visually-hidden">空白</span></span>'
        else:
            inner = f'<span class="num">{_amount(value)}</span>'
        parts.append(f'<td class="amount" data-year="{year}">{inner}</td>')
        delta = row.changes[index]
        if index and delta is not None:
            amount = _signed(delta.amount, _amount(delta.amount)) if delta.amount is not None else None
            pct = _signed(delta.pct, f"{delta.pct}%") if delta.pct is not None else None
            for text in (amount, pct):
                inner = f'<span class="num">{text}</span>' if text is not None else _absent(delta.reason)
                parts.append(f'<td class="amount change">{inner}</td>')
    parts.append("</tr>\n")
    return "".join(parts)


def compare_head_html(columns: list[Column], view: Column, views: list[Column]) -> Markup:
    """The header row of one view: each pre-sorted column a plain link to its view; the current
    one marked with aria-sort."""
    linked = {v.id for v in views}
    cells = []
    for column in columns:
        label = escape(column.label) + ("（%）" if column.kind == "percent" else "")
        sort = ' aria-sort="descending"' if column.id == view.id else ""
        if column.id in linked and column.id != view.id:
            label = Markup(f'<a href="{view_file(column.id)}">{label}<span class="visually-hidden">，按此列从高到低排列</span></a>')
        cells.append(f'<th scope="col" data-col="{column.id}"{sort}>{label}</th>')
    return Markup("".join(cells))
