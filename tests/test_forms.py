"""Evaluation forms (附件) as data: the project form, the whole-department form, its 评价报告 and the 基础数据表.

Fixtures: ``tests/fixtures/forms`` holds two reports that published only their evaluation forms: seed 003
(晋中市养老保险中心 2020, a project form with no total row, no funds points, indicators without points and
a 评分表 with subtotals) and a hand-made department (its sums are worked out in the files' comments). The
mini fixture (``tests/conftest.py``) gives the full reports that build. Expected figures come from those
comments and the seeds, never from the code under test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from site_builder.build import build
from site_builder.check import check
from site_builder.findings import Finding
from site_builder.rules.forms import spec
from tests.conftest import FIXTURES, REPORT_2023, MiniContent

FORMS = FIXTURES / "forms"
SEED = "jinzhong-pension-center/2020"
DEPT = "demo-bureau/2023"
A = f"{REPORT_2023}/attachments/window-service.yaml"


class FormsContent(MiniContent):
    """An editable copy of tests/fixtures/forms at ``<tmp>/forms``."""

    def path(self, rel: str) -> Path:
        return self.base / "forms" / rel

    def findings(self) -> list[Finding]:
        return [f for f in check(Path("forms")).findings if f.severity != "info"]


@pytest.fixture
def forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FormsContent]:
    shutil.copytree(FORMS, tmp_path / "forms")
    monkeypatch.chdir(tmp_path)
    yield FormsContent(tmp_path)


def not_missing_tables(findings: list[Finding]) -> list[str]:
    return [f.line() for f in findings if f.rule != "report.missing-table"]


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


# -- reports with only their evaluation forms -----------------------------------------------------
def test_forms_only_reports_have_no_finding_but_the_missing_tables(forms: FormsContent) -> None:
    """No false error on any form kind. The tables are absent: until report.yaml can declare them as not
    published (``unpublished:``, branch partial), each is a report.missing-table error (10 per report)."""
    findings = forms.findings()
    assert not_missing_tables(findings) == []
    assert len(of_rule(findings, "report.missing-table")) == 20


def test_department_report_figures_are_read_against_the_form_it_names(forms: FormsContent) -> None:
    result = check(Path("forms"))
    coverage = [f for f in result.findings if f.rule == "narrative.coverage" and "demo-bureau" in f.report]
    assert coverage, "the department report's text is read by the prose checker"
    # 全年预算数1350.00万元，执行1302.50万元，执行率96.48%，自评得分96.15分: all four agree with the form
    forms.replace(f"{DEPT}/attachments/department-report.yaml", "执行1302.50万元", "执行1320.50万元")
    found = of_rule(forms.findings(), "narrative.attachment")
    assert [f.message for f in found] == ["自评表“示例市人力资源和社会保障局”的说明写全年执行数 1320.50万元，但表中为 全年执行数 1302.5"]
    assert found[0].place.path.endswith("attachments/department-report.yaml") and found[0].place.line == 12


def test_department_report_must_name_a_department_form(forms: FormsContent) -> None:
    forms.replace(f"{DEPT}/attachments/department-report.yaml", "form: department-form", "form: basic-data")
    found = of_rule(forms.findings(), "perf.report-form")
    assert [(f.place.line, "department-form" in f.message) for f in found] == [(4, True)]


# -- the funds block as printed ---------------------------------------------------------------------
def test_blank_source_columns_are_not_zero(mini: MiniContent) -> None:
    """Regression (issue 9): the source row prints only some columns. Before: "资金总额 executed 36 ≠
    各资金来源合计 0" (and the same for balance, rate …) on a correct form."""
    mini.replace(A, "    - source: 财政资金\n      initial: 40.00\n      annual: 40.00\n      executed: 36.00\n"
                    "      balance: 4.00\n      rate: 90.00\n      score: 9.00\n",
                 "    - source: 财政资金\n      initial: 40.00\n")
    assert [f.line() for f in mini.check()] == []


def test_a_filled_source_column_is_still_compared_with_printed_headers(mini: MiniContent) -> None:
    """The remaining column is compared; the message names the printed header, never the column id."""
    mini.replace(A, "    - source: 财政资金\n      initial: 40.00\n      annual: 40.00\n      executed: 36.00\n"
                    "      balance: 4.00\n      rate: 90.00\n      score: 9.00\n",
                 "    - source: 财政资金\n      executed: 35.00\n")
    found = of_rule(mini.check(), "perf.funds-sources")
    assert [f.message for f in found] == ["窗口经办服务：资金总额 全年执行数 36.00 ≠ 各资金来源合计 财政资金 35.00 = 35.00"]
    assert "executed" not in found[0].message


def test_form_without_total_row(forms: FormsContent) -> None:
    """Seed 003 prints no 资金总额 row: its first row (市级预算资金 2536.08) is no total of the others."""
    assert not_missing_tables(forms.findings()) == []
    forms.replace(f"{SEED}/attachments/resident-contribution-subsidy.yaml", "  total_row: false\n", "")
    found = of_rule(forms.findings(), "perf.funds-sources")  # without the key, the first row is read as the total
    assert len(found) == 1 and "total_row: false" in found[0].message


