"""Computed figures in prose (``{{…}}``): parser, resolver, rule ``narrative.ref-*`` and rendering.

Expected figures are worked out by hand from the mini fixture's tables (tests/fixtures/mini):
2023 (万元): 支出决算表 合计 本年支出合计 221.00, 基本支出 176.00, 项目支出 45.00; 收入支出决算总表
收入/总计 233.00; “三公” 预算数 合计 25.00, 决算数 合计 20.00. 2024 (元): 收入支出决算总表 收入/总计
210,000.75; its previous year is the 2023 report, 233.00万元 = 2,330,000.00元.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from site_builder import loader
from site_builder.model import Report
from site_builder.prose.refs import Figure, Problem, Resolver, line_col, parse, spans
from site_builder.render.markdown import render
from tests.conftest import REPORT_2023, REPORT_2024, MiniContent, place_of

ROOT = Path(__file__).resolve().parents[1]
EXPLANATION_2023 = f"{REPORT_2023}/explanation.md"
EXPLANATION_2024 = f"{REPORT_2024}/explanation.md"


def load(mini: MiniContent, rel: str) -> Report:
    site = loader.load(mini.root).site
    assert site is not None
    return next(r for r in site.reports if r.rel == rel)


def figure(mini: MiniContent, inside: str, rel: str = REPORT_2023) -> Figure:
    return Resolver(load(mini, rel)).evaluate(inside)


def problem(mini: MiniContent, inside: str, rel: str = REPORT_2023) -> Problem:
    with pytest.raises(Problem) as caught:
        Resolver(load(mini, rel)).evaluate(inside)
    return caught.value


# -- passing: every form --------------------------------------------------------------------------

@pytest.mark.parametrize(("inside", "text", "unit"), [
    ("支出决算表/合计/基本支出", "176.00", "万元"),  # table by title, row by name, column by title
    ("公开03表/合计/项目支出", "45.00", "万元"),  # table by number
    ("expenditure/2080109/项目支出", "40.00", "万元"),  # table by id, row by function code
    ("支出决算表/社会保障和就业支出/基本支出", "156.00", "万元"),  # row by code name (208)
    ("收入支出决算总表/收入/总计", "233.00", "万元"),  # side named: 总计 is on both sides
    ("收入支出决算总表/一般公共预算财政拨款收入", "195.00", "万元"),  # printed "一、…" without its ordinal
    ("收入支出决算总表/支出/208", "196.00", "万元"),  # a function class of the summary by code
    ("一般公共预算财政拨款基本支出决算明细表/人员经费合计", "130.00", "万元"),  # one amount column: optional
    ("一般公共预算财政拨款基本支出决算明细表/302", "30.00", "万元"),  # economic code
    ("一般公共预算财政拨款支出决算表/合计/本年支出", "200.00", "万元"),  # group title names its 小计
    ('财政拨款"三公"经费支出决算表/决算数/公务用车购置及运行维护费', "15.00", "万元"),  # ASCII quotes
    ("部门决算公开相关信息统计表/政府采购/合计", "10.00", "万元"),
    ("部门决算公开相关信息统计表/车辆数合计", "2", ""),  # a count: no amount unit
    (" 支出决算表 / 合计 / 基本支出 ", "176.00", "万元"),  # spaces around / are allowed
])
def test_cell_forms(mini: MiniContent, inside: str, text: str, unit: str) -> None:
    shown = figure(mini, inside)
    assert (shown.text, shown.unit) == (text, unit)
    assert shown.link == shown.cells[0]


@pytest.mark.parametrize(("inside", "text", "unit"), [
    # 176 / 221 = 0.796380… → 79.64 %; second figure without table = the first one's table
    ("支出决算表/合计/基本支出 占 支出决算表/合计/本年支出合计", "79.64", "%"),
    ("支出决算表/合计/项目支出 占 合计/本年支出合计", "20.36", "%"),  # 45 / 221 = 0.203619…
    ("财政拨款“三公”经费支出决算表/决算数/合计 占 预算数/合计", "80.00", "%"),  # 20 / 25
    ("财政拨款“三公”经费支出决算表/预算数/合计 比 决算数/合计 差额", "5.00", "万元"),  # 25 − 20
    ("财政拨款“三公”经费支出决算表/决算数/合计 比 预算数/合计 幅度", "20.00", "%"),  # 5 / 25
    ("财政拨款“三公”经费支出决算表/决算数/合计 比 预算数/合计 大小", "小于", ""),
    ("财政拨款“三公”经费支出决算表/预算数/合计 比 决算数/合计 高低", "高于", ""),
    ("财政拨款“三公”经费支出决算表/决算数/合计 比 预算数/合计 增减", "减少", ""),
    ("财政拨款“三公”经费支出决算表/决算数/合计 比 预算数/合计 升降", "下降", ""),
    ("收入支出决算总表/收入/总计 比 收入支出决算总表/支出/总计 大小", "等于", ""),
    ("收入支出决算总表/收入/总计 比 收入支出决算总表/支出/总计 增减", "持平", ""),
])
def test_computed_forms(mini: MiniContent, inside: str, text: str, unit: str) -> None:
    shown = figure(mini, inside)
    assert (shown.text, shown.unit, shown.link) == (text, unit, "")


def test_previous_year_from_the_portal_converts_units(mini: MiniContent) -> None:
    # 2024 (元) against the 2023 report (万元): 2,330,000.00 − 210,000.75 = 2,119,999.25;
    # 2,119,999.25 / 2,330,000.00 = 0.909871… → 90.99 %
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 差额", REPORT_2024).text == "2,119,999.25"
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 幅度", REPORT_2024).text == "90.99"
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 增减", REPORT_2024).text == "减少"
    assert figure(mini, "上年收入支出决算总表/收入/总计", REPORT_2024).text == "2,330,000.00"
    assert figure(mini, "上年收入支出决算总表/收入/总计", REPORT_2024).link == ""  # not a cell of this page


def test_previous_year_declared_in_report_yaml(mini: MiniContent) -> None:
    mini.write(f"{REPORT_2023}/report.yaml", mini.read(f"{REPORT_2023}/report.yaml") + (
        "previous_year:\n  source: 2022年度部门决算公开\n  figures:\n    收入支出决算总表/收入/总计: 200.00\n"))
    # 233 − 200 = 33.00; 33 / 200 = 16.50 %
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 差额").text == "33.00"
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 幅度").text == "16.50"
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 升降").text == "增长"


def test_previous_year_declared_in_another_unit(mini: MiniContent) -> None:
    mini.write(f"{REPORT_2023}/report.yaml", mini.read(f"{REPORT_2023}/report.yaml") + (
        "previous_year:\n  source: 2022年度部门决算公开\n  amount_unit: 元\n  figures:\n    公开01表/收入/总计: 2000000.00\n"))
    assert figure(mini, "收入支出决算总表/收入/总计 比上年 差额").text == "33.00"  # 233.00 − 200.00 万元


# -- failing: each finding ------------------------------------------------------------------------

@pytest.mark.parametrize(("inside", "rule", "words"), [
    ("", "narrative.ref-syntax", "空的引用"),
    ("支出决算表//基本支出", "narrative.ref-syntax", "空的名称"),
    ("支出决算表/合计/基本支出 比上年 多少", "narrative.ref-syntax", "差额、幅度"),
    ("支出决算表/合计/基本支出占 支出决算表/合计/本年支出合计", "narrative.ref-syntax", "空格"),
    ("支出决算表", "narrative.ref-syntax", "只写了表名"),
    ("支出明细表/合计/基本支出", "narrative.ref-unknown", "支出决算表"),  # nearest table names
    ("支出决算表/总合计/基本支出", "narrative.ref-unknown", "合计"),  # nearest row names
    ("支出决算表/合计/基本指出", "narrative.ref-unknown", "基本支出"),  # nearest column names
    ("支出决算表/合计", "narrative.ref-unknown", "本年支出合计、基本支出"),  # several columns: say which
    ("支出决算表/2089999/基本支出", "narrative.ref-unknown", "2080109"),  # a code the table does not have
    ("收入支出决算总表/总计", "narrative.ref-unknown", "收入支出决算总表/收入/总计"),  # both sides
    ("收入支出决算总表/上级补助收入", "narrative.ref-blank", "空白"),  # blank is not zero
    ("收入支出决算总表/收入/总计 比上年 幅度", "narrative.ref-previous", "previous_year"),
])
def test_failing_forms(mini: MiniContent, inside: str, rule: str, words: str) -> None:
    found = problem(mini, inside)
    assert found.rule == rule
    assert words in found.message


def test_zero_base_cannot_give_a_share(mini: MiniContent) -> None:
    found = problem(mini, "部门决算公开相关信息统计表/政府采购/合计 占 国有资产占用/单价100万元（含）以上设备")
    assert (found.rule, "基数为0" in found.message) == ("narrative.ref-blank", True)


def test_spans_and_positions_count_characters() -> None:
    text = "第一行\n中文在前{{支出决算表/合计/基本支出}}，再一个{{未结束\n"
    found = list(spans(text))
    assert [(s.inside, s.closed) for s in found] == [("支出决算表/合计/基本支出", True), ("未结束", False)]
    assert line_col(text, found[0].start) == (2, 5)  # 中文在前 is four characters
    assert line_col(text, found[1].start) == (2, 26)  # 4 + 17 ({{…}}) + 4 (，再一个) + 1


def test_parse_keeps_the_previous_year_marker() -> None:
    expression = parse("上年 支出决算表/合计/基本支出")
    assert expression.kind == "cell" and expression.first.previous
    comparison = parse("支出决算表/合计/基本支出 比上年 幅度")
    assert comparison.second is not None and comparison.second.previous and comparison.second.parts == comparison.first.parts


# -- the rule: findings at the {{ ------------------------------------------------------------------

def test_samples_and_mini_have_no_reference_findings(mini: MiniContent) -> None:
    assert [f for f in mini.check() if f.rule.startswith("narrative.ref")] == []


def test_missing_cell_is_a_finding_at_line_and_column_after_chinese(mini: MiniContent) -> None:
    mini.write(EXPLANATION_2023, mini.read(EXPLANATION_2023) + "\n2023年度基本支出{{支出决算表/合计/基本支出}}，"
               "其中公用经费{{支出决算表/合计/公用经费}}。\n")
    line = mini.read(EXPLANATION_2023).splitlines().index(
        "2023年度基本支出{{支出决算表/合计/基本支出}}，其中公用经费{{支出决算表/合计/公用经费}}。") + 1
    findings = [f for f in mini.check() if f.rule.startswith("narrative.ref")]
    # column: "2023年度基本支出" (10) + "{{支出决算表/合计/基本支出}}" (17) + "，其中公用经费" (7) → 35
    assert [(f.rule, place_of(f)) for f in findings] == [
        ("narrative.ref-unknown", (mini.shown(EXPLANATION_2023), line, 35))]
    assert "公用经费" in findings[0].message and "基本支出" in findings[0].message  # what, and the nearest names
    assert findings[0].table == "explanation.md" and findings[0].is_error


def test_reference_in_overview_and_unclosed(mini: MiniContent) -> None:
    rel = f"{REPORT_2024}/overview.md"
    mini.write(rel, "## 一、部门职责\n\n本单位{{收入支出决算总表/收入/总计\n")
    findings = [f for f in mini.check() if f.rule.startswith("narrative.ref")]
    assert [(f.rule, place_of(f)) for f in findings] == [("narrative.ref-syntax", (mini.shown(rel), 3, 4))]


def test_reference_in_attachment_text_points_into_the_yaml(mini: MiniContent) -> None:
    rel = f"{REPORT_2023}/attachments/window-service.yaml"
    mini.replace(rel, "goal: 完成全年窗口经办服务。", "goal: 完成全年窗口经办服务，支出{{支出决算表/合计/无此列}}。")
    findings = [f for f in mini.check() if f.rule.startswith("narrative.ref")]
    # "goal: " (6) + "完成全年窗口经办服务，支出" (13) → the {{ is at column 20 of line 25
    assert [(f.rule, place_of(f), f.table) for f in findings] == [
        ("narrative.ref-unknown", (mini.shown(rel), 25, 20), "attachments/window-service.yaml")]


def test_previous_year_missing_is_a_finding(mini: MiniContent) -> None:
    mini.write(EXPLANATION_2023, "## 一\n\n比上年{{收入支出决算总表/收入/总计 比上年 增减}}\n")
    findings = [f for f in mini.check() if f.rule.startswith("narrative.ref")]
    assert [(f.rule, place_of(f)) for f in findings] == [("narrative.ref-previous", (mini.shown(EXPLANATION_2023), 3, 4))]


def test_declared_previous_year_with_unknown_name_is_a_finding(mini: MiniContent) -> None:
    rel = f"{REPORT_2023}/report.yaml"
    mini.write(rel, mini.read(rel) + "previous_year:\n  source: 2022年度部门决算公开\n  figures:\n    收入支出决算总表/收入/总数: 1.00\n")
    findings = [f for f in mini.check() if f.rule.startswith("narrative.ref")]
    assert [(f.rule, place_of(f)) for f in findings] == [("narrative.ref-unknown", (mini.shown(rel), 9, 5))]


def test_previous_year_needs_a_source(mini: MiniContent) -> None:
    rel = f"{REPORT_2023}/report.yaml"
    mini.write(rel, mini.read(rel) + "previous_year:\n  figures:\n    收入支出决算总表/收入/总计: 1.00\n")
    assert [f.rule for f in mini.check()] == ["schema"]


# -- rendering and escaping -------------------------------------------------------------------------

def test_rendered_figure_links_to_its_cell(mini: MiniContent) -> None:
    report = load(mini, REPORT_2023)
    out = render("基本支出{{支出决算表/合计/基本支出}}，占{{支出决算表/合计/基本支出 占 合计/本年支出合计}}。", "e-", {},
                 figure_of=Resolver(report).evaluate)
    assert ('<a class="figure" href="#cell-expenditure-rows-total-basic" data-ref="expenditure/rows/total/basic">176.00</a>万元'
            in out.html)
    assert ">79.64</span>%" in out.html
    assert out.cells == {"expenditure/rows/total/basic"}


@pytest.mark.parametrize("inside", ["<script>alert(1)</script>", "支出决算表/<b>合计</b>/基本支出", "*强调*/_x_",
                                    "支出决算表/合计/基本支出\" onmouseover=\"x"])
def test_markup_inside_a_reference_never_reaches_html(mini: MiniContent, inside: str) -> None:
    report = load(mini, REPORT_2023)
    out = render(f"前文{{{{{inside}}}}}后文", "e-", {}, figure_of=Resolver(report).evaluate)
    assert "<script" not in out.html and "<b>" not in out.html and "<em>" not in out.html
    assert 'onmouseover="' not in out.html
    assert '<span class="figure ref-error">' in out.html


def test_every_amount_is_decimal(mini: MiniContent) -> None:
    report = load(mini, REPORT_2024)
    shown = Resolver(report).evaluate("收入支出决算总表/收入/总计 比上年 差额")
    assert Decimal(shown.text.replace(",", "")) == Decimal("2330000.00") - Decimal("210000.75")


def test_the_example_of_docs_narrative_renders_as_documented(tmp_path: Path) -> None:
    """docs/narrative.md's first example, on the 晋城 2023 sample with 2022's 收入总计 declared as
    7,501.44万元 (13,824.43 − 6,322.99, the growth the published prose states)."""
    doc = (ROOT / "docs" / "narrative.md").read_text(encoding="utf-8")
    example = doc.split("```markdown\n", 1)[1].split("```", 1)[0]
    expected = doc.split("renders as\n\n> ", 1)[1].split("\n", 1)[0]
    shutil.copytree(ROOT / "content", tmp_path / "content")
    report_yaml = tmp_path / "content" / "jincheng-social-insurance-center" / "2023" / "report.yaml"
    report_yaml.write_text(report_yaml.read_text(encoding="utf-8") + (
        "previous_year:\n  source: 2022年度单位决算公开\n  figures:\n    收入支出决算总表/收入/总计: 7501.44\n"), encoding="utf-8")
    site = loader.load(tmp_path / "content").site
    assert site is not None
    report = next(r for r in site.reports if r.year == 2023)
    html = render(example, "e-", {}, figure_of=Resolver(report).evaluate).html
    assert re.sub(r"<[^>]+>", "", html).strip() == expected


def test_rule_ids_are_the_resolvers() -> None:
    from site_builder.prose import refs
    from site_builder.rules import references

    assert references.RULE_IDS == (refs.SYNTAX, refs.UNKNOWN, refs.BLANK, refs.PREVIOUS)


def test_the_largest_allowed_amount_is_computed_exactly(mini: MiniContent) -> None:
    """15 integer digits and 6 decimals is the loader's limit (amount.digits); differences of such
    figures are exact (no Decimal context rounds them)."""
    mini.replace(f"{REPORT_2023}/tables/expenditure.yaml", "total: {total: 221.00, basic: 176.00",
                 "total: {total: 999999999999999.999999, basic: 176.00")
    shown = figure(mini, "支出决算表/合计/本年支出合计 比 合计/基本支出 差额")
    assert shown.text == "999,999,999,999,823.999999"  # 999,999,999,999,999.999999 − 176 by hand


def test_a_larger_amount_never_reaches_a_reference(mini: MiniContent) -> None:
    mini.replace(f"{REPORT_2023}/tables/expenditure.yaml", "total: {total: 221.00, basic: 176.00",
                 "total: {total: 221000000000000000000000000000000000.00, basic: 176.00")
    assert "amount.digits" in {f.rule for f in mini.check()}


def test_previous_year_figure_follows_a_changed_file(mini: MiniContent) -> None:
    site = loader.load(mini.root).site
    assert site is not None
    first, second = site.reports
    Resolver(first)  # the 2023 report is now known in this process
    assert Resolver(second).evaluate("收入支出决算总表/收入/总计 比上年 差额").text == "2,119,999.25"
    mini.replace(f"{REPORT_2023}/tables/income_expenditure_summary.yaml", "  grand_total: 233.00", "  grand_total: 234.00", count=2)
    # 2,340,000.00 − 210,000.75 = 2,129,999.25
    assert Resolver(second).evaluate("收入支出决算总表/收入/总计 比上年 差额").text == "2,129,999.25"
