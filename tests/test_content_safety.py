"""Reading hostile or careless content safely (issue 7, the load side; policy in docs/security.md).

Each test edits a private copy of the mini fixture (tests/conftest.py) and checks it, through the
command line where the exit code or a traceback matters. Every test here failed before the fix it
covers: links were followed, a FIFO blocked, ２０２３ overwrote 2023, 500 levels of nesting or a
25-digit figure crashed, a negative total score ended the check with "0 reports checked".
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from site_builder import contentfs, limits, loader
from site_builder.findings import Finding
from site_builder.rules import equations, performance
from site_builder.schemagen import BASE_PATH, BASE_URL
from tests.conftest import REPORT_2023, REPORT_2024, MiniContent, place_of

SECRET = "TOP-SECRET-CI-TOKEN-4711"
A = f"{REPORT_2023}/attachments/window-service.yaml"
E = f"{REPORT_2023}/tables/expenditure.yaml"
S = f"{REPORT_2023}/tables/income_expenditure_summary.yaml"

needs_links = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links and FIFOs need a POSIX system")


def rules_of(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the content folder that must never be read, like /etc/passwd or the CI's environment."""
    path = tmp_path / "outside" / "secret.md"
    path.parent.mkdir()
    path.write_text(f"# {SECRET}\nkey: {SECRET}\n", encoding="utf-8")
    return path


# -- symbolic links --------------------------------------------------------------------------------
@needs_links
@pytest.mark.parametrize("rel", [f"{REPORT_2023}/overview.md", f"{REPORT_2023}/report.yaml", A, E, "site.yaml",
                                 "glossary.yaml", "demo-center/unit.yaml"])
def test_a_file_that_is_a_link_is_refused_by_name(mini: MiniContent, secret: Path, rel: str) -> None:
    mini.remove(rel)
    os.symlink(secret, mini.path(rel))
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr
    assert run.returncode == 1
    assert SECRET not in run.stdout + run.stderr  # neither the target's text (YAML errors echoed it) …
    assert "outside" not in run.stdout + run.stderr  # … nor its path
    assert f"mini/{rel}:1:1: error [content.symlink] " in run.stdout


@needs_links
@pytest.mark.parametrize("rel", ["demo-center", REPORT_2023, f"{REPORT_2023}/tables", f"{REPORT_2023}/attachments"])
def test_a_folder_that_is_a_link_is_refused_and_not_entered(mini: MiniContent, tmp_path: Path, rel: str) -> None:
    target = tmp_path / "elsewhere"
    mini.path(rel).rename(target)
    os.symlink(target, mini.path(rel))
    findings = mini.check()
    links = only(findings, "content.symlink")
    assert [place_of(f) for f in links] == [(f"mini/{rel}", 1, 1)]
    assert all("elsewhere" not in f.line() for f in findings)
    assert not any(f.place.path.startswith(f"mini/{rel}/") for f in findings)  # nothing below the link was read


@needs_links
def test_a_link_inside_the_theme_folder_is_refused(mini: MiniContent, secret: Path) -> None:
    (mini.root / "_theme" / "templates").mkdir(parents=True)
    os.symlink(secret, mini.root / "_theme" / "templates" / "base.html")
    os.symlink(secret.parent, mini.root / "_theme" / "assets")
    findings = mini.check()
    assert sorted(place_of(f) for f in only(findings, "content.symlink")) == [
        ("mini/_theme/assets", 1, 1), ("mini/_theme/templates/base.html", 1, 1)]


@needs_links
def test_a_link_to_a_file_inside_the_content_is_refused_too(mini: MiniContent) -> None:
    """Links are refused whatever their target: simplest to audit (docs/security.md)."""
    mini.remove(f"{REPORT_2023}/overview.md")
    os.symlink("explanation.md", mini.path(f"{REPORT_2023}/overview.md"))
    assert rules_of(mini.check()) == ["content.symlink"]


@needs_links
def test_the_content_root_itself_may_be_a_link(mini: MiniContent) -> None:
    os.symlink("mini", mini.base / "linked")
    run = mini.cli("check", "linked")
    assert (run.returncode, run.stdout) == (0, ""), run.stdout + run.stderr
    assert "2 reports checked" in run.stderr


