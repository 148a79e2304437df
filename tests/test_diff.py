"""``site-builder diff`` on a real git repository built from the sample content, with real commits.

Expected figures are worked out by hand from the edit each test makes (3.06 → 3.16 is +0.10);
the expected findings are the 勾稽关系 the edit breaks (20801 = 2080109 in 收入决算表).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
JC = "content/jincheng-social-insurance-center/2023"
YC = "content/yanchi-social-insurance-center"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def run_diff(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "site_builder", "diff", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **GIT_ENV))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The sample content committed on ``main`` in a subfolder ``content/``, and a branch ``change``."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "content", repo / "content")
    (repo / "README.md").write_text("portal\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sample content")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def base(repo: Path) -> str:
    return git(repo, "rev-parse", "main").strip()[:10]


def test_consistent_change_exit_0_exact_output(repo: Path) -> None:
    edit(repo / JC / "tables/related_info.yaml", "procurement: {total: 3.06, goods: 3.06}", "procurement: {total: 3.16, goods: 3.16}")
    edit(repo / JC / "tables/related_info.yaml", "  equipment_over_1m:\n", "  equipment_over_1m: 0.00\n")
    edit(repo / JC / "explanation.md", "共3.06万元，全部为货物采购3.06万元", "共3.16万元，全部为货物采购3.16万元")
    git(repo, "commit", "-q", "-am", "政府采购 3.16")
    done = run_diff(repo)
    assert done.returncode == 0, done.stderr
    sentence = "2023年度政府采购支出共{0}万元，全部为货物采购{0}万元，工程采购和服务采购均为0万元。"
    assert done.stdout == f"""diff merge base ({base(repo)}) → worktree

jincheng-social-insurance-center/2023 晋城市社会保险中心2023年度单位决算公开（万元）
  summary: 3 figures changed in 1 table; 1 sentence of prose changed; totals consistent
  figure 部门决算公开相关信息统计表 · 一、政府采购情况 合计: 3.06 → 3.16 (+0.10)
  figure 部门决算公开相关信息统计表 · 一、政府采购情况 货物: 3.06 → 3.16 (+0.10)
  figure 部门决算公开相关信息统计表 · 三、国有资产占用情况 （二）单价100万元（含）以上设备（不含车辆）: (blank) → 0.00 (blank ↔ 0.00)
  findings not listed: 7 acknowledged standing, 14 warning standing
  prose explanation.md: “{sentence.format("3.06")}” → “{sentence.format("3.16")}” (figures 3.06, 3.06 → 3.16, 3.16)

1 report(s) changed, 1 unchanged (not loaded); 0 error(s) introduced
"""
    assert done.stderr == ""
    # the same two commits named explicitly, from a folder outside the content
    explicit = run_diff(repo / "content" / "jincheng-social-insurance-center", "main", "HEAD", str(repo / "content"))
    assert explicit.returncode == 0 and "1 report(s) changed, 1 unchanged" in explicit.stdout


def test_inconsistent_change_exit_1(repo: Path) -> None:
    edit(repo / JC / "tables/income.yaml", '"2080109": {total: 870.54, fiscal: 754.38, other: 116.15}',
         '"2080109": {total: 870.55, fiscal: 754.39, other: 116.15}')
    done = run_diff(repo)  # uncommitted: the working tree against the merge base
    assert done.returncode == 1
    place = "content/jincheng-social-insurance-center/2023/tables/income.yaml:5"
    assert done.stdout == f"""diff merge base ({base(repo)}) → worktree

jincheng-social-insurance-center/2023 晋城市社会保险中心2023年度单位决算公开（万元）
  summary: 2 figures changed in 1 table; 2 errors introduced
  figure 收入决算表 · 2080109 社会保险经办机构 · 本年收入合计: 870.54 → 870.55 (+0.01)
  figure 收入决算表 · 2080109 社会保险经办机构 · 财政拨款收入: 754.38 → 754.39 (+0.01)
  introduced error [income.hierarchy] 收入决算表 20801 人力资源和社会保障管理事务 本年收入合计 870.54 ≠ 2080109 社会保险经办机构 本年收入合计 870.55 = 870.55（相差 -0.01 万元） ({place}:20)
  introduced error [income.hierarchy] 收入决算表 20801 人力资源和社会保障管理事务 财政拨款收入 754.38 ≠ 2080109 社会保险经办机构 财政拨款收入 754.39 = 754.39（相差 -0.01 万元） ({place}:36)
  findings not listed: 7 acknowledged standing, 14 warning standing

