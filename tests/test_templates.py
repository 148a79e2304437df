"""Templates as data (issue 9): validation with file:line:col findings, per-template table schemas,
no silent loss of figures under codes a layout lacks, the Shanghai 2024 variant, and
``site-builder template check|show``.

Expected layouts are read off the reference (/work/shared/reference/shanghai-2024-…-template.txt),
figures of the Shanghai fixture were added up by hand (see its tables' comments).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from site_builder import schemagen, standards
from site_builder.build import build
from site_builder.check import check
from tests.conftest import FIXTURES, REPORT_2023, REPORT_2024, MiniContent, run_cli

TEMPLATES = standards.TEMPLATE_DIR
SHANGHAI = FIXTURES / "shanghai-2024"
BASIC_2024 = f"{REPORT_2024}/tables/basic_expenditure_detail.yaml"


# -- a table of the built HTML as text rows -------------------------------------------------------

class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[list[str]]]] = {}
        self.current: str | None = None
        self.part = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-table"):
            self.current = found["data-table"]
            self.tables[self.current] = {"head": [], "body": []}
        elif self.current and tag in ("thead", "tbody"):
            self.part = "head" if tag == "thead" else "body"
        elif self.current and tag == "tr":
            self.tables[self.current][self.part].append([])
        elif self.current and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif tag in ("td", "th") and self.current and self.cell is not None:
            self.tables[self.current][self.part][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_tables(page: Path) -> dict[str, dict[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tables


def report_page(out: Path, rel: str) -> Path:
    return out / "units" / rel / "index.html"


# -- 1. validation --------------------------------------------------------------------------------

def test_package_templates_are_valid() -> None:
    assert standards.template_findings() == []
    assert sorted(standards.templates()) == ["ningxia-2024", "shanghai-2024", "shanxi-2023"]


@pytest.fixture
def template_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the package's template folder that a test may break; the cache is reset."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    monkeypatch.setattr(standards, "TEMPLATE_DIR", folder)
    standards._loaded.cache_clear()
    yield folder
    standards._loaded.cache_clear()


def test_template_without_first_line_is_a_finding_not_a_traceback(template_dir: Path, mini: MiniContent) -> None:
    """Regression: a template without first_line stopped every run with a KeyError traceback."""
    path = template_dir / "ningxia-2024.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("{classes: true, first_line: 31}") == 1
    path.write_text(text.replace("{classes: true, first_line: 31}", "{classes: true}"), encoding="utf-8")
    line = next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "{classes: true}" in t)
    result = check(mini.root, workers=1)
    mine = [f for f in result.findings if f.rule == "template.invalid"]
    assert any(f.rule == "report.template-invalid" for f in result.findings)
    assert len(mine) == 1, [f.line() for f in result.findings]
    assert mine[0].place.path.endswith("ningxia-2024.yaml") and mine[0].place.line == line
    assert "first_line" in mine[0].message
    assert result.errors  # the ningxia report cannot be checked against a broken template: not silent


@pytest.mark.parametrize(("old", "new", "rule", "words"), [
    ("labels: {item: 项目", "labelz: {item: 项目", "template.schema", ("labelz",)),
    ("title: 收入决算表", "titel: 收入决算表", "template.schema", ("titel",)),
    ("columns: [business, business_tuition], subtotal: business", "columns: [business, tuition], subtotal: business",
     "template.invalid", ("tuition", "does not have")),
    ('"229", "231"', '"229", "299"', "template.invalid", ("299",)),
    ("  - id: expenditure\n", "  - id: income\n", "template.invalid", ("income", "twice")),
    ("headings: [{title: 人员经费, groups: 1}, {title: 公用经费, groups: 2}]",
     "headings: [{title: 人员经费, groups: 1}, {title: 公用经费, groups: 1}]", "template.invalid", ("2 groups", "3")),
])
def test_bad_template_is_one_finding_at_its_line(tmp_path: Path, old: str, new: str, rule: str, words: tuple[str, ...]) -> None:
    text = (TEMPLATES / "ningxia-2024.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    broken = text.replace(old, new)
    path = tmp_path / "bad.yaml"
    path.write_text(broken, encoding="utf-8")
    expected_line = broken[: broken.rindex(new)].count("\n") + 1  # the second of a duplicate
    template, findings = standards.load_template_file(path)
    assert template is None
    assert {f.rule for f in findings} == {rule}, [f.line() for f in findings]
    mine = [f for f in findings if words[0] in f.message]  # a renamed key is also a missing one
    assert len(mine) == 1 and mine[0].place.line == expected_line, [f.line() for f in findings]
    assert all(w in mine[0].message for w in words), mine[0].message


def test_template_check_command_exit_codes(tmp_path: Path) -> None:
    good = run_cli(tmp_path, "template", "check", str(TEMPLATES / "shanghai-2024.yaml"))
    assert good.returncode == 0, good.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text((TEMPLATES / "shanxi-2023.yaml").read_text(encoding="utf-8").replace("first_line: 32", "first_lin: 32"),
                   encoding="utf-8")
    result = run_cli(tmp_path, "template", "check", "bad.yaml")
    assert result.returncode == 1
    assert result.stdout.startswith("bad.yaml:") and "[template.schema]" in result.stdout and "first_lin" in result.stdout
    assert "Traceback" not in result.stderr
    assert run_cli(tmp_path, "template", "check", "missing.yaml").returncode == 2
    (tmp_path / "tabs.yaml").write_text("id: x\n\tlabel: y\n", encoding="utf-8")
    assert run_cli(tmp_path, "template", "check", "tabs.yaml").returncode == 1


def test_template_show_renders_blank_tables(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "template", "show", "shanghai-2024", "--out", "blank")
    assert result.returncode == 0, result.stderr
    tables = html_tables(tmp_path / "blank" / "index.html")
    assert list(tables) == list(standards.templates()["shanghai-2024"].table_ids)
    for table in tables.values():
        assert all(not any(c[:1].isdigit() and "." in c for c in row) for row in table["body"])  # no figures
    from_file = run_cli(tmp_path, "template", "show", str(TEMPLATES / "ningxia-2024.yaml"), "--out", "nx")
    assert from_file.returncode == 0 and (tmp_path / "nx" / "index.html").exists()
    assert run_cli(tmp_path, "template", "show", "nowhere-1999").returncode == 2


# -- 3. schemas per template ----------------------------------------------------------------------

def _schema(name: str) -> dict:
    return json.loads((schemagen.SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def test_table_schema_is_the_templates_own() -> None:
    """Regression: the schema generator merged columns across templates."""
    tuition = {"rows": {"total": {"total": 1, "business": 1, "business_tuition": 1}}}
    assert not list(jsonschema.Draft202012Validator(_schema("table-income.ningxia-2024")).iter_errors(tuition))
    assert list(jsonschema.Draft202012Validator(_schema("table-income.shanxi-2023")).iter_errors(tuition))
    opening = {"rows": {"total": {"opening": 1}}}
    assert list(jsonschema.Draft202012Validator(_schema("table-state_capital.ningxia-2024")).iter_errors(opening))
    assert not list(jsonschema.Draft202012Validator(_schema("table-state_capital.shanghai-2024")).iter_errors(opening))
    # the editor schema (any template) still accepts every template's columns
    assert not list(jsonschema.Draft202012Validator(_schema("table-state_capital")).iter_errors(opening))


def test_column_of_another_template_is_a_schema_finding(mini: MiniContent) -> None:
    rel = f"{REPORT_2024}/tables/state_capital.yaml"
    mini.replace(rel, "rows: {}", 'rows:\n  total: {opening: 5.00}')
    findings = [f for f in mini.check() if f.is_error]
    assert [(f.rule, f.place.path) for f in findings] == [("schema", mini.shown(rel))], [f.line() for f in findings]
    assert "opening" in findings[0].message
    assert findings[0].place.line == 3


def test_shanxi_report_cannot_use_a_ningxia_column(mini: MiniContent) -> None:
    rel = f"{REPORT_2023}/tables/income.yaml"
    text = mini.read(rel)
    first = next(line for line in text.splitlines() if line.startswith("  total:"))
    mini.replace(rel, first, first.replace("}", ", business_tuition: 1.00}"))
    findings = [f for f in mini.check() if f.is_error]
    assert findings and all(f.place.path == mini.shown(rel) for f in findings), [f.line() for f in findings]
    assert any("business_tuition" in f.message for f in findings)


# -- 4. no silent loss ----------------------------------------------------------------------------

def _move_to_30703(mini: MiniContent) -> None:
    """30201 25000.25 → 24000.25; 1000.00 under 307/30703 (ningxia lists 307 30701 30702 only)."""
    mini.replace(BASIC_2024, '  "302": 30000.25\n  "30201": 25000.25',
                 '  "302": 29000.25\n  "30201": 24000.25\n  "307": 1000.00\n  "30703": 1000.00')


def test_code_missing_from_layout_is_shown_in_page_and_csv(mini: MiniContent, tmp_path: Path) -> None:
    """Regression: a figure under a code the template's grid lacks was summed, then vanished."""
    _move_to_30703(mini)
    assert [f.line() for f in mini.check() if f.is_error] == []
    out = tmp_path / "site"
    build(mini.root, out, index=False)
    table = html_tables(report_page(out, REPORT_2024))["basic_expenditure_detail"]
    rows = [row for row in table["body"] if "30703" in row]
    assert len(rows) == 1
    row = rows[0]
    at = row.index("30703")
    assert row[at + 1] == standards.economic_codes().name("30703")
    assert row[at + 2] == "1,000.00"
    above = table["body"][table["body"].index(row) - 1]
    assert above[at] == "30702"  # right below the last code of its 款 in the same column group
    grid = (out / "units" / REPORT_2024 / "basic_expenditure_detail.csv").read_text(encoding="utf-8-sig")
    lines = [r for r in csv.reader(io.StringIO(grid)) if "30703" in r]
    assert lines and "1000.00" in "".join(lines[0]).replace(",", "")