@needs_links
def test_a_fifo_is_refused_without_being_opened(mini: MiniContent) -> None:
    for rel in (f"{REPORT_2023}/overview.md", f"{REPORT_2023}/tables/three_public.yaml"):
        mini.remove(rel)
        os.mkfifo(mini.path(rel))
    run = mini.cli("check", "mini")  # before: blocked forever opening the FIFO (run_cli times out after 120 s)
    assert run.returncode == 1
    assert f"mini/{REPORT_2023}/overview.md:1:1: error [content.not-a-file] " in run.stdout
    assert f"mini/{REPORT_2023}/tables/three_public.yaml:1:1: error [content.not-a-file] " in run.stdout
    assert len(run.stdout.splitlines()) == 2  # one finding each, from the listing and the read alike


# -- the contentfs API -------------------------------------------------------------------------------
def test_contentfs_refuses_paths_outside_the_root(mini: MiniContent, secret: Path) -> None:
    for path in (mini.root / ".." / "outside" / "secret.md", secret):
        text, findings = contentfs.read_text(mini.root, path, limits.MARKDOWN_FILE_BYTES)
        assert text is None
        assert rules_of(findings) == ["content.unreadable"]
        assert "outside the content folder" in findings[0].message


def test_contentfs_reads_at_most_the_limit(mini: MiniContent) -> None:
    mini.write("big.md", "x" * 101)
    assert contentfs.read_text(mini.root, mini.root / "big.md", 101) == ("x" * 101, [])
    text, findings = contentfs.read_text(mini.root, mini.root / "big.md", 100)
    assert text is None
    assert rules_of(findings) == ["content.too-large"]
    assert contentfs.read_text(mini.root, mini.root / "none.md", 100, required=False) == (None, [])
    assert rules_of(contentfs.read_text(mini.root, mini.root / "none.md", 100)[1]) == ["content.missing-file"]


def test_contentfs_lists_sorted_entries(mini: MiniContent) -> None:
    entries, findings = contentfs.list_dir(mini.root, mini.root / "demo-center")
    assert findings == []
    assert [(e.name, e.is_dir) for e in entries] == [("2023", True), ("2024", True), ("unit.yaml", False)]


