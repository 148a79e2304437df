"""更正记录: ``report.correction-missing`` with real git commits dated before and after publication."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
YC = "content/yanchi-social-insurance-center/2024"
BASE_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
FIGURE = "budget: {total: 30000.00, abroad: 0.00, "  # 三公 budget: 因公出国（境）费 0.00 → blank keeps every sum
CORRECTED = "budget: {total: 30000.00, "


def git(repo: Path, *args: str, date: str = "2024-07-01") -> str:
    env = dict(os.environ, **BASE_ENV, GIT_AUTHOR_DATE=f"{date}T10:00:00+0000", GIT_COMMITTER_DATE=f"{date}T10:00:00+0000")
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "site_builder", "check", *args], cwd=cwd, capture_output=True, text=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_lines(path: Path, lines: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The sample content, 盐池 2024 published on 2024-06-30, committed on 2024-07-01."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "content", repo / "content")
    add_lines(repo / YC / "report.yaml", "published: 2024-06-30\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "published content")
    return repo


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stdout.splitlines() if "correction" in line]


def test_published_and_unchanged_is_clean(repo: Path) -> None:
    done = check(repo)
    assert done.returncode == 0, done.stdout
    assert errors(done) == []


def test_change_after_publication_without_entry(repo: Path) -> None:
    edit(repo / YC / "tables/three_public.yaml", FIGURE, CORRECTED)
    git(repo, "commit", "-q", "-am", "correct 三公", date="2025-03-02")
    commit = git(repo, "rev-parse", "--short", "HEAD").strip()
    done = check(repo)
    assert done.returncode == 1
    line = len((repo / YC / "report.yaml").read_text(encoding="utf-8").splitlines())
    assert errors(done) == [
        f"content/yanchi-social-insurance-center/2024/report.yaml:{line}:12: error [report.correction-missing] report folder "
        f"changed in commit {commit} of 2025-03-02, after its publication on 2024-06-30, but no entry of corrections is "
        "dated 2025-03-02 or later; add one with date, what and why (更正记录)"]


def test_change_after_publication_with_entry(repo: Path) -> None:
    edit(repo / YC / "tables/three_public.yaml", FIGURE, CORRECTED)
    add_lines(repo / YC / "report.yaml", "corrections:\n  - date: 2025-03-02\n    what: 公开07表 预算数 因公出国（境）费\n"
                                          "    why: 原表此格为空白，误录为0.00。\n")
    git(repo, "commit", "-q", "-am", "correct 三公 with an entry", date="2025-03-02")
    done = check(repo)
    assert done.returncode == 0, done.stdout
    assert errors(done) == []


def test_entry_older_than_the_change(repo: Path) -> None:
    add_lines(repo / YC / "report.yaml", "corrections:\n  - date: 2024-12-01\n    what: 说明\n    why: 笔误\n")
    git(repo, "commit", "-q", "-am", "first correction", date="2024-12-01")
    edit(repo / YC / "tables/three_public.yaml", FIGURE, CORRECTED)
    git(repo, "commit", "-q", "-am", "second correction without an entry", date="2025-03-02")
    assert check(repo).returncode == 1


def test_uncommitted_change_counts_as_today(repo: Path) -> None:
    edit(repo / YC / "tables/three_public.yaml", FIGURE, CORRECTED)
    done = check(repo)
    assert done.returncode == 1
    assert "changed in uncommitted changes (" in errors(done)[0]


def test_change_before_publication_is_no_correction(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "content", repo / "content")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "draft", date="2024-05-01")
    edit(repo / YC / "tables/three_public.yaml", FIGURE, CORRECTED)
    git(repo, "commit", "-q", "-am", "fix before publishing", date="2024-06-01")
    add_lines(repo / YC / "report.yaml", "published: 2024-06-30\n")
    git(repo, "commit", "-q", "-am", "record the publication date", date="2024-07-05")  # report.yaml only
    assert check(repo).returncode == 0


def test_without_git_one_info_finding(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(repo / "content", plain / "content")
    done = check(plain, "--format", "json")
    assert done.returncode == 0
    infos = [f for f in json.loads(done.stdout) if f["rule"].startswith("report.correction")]
    assert [(f["rule"], f["severity"], f["report"]) for f in infos] == [
        ("report.correction-unchecked", "info", "yanchi-social-insurance-center/2024")]


def test_schema_refuses_a_bad_date(repo: Path) -> None:
    add_lines(repo / YC / "report.yaml", "corrections:\n  - date: 2025-13-02\n    what: x\n    why: y\n")
    done = check(repo)
    assert done.returncode == 1
    assert "error [schema] corrections/0/date: '2025-13-02' is not allowed here" in done.stdout
