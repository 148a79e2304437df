"""Ready-made integrations: the pre-commit hook run by the real ``pre-commit`` tool, the schema
comments of the files ``new`` writes, and the commands of the example CI workflows in docs/ci/."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXED = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
         "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+0000",
         "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+0000", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=dict(os.environ, **FIXED), check=check, capture_output=True, text=True)


def hook_repository(target: Path) -> str:
    """This checkout's package and hook definitions as a git repository; fixed dates make the commit
    id depend on the files only, so pre-commit's installed environment is reused between runs."""
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "site_builder", target / "site_builder", ignore=shutil.ignore_patterns("__pycache__"))
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "hook")
    return git(target, "rev-parse", "HEAD").stdout.strip()


def test_hook_definition() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("site-builder-check", "site-builder check", "python", False)]


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[test]')")
def test_pre_commit_hook_refuses_an_inconsistent_commit(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    rev = hook_repository(hook)
    repo = tmp_path / "content-repo"
    shutil.copytree(ROOT / "content", repo / "content")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook}\n    rev: {rev}\n    hooks:\n      - id: site-builder-check\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    env = dict(os.environ, **FIXED, PRE_COMMIT_HOME=str(Path(tempfile.gettempdir()) / "site-builder-pre-commit-home"))
    installed = subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(repo, "add", "-A")
    clean = subprocess.run(["git", "commit", "-q", "-m", "sample content"], cwd=repo, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"site-builder check \(部门决算公开 勾稽关系\)\.+Passed", clean.stdout + clean.stderr)
    income = repo / "content/jincheng-social-insurance-center/2023/tables/income.yaml"
    text = income.read_text(encoding="utf-8")
    income.write_text(text.replace('"2080109": {total: 870.54, fiscal: 754.38', '"2080109": {total: 870.54, fiscal: 754.39'),
                      encoding="utf-8")
    git(repo, "add", "-A")
    refused = subprocess.run(["git", "commit", "-q", "-m", "typo"], cwd=repo, env=env, capture_output=True, text=True)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert re.search(r"site-builder check \(部门决算公开 勾稽关系\)\.+Failed", output)
    assert "income.yaml:5:36: error [income.hierarchy]" in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"  # the inconsistent commit was not made
    # a published report changed without a correction entry is refused; with one it is committed
    git(repo, "checkout", "-q", "HEAD", "--", ".")
    report = repo / "content/yanchi-social-insurance-center/2024/report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "published: 2024-06-30\n", encoding="utf-8")
    git(repo, "commit", "-q", "--no-verify", "-am", "record the publication date")
    three_public = repo / "content/yanchi-social-insurance-center/2024/tables/three_public.yaml"
    three_public.write_text(three_public.read_text(encoding="utf-8").replace(
        "budget: {total: 30000.00, abroad: 0.00, ", "budget: {total: 30000.00, "), encoding="utf-8")
    git(repo, "add", "-A")
    uncorrected = subprocess.run(["git", "commit", "-q", "-m", "blank"], cwd=repo, env=env, capture_output=True, text=True)
    assert uncorrected.returncode != 0
    assert "error [report.correction-missing] report folder changed in uncommitted changes" in uncorrected.stdout + uncorrected.stderr
    today = datetime.date.today().isoformat()
    report.write_text(report.read_text(encoding="utf-8") + f"corrections:\n  - date: {today}\n    what: 公开07表\n    why: 误录\n",
                      encoding="utf-8")
    git(repo, "add", "-A")
    corrected = subprocess.run(["git", "commit", "-q", "-m", "blank, recorded"], cwd=repo, env=env, capture_output=True, text=True)
    assert corrected.returncode == 0, corrected.stdout + corrected.stderr


def workflow_commands(path: Path) -> list[str]:
    """The ``site-builder`` lines of an example CI file (GitHub ``run:`` steps or GitLab ``script:``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts: list[str] = []
    for job in (data.get("jobs") or data).values():
        if not isinstance(job, dict):
            continue
        texts += [step["run"] for step in job.get("steps", []) if "run" in step]
        texts += [line for line in job.get("script", []) if isinstance(line, str)]
    return [line.strip() for text in texts for line in text.splitlines() if line.strip().startswith("site-builder ")]


@pytest.mark.parametrize(("name", "base_variable"), [("github-actions.yml", "BASE_SHA"),
                                                     ("gitlab-ci.yml", "CI_MERGE_REQUEST_DIFF_BASE_SHA")])
def test_ci_workflow_commands_run(tmp_path: Path, name: str, base_variable: str) -> None:
    commands = workflow_commands(ROOT / "docs" / "ci" / name)
    assert [c.split()[1] for c in commands] == ["diff", "check", "build"]
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "content", repo / "content")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sample content")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", "pull-request")
    related = repo / "content/jincheng-social-insurance-center/2023/tables/related_info.yaml"
    related.write_text(related.read_text(encoding="utf-8").replace("  equipment_over_1m:\n", "  equipment_over_1m: 0.00\n"),
                       encoding="utf-8")
    git(repo, "commit", "-q", "-am", "a blank becomes 0.00")
    bin_dir = Path(sys.executable).parent  # the site-builder of this checkout, as `pip install` gives in CI
    env = dict(os.environ, **FIXED, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **{base_variable: base})
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    comment = (repo / "diff.md").read_text(encoding="utf-8")
    assert comment.startswith(f"### site-builder diff: {base[:10]} → HEAD (")
    assert "| 部门决算公开相关信息统计表 | 三、国有资产占用情况 （二）单价100万元（含）以上设备（不含车辆） |  | (blank) | 0.00 | blank ↔ 0.00 |" in comment
    assert (repo / "public" / "index.html").is_file()


def test_new_writes_schema_comments_that_resolve(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    done = subprocess.run([sys.executable, "-m", "site_builder", "new", "demo-unit", "2025", "--template", "ningxia-2024",
                           "--content", str(content)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written = sorted((content / "demo-unit").rglob("*.yaml"))
    assert len(written) == 1 + 1 + 9  # unit.yaml, report.yaml, the nine tables of the Ningxia layout
    for path in written:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=((?:\.\./)+_schemas/([a-z_-]+)\.schema\.json)", first)
        assert match, (path, first)
        schema = (path.parent / match[1]).resolve()
        assert schema.read_bytes() == (ROOT / "site_builder/schemas" / f"{match[2]}.schema.json").read_bytes()
        expected = "unit" if path.name == "unit.yaml" else "report" if path.name == "report.yaml" else f"table-{path.stem}"
        assert match[2] == expected
    # the copied schemas are no content problem for check (only the new report's blanks are)
    checked = subprocess.run([sys.executable, "-m", "site_builder", "check", str(content)], capture_output=True, text=True)
    assert "_schemas" not in checked.stdout
