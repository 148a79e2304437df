"""Report fingerprints: every input of a report's check changes its fingerprint; nothing else does."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder import fingerprint
from site_builder.fingerprint import Fingerprints
from tests.conftest import MiniContent

R2023, R2024 = "demo-center/2023", "demo-center/2024"


def fingerprint_of(rel: str, root: str = "mini") -> str:
    return Fingerprints(Path(root)).report(Path(root) / rel)


def test_same_content_same_fingerprint(mini: MiniContent) -> None:
    first = fingerprint_of(R2024)
    assert first == fingerprint_of(R2024)
    assert len(first) == 64 and first != fingerprint_of(R2023)


# Each edit changes one input of the 2024 report's check; (rel, old, new) or a function of the copy.
DEPENDENCIES: dict[str, Callable[[MiniContent], None]] = {
    "a figure of its own table": lambda m: m.replace(f"{R2024}/tables/income.yaml", "210000.75", "210000.76", count=m.read(f"{R2024}/tables/income.yaml").count("210000.75")),
    "its explanation.md": lambda m: m.write(f"{R2024}/explanation.md", m.read(f"{R2024}/explanation.md") + "\n"),
    "a new file in its folder": lambda m: m.write(f"{R2024}/attachments/new.yaml", "x: 1\n"),
    "a removed table": lambda m: m.remove(f"{R2024}/tables/state_capital.yaml"),
    "an empty new folder": lambda m: m.path(f"{R2024}/attachments").mkdir(),
    "unit.yaml": lambda m: m.write("demo-center/unit.yaml", m.read("demo-center/unit.yaml") + "\n"),
    "site.yaml": lambda m: m.write("site.yaml", m.read("site.yaml") + "\n"),
    "glossary.yaml": lambda m: m.write("glossary.yaml", m.read("glossary.yaml") + "\n"),
    "a new codes.yaml": lambda m: m.write("codes.yaml", "function: {}\n"),
    "a previous-year table": lambda m: m.replace(f"{R2023}/tables/income_expenditure_summary.yaml", "  grand_total: 233.00", "  grand_total:", count=2),
    "the previous-year report.yaml": lambda m: m.write(f"{R2023}/report.yaml", m.read(f"{R2023}/report.yaml") + "\n"),
    "the previous-year report removed": lambda m: shutil.rmtree(m.path(R2023)),
}


@pytest.mark.parametrize("edit", DEPENDENCIES.values(), ids=DEPENDENCIES.keys())
def test_every_input_changes_the_fingerprint(mini: MiniContent, edit: Callable[[MiniContent], None]) -> None:
    before = fingerprint_of(R2024)
    edit(mini)
    assert fingerprint_of(R2024) != before


def test_a_previous_year_report_is_read_when_it_appears(mini: MiniContent) -> None:
    """The 2024 report of a unit without 2023: adding 2023 changes 2024's growth-rate inputs."""
    shutil.move(mini.path(R2023), mini.base / "aside-2023")
    before = fingerprint_of(R2024)
    shutil.move(mini.base / "aside-2023", mini.path(R2023))
    assert fingerprint_of(R2024) != before


def test_other_reports_do_not_change_it(mini: MiniContent) -> None:
    """The next year's report and another unit are not inputs of a report's check."""
    shutil.copytree(mini.path("demo-center"), mini.path("other-unit"))
    before_2023, before_2024 = fingerprint_of(R2023), fingerprint_of(R2024)
    mini.write(f"{R2024}/explanation.md", "changed\n")  # 2023 does not read 2024
    mini.write("other-unit/2023/explanation.md", "changed\n")
    mini.write("other-unit/unit.yaml", "changed\n")
    assert fingerprint_of(R2023) == before_2023
    assert fingerprint_of(R2024) != before_2024


def test_bytes_not_times(mini: MiniContent) -> None:
    """A touched file (same bytes, new mtime) keeps the fingerprint; same-size new bytes do not."""
    before = fingerprint_of(R2024)
    os.utime(mini.path(f"{R2024}/report.yaml"), (1, 1))
    assert fingerprint_of(R2024) == before
    income = mini.read(f"{R2024}/tables/income.yaml")
    mini.write(f"{R2024}/tables/income.yaml", income.replace("210000.75", "210000.57"))
    assert fingerprint_of(R2024) != before


def test_a_link_is_not_followed(mini: MiniContent, tmp_path: Path) -> None:
    """A link in the report folder counts as a link: its target's bytes are never read."""
    target = tmp_path / "outside.md"
    target.write_text("secret 1\n", encoding="utf-8")
    overview = mini.path(f"{R2024}/overview.md")
    regular = fingerprint_of(R2024)
    overview.unlink()
    overview.symlink_to(target)
    linked = fingerprint_of(R2024)
    target.write_text("secret 2 (other bytes)\n", encoding="utf-8")
    assert linked == fingerprint_of(R2024) != regular


def test_the_current_folder_is_not_an_input(mini: MiniContent) -> None:
    """The same report checked from another folder has the same fingerprint (what keeps its
    findings keeps where they were shown from: ``build_cache.BuildCache.entry``), and so has a copy
    of the content folder elsewhere; the report's own folder inside the content folder is an input."""
    here = fingerprint_of(R2024)
    shutil.copytree(mini.root, mini.root.parent / "copy")
    os.chdir(mini.root)
    assert Fingerprints(Path(".")).report(Path(R2024)) == here
    assert Fingerprints(Path("../copy")).report(Path("../copy") / R2024) == here
    shutil.copytree(Path("demo-center"), Path("demo-center-2"))  # the same files under another unit's name
    assert Fingerprints(Path(".")).report(Path("demo-center-2/2024")) != here


@pytest.mark.parametrize(("folder", "part", "edited"), [
    ("PACKAGE_DIR", "standards", "checks.yaml"),  # any file of the package (code, standards data)
    ("PACKAGE_THEME_DIR", "templates", "unit.html"),  # the default theme, beside the package
])
def test_the_tool_is_an_input(folder: str, part: str, edited: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(getattr(fingerprint, folder) / part, copy / part)
    monkeypatch.setattr(fingerprint, folder, copy)
    before = fingerprint.tool_digest.__wrapped__()
    changed = copy / part / edited
    changed.write_bytes(changed.read_bytes() + b"\n")
    assert fingerprint.tool_digest.__wrapped__() != before


def git(repo: Path, *args: str, date: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE=f"{date}T12:00:00", GIT_COMMITTER_DATE=f"{date}T12:00:00",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_git_history_of_a_published_report_is_an_input(mini: MiniContent) -> None:
    """A published report's corrections rule reads git: a change and its revert leave the bytes
    as they were but add commits after publication, and so change the fingerprint."""
    mini.write(f"{R2024}/report.yaml", mini.read(f"{R2024}/report.yaml") + "published: 2024-06-30\n")
    git(mini.root, "init", "-q", "-b", "main", date="2024-07-01")
    git(mini.root, "add", "-A", date="2024-07-01")
    git(mini.root, "commit", "-q", "-m", "published", date="2024-07-01")
    published, unpublished_2023 = fingerprint_of(R2024), fingerprint_of(R2023)
    original = mini.read(f"{R2024}/overview.md")
    mini.write(f"{R2024}/overview.md", original + "更正\n")
    git(mini.root, "commit", "-q", "-am", "correct", date="2025-01-02")
    mini.write(f"{R2024}/overview.md", original)
    git(mini.root, "commit", "-q", "-am", "revert", date="2025-01-03")
    assert fingerprint_of(R2024) != published
    assert fingerprint_of(R2023) == unpublished_2023  # no published: key, git is not read