1 report(s) changed, 1 unchanged (not loaded); 2 error(s) introduced
"""
    data = json.loads(run_diff(repo, "--format", "json").stdout)
    assert data["introduces_errors"] is True
    figures = data["reports"][0]["figures"]
    assert [(f["old"], f["new"], f["difference"]) for f in figures] == [("870.54", "870.55", "0.01"), ("754.38", "754.39", "0.01")]
    assert Decimal(figures[1]["new"]) - Decimal(figures[1]["old"]) == Decimal("0.01")


def _figures_in(folder: Path) -> tuple[int, int]:
    """Tables with figures and figures, counted from the YAML text independently of the loader."""
    def numbers(value: object) -> int:
        if isinstance(value, dict):
            return sum(numbers(v) for k, v in value.items() if k not in ("name", "empty_note"))
        if isinstance(value, list):
            return sum(numbers(v) for v in value)
        return int(isinstance(value, (int, float)) and not isinstance(value, bool))

    counts = [numbers(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in sorted(folder.glob("*.yaml"))]
    return sum(1 for c in counts if c), sum(counts)


def test_added_report(repo: Path) -> None:
    shutil.copytree(repo / YC, repo / "content/yanchi-copy")
    edit(repo / "content/yanchi-copy/unit.yaml", "name: 盐池县社会保险事业管理中心", "name: 盐池县测试中心")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add a unit")
    done = run_diff(repo, "main", "HEAD")
    assert done.returncode == 0, done.stdout
    tables, figures = _figures_in(repo / "content/yanchi-copy/2024/tables")
    lines = done.stdout.splitlines()
    head = git(repo, "rev-parse", "HEAD").strip()[:10]
    assert lines[:5] == [f"diff main ({base(repo)}) → HEAD ({head})", "unit added: yanchi-copy", "",
                         "yanchi-copy/2024 盐池县社会保险事业管理中心2024年度部门决算（元）",
                         f"  summary: new report: {tables} tables with {figures} figures; totals consistent; 5 acknowledgements added"]
    assert lines[5] == "  findings not listed: 5 acknowledged introduced"
    assert sum(1 for line in lines if line.startswith("  acknowledgement added [")) == 5
    assert lines[-1] == "1 report(s) changed, 2 unchanged (not loaded); 0 error(s) introduced"


def test_renamed_unit(repo: Path) -> None:
    git(repo, "mv", "content/yanchi-social-insurance-center", "content/yanchi-shebao")
    git(repo, "commit", "-q", "-m", "rename")
    done = run_diff(repo)
    assert done.returncode == 0
    assert done.stdout == f"""diff merge base ({base(repo)}) → worktree
unit renamed: yanchi-social-insurance-center → yanchi-shebao

yanchi-shebao/2024 yanchi-shebao/2024
  summary: moved from yanchi-social-insurance-center/2024 with its files unchanged

