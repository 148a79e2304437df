"""The prose check (issue 8): one passing and one failing sentence per kind of check, written in the style
of the published reports, checked against the real tables of the two sample reports. Expected figures
are computed by hand in the comments, never taken from the code under test."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml

from site_builder import loader
from site_builder.check import check_report
from site_builder.findings import Finding
from site_builder.model import Amount, Report, Unit
from site_builder.rules import narrative
from site_builder.rules.prose_check import analyse
from site_builder.rules.prose_check.figures import extract, mask_references

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "site_builder" / "standards"


def _load(unit_slug: str, year: int) -> Report:
    unit = Unit(unit_slug, unit_slug, "", "", "")
    report, findings = loader.load_report(unit, ROOT / "content" / unit_slug / str(year))
    assert report is not None, findings
    return report


@pytest.fixture(scope="module")
def yanchi() -> Report:  # 2024, amounts in 元
    return _load("yanchi-social-insurance-center", 2024)


@pytest.fixture(scope="module")
def jincheng() -> Report:  # 2023, amounts in 万元
    return _load("jincheng-social-insurance-center", 2023)


def prose(report: Report, text: str, numbering: bool = False) -> list[Finding]:
    """The narrative findings of ``text`` as the report's 情况说明 (tables unchanged); the snippets start
    mid-outline, so numbering findings only when asked for."""
    original, overview, attachments = report.explanation, report.overview, report.attachments
    report.explanation, report.overview, report.attachments = text, "", []
    try:
        return [f for f in narrative.run(report) if f.severity != "info"
                and (numbering or f.rule != "narrative.numbering")]
    finally:
        report.explanation, report.overview, report.attachments = original, overview, attachments


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


# -- amounts and units ---------------------------------------------------------------------------------

def test_total_matching_its_cell_is_silent(jincheng: Report) -> None:
    assert prose(jincheng, "## 一、收入支出决算总体情况说明\n\n2023年度本单位收入总计13,824.43万元。\n") == []


def test_total_stated_as_zero_is_an_amount_finding(jincheng: Report) -> None:
    found = prose(jincheng, "## 一、收入支出决算总体情况说明\n\n2023年度本单位收入总计0万元，支出总计13,824.43万元。\n")
    assert rules(found) == ["narrative.amount"]
    assert found[0].place.line == 3 and found[0].place.col == 14  # "2023年度本单位收入总计" is 13 characters
    assert "0万元" in found[0].message and "13,824.43" in found[0].message


def test_same_number_in_yuan_in_a_wanyuan_report_is_a_unit_finding(jincheng: Report) -> None:
    text = "## 三、支出决算情况说明\n\n2023年度支出合计13,804.91万元，构成如下：\n\n- 基本支出834.73元，占6.05%；\n"
    found = prose(jincheng, text)
    assert "narrative.unit" in rules(found)  # (its share, 0.08万元 of 13,804.91, is wrong as well)
    unit = next(f for f in found if f.rule == "narrative.unit")
    assert unit.figures == ("834.73元", "834.73 万元")
    assert prose(jincheng, text.replace("834.73元", "834.73万元")) == []


def test_amount_in_yuan_restating_a_wanyuan_cell_agrees(jincheng: Report) -> None:
    # 公务接待费 0.13万元 in the table; 1280元 = 0.128万元, which rounds to 0.13
    text = "## 九、财政拨款“三公”经费支出决算情况说明\n\n公务接待费1280元。\n"
    assert prose(jincheng, text) == []
    assert rules(prose(jincheng, text.replace("1280元", "2280元"))) == ["narrative.amount"]


def test_basic_expenditure_label_takes_its_section_context(yanchi: Report) -> None:
    # under 一般公共预算财政拨款基本支出 基本支出 is general_budget_expenditure's (2,424,268.90)
    text = "## 六、一般公共预算财政拨款基本支出决算情况说明\n\n2024年度基本支出2,424,268.90元。\n"
    assert prose(yanchi, text) == []


# -- shares, growth, 完成预算 -------------------------------------------------------------------------

def test_share_of_section_total(yanchi: Report) -> None:
    # 2,424,268.90 / 12,984,142.90 = 18.671 %
    text = "## 三、支出决算情况说明\n\n2024年度支出合计12,984,142.90元，构成如下：\n\n- 基本支出2,424,268.90元，占18.67%；\n- 项目支出10,559,874.00元，占81.33%。\n"
    assert prose(yanchi, text) == []
    found = prose(yanchi, text.replace("18.67%", "28.67%"))
    assert rules(found) == ["narrative.share"] and found[0].figures == ("28.67%", "18.67%")


def test_share_of_a_named_base(jincheng: Report) -> None:
    # 13,708.28 / 本年支出合计 13,804.91 = 99.30 %
    text = "## 五、一般公共预算财政拨款支出决算情况说明\n\n2023年一般公共预算财政拨款支出决算为13,708.28万元，在本年支出合计中占99.30%。\n"
    assert prose(jincheng, text) == []
    assert rules(prose(jincheng, text.replace("99.30%", "93.30%"))) == ["narrative.share"]


def test_growth_rate_from_total_and_increase(yanchi: Report) -> None:
    # previous = 13,060,802.17 − 1,578,669.08 = 11,482,133.09; 1,578,669.08 / 11,482,133.09 = 13.7489 %
    text = ("## 一、收入支出决算总体情况说明\n\n2024年度本单位收入总计、支出总计均为13,060,802.17元。"
            "与2023年度相比，收入总计和支出总计各多出1,578,669.08元，增幅为13.75%。\n")
    assert prose(yanchi, text) == []
    assert prose(yanchi, text.replace("13.75%", "13.7%")) == []  # one decimal: 13.7489 rounds to 13.7
    found = prose(yanchi, text.replace("13.75%", "13.750%"))  # three decimals: 13.749 expected
    assert rules(found) == ["narrative.growth"] and found[0].figures == ("13.750%", "13.749%")
    assert rules(prose(yanchi, text.replace("13.75%", "12.00%"))) == ["narrative.growth"]


def test_decline_rate(jincheng: Report) -> None:
    # 84.11 + 11.14 = 95.25 last year; 11.14 / 95.25 = 11.70 %
    text = "## 十、其他重要事项情况说明\n\n### （一）机关运行经费支出情况说明\n\n2023年机关运行经费支出84.11万元，比2022年少11.14万元，下降11.7%。\n"
    assert prose(jincheng, text) == []
    assert rules(prose(jincheng, text.replace("11.7%", "13.2%"))) == ["narrative.growth"]


def test_budget_completion_rate(yanchi: Report) -> None:
    # 12,984,142.90 / 8,951,379.26 = 145.05 %
    text = ("## 五、一般公共预算财政拨款支出决算情况说明\n\n### （三）一般公共预算财政拨款支出决算具体情况\n\n"
            "2024年度一般公共预算财政拨款支出的年初预算为8,951,379.26元，决算为12,984,142.90元，完成年初预算的145.05%。\n")
    assert prose(yanchi, text) == []
    found = prose(yanchi, text.replace("145.05%", "154.05%"))
    assert rules(found) == ["narrative.budget-rate"] and found[0].figures == ("154.05%", "145.05%")


# -- direction words, parts, year, numbering -------------------------------------------------------------

DIRECTION_TEXT = ("## 五、一般公共预算财政拨款支出决算情况说明\n\n### （三）一般公共预算财政拨款支出决算具体情况\n\n"
                  "7. 卫生健康支出（类）行政事业单位医疗（款）公务员医疗补助（项）：年初预算65,549.00元，决算45,673.20元，"
                  "完成年初预算的69.68%。决算低于预算，是因为2024年公务员医疗补助的缴费费率下调。\n")


def test_direction_word_agreeing_with_figures(yanchi: Report) -> None:
    assert prose(yanchi, DIRECTION_TEXT) == []


def test_direction_word_contradicting_figures(yanchi: Report) -> None:
    found = prose(yanchi, DIRECTION_TEXT.replace("决算低于预算", "决算大于预算"))
    assert rules(found) == ["narrative.direction"]
    assert found[0].figures == ("大于", "低于")


def test_growth_word_against_change_word(jincheng: Report) -> None:
    text = "## 十、其他重要事项情况说明\n\n### （一）机关运行经费支出情况说明\n\n2023年机关运行经费支出84.11万元，比2022年少11.14万元，增长11.7%。\n"
    assert rules(prose(jincheng, text)) == ["narrative.direction"]


PARTS_TEXT = ("## 六、一般公共预算财政拨款基本支出决算情况说明\n\n2024年度一般公共预算财政拨款基本支出2,424,268.90元，"
              "其中人员经费2,307,815.64元，公用经费116,453.26元。\n")


def test_parts_within_their_whole(yanchi: Report) -> None:
    assert prose(yanchi, PARTS_TEXT) == []


def test_part_larger_than_its_whole(yanchi: Report) -> None:
    found = prose(yanchi, PARTS_TEXT.replace("人员经费2,307,815.64元", "人员经费3,307,815.64元"))
    assert "narrative.parts" in rules(found)  # and the 人员经费 cell disagrees too
    part = next(f for f in found if f.rule == "narrative.parts")
    assert part.figures == ("3,307,815.64元", "2,424,268.90元")


def test_list_parts_adding_up_to_the_stated_total(yanchi: Report) -> None:
    text = ("## 二、收入决算情况说明\n\n2024年度收入合计12,984,142.90元，构成如下：\n\n- 财政拨款收入12,984,142.90元，占100.00%；\n"
            "- 其他收入0.00元，占0.00%。\n")
    assert prose(yanchi, text) == []


def test_report_year_in_heading_and_as_of_date(yanchi: Report) -> None:
    good = "## 一、收入支出决算总体情况说明\n\n与2023年度相比，本单位收支增加。截至2024年12月31日，车辆共1辆。\n"
    assert prose(yanchi, good) == []
    found = prose(yanchi, "## 一、2023年度收入支出决算总体情况说明\n\n截至2023年12月31日，车辆共1辆。\n")
    assert rules(found) == ["narrative.year", "narrative.year"]
    assert [(f.place.line, f.place.col) for f in found] == [(1, 6), (3, 3)]


def test_section_number_used_twice(yanchi: Report) -> None:
    good = "## 一、收入支出决算总体情况说明\n\n## 二、收入决算情况说明\n\n## 三、支出决算情况说明\n"
    assert prose(yanchi, good, numbering=True) == []
    found = prose(yanchi, good.replace("三、", "二、"), numbering=True)
    assert rules(found) == ["narrative.numbering"] and found[0].place.line == 5
    skipped = prose(yanchi, "## 一、收入支出决算总体情况说明\n\n### （一）概况\n\n### （三）明细\n", numbering=True)
    assert rules(skipped) == ["narrative.numbering"]


# -- the forms' text ----------------------------------------------------------------------------------

def test_evaluation_text_quoting_a_budget_the_form_does_not_have(jincheng: Report) -> None:
    form = next(a for a in jincheng.attachments if a.slug == "02-business-expenses")
    original = form.data["analysis"]
    assert [f for f in narrative.run(jincheng) if f.rule == "narrative.attachment"] == []
    form.data["analysis"] = original.replace("全年预算40万元", "全年预算45万元")
    try:
        found = [f for f in narrative.run(jincheng) if f.rule == "narrative.attachment"]
    finally:
        form.data["analysis"] = original
    assert len(found) == 1 and found[0].table == "attachments/02-business-expenses.yaml"
    assert found[0].figures[0] == "45万元" and "40" in found[0].figures[1]


def test_execution_rate_in_evaluation_text(jincheng: Report) -> None:
    # 25.528 / 40 = 63.8 %, printed 64 %
    form = next(a for a in jincheng.attachments if a.slug == "02-business-expenses")
    original = form.data["analysis"]
    form.data["analysis"] = original.replace("执行率64%", "执行率74%")
    try:
        found = [f for f in narrative.run(jincheng) if f.rule == "narrative.attachment"]
    finally:
        form.data["analysis"] = original
    assert [f.figures[0] for f in found] == ["74%"]


# -- the samples, coverage, robustness -------------------------------------------------------------------

def test_every_correct_sentence_of_the_samples_is_silent(yanchi: Report, jincheng: Report) -> None:
    for report in (yanchi, jincheng):
        findings = check_report(report)
        prose_errors = [f for f in findings if f.rule.startswith("narrative.") and f.is_error]
        assert prose_errors == [], [f.line() for f in prose_errors]
    acknowledged = [f for f in check_report(yanchi) if f.rule.startswith("narrative.") and f.acknowledged]
    assert sorted(f.figures for f in acknowledged) == [("13.750%", "13.749%"), ("13.84%", "13.75%")]


def test_every_sample_figure_is_checked_or_not_checkable_with_a_reason(yanchi: Report, jincheng: Report) -> None:
    for report in (yanchi, jincheng):
        _, tally = analyse(report)
        assert tally.stated == tally.agree + tally.disagree + tally.uncheckable > 100
        assert all(s.reason for s in tally.figures if s.status == "uncheckable")
    coverage = next(f for f in narrative.run(yanchi) if f.rule == "narrative.coverage")
    assert coverage.severity == "info" and coverage.counts["disagree"] == 2


def test_computed_references_are_skipped_and_counted(yanchi: Report) -> None:
    text = "## 一、收入支出决算总体情况说明\n\n2024年度本单位收入总计{{ income_expenditure_summary.income.grand_total 0元 }}元。\n"
    original = yanchi.explanation
    yanchi.explanation = text
    try:
        _, tally = analyse(yanchi)
    finally:
        yanchi.explanation = original
    assert tally.computed >= 1
    assert not any(s.file.endswith("explanation.md") and s.figure == "0元" for s in tally.figures)


def test_long_digit_runs_and_a_megabyte_of_prose_stay_fast(yanchi: Report) -> None:
    huge_number = "收入总计" + "9" * 100_000 + "元，占" + "1" * 30 + "%。"
    megabyte = "## 一、收入支出决算总体情况说明\n\n" + ("2024年度收入合计12,984,142.90元，占100.00%，" * 20 + "\n\n") * 600
    for text, rules in ((huge_number, {"amount.digits"}), (megabyte, None)):
        started = time.perf_counter()
        found = prose(yanchi, text)
        assert time.perf_counter() - started < 15  # linear; generous for a loaded machine
        if rules:  # more digits than any table may hold: the tables' own limit, not a traceback
            assert {f.rule for f in found} == rules and all(f.place.line == 1 for f in found)
        else:
            assert all(f.rule.startswith("narrative.") for f in found)
    figures = extract(mask_references("共" + "1" * 40 + "元")[0])
    assert figures[0].value is None  # not a table figure: counted, never converted


def test_positions_count_characters_not_bytes(jincheng: Report) -> None:
    text = "## 一、收入支出决算总体情况说明\n\n“三公”经费说明：本单位收入总计1.00万元。\n"
    found = prose(jincheng, text)
    assert [(f.place.line, f.place.col) for f in found] == [(3, 17)]


def test_prose_labels_data_is_valid() -> None:
    schema = json.loads((STANDARDS / "prose_labels.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load((STANDARDS / "prose_labels.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    broken = dict(data, labels=[{"phrases": ["收入总计"], "cell": "income/total"}])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_section_context_decides_which_table_a_label_names(yanchi: Report) -> None:
    """基本支出 under 支出决算情况说明 is the 支出决算表's; under 一般公共预算财政拨款基本支出 it is the
    一般公共预算财政拨款支出决算表's. Make the two cells differ and each sentence follows its own."""
    cells = yanchi.tables["expenditure"].sections["rows"]["total"]
    original = cells["basic"]
    assert original is not None
    cells["basic"] = Amount(Decimal("2500000.00"), original.place)
    try:
        expenditure = prose(yanchi, "## 三、支出决算情况说明\n\n基本支出2,424,268.90元。\n")
        general = prose(yanchi, "## 六、一般公共预算财政拨款基本支出决算情况说明\n\n基本支出2,424,268.90元。\n")
    finally:
        cells["basic"] = original
    assert rules(expenditure) == ["narrative.amount"] and "2,500,000.00" in expenditure[0].message
    assert general == []


