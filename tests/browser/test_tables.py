"""Every rendered total of every sample table, recomputed from the rendered parts in Chromium.

The figures are read back from the page with the header cells that label them (what a reader or a
screen reader associates with each number), not from the renderer's data. Each equation of DESIGN
§3 is recomputed here independently of the checker. A total that differs from its parts by more
than 万元 rounding must be visibly flagged on the page (an acknowledged, published inconsistency);
otherwise the test fails. Source figures come straight from the content YAML, read as text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page

from tests.browser.conftest import ROOT, report_pages
from tests.browser.dom import Figure, figures, matrix, misplaced, table_ids

Equation = tuple[str, Figure | None, list[Figure | None], list[Figure | None]]
ORDINAL_ROW = re.compile(r"^[一二三四五六七八九十]+、")


def source_yaml(path: Path) -> dict:
    """Source content read with every scalar as text (BaseLoader): independent of the site's loader."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}


def report_dir(report: str) -> Path:
    return ROOT / "content" / report.split("/")[1] / report.split("/")[2]


def amount_unit(report: str) -> str:
    return source_yaml(report_dir(report) / "report.yaml")["amount_unit"]


# -- the semantic view of a table: (side, row, column) -> figure ----------------------------------
def sheet(figs: list[Figure], two_level: bool) -> dict[tuple[str, str, str], Figure]:
    view: dict[tuple[str, str, str], Figure] = {}
    for f in figs:
        side = f.cols[0] if two_level else ""
        row = f.code or (f.rows[-1] if f.rows else "")
        column = "/".join(f.cols[1:] if two_level else f.cols)
        assert (side, row, column) not in view, f"two figures share the labels {side}/{row}/{column}"
        view[(side, row, column)] = f
    return view


def find(view: dict[tuple[str, str, str], Figure], side: str, row: str, column_part: str) -> Figure | None:
    for (s, r, c), f in view.items():
        if s == side and r == row and (column_part == c or column_part in c.split("/")):
            return f
    return None


def rows_of(view: dict[tuple[str, str, str], Figure], side: str = "") -> list[str]:
    return list(dict.fromkeys(r for (s, r, _c) in view if s == side))


def columns_of(view: dict[tuple[str, str, str], Figure], side: str = "") -> list[str]:
    return list(dict.fromkeys(c for (s, _r, c) in view if s == side))


# -- equations per table layout, written from DESIGN §3 -----------------------------------------
def code_table_equations(table: str, view: dict) -> Iterator[Equation]:
    rows = rows_of(view)
    columns = columns_of(view)
    total_column = {"income": "本年收入合计", "expenditure": "本年支出合计"}.get(table, columns[0] if table != "government_fund" else "")
    for row in rows:
        cells = {c: view.get(("", row, c)) for c in columns}
        if table == "government_fund":
            yield f"{row} 小计", find(view, "", row, "小计"), [find(view, "", row, "基本支出"), find(view, "", row, "项目支出")], []
            yield f"{row} 年末", find(view, "", row, "年末结转和结余"), [find(view, "", row, "年初结转和结余"), find(view, "", row, "本年收入")], [find(view, "", row, "小计")]
            continue
        parts = [f for c, f in cells.items() if c != total_column and "其中" not in c and f is not None]
        yield f"{table} {row} 行合计", cells[total_column], parts, []
        tuition = [f for c, f in cells.items() if "其中" in c and f is not None]
        for part in tuition:  # 其中 is part of its whole, never above it
            whole = find(view, "", row, "小计")
            if whole is not None and part.amount > whole.amount:
                yield f"{row} 其中 > 小计", whole, [part], []
    codes = [r for r in rows if r.isdigit()]
    for column in columns:
        for parent in ["合计", *codes]:
            children = [c for c in codes if (len(c) == 3 if parent == "合计" else len(c) == len(parent) + 2 and c.startswith(parent))]
            if children:
                yield f"{table} {parent} {column}", view.get(("", parent, column)), [view.get(("", c, column)) for c in children], []