# -- sizes, BOM, encodings -----------------------------------------------------------------------------
def test_a_markdown_file_over_its_limit_is_refused(mini: MiniContent) -> None:
    mini.write(f"{REPORT_2023}/overview.md", "# 概述\n" + "字" * (limits.MARKDOWN_FILE_BYTES // 3))
    findings = mini.check()
    (too_large,) = only(findings, "content.too-large")
    assert place_of(too_large) == (f"mini/{REPORT_2023}/overview.md", 1, 1)
    assert "1 MiB" in too_large.message


def test_a_yaml_file_over_its_limit_is_refused(mini: MiniContent) -> None:
    text = mini.read(S)
    mini.write(S, text + "#" * (limits.YAML_FILE_BYTES - len(text.encode()) + 1))
    findings = mini.check()
    assert place_of(only(findings, "content.too-large")[0]) == (f"mini/{S}", 1, 1)
    assert "8 MiB" in only(findings, "content.too-large")[0].message


def test_a_bom_is_stripped_so_a_heading_stays_a_heading(mini: MiniContent) -> None:
    for rel in (f"{REPORT_2023}/overview.md", f"{REPORT_2023}/report.yaml", "demo-center/unit.yaml"):
        mini.path(rel).write_bytes(b"\xef\xbb\xbf" + mini.path(rel).read_bytes())
    result = mini.result()
    assert [f for f in result.findings if f.severity != "info"] == []
    report = next(r for r in result.site.reports if r.rel == REPORT_2023)
    assert report.overview.startswith("## 一、单位职责")


def test_an_encoding_error_names_the_bad_byte(mini: MiniContent) -> None:
    mini.path(f"{REPORT_2023}/overview.md").write_bytes("## 一\n\n经办".encode() + b"\xff")
    (finding,) = mini.check()
    assert (finding.rule, place_of(finding)) == ("content.encoding", (f"mini/{REPORT_2023}/overview.md", 1, 1))
    assert "line 3, column 3" in finding.message


# -- folder and file names ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["２０２３", "2023-old", "2023 ", "23", "２０２4"])
def test_a_folder_that_is_not_an_ascii_year_is_reported_not_read(mini: MiniContent, name: str) -> None:
    """Before: `２０２３` matched `\\d{4}` and int() made it 2023, silently replacing the real 2023 report."""
    import shutil

    shutil.copytree(mini.path(REPORT_2023), mini.path(f"demo-center/{name}"))
    mini.replace(f"demo-center/{name}/report.yaml", "template: shanxi-2023", "template: ningxia-2024")  # would break it if read
    result = mini.result()
    assert [(f.rule, place_of(f)) for f in result.findings if f.severity != "info"] == [("content.unknown-folder", (f"mini/demo-center/{name}", 1, 1))]
    assert [r.rel for r in result.site.reports] == [REPORT_2023, REPORT_2024]
    assert result.site.reports[0].template.id == "shanxi-2023"


def test_folders_starting_with_underscore_or_dot_are_set_aside_silently(mini: MiniContent) -> None:
    mini.write("demo-center/_drafts/notes.md", "草稿")
    mini.write("demo-center/.git-keep/x", "")
    assert mini.check() == []


@pytest.mark.parametrize("name", ["demo#center", "demo?x", "demo%20x", "demo center", "Demo", "示例中心", "-demo", "a" * 65])
def test_a_unit_folder_name_that_breaks_urls_is_refused(mini: MiniContent, name: str) -> None:
    mini.root.joinpath("demo-center").rename(mini.root / name)
    result = mini.result()
    assert [(f.rule, place_of(f)) for f in result.findings if f.severity != "info"] == [("content.folder-name", (f"mini/{name}", 1, 1))]
    assert result.site.reports == []


@pytest.mark.parametrize(("rel", "severity"), [
    (f"{REPORT_2023}/attachments/extra.yml", "error"),
    (f"{REPORT_2023}/attachments/extra.YAML", "error"),
    (f"{REPORT_2023}/attachments/notes.txt", "error"),
    (f"{REPORT_2023}/tables/three_public.Yaml", "error"),
    (f"{REPORT_2023}/tables/readme.md", "error"),
    (f"{REPORT_2023}/report.yml", "error"),
    (f"{REPORT_2023}/overview.MD", "error"),
    ("demo-center/unit.yml", "error"),
    ("site.yml", "error"),
    (f"{REPORT_2023}/notes.txt", "warning"),
    ("demo-center/logo.png", "warning"),
])
def test_a_file_that_would_be_skipped_is_reported(mini: MiniContent, rel: str, severity: str) -> None:
    mini.write(rel, "title: x\n")
    findings = mini.check()
    assert [(f.rule, f.severity, place_of(f)) for f in findings] == [("content.unknown-file", severity, (f"mini/{rel}", 1, 1))]


@pytest.mark.parametrize("name", ["a#b", "a?b", "a%20b", "a b", "Window", "窗口", "-x"])
def test_an_attachment_name_that_breaks_urls_is_refused(mini: MiniContent, name: str) -> None:
    mini.path(A).rename(mini.path(f"{REPORT_2023}/attachments/{name}.yaml"))
    result = mini.result()
    assert [(f.rule, place_of(f)) for f in result.findings if f.severity != "info"] == [
        ("content.unknown-file", (f"mini/{REPORT_2023}/attachments/{name}.yaml", 1, 1))]
    assert result.site.reports[0].attachments == []


def test_files_beside_the_content_root_are_allowed(mini: MiniContent) -> None:
    mini.write("README.md", "# 内容说明")
    mini.write(".gitignore", "*.tmp")
    assert mini.check() == []


# -- YAML ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("levels", [21, 500, 100_000])
def test_deep_nesting_is_a_finding_not_a_crash(mini: MiniContent, levels: int) -> None:
    mini.replace(S, "  other: 10.00", "  other: " + "[" * levels + "1" + "]" * levels)
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr
    assert run.returncode == 1
    line, _ = mini.position(S, "  other: [")
    assert f"mini/{S}:{line}:{10 + limits.YAML_DEPTH - 2}: error [yaml.depth] " in run.stdout, run.stdout


def test_twenty_levels_of_nesting_are_accepted() -> None:
    from site_builder.yamlsafe import parse

    assert parse("a: " + "[" * 19 + "1" + "]" * 19).data is not None


@pytest.mark.parametrize(("key", "read_as"), [("yes", "true/false"), ("on", "true/false"), ("null", "null"), ("~", "null"),
                                              ("1.5", "a number")])
def test_a_key_yaml_reads_as_a_non_text_value_must_be_quoted(mini: MiniContent, key: str, read_as: str) -> None:
    mini.replace(E, '  "2080101": {total: 100.00', f'  {key}: {{total: 100.00')
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr
    line, col = mini.position(E, f"  {key}: {{", key)
    assert f"mini/{E}:{line}:{col}: error [yaml.key] " in run.stdout
    assert read_as in run.stdout and "quote it" in run.stdout


def test_a_code_key_keeps_its_digits_as_written(mini: MiniContent) -> None:
    mini.replace(E, '  "2080101": {total: 100.00', '  02080101: {total: 100.00')
    findings = mini.check()
    assert any("'02080101'" in f.message for f in findings), [f.line() for f in findings]


# -- amounts --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("figure", ["1234567890123456789012345.00", "1234567890123456.00", "1.0000001", "-9999999999999999"])
def test_an_amount_with_too_many_digits_is_refused(mini: MiniContent, figure: str) -> None:
    mini.replace(S, "  other: 10.00", f"  other: {figure}")
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr and run.returncode == 1
    line, col = mini.position(S, f"  other: {figure}", figure)
    assert run.stdout.splitlines() == [f"mini/{S}:{line}:{col}: error [amount.digits] " + run.stdout.split("[amount.digits] ")[1].strip()]


def test_fifteen_digits_and_six_decimals_are_accepted(mini: MiniContent) -> None:
    mini.replace(S, "  other: 10.00", "  other: 10.000000")
    mini.replace(S, "  general_budget: 195.00", "  general_budget: 000000000000195.00")
    assert mini.check() == []


def test_thirty_digit_figures_are_refused_not_rounded(mini: MiniContent) -> None:
    """Before: the 28-digit decimal context rounded them, so a 1.00 difference disappeared."""
    big = "100000000000000000000000000000"
    mini.replace(E, '  "2080101": {total: 100.00, basic: 100.00}', f'  "2080101": {{total: {big}.00, basic: {big[:-1]}1.00}}')
    findings = mini.check()
    assert set(rules_of(findings)) == {"amount.digits"}


@pytest.mark.parametrize(("old", "new"), [("total_score: 95", "total_score: 1234567890123456789012345"),
                                          ("  points: 10\n  rate_unit", "  points: 1234567890123456789012345\n  rate_unit"),
                                          ("      rate: 90.00\n      score: 9.00\n    - source: 财政资金",
                                           "      rate: 90.00\n      score: 1234567890123456789012345.5\n    - source: 财政资金")])
def test_huge_points_or_scores_are_refused_not_a_crash(mini: MiniContent, old: str, new: str) -> None:
    mini.replace(A, old, new)
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr and "InvalidOperation" not in run.stderr
    assert run.returncode == 1
    assert "[amount.digits]" in run.stdout
    assert "2 reports checked" in run.stderr


def test_a_negative_total_score_is_a_finding_and_every_report_is_checked(mini: MiniContent) -> None:
    """Before: grade_for raised StopIteration, which ended the worker loop: "0 reports checked", exit 0."""
    mini.replace(A, "total_score: 95", "total_score: -5")
    run = mini.cli("check", "mini")
    assert run.returncode == 1
    assert "2 reports checked" in run.stderr
    line, col = mini.position(A, "total_score: -5", "-5")
    assert f"mini/{A}:{line}:{col}: error [schema] total_score: -5 is negative" in run.stdout


def test_grades_below_zero_and_huge_roundings_do_not_raise() -> None:
    assert performance.grade_for(Decimal(-1)) == "差"
    assert performance.grade_for(Decimal("59.99")) == "差"
    assert performance.grade_for(Decimal(90)) == "优"
    assert performance.rounded(Decimal("-1e40"), "0.01") == Decimal("-1e40")


def test_too_many_rows_in_a_section_are_refused(mini: MiniContent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TABLE_ROWS", 7)  # the expenditure table has 8 rows (7 codes and the total)
    findings = only(mini.check(), "table.too-many-rows")
    (finding,) = [f for f in findings if f.place.path == f"mini/{E}"]
    assert place_of(finding) == mini.place(E, "rows:", "rows")
    assert "8 rows" in finding.message and "at most 7" in finding.message


def test_a_table_at_the_row_limit_is_accepted(mini: MiniContent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TABLE_ROWS", 14)  # the longest section of the mini fixture
    assert mini.check() == []


# -- glossary and schema text ---------------------------------------------------------------------------------
def test_a_term_defined_twice_is_reported(mini: MiniContent) -> None:
    text = mini.read("glossary.yaml")
    mini.write("glossary.yaml", text + "  - term: 基本支出\n    definition: 另一个定义。\n"
                                       "  - term: 拨款\n    definition: 别名重复。\n    aliases: [财政拨款收入]\n")
    result = mini.result()
    duplicates = only(result.findings, "glossary.duplicate-term")
    appended = len(text.splitlines())  # the new lines follow the original ones
    assert [place_of(f) for f in duplicates] == [("mini/glossary.yaml", appended + 1, len("  - term: ") + 1),
                                                 ("mini/glossary.yaml", appended + 5, len("    aliases: [") + 1)]
    assert "already defined at line" in duplicates[0].message
    assert [t.definition for t in result.site.glossary if t.term == "基本支出"] == [
        "为保障机构正常运转、完成日常工作任务而发生的人员经费和公用经费。"]


@pytest.mark.parametrize(("rel", "old", "new"), [
    ("demo-center/unit.yaml", "name: 示例社会保险中心", 'name: "   "'),
    ("demo-center/unit.yaml", "parent: 示例人力资源和社会保障局", 'parent: "\u3000"'),
    ("demo-center/unit.yaml", "region: 示例省示例市", 'region: " \\t "'),
    ("demo-center/unit.yaml", "name: 示例社会保险中心", "name: " + "长" * 2001),
    ("site.yaml", "title: 测试决算公开平台", "title: 测试决算公开平台\nbase_path: //other-host/"),
    ("site.yaml", "title: 测试决算公开平台", "title: 测试决算公开平台\nbase_path: /portal/../../x\\y"),
    ("site.yaml", "title: 测试决算公开平台", 'title: 测试决算公开平台\nbase_url: "javascript:alert(1)"'),
    ("site.yaml", "title: 测试决算公开平台", "title: 测试决算公开平台\nbase_url: //other-host/"),
])
def test_blank_or_unsafe_text_is_a_schema_finding(mini: MiniContent, rel: str, old: str, new: str) -> None:
    mini.replace(rel, old, new)
    findings = mini.check()
    assert rules_of(findings) == ["schema"], [f.line() for f in findings]
    assert len(findings[0].message) < 400  # a huge value is never echoed whole


@pytest.mark.parametrize("value", ["/", "/portal/", "/a/b-c_d.e~f/", "/%E5%86%B3"])
def test_plain_base_paths_are_accepted(value: str) -> None:
    import re

    assert re.match(BASE_PATH, value)


@pytest.mark.parametrize("value", ["https://example.gov.cn/", "http://127.0.0.1:8000/portal/", "https://x.cn"])
def test_plain_base_urls_are_accepted(value: str) -> None:
    import re

    assert re.match(BASE_URL, value)


# -- linear rule checks --------------------------------------------------------------------------------------------
def test_code_families_are_found_in_linear_time() -> None:
    keys = ["total"] + [f"2{k:02d}" for k in range(1, 11)]
    keys += [f"2{k:02d}{m:02d}" for k in range(1, 11) for m in range(1, 51)]
    keys += [f"2{k:02d}{m:02d}{n:02d}" for k in range(1, 11) for m in range(1, 51) for n in range(1, 100)]
    started = time.perf_counter()
    families = dict(equations._families(keys, with_total=True))
    elapsed = time.perf_counter() - started
    assert len(keys) > 50_000
    assert families["total"] == [f"2{k:02d}" for k in range(1, 11)]
    assert families["20150"] == [f"20150{n:02d}" for n in range(1, 100)]
    assert len(families) == 1 + 10 + 500
    assert elapsed < 2.0  # scanning every row per parent (the old way) takes minutes for 50,000 rows


def test_plan_and_load_report_keep_their_signatures(mini: MiniContent) -> None:
    planned = loader.plan(Path("mini"))
    assert [year.name for _, year in planned.jobs] == ["2023", "2024"]
    report, findings = loader.load_report(*planned.jobs[0])
    assert report is not None and findings == []