1 report(s) changed, 1 unchanged (not loaded); 0 error(s) introduced
"""


def test_renamed_unit_with_a_changed_figure(repo: Path) -> None:
    os.rename(repo / YC, repo / "content/yanchi-shebao")  # a plain move, not git mv: untracked files count
    edit(repo / "content/yanchi-shebao/2024/tables/three_public.yaml", "budget: {total: 30000.00, abroad: 0.00, ", "budget: {total: 30000.00, ")
    done = run_diff(repo)
    assert done.returncode == 0, done.stdout
    assert "unit renamed: yanchi-social-insurance-center → yanchi-shebao" in done.stdout
    assert "  summary: moved from yanchi-social-insurance-center/2024; 1 figure changed in 1 table; totals consistent" in done.stdout
    assert "  figure 财政拨款“三公”经费支出决算表 · 预算数因公出国（境）费: 0.00 → (blank) (blank ↔ 0.00)\n" in done.stdout


def test_removed_report_and_markdown(repo: Path) -> None:
    tables, figures = _figures_in(repo / JC / "tables")
    shutil.rmtree(repo / JC)
    done = run_diff(repo, "--format", "markdown")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[2:5] == ["#### ✅ `jincheng-social-insurance-center/2023` 晋城市社会保险中心2023年度单位决算公开（万元）", "",
                          f"report removed: {tables} tables with {figures} figures; 7 acknowledgements removed"]


def test_markdown_escapes_content(repo: Path) -> None:
    edit(repo / JC / "explanation.md", "共3.06万元，", "共3.06万元<script>|**x**，")
    done = run_diff(repo, "--format", "markdown")
    assert "<script>" not in done.stdout and "&lt;script&gt;\\|\\*\\*x\\*\\*" in done.stdout


def test_usage_problems_exit_2(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    shutil.copytree(ROOT / "content", outside / "content")
    done = run_diff(outside)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "site-builder: content folder content is not in a git repository; diff compares git revisions\n"
    unknown = run_diff(repo, "no-such-branch")
    assert unknown.returncode == 2
    assert unknown.stderr == f"site-builder: unknown revision 'no-such-branch' (not a commit of {repo})\n"
    option = run_diff(repo, "main", "--output=/tmp/x")
    assert option.returncode == 2


def test_diff_writes_nothing_into_the_repository(repo: Path) -> None:
    edit(repo / JC / "tables/income.yaml", "\"2080109\": {total: 870.54, fiscal: 754.38", "\"2080109\": {total: 870.54, fiscal: 754.39")
    before = git(repo, "count-objects", "-v") + git(repo, "status", "--porcelain")
    index = (repo / ".git/index").read_bytes()
    run_diff(repo)
    assert git(repo, "count-objects", "-v") + git(repo, "status", "--porcelain") == before
    assert (repo / ".git/index").read_bytes() == index


def test_default_base_without_main_is_head(repo: Path) -> None:
    git(repo, "branch", "-q", "-m", "main", "trunk")
    edit(repo / JC / "tables/related_info.yaml", "  equipment_over_1m:\n", "  equipment_over_1m: 0.00\n")
    done = run_diff(repo)
    head = git(repo, "rev-parse", "HEAD").strip()[:10]
    assert done.stdout.startswith(f"diff merge base ({head}) → worktree\n")


def test_correcting_a_published_report(repo: Path) -> None:
    """A figure corrected after publication: exit 1 without a correction entry, 0 with one."""
    report_yaml = repo / YC / "2024/report.yaml"
    report_yaml.write_text(report_yaml.read_text(encoding="utf-8") + "published: 2024-06-30\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "record the publication date")
    edit(repo / YC / "2024/tables/three_public.yaml", "budget: {total: 30000.00, abroad: 0.00, ", "budget: {total: 30000.00, ")
    today = datetime.date.today().isoformat()
    without = run_diff(repo)
    assert without.returncode == 1
    lines = without.stdout.splitlines()
    assert lines[3:6] == [
        "  summary: 1 figure changed in 1 table; 1 error introduced",
        "  figure 财政拨款“三公”经费支出决算表 · 预算数因公出国（境）费: 0.00 → (blank) (blank ↔ 0.00)",
        f"  introduced error [report.correction-missing] report folder changed in uncommitted changes ({today}), after its "
        f"publication on 2024-06-30, but no entry of corrections is dated {today} or later; add one with date, what and why "
        f"(更正记录) (content/yanchi-social-insurance-center/2024/report.yaml:{len(report_yaml.read_text().splitlines())}:12)"]
    report_yaml.write_text(report_yaml.read_text(encoding="utf-8") + f"corrections:\n  - date: {today}\n"
                           "    what: 公开07表 预算数 因公出国（境）费\n    why: 原表此格为空白，误录为0.00。\n", encoding="utf-8")
    with_entry = run_diff(repo)
    assert with_entry.returncode == 0, with_entry.stdout
    assert with_entry.stdout.splitlines()[3:7] == [
        "  summary: 1 figure changed in 1 table; totals consistent; 1 correction entry added",
        "  figure 财政拨款“三公”经费支出决算表 · 预算数因公出国（境）费: 0.00 → (blank) (blank ↔ 0.00)",
        "  findings not listed: 5 acknowledged standing",
        f"  correction entry added {today}: 公开07表 预算数 因公出国（境）费 — 原表此格为空白，误录为0.00。"]