def economic_equations(view: dict) -> Iterator[Equation]:
    codes = [r for r in rows_of(view) if r.isdigit()]
    get = lambda row: next((f for (s, r, c), f in view.items() if r == row), None)  # noqa: E731
    for parent in [c for c in codes if len(c) == 3]:
        children = [c for c in codes if len(c) == 5 and c.startswith(parent)]
        if children:
            yield f"基本支出 {parent}", get(parent), [get(c) for c in children], []
    yield "人员经费合计", get("人员经费合计"), [get("301"), get("303")], []
    yield "公用经费合计", get("公用经费合计"), [get(c) for c in codes if len(c) == 3 and c not in ("301", "303")], []


def summary_equations(view: dict, income: str, expenditure: str) -> Iterator[Equation]:
    sides = {s for (s, _r, _c) in view}
    assert sides == {income, expenditure}, sides
    for side in (income, expenditure):
        for column in columns_of(view, side):
            cell = lambda row, side=side, column=column: view.get((side, row, column))  # noqa: E731
            numbered = [cell(r) for r in rows_of(view, side) if ORDINAL_ROW.match(r)]
            if side == income:
                first = "本年收入合计"
                yield f"{side} 本年收入合计", cell(first), numbered, []
                opening = [cell(r) for r in rows_of(view, side) if r.startswith(("使用非财政拨款结余", "年初结转和结余", "年初财政拨款结转和结余"))]
                yield f"{side} 总计", cell("总计"), [cell(first), *opening], []
                parts = [cell(r) for r in rows_of(view, side) if r in ("一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款")]
                if parts and cell("年初财政拨款结转和结余") is not None:
                    yield f"{side} 年初结转 分项", cell("年初财政拨款结转和结余"), parts, []
            else:
                yield f"{side} 本年支出合计 {column}", cell("本年支出合计"), numbered, []
                closing = [cell(r) for r in rows_of(view, side) if r.startswith(("结余分配", "年末结转和结余", "年末财政拨款结转和结余"))]
                yield f"{side} 总计 {column}", cell("总计"), [cell("本年支出合计"), *closing], []
    yield "收入总计 = 支出总计", view.get((income, "总计", columns_of(view, income)[0])), [find(view, expenditure, "总计", columns_of(view, expenditure)[0])], []
    columns = columns_of(view, expenditure)
    if len(columns) > 1:  # 财政拨款收入支出决算总表: 合计 = 三本预算
        for row in rows_of(view, expenditure):
            yield f"{row} 合计", view.get((expenditure, row, columns[0])), [view.get((expenditure, row, c)) for c in columns[1:]], []


def three_public_equations(view: dict) -> Iterator[Equation]:
    for side in {s for (s, _r, _c) in view}:
        row = rows_of(view, side)[0]
        get = lambda col, side=side, row=row: find(view, side, row, col)  # noqa: E731
        yield f"{side} 合计", get("合计"), [get("因公出国（境）费"), get("小计"), get("公务接待费")], []
        yield f"{side} 车辆小计", get("小计"), [get("公务用车购置费"), get("公务用车运行维护费")], []


def related_equations(view: dict) -> Iterator[Equation]:
    rows = rows_of(view)
    get = lambda row: next((f for (s, r, c), f in view.items() if r == row), None)  # noqa: E731
    yield "政府采购合计", get("合计"), [get("货物"), get("工程"), get("服务")], []
    vehicles = [r for r in rows if re.match(r"^\d\. .*用车$", r)]
    yield "车辆数合计", next((get(r) for r in rows if r.startswith("（一）车辆数合计")), None), [get(r) for r in vehicles], []


def equations_for(page: Page, table: str) -> Iterator[Equation]:
    figs = figures(page, table)
    if not figs:  # an empty table (本表无数据): nothing to add up
        return
    if table == "income_expenditure_summary" or table == "fiscal_summary":
        yield from summary_equations(sheet(figs, True), "收入", "支出")
    elif table == "three_public":
        yield from three_public_equations(sheet(figs, True))
    elif table == "basic_expenditure_detail":
        yield from economic_equations(sheet(figs, False))
    elif table == "related_info":
        yield from related_equations(sheet(figs, False))
    else:
        yield from code_table_equations(table, sheet(figs, False))