def test_wanyuan_figure_in_a_yuan_report(yanchi: Report) -> None:
    text = "## 一、收入支出决算总体情况说明\n\n2024年度本单位收入总计{}。\n"
    assert prose(yanchi, text.format("1,306.08万元")) == []  # 13,060,802.17元 = 1,306.08万元
    assert rules(prose(yanchi, text.format("13,060,802.17万元"))) == ["narrative.unit"]  # ×10000


def test_half_width_brackets_and_spaces_as_in_extracted_pdfs(yanchi: Report) -> None:
    text = ("## 五、一般公共预算财政拨款支出决算情况说明\n\n### （二）一般公共预算财政拨款支出决算结构情况\n\n"
            "2024 年度一般公共预算财政拨款支出 12,984,142.90 元，主要用于以下方面：社会保障和就业(类)支出 12,615,180.13 元，占 97.16%。\n")
    assert prose(yanchi, text) == []
    assert rules(prose(yanchi, text.replace("12,615,180.13", "12,615,180.31"))) == ["narrative.amount"]


def test_trust_panel_counts_and_marks_the_acknowledged_sentence() -> None:
    """数据核验 states the prose counts; each acknowledged growth rate gets a ※ linking to its note and back."""
    from site_builder.check import check
    from site_builder.render.downloads import report_data
    from site_builder.render.pages import Renderer

    result = check(ROOT / "content")
    assert result.site is not None
    report = next(r for r in result.site.reports if r.year == 2024)
    findings = result.for_report(report)
    html = Renderer(result.site, ROOT / "content").render_report(report, findings).files[
        f"units/{report.unit.slug}/2024/index.html"].decode("utf-8")
    counts = next(f for f in findings if f.rule == "narrative.coverage").counts
    assert f"写有 {counts['stated']} 个数字：{counts['agree']} 个与表格核对一致，2 个不一致" in html
    for figure in ("13.750%", "13.84%"):
        at = html.index(figure + '<a class="ack-mark"')
        number = html[at:].split('href="#ack-', 1)[1].split('"', 1)[0]
        assert f'<li id="ack-{number}">' in html and f'href="#ack-ref-{number}"' in html
    data = report_data(report, findings)
    assert data["prose_check"]["counts"] == counts
    assert [i["figures"][0] for i in data["prose_check"]["inconsistencies"]] == ["13.750%", "13.84%"]
    assert all(f["severity"] != "info" for f in data["findings"])


