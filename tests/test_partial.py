"""Partial reports (report.yaml ``unpublished:``), skipped cross-table checks, cross-table rounding
and scaffold placeholders (issue 9, part 4).

The form-only fixture (tests/fixtures/form-only) is the real publication of seed 003: 晋中市养老保险中心
published only its 2020 项目支出绩效自评表 (figures transcribed from the seed: 预算资金 2536.08 万元,
预算下达 2364.01, 实际支出 2364.01, 评分表 投入 20/19.80 … 综合得分 99.80, 等次 优).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder import scaffold
from site_builder.check import check
from site_builder.findings import Finding
from tests.conftest import FIXTURES, REPORT_2023, REPORT_2024, MiniContent, place_of, run_cli

FORM_ONLY = FIXTURES / "form-only"
FORM_REPORT = "form-only/jinzhong-pension-center/2020"
CONTENT = Path(__file__).resolve().parents[1] / "content"
JINCHENG = "content/jincheng-social-insurance-center/2023"
YANCHI = "content/yanchi-social-insurance-center/2024"
REASON = "本单位此次只公开了项目支出绩效自评表。"


def visible(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity != "info"]


def declaration_line(report_yaml: Path, needle: str) -> tuple[int, int]:
    """(line, column) of the value ``needle`` in report.yaml, found by reading the text."""
    for number, line in enumerate(report_yaml.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {report_yaml}")


@pytest.fixture
def form_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FORM_ONLY, tmp_path / "form-only")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(CONTENT, tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- a form-only report ----------------------------------------------------------------------------
def test_form_only_report_passes_with_its_omissions_as_warnings(form_only: Path) -> None:
    findings = visible(check(Path("form-only")).findings)
    assert [f.line() for f in findings if f.severity == "error"] == []
    unpublished = [f for f in findings if f.rule == "report.unpublished"]
    assert len(unpublished) == 12  # ten tables of shanxi-2023 + 概况 + 情况说明
    report_yaml = form_only / FORM_REPORT / "report.yaml"
    line, col = declaration_line(report_yaml, "table: government_fund")
    gf = next(f for f in unpublished if "政府性基金预算财政拨款收入支出决算表" in f.message)
    assert place_of(gf) == (f"{FORM_REPORT}/report.yaml", line, col + len("table: "))
    assert gf.message.endswith(f"未公开：{REASON}")
    assert {f.rule for f in findings} == {"report.unpublished", "checks.skipped"}


def test_form_only_report_names_the_cross_table_checks_that_could_not_run(form_only: Path) -> None:
    skipped = [f for f in check(Path("form-only")).findings if f.rule == "checks.skipped"]
    assert len(skipped) == 1
    message = skipped[0].message
    # every cross-table check of standards/checks.yaml (by hand: 19 sums and matches, 6 limits)
    for rule in ("cross.income-total", "cross.expenditure-class", "cross.basic-detail", "cross.fiscal-within-all",
                 "three-public.reception-below-basic", "related.running-costs-within-public"):
        assert rule in message
    assert message.startswith("25 项跨表勾稽关系未能核对")
    assert f"（未公开：{REASON}）" in message
    assert "income.row-total" not in message  # checks within one missing table are not cross-table checks


class _Sections(HTMLParser):
    """Text of each ``data-table-section`` and of the parts, and the ids of rendered ``table.fin``."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.tables: list[str] = []
        self._stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            key = a.get("data-table-section") or a.get("aria-labelledby")
            self._stack.append(key)
        if tag == "table" and a.get("data-table"):
            self.tables.append(a["data-table"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        for key in self._stack:
            if key:
                self.text[key] = self.text.get(key, "") + data


def test_form_only_page_says_what_is_missing_and_why(form_only: Path) -> None:
    done = run_cli(form_only, "build", "form-only", "--out", "out")
    assert done.returncode == 0, done.stderr + done.stdout
    html = (form_only / "out/units/jinzhong-pension-center/2020/index.html").read_text(encoding="utf-8")
    page = _Sections()
    page.feed(html)
    assert page.tables == []  # no empty grid poses as a published table
    for table_id in ("income_expenditure_summary", "income", "government_fund", "related_info"):
        assert f"本表未公开。原因：{REASON}" in page.text[table_id]
    assert "本部分未公开。原因：本单位此次只公开了项目支出绩效自评表，未公开部门概况。" in page.text["part-overview"]
    assert "本部分未公开。原因：本单位此次只公开了项目支出绩效自评表，未公开情况说明。" in page.text["part-explanation"]
    notice = page.text["unpublished-title"]
    assert "公开07表 政府性基金预算财政拨款收入支出决算表：" + REASON in notice
    assert notice.count(REASON) == 10 and "第一部分 概况" in notice
    assert "城乡居民养老金缴费补助（入口补）" in page.text["part-attachments"]


# -- declarations in the mini fixture --------------------------------------------------------------
def _declare(mini: MiniContent, report: str, entry: str) -> None:
    text = mini.read(f"{report}/report.yaml")
    mini.write(f"{report}/report.yaml", text + f"unpublished:\n  - {entry}\n")


def test_missing_table_without_declaration_is_an_error_that_says_how_to_declare(mini: MiniContent) -> None:
    mini.remove(f"{REPORT_2023}/tables/government_fund.yaml")
    findings = [f for f in mini.check() if f.rule == "report.missing-table"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "unpublished:" in findings[0].message


def test_declared_unpublished_table_is_a_warning_and_its_cross_checks_are_named(mini: MiniContent) -> None:
    mini.remove(f"{REPORT_2023}/tables/government_fund.yaml")
    _declare(mini, REPORT_2023, "{table: government_fund, reason: 本单位无政府性基金预算财政拨款收支，未公开此表。}")
    findings = mini.check()
    assert [f.line() for f in findings if f.is_error] == []
    unpublished = [f for f in findings if f.rule == "report.unpublished"]
    assert [(f.severity, place_of(f)) for f in unpublished] == [
        ("warning", mini.place(f"{REPORT_2023}/report.yaml", "government_fund", "{table: |government_fund"))]
    skipped = [f for f in findings if f.rule == "checks.skipped"]
    assert len(skipped) == 1 and skipped[0].severity == "warning"
    # the checks of standards/checks.yaml that pair government_fund with another table
    assert skipped[0].message.startswith("2 项跨表勾稽关系未能核对：cross.fiscal-government-fund、cross.fiscal-government-fund-class。")
    assert "公开07表 政府性基金预算财政拨款收入支出决算表（未公开：本单位无政府性基金预算财政拨款收支，未公开此表。）" in skipped[0].message


def test_table_declared_unpublished_but_present_is_an_error(mini: MiniContent) -> None:
    _declare(mini, REPORT_2023, "{table: state_capital, reason: 未公开。}")
    findings = [f for f in mini.check() if f.rule == "report.unpublished-invalid"]
    assert [(f.severity, place_of(f)) for f in findings] == [("error", (mini.shown(f"{REPORT_2023}/tables/state_capital.yaml"), 1, 1))]


def test_table_the_template_lacks_cannot_be_declared(mini: MiniContent) -> None:
    _declare(mini, REPORT_2024, "{table: related_info, reason: 未公开。}")  # ningxia-2024 has no 相关信息统计表
    findings = [f for f in mini.check() if f.rule == "report.unpublished-invalid"]
    assert [place_of(f) for f in findings] == [mini.place(f"{REPORT_2024}/report.yaml", "related_info", "{table: |related_info")]
    assert "ningxia-2024" in findings[0].message


def test_part_declared_unpublished_but_present_is_an_error(mini: MiniContent) -> None:
    _declare(mini, REPORT_2023, "{part: explanation, reason: 未公开情况说明。}")
    findings = [f for f in mini.check() if f.rule == "report.unpublished-invalid"]
    assert [place_of(f) for f in findings] == [mini.place(f"{REPORT_2023}/report.yaml", "part: explanation", "{part: |explanation")]


def test_unpublished_part_needs_no_file(mini: MiniContent) -> None:
    mini.remove(f"{REPORT_2023}/overview.md")
    assert any(f.rule == "content.missing-file" for f in mini.check())
    _declare(mini, REPORT_2023, "{part: overview, reason: 本单位未公开部门概况。}")
    findings = mini.check()
    assert [f.rule for f in findings] == ["report.unpublished"]
    assert findings[0].message == "概况 未公开：本单位未公开部门概况。"


def test_declaration_is_validated_by_the_schema(mini: MiniContent) -> None:
    _declare(mini, REPORT_2023, "{table: government_fund, part: overview, reason: 两个都写了。}")
    assert [f.rule for f in mini.check()] == ["schema"]


# -- rounding across tables ------------------------------------------------------------------------
def _summary_208(content: Path, report: str, old: str, new: str) -> list[Finding]:
    path = content / report / "tables/income_expenditure_summary.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(f'"208": {old}') == 1
    path.write_text(text.replace(f'"208": {old}', f'"208": {new}'), encoding="utf-8")
    return visible(check(Path("content")).findings)


def test_one_cent_between_two_wanyuan_tables_is_a_rounding_note(content: Path) -> None:
    # 晋城 2023 (万元): the summary's 社会保障和就业支出 printed 13,696.73 where 支出决算表 prints 13,696.72.
    # Each is rounded from 元 on its own: |difference| ≤ 0.005 + 0.005 = 0.01, a rounding note.
    findings = _summary_208(content, JINCHENG, "13696.72", "13696.73")
    cross = [f for f in findings if f.rule == "cross.expenditure-class"]
    assert [f.severity for f in cross] == ["warning"]
    assert cross[0].message.startswith("尾数误差：收入支出决算总表 208 社会保障和就业支出 13,696.73 与 支出决算表 208")
    assert "相差 0.01 万元" in cross[0].message
    # within the summary: 13,696.73 + 40.67 + 67.52 = 13,804.92 against 13,804.91, 3 rounded parts: a note too
    assert [f.severity for f in findings if f.rule == "summary.expenditure-total"] == ["warning"]
    assert [f.line() for f in findings if f.rule.startswith(("cross.", "summary.")) and f.is_error] == []


def test_two_cents_between_two_wanyuan_tables_is_an_error(content: Path) -> None:
    findings = _summary_208(content, JINCHENG, "13696.72", "13696.74")
    cross = [f for f in findings if f.rule == "cross.expenditure-class"]
    assert [f.severity for f in cross] == ["error"]
    assert "相差 0.02 万元" in cross[0].message


def test_one_fen_between_two_yuan_tables_stays_an_error(content: Path) -> None:
    # 盐池 2024 is in 元: figures are exact, so any difference is an inconsistency
    findings = _summary_208(content, YANCHI, "12615180.13", "12615180.14")
    cross = [f for f in findings if f.rule == "cross.expenditure-class"]
    assert [f.severity for f in cross] == ["error"]


# -- scaffold placeholders -------------------------------------------------------------------------
def test_every_placeholder_new_writes_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c").mkdir()
    shutil.copy(FIXTURES / "mini/site.yaml", tmp_path / "c/site.yaml")
    done = run_cli(tmp_path, "new", "test-unit", "2024", "--template", "shanxi-2023", "--content", "c")
    assert done.returncode == 0, done.stderr
    # independently of the rule: every （请填写…） the files show, by a plain text search
    expected = set()
    for path in sorted((tmp_path / "c/test-unit").rglob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            expected |= {(path.relative_to(tmp_path).as_posix(), number, m.start() + 1) for m in re.finditer("（请填写", line)}
    unit = "c/test-unit/unit.yaml"
    lines = (tmp_path / unit).read_text(encoding="utf-8").splitlines()
    line_of = {key: next(i for i, text in enumerate(lines, start=1) if text.startswith(f"{key}:")) for key in ("name", "parent", "region")}
    # name: 单位全称 / parent: 主管部门 / region: 地区 (the value starts after "key: ")
    expected |= {(unit, line_of["name"], 7), (unit, line_of["parent"], 9), (unit, line_of["region"], 9)}
    found = {place_of(f) for f in check(Path("c")).findings if f.rule == "content.placeholder"}
    assert len(expected) > 20
    assert found == expected


def test_placeholders_in_an_attachment_and_xxx(mini: MiniContent) -> None:
    rel = f"{REPORT_2023}/attachments/window-service.yaml"
    text = mini.read(rel)
    goal = next(line for line in text.splitlines() if line.startswith("goal:"))
    mini.replace(rel, goal, "goal: 为XXX单位提供窗口服务（请填写具体目标）  # 请填写 in a comment is an instruction")
    findings = [f for f in mini.check() if f.rule == "content.placeholder"]
    line, _ = mini.position(rel, "goal:")
    assert sorted(place_of(f) for f in findings) == [(mini.shown(rel), line, 8), (mini.shown(rel), line, 19)]  # 为 is column 7
    assert all(f.severity == "error" for f in findings)


def test_no_placeholder_in_the_samples() -> None:
    assert [f.line() for f in check(CONTENT).findings if f.rule == "content.placeholder"] == []
    assert scaffold.placeholders("主管部门及代码 077；XX省", yaml=False) == [(1, 13, "XX")]