def test_two_breakdowns_each_add_up_to_the_total(forms: FormsContent) -> None:
    rel = f"{DEPT}/attachments/department-form.yaml"
    forms.replace(rel, "{source: 项目支出, breakdown: 按支出性质, annual: 450.00, executed: 417.40}",
                  "{source: 项目支出, breakdown: 按支出性质, annual: 450.00, executed: 407.40}")
    found = of_rule(forms.findings(), "perf.funds-sources")
    # 885.10 + 407.40 = 1292.50 ≠ 1302.50; the income breakdown still adds up
    assert [f.message for f in found] == [
        "示例市人力资源和社会保障局：年度资金总额 全年执行数 1,302.50 ≠ 按支出性质各资金来源合计 基本支出 885.10 + 项目支出 407.40 = 1,292.50"]


def test_two_breakdowns_without_total_row_agree(forms: FormsContent) -> None:
    rel = f"{DEPT}/attachments/department-form.yaml"
    forms.replace(rel, "    - {source: 年度资金总额, initial: 1200.00, annual: 1350.00, executed: 1302.50, rate: 96.48, score: 9.65}\n", "")
    forms.replace(rel, "  rows:\n", "  total_row: false\n  rows:\n")
    forms.replace(rel, "total_score: 96.15\ngrade: 优", "total_score: 86.5\ngrade: 良")  # no total row: no funds score
    forms.remove(f"{DEPT}/attachments/department-report.yaml")  # its 96.15分 and 1350.00万元 would no longer agree
    assert not_missing_tables(forms.findings()) == []
    forms.replace(rel, "{source: 基本支出, breakdown: 按支出性质, annual: 900.00", "{source: 基本支出, breakdown: 按支出性质, annual: 910.00")
    found = of_rule(forms.findings(), "perf.funds-sources")
    assert [f.message for f in found] == ["示例市人力资源和社会保障局：全年预算数：按收入性质合计 1,350.00 ≠ 按支出性质合计 1,360.00"]


def test_form_without_funds_points_adds_indicator_points_to_100(forms: FormsContent) -> None:
    """Seed 003: the 评分表's points are 20 + 20 + 30 + 30 = 100 with no funds points."""
    rel = f"{SEED}/attachments/resident-contribution-subsidy.yaml"
    forms.replace(rel, "{name: 实际完成率, points: 8, score: 8.00}", "{name: 实际完成率, points: 9, score: 8.00}")
    found = forms.findings()
    assert [f.message for f in of_rule(found, "perf.points-total")] == ["城乡居民养老金缴费补助（入口补）：指标分值合计 101，应为 100"]
    assert [f.message for f in of_rule(found, "perf.group-points")] == ["城乡居民养老金缴费补助（入口补）：“产出”标明 30 分，其下指标分值合计 31"]


def test_subtotal_score_per_group(forms: FormsContent) -> None:
    """投入 prints 19.80 = 3 + 4 + 4 + 2.80 + 3 + 3; 19.90 is off."""
    forms.replace(f"{SEED}/attachments/resident-contribution-subsidy.yaml", "score: 19.80", "score: 19.90")
    found = of_rule(forms.findings(), "perf.group-score")
    assert [(f.message, f.place.line) for f in found] == [("城乡居民养老金缴费补助（入口补）：“投入”标明 19.90 分得分，其下指标得分合计 19.80", 51)]


# -- optional stays optional -------------------------------------------------------------------------
def test_missing_total_is_a_finding_not_a_schema_error(mini: MiniContent) -> None:
    """Regression (issue 9): the schema forced a 总分, so a clerk had to invent one."""
    mini.replace(A, "total_score: 95\n", "")
    mini.replace(A, "grade: 优\n", "")
    found = mini.check()
    assert [(f.rule, f.severity) for f in found] == [("perf.missing-total", "warning")]


def test_missing_grade_follows_the_regions_standard(mini: MiniContent) -> None:
    """The shanxi-2023 form prints an 等级; the ningxia-2024 form (盐池) has no such cell."""
    mini.replace(A, "grade: 优\n", "")
    assert [f.rule for f in mini.check()] == ["perf.missing-grade"]
    mini.replace(f"{REPORT_2023}/report.yaml", "template: shanxi-2023", "template: ningxia-2024")
    assert "perf.missing-grade" not in {f.rule for f in mini.check()}


# -- the page shows what is there ----------------------------------------------------------------------
def test_build_without_department_or_implementer(mini: MiniContent, tmp_path: Path) -> None:
    """Regression (issue 9): a Jinja traceback (StrictUndefined) on an attachment the schema accepts."""
    mini.replace(A, "department: 999-示例人力资源和社会保障局\n", "")
    mini.replace(A, "implementer: 999001-示例社会保险中心\n", "")
    build(Path("mini"), tmp_path / "out", index=False)
    page = (tmp_path / "out/units/demo-center/2023/attachments/window-service/index.html").read_text(encoding="utf-8")
    assert "项目名称：窗口经办服务" in page
    assert "主管部门：" not in page and "实施单位：" not in page