# -- a growth rate stated alone, against the previous year's figure -------------------------------
# mini 2024 (元): 收入总计 210,000.75; mini 2023 (万元): 233.00 = 2,330,000.00 元.
# By hand: (210,000.75 − 2,330,000.00) / 2,330,000.00 = −90.987…% → 下降 90.99%.
REPORT_2024 = "demo-center/2024"
TOTAL_2024 = "2024年度收入总计210000.75元。"


def growth_findings(mini, sentence: str) -> list[Finding]:  # noqa: ANN001 - the MiniContent fixture
    mini.replace(f"{REPORT_2024}/explanation.md", TOTAL_2024, sentence)
    return [f for f in mini.check() if f.rule.startswith("narrative.")]


def test_rate_alone_agrees_with_the_previous_report_in_the_content(mini) -> None:  # noqa: ANN001
    assert growth_findings(mini, "2024年度收入总计210000.75元，比上年下降90.99%。") == []


def test_rate_alone_that_does_not_follow_is_a_growth_finding(mini) -> None:  # noqa: ANN001
    (finding,) = growth_findings(mini, "2024年度收入总计210000.75元，比上年下降9.10%。")
    assert finding.rule == "narrative.growth"
    assert (finding.place.line, finding.place.col) == (3, 27)  # the 9.10 after 26 characters
    assert finding.figures == ("9.10%", "下降90.99%")