@pytest.mark.parametrize(("report", "code", "why"), [
    (REPORT_2024, "30901", "no 309"),  # ningxia prints no 309 类
    (REPORT_2023, "30901", "——"),  # shanxi prints 30901 as ——
])
def test_code_the_layout_cannot_show_is_an_error(mini: MiniContent, report: str, code: str, why: str) -> None:
    rel = f"{report}/tables/basic_expenditure_detail.yaml"
    text = mini.read(rel)
    public = next(line for line in text.splitlines() if line.startswith("  public_total:"))
    mini.replace(rel, public, f'  "309": 0.00\n  "{code}": 0.00\n{public}')
    findings = [f for f in mini.check() if f.rule == "table.code-not-in-layout"]
    assert {f.subject for f in findings} >= {code}
    mine = next(f for f in findings if f.subject == code)
    assert mine.is_error and why in mine.message
    assert (mine.place.path, mine.place.line) == (mini.shown(rel), mini.read(rel).splitlines().index(f'  "{code}": 0.00') + 1)


def test_samples_have_no_code_outside_the_layout() -> None:
    result = check(Path(__file__).parent.parent / "content", workers=1)
    assert not [f for f in result.findings if f.rule == "table.code-not-in-layout"]


# -- 5. Shanghai 2024 -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shanghai_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shanghai") / "site"
    build(SHANGHAI, out, index=False)
    return out


