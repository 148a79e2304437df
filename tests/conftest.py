"""Shared fixtures of the data-core tests: a private, editable copy of ``tests/fixtures/mini``.

The mini content folder is internally consistent: ``site-builder check tests/fixtures/mini`` gives
no finding at all. A test copies it to its own temporary folder, breaks exactly what it wants to
break (a line of one YAML file, a whole file), and checks it again.

The copy lives at ``<tmp_path>/mini`` and the test runs with ``<tmp_path>`` as the current
directory, so findings name their files ``mini/<unit>/<year>/...`` exactly as the command line
prints them (paths relative to the current directory).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from site_builder.check import CheckResult, check
from site_builder.findings import Finding

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"
REPORT_2023 = "demo-center/2023"  # shanxi-2023, 万元, all ten tables and one performance attachment
REPORT_2024 = "demo-center/2024"  # ningxia-2024, 元, nine tables (government fund and state capital empty)


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands the tests run (``site-builder check``/``build`` without ``--cache``) keep their
    caches in a folder of the test session, not in the user's ~/.cache: child processes inherit it."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


class MiniContent:
    """A copy of the mini content folder that one test may edit, then check."""

    def __init__(self, base: Path) -> None:
        self.base = base  # the current directory of the test
        self.root = base / "mini"

    # -- files -------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.root / rel

    def shown(self, rel: str) -> str:
        """How findings name the file ``rel`` of the content folder."""
        return f"mini/{rel}"

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        self.path(rel).parent.mkdir(parents=True, exist_ok=True)
        self.path(rel).write_text(text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str, count: int = 1) -> None:
        """Replace ``old`` by ``new``; ``old`` must occur exactly ``count`` times (no silent no-op edits)."""
        text = self.read(rel)
        found = text.count(old)
        if found != count:
            raise AssertionError(f"{old!r} occurs {found} times in {rel}, expected {count}")
        self.write(rel, text.replace(old, new))

    def edit_yaml(self, rel: str, change: Callable[[Any], None]) -> None:
        """Load ``rel``, let ``change`` edit the data in place, dump it back (comments are lost)."""
        data = yaml.safe_load(self.read(rel))
        change(data)
        self.write(rel, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    def remove(self, rel: str) -> None:
        self.path(rel).unlink()

    # -- positions ---------------------------------------------------------------------------
    def position(self, rel: str, line_text: str = "", value: str = "", after: str = "") -> tuple[int, int]:
        """1-based (line, column) of ``value`` on the first line containing ``line_text``.

        The search starts at the first line containing ``after`` (if given). ``value`` may carry a
        ``|`` marking where the wanted column starts: ``"project: |9.00"`` is the column of ``9.00``
        in ``project: 9.00``. Without ``value`` the column is the line's first non-blank character.
        Without ``line_text`` the position is (1, 1), the start of the file.
        """
        if not line_text:
            return 1, 1
        lines = self.read(rel).splitlines()
        start = 0
        if after:
            start = next(i for i, line in enumerate(lines) if after in line)
        number = next((i for i in range(start, len(lines)) if line_text in lines[i]), None)
        if number is None:
            raise AssertionError(f"no line containing {line_text!r} in {rel}")
        line = lines[number]
        if not value:
            return number + 1, len(line) - len(line.lstrip(" ")) + 1
        prefix, _, rest = value.rpartition("|")
        index = line.find(prefix + rest)
        if index < 0:
            raise AssertionError(f"{prefix + rest!r} is not on line {number + 1} of {rel}: {line!r}")
        return number + 1, index + len(prefix) + 1

    def place(self, rel: str, line_text: str = "", value: str = "", after: str = "") -> tuple[str, int, int]:
        return (self.shown(rel), *self.position(rel, line_text, value, after))

    # -- checking ----------------------------------------------------------------------------
    def result(self) -> CheckResult:
        return check(Path("mini"))

    def check(self) -> list[Finding]:
        """The findings of ``check``, without the per-report info entries (prose coverage counts)."""
        return [f for f in self.result().findings if f.severity != "info"]

    def edit_and_check(self, rel: str, old: str, new: str, count: int = 1) -> list[Finding]:
        self.replace(rel, old, new, count)
        return self.check()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m site_builder ARGS`` run from the test's folder."""
        return run_cli(self.base, *args)


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def place_of(finding: Finding) -> tuple[str, int, int]:
    return finding.place.path, finding.place.line, finding.place.col


@pytest.fixture
def mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MiniContent:
    """A fresh copy of the mini content folder, with the test's folder as current directory."""
    shutil.copytree(MINI, tmp_path / "mini")
    monkeypatch.chdir(tmp_path)
    return MiniContent(tmp_path)


@pytest.fixture
def check_edited(mini: MiniContent) -> Callable[[str, str, str], list[Finding]]:
    """``check_edited(rel, old_line, new_line)``: replace one line of the mini copy, then check it."""

    def run(rel: str, old: str, new: str) -> list[Finding]:
        return mini.edit_and_check(rel, old, new)

    return run