def cross_equations(page: Page) -> Iterator[Equation]:
    """Across tables (DESIGN §3), matched by the labels shown on the page."""
    summary = sheet(figures(page, "income_expenditure_summary"), True)
    income = sheet(figures(page, "income"), False)
    expenditure = sheet(figures(page, "expenditure"), False)
    general = sheet(figures(page, "general_budget_expenditure"), False)
    detail = sheet(figures(page, "basic_expenditure_detail"), False)
    fiscal = sheet(figures(page, "fiscal_summary"), True)
    s_in = lambda prefix: next((f for (s, r, c), f in summary.items() if s == "收入" and r.startswith(prefix)), None)  # noqa: E731
    yield "本年收入合计 ↔ 收入决算表合计", s_in("本年收入合计"), [find(income, "", "合计", "本年收入合计")], []
    yield "财政拨款收入 ↔ 三项财政拨款", find(income, "", "合计", "财政拨款收入"), [s_in("一、"), s_in("二、"), s_in("三、")], []
    for prefix, column in (("四、", "上级补助收入"), ("五、", "事业收入"), ("六、", "经营收入"), ("七、", "附属单位上缴收入"), ("八、", "其他收入")):
        yield f"{column} ↔ 收入决算表", s_in(prefix), [find(income, "", "合计", column)], []
    s_out = {r: f for (s, r, c), f in summary.items() if s == "支出"}
    yield "本年支出合计 ↔ 支出决算表合计", s_out.get("本年支出合计"), [find(expenditure, "", "合计", "本年支出合计")], []
    class_names = {f.rows[-1]: code for (s, code, c), f in expenditure.items() if code.isdigit() and len(code) == 3}
    for name, code in class_names.items():
        summary_row = next((f for r, f in s_out.items() if ORDINAL_ROW.sub("", r) == name), None)
        yield f"类 {code} 总表 ↔ 支出决算表", summary_row, [find(expenditure, "", code, "本年支出合计")], []
    gb_total = next((f for (s, r, c), f in general.items() if r == "合计" and c == columns_of(general)[0]), None)
    yield "一般公共预算支出 ↔ 财政拨款总表", gb_total, [find(fiscal, "支出", "本年支出合计", "一般公共预算财政拨款")], []
    yield "基本支出 ↔ 人员经费+公用经费", find(general, "", "合计", "基本支出"), [
        next((f for (s, r, c), f in detail.items() if r == "人员经费合计"), None),
        next((f for (s, r, c), f in detail.items() if r == "公用经费合计"), None)], []


def failures(equations: list[Equation], unit: str) -> list[str]:
    per_part = Decimal("0.005") if unit == "万元" else Decimal(0)
    problems = []
    for name, total, parts, minus in equations:
        cells = [c for c in (total, *parts, *minus) if c is not None]
        if not cells or total is None and all(c.blank for c in cells):
            continue
        computed = sum((p.amount for p in parts if p), Decimal(0)) - sum((m.amount for m in minus if m), Decimal(0))
        shown = total.amount if total else Decimal(0)
        counted = max(1, sum(1 for c in (*parts, *minus) if c is not None and not c.blank))
        if abs(shown - computed) > per_part * counted and not any(c.flagged for c in cells):
            problems.append(f"{name}: shown {shown} but parts give {computed}")
    return problems


def total_problems(page: Page, report: str) -> list[str]:
    tables = table_ids(page)
    assert tables, "no tables rendered"
    equations = [e for t in tables for e in equations_for(page, t)] + list(cross_equations(page))
    assert len(equations) > 50
    return failures(equations, amount_unit(report))