def test_shanghai_fixture_checks_clean() -> None:
    result = check(SHANGHAI, workers=1)
    assert [f.line() for f in result.findings if f.severity in ("error", "warning")] == []
    assert result.reports_checked == 1


def _shanghai(shanghai_site: Path) -> dict[str, dict[str, list[list[str]]]]:
    return html_tables(report_page(shanghai_site, "demo-bureau/2024"))


def test_shanghai_tables_in_reference_order_without_line_numbers(shanghai_site: Path) -> None:
    page = report_page(shanghai_site, "demo-bureau/2024").read_text(encoding="utf-8")
    titles = ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表", "一般公共预算财政拨款支出决算表",
              "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
              "国有资本经营预算财政拨款收入支出决算表"]
    tables = _shanghai(shanghai_site)
    assert len(tables) == 9
    positions = [page.index(f">{t} <span") for t in titles]
    assert positions == sorted(positions)
    assert "公开0" not in page
    for table in tables.values():
        cells = [c for row in table["head"] + table["body"] for c in row]
        assert "行次" not in cells and "栏次" not in cells


def test_shanghai_summary_layout(shanghai_site: Path) -> None:
    table = _shanghai(shanghai_site)["income_expenditure_summary"]
    assert table["head"] == [["收入", "支出"], ["项目", "决算数", "项目", "决算数"]]
    body = table["body"]
    assert body[0][:2] == ["一、一般公共预算财政拨款收入", "100.00"] and body[0][2] == "一、一般公共服务支出"
    assert body[23][2] == "二十四、抗疫特别国债安排的支出"
    assert [r[0] for r in body[24:]] == ["本年收入合计", "使用非财政拨款结余", "年初结转和结余", "总计"]
    assert [r[2] for r in body[24:]] == ["本年支出合计", "结余分配", "年末结转和结余", "总计"]
    fiscal = _shanghai(shanghai_site)["fiscal_summary"]
    assert fiscal["head"][1] == ["项目", "决算数", "项目", "合计", "一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
    assert [r[0] for r in fiscal["body"][24:]] == ["本年收入合计", "年初财政拨款结转和结余", "一、一般公共预算财政拨款",
                                                 "二、政府性基金预算财政拨款", "三、国有资本经营预算财政拨款", "总计"]


def test_shanghai_code_tables(shanghai_site: Path) -> None:
    tables = _shanghai(shanghai_site)
    income = tables["income"]
    assert income["head"] == [["项目", "本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"],
                              ["功能分类科目编码", "科目名称"]]
    assert income["body"][0][:2] == ["合计", "120.00"]
    general = tables["general_budget_expenditure"]
    assert general["head"][0] == ["项目", "合计", "基本支出", "项目支出"]
    assert general["body"][-1] == ["合计", "90.00", "70.00", "20.00"]  # printed under the codes
    fund = tables["government_fund"]
    assert fund["head"] == [["项目", "年初结转和结余", "本年收入", "本年支出", "年末结转和结余"],
                            ["功能分类科目编码", "科目名称", "合计", "基本支出", "项目支出"]]


def test_shanghai_basic_and_three_public(shanghai_site: Path) -> None:
    tables = _shanghai(shanghai_site)
    basic = tables["basic_expenditure_detail"]
    assert basic["head"] == [["经济分类科目编码", "科目名称", "决算数"] * 2]
    assert basic["body"][0][:2] == ["301", "工资福利支出"] and basic["body"][0][3:5] == ["302", "商品和服务支出"]
    right = [row[3] for row in basic["body"][:-1]]
    assert right[right.index("310"):] == ["310", "31001", "31002", "31003", "31007", "31013", "31019", "31021", "31022", "31099"]
    assert basic["body"][-1] == ["人员经费合计", "55.00", "公用经费合计", "15.00"]
    three = tables["three_public"]
    assert three["head"] == [
        ["财政拨款“三公”经费"],
        ["合计", "因公出国（境）费", "公务用车购置及运行维护费", "公务接待费"],
        ["小计", "公务用车购置费", "公务用车运行维护费"],
        ["预算数", "决算数"] * 6,
    ]
    assert three["body"] == [["6.00", "5.00", "", "", "4.00", "3.00", "", "", "4.00", "3.00", "2.00", "2.00"]]


def test_shanghai_notes_as_printed(shanghai_site: Path) -> None:
    page = report_page(shanghai_site, "demo-bureau/2024").read_text(encoding="utf-8")
    for note in ("注：本表反映部门本年度财政拨款总收支和结转结余情况。",
                 "注：本表反映部门本年度国有资本经营预算财政拨款收入支出及结转和结余情况。",
                 "上海市示例局本年度没有政府性基金预算财政拨款收入和支出，故本表无数据。"):
        assert note in page


def test_shanghai_skeleton_references_name_real_cells(tmp_path: Path) -> None:
    """`new --template shanghai-2024` writes the reference's 第三部分 outline; with the fixture's
    tables every reference resolves (no unknown cell, no syntax error), previous-year ones aside."""
    content = tmp_path / "content"
    shutil.copytree(SHANGHAI, content)
    shutil.rmtree(content / "demo-bureau" / "2024")
    assert run_cli(tmp_path, "new", "demo-bureau", "2024", "--template", "shanghai-2024", "--content", "content").returncode == 0
    shutil.rmtree(content / "demo-bureau" / "2024" / "tables")
    shutil.copytree(SHANGHAI / "demo-bureau" / "2024" / "tables", content / "demo-bureau" / "2024" / "tables")
    explanation = (content / "demo-bureau" / "2024" / "explanation.md").read_text(encoding="utf-8")
    assert explanation.startswith("## 一、收入支出决算总体情况说明")
    headings = [line for line in explanation.splitlines() if line.startswith("## ")]
    assert [h.split("、")[0] for h in headings] == ["## 一", "## 二", "## 三", "## 四", "## 五", "## 六", "## 七", "## 八",
                                                    "## 九", "## 十", "## 十一"]
    result = check(content, workers=1)
    rules = {f.rule for f in result.findings}
    assert "narrative.ref-unknown" not in rules and "narrative.ref-syntax" not in rules, [f.line() for f in result.findings]