def test_rate_alone_with_the_wrong_direction_is_a_growth_finding(mini) -> None:  # noqa: ANN001
    (finding,) = growth_findings(mini, "2024年度收入总计210000.75元，比上年增长90.99%。")
    assert finding.rule == "narrative.growth" and finding.figures == ("90.99%", "下降90.99%")


def test_rate_alone_uses_declared_previous_year_figures(mini) -> None:  # noqa: ANN001
    import shutil

    shutil.rmtree(mini.path("demo-center/2023"))
    assert growth_findings(mini, "2024年度收入总计210000.75元，比上年下降9.10%。") == []  # not checkable: no previous year
    with mini.path(f"{REPORT_2024}/report.yaml").open("a", encoding="utf-8") as report_yaml:
        report_yaml.write("previous_year:\n  source: 2023年度部门决算公开\n  amount_unit: 万元\n"
                          "  figures:\n    收入支出决算总表/收入/总计: 233.00\n")
    assert [f.figures for f in mini.check() if f.rule == "narrative.growth"] == [("9.10%", "下降90.99%")]


def test_rate_after_another_figure_is_not_guessed(mini) -> None:  # noqa: ANN001
    """Two amounts before the rate: which one grew is not decided from the words, so nothing is claimed."""
    found = growth_findings(mini, "2024年度收入总计210000.75元，其中财政拨款收入160000.75元，比上年下降9.10%。")
    assert found == []


def test_trust_mark_never_lands_inside_a_tag() -> None:
    from site_builder.findings import Place
    from site_builder.render.trust import mark_acknowledged

    text = "## 增幅13.750%\n\n增幅为13.750%。\n"
    html = '<h3 id="explanation-增幅13.750%">增幅13.750%</h3>\n<p>增幅为13.750%。</p>\n'
    finding = Finding("narrative.growth", "", Place("x/explanation.md", 3, 4), figures=("13.750%", "13.749%"),
                      acknowledged="原文如此", table="explanation.md")
    marked = mark_acknowledged(html, text, "explanation.md", [finding])
    assert marked.startswith('<h3 id="explanation-增幅13.750%">增幅13.750%</h3>')  # the heading is the 1st occurrence
    assert "<p>增幅为13.750%<a class=\"ack-mark\"" in marked