def test_build_every_form_kind(mini: MiniContent, tmp_path: Path) -> None:
    """The department's three attachments and seed 003's form, in a report with all its tables."""
    for name in ("department-form", "department-report", "basic-data"):
        mini.write(f"{REPORT_2023}/attachments/{name}.yaml", (FORMS / DEPT / "attachments" / f"{name}.yaml").read_text(encoding="utf-8"))
    seed = (FORMS / SEED / "attachments/resident-contribution-subsidy.yaml").read_text(encoding="utf-8")
    mini.write(f"{REPORT_2023}/attachments/seed-003.yaml", seed)
    assert [f.line() for f in mini.check()] == []
    build(Path("mini"), tmp_path / "out", index=False)
    base = tmp_path / "out/units/demo-center/2023/attachments"
    basic = (base / "basic-data/index.html").read_text(encoding="utf-8")
    for label in ("部门整体支出绩效评价基础数据表", "2022年决算数", "2023年预算数", "三公经费", "1、公务用车购置和维护经费", "控制率"):
        assert label in basic
    assert "其中：公车购置" not in basic  # a row the form does not print is not shown
    department = (base / "department-form/index.html").read_text(encoding="utf-8")
    assert "部门整体支出绩效自评表" in department and "按支出性质" in department and "项目名称" not in department
    text = (base / "department-report/index.html").read_text(encoding="utf-8")
    assert "<h3>二、部门整体支出情况</h3>" in text and "执行率96.48%" in text
    seed_page = (base / "seed-003/index.html").read_text(encoding="utf-8")
    assert "评分表" in seed_page and "完成进度" in seed_page and "93.13%" in seed_page
    assert "年初预算数（目标申报数）" not in seed_page  # no row prints that column
    report = (tmp_path / "out/units/demo-center/2023/index.html").read_text(encoding="utf-8")
    assert "绩效评价附件共 5 张" in report


# -- the standards data --------------------------------------------------------------------------------
def test_form_standards_match_their_schema() -> None:
    schema = json.loads((spec.FORMS_DIR / "form.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    files = sorted(spec.FORMS_DIR.glob("*.yaml"))
    assert len(files) == 4
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_basic_data_parts_name_rows_of_the_form() -> None:
    rows = spec.raw("basic_data")["rows"]
    assert all(part in rows for row in rows.values() for part in row.get("parts", []))


def test_region_variant_changes_required_cells() -> None:
    assert "grade" in spec.form_kind("performance", "shanxi-2023").required
    assert "grade" not in spec.form_kind("performance", "ningxia-2024").required
    assert spec.form_kind("performance").grade_for(spec.Decimal("89.99")) == "良"


# -- 基础数据表 ----------------------------------------------------------------------------------------
def test_control_rate(forms: FormsContent) -> None:
    forms.replace(f"{DEPT}/attachments/basic-data.yaml", "control_rate: 93.33", "control_rate: 95.00")
    found = of_rule(forms.findings(), "basic.control-rate")
    assert [f.message for f in found] == ["示例市人力资源和社会保障局：控制率 95.00% ≠ 2023年实际在职人数 42 ÷ 编制数 45 = 93.33%"]


def test_basic_data_parts(forms: FormsContent) -> None:
    forms.replace(f"{DEPT}/attachments/basic-data.yaml", "reception: {previous: 4.50, budget: 5.00, actual: 3.70}",
                  "reception: {previous: 4.50, budget: 5.00, actual: 3.90}")
    found = of_rule(forms.findings(), "basic.parts")
    # 7.50 + 0.00 + 3.90 = 11.40 ≠ 11.20 (2023年决算数 only)
    assert [f.message for f in found] == [
        "示例市人力资源和社会保障局：三公经费 2023年决算数 11.20 ≠ 1、公务用车购置和维护经费 7.50 + 2、出国经费 0.00 + 3、公务接待 3.90 = 11.40"]


def test_basic_data_blank_part_is_not_zero(forms: FormsContent) -> None:
    forms.replace(f"{DEPT}/attachments/basic-data.yaml", "  overseas: {previous: 0.00, budget: 0.00, actual: 0.00}\n", "")
    assert not_missing_tables(forms.findings()) == []


def test_basic_data_unknown_row_is_a_schema_finding(forms: FormsContent) -> None:
    forms.replace(f"{DEPT}/attachments/basic-data.yaml", "  public:", "  publik:")
    found = [f for f in forms.findings() if f.rule == "schema"]
    assert len(found) == 1 and "publik" in found[0].message and found[0].place.line == 19


def test_blank_funds_score_is_not_shown_as_zero(mini: MiniContent) -> None:
    """Regression (issue 9): the message said "资金得分 0" for a 得分 cell the form leaves blank."""
    mini.replace(A, "      score: 9.00\n    - source: 财政资金", "    - source: 财政资金")
    found = of_rule(mini.check(), "perf.total-score")
    # 20 + 14 + 15 + 28 + 9 = 86 from the indicators; the funds 得分 is blank
    assert [f.message for f in found] == ["窗口经办服务：总分 95 ≠ 指标得分合计 86 + 资金得分（空白） = 86"]