@pytest.mark.parametrize("report", report_pages())
def test_every_total_matches_its_rendered_parts(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    assert total_problems(page, report) == []


def flatten_source(table_file: Path) -> dict[str, str]:
    """Every amount of a source table file as "table/section/row/column" → its text ('' = blank)."""
    data = source_yaml(table_file)
    result = {}
    for section, rows in data.items():
        if section == "empty_note" or not isinstance(rows, dict):
            continue
        for row, value in rows.items():
            if isinstance(value, dict):
                for column, amount in value.items():
                    if column != "name":
                        result[f"{table_file.stem}/{section}/{row}/{column}"] = amount or ""
            else:
                result[f"{table_file.stem}/{section}/{row}/amount"] = value or ""
    return result


def source_problems(page: Page, report: str) -> list[str]:
    rendered = {f.key: f for t in table_ids(page) for f in figures(page, t)}
    source = {}
    for table_file in sorted((report_dir(report) / "tables").glob("*.yaml")):
        source.update(flatten_source(table_file))
    problems = [f"{k} = {v} is not on the page" for k, v in source.items() if v and k not in rendered]
    for key, figure in rendered.items():
        expected = source.get(key, "")
        if figure.value != expected:  # blank and 0.00 must stay apart
            problems.append(f"{key}: page {figure.value!r}, source {expected!r}")
        shown = f"{Decimal(expected):,}" if expected else ""
        if figure.text != shown:
            problems.append(f"{key}: shown {figure.text!r}, expected {shown!r}")
    return problems


@pytest.mark.parametrize("report", report_pages())
def test_rendered_figures_are_the_source_figures(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    assert source_problems(page, report) == []


EXPECTED_COLUMNS = {
    "income": {"total": "本年收入合计", "fiscal": "财政拨款收入", "superior": "上级补助收入", "business": "事业收入",
               "business_tuition": "其中：教育收费", "operating": "经营收入", "affiliated": "附属单位上缴收入", "other": "其他收入"},
    "expenditure": {"total": "本年支出合计", "basic": "基本支出", "project": "项目支出", "to_superior": "上缴上级支出",
                    "operating": "经营支出", "to_affiliated": "对附属单位补助支出"},
    "fiscal_summary": {"total": "合计", "general_budget": "一般公共预算财政拨款", "government_fund": "政府性基金预算财政拨款",
                       "state_capital": "国有资本经营预算财政拨款"},
    "three_public": {"total": "合计", "abroad": "因公出国（境）费", "vehicles": "小计", "vehicle_purchase": "公务用车购置费",
                     "vehicle_operation": "公务用车运行维护费", "reception": "公务接待费"},
}


def header_problems(page: Page) -> list[str]:
    """A figure's column and row headers name the column and row its source key says, and it is
    shown under them (catches swapped columns or shifted rows)."""
    problems = []
    for table in table_ids(page):
        problems += [f"{table}: {m}" for m in misplaced(page, table)]
        for f in figures(page, table):
            _, section, row, column = f.key.split("/")
            title = EXPECTED_COLUMNS.get(table, {}).get(column)
            if title is not None and not (title in f.cols or (column == "business" and "事业收入" in f.cols)):
                problems.append(f"{f.key} is under {f.cols}")
            if row.isdigit() and table not in ("income_expenditure_summary", "fiscal_summary") and f.code != row:
                problems.append(f"{f.key} is in the row of code {f.code!r}")
            if table in ("income_expenditure_summary", "fiscal_summary") and f.cols[0] != ("收入" if section == "income" else "支出"):
                problems.append(f"{f.key} is on the {f.cols[0]} side")
    return problems


@pytest.mark.parametrize("report", report_pages())
def test_each_figure_sits_under_its_own_headers(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    assert header_problems(page) == []


@pytest.mark.parametrize("report", report_pages())
def test_csv_and_json_downloads_match_the_page(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    data = json.loads(page.request.get(base_url + report + "report.json").text())
    for table in table_ids(page):
        response = page.request.get(base_url + report + f"{table}.csv")
        assert response.ok
        body = response.body()
        assert body.startswith("\ufeff".encode()), "CSV needs a UTF-8 BOM for Excel"
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        width = max(len(r) for r in rows)
        on_page = [r + [""] * (width - len(r)) for r in matrix(page, table)]
        assert rows == on_page, f"{table}.csv differs from the table on the page"
        by_key: dict[str, str] = defaultdict(str)
        for section, section_rows in data["tables"][table]["sections"].items():
            for row, cells in section_rows.items():
                for column, value in cells.items():
                    by_key[f"{table}/{section}/{row}/{column}"] = value or ""
        for f in figures(page, table):
            assert f.value == by_key[f.key], f"report.json {f.key} = {by_key[f.key]!r}, page {f.value!r}"
