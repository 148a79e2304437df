"""The benchmark generator writes content that checks clean, deterministically."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "bench" / "generate.py"


def _generate(out: Path, reports: int = 6, seed: int = 7) -> None:
    done = subprocess.run([sys.executable, str(GENERATE), "--reports", str(reports), "--out", str(out), "--seed", str(seed)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generated_reports_check_clean(tmp_path: Path) -> None:
    content = tmp_path / "content"
    _generate(content)
    reports = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml"))
    assert len(reports) == 6
    templates = {line for r in reports for line in r.read_text(encoding="utf-8").splitlines() if line.startswith("template:")}
    assert templates == {"template: shanxi-2023", "template: ningxia-2024"}
    done = subprocess.run([sys.executable, "-m", "site_builder", "check", str(content)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    errors = [line for line in done.stdout.splitlines() if ": error " in line]
    assert done.returncode == 0 and not errors, done.stdout[-3000:] + done.stderr[-2000:]
    assert ": warning " not in done.stdout, done.stdout[-3000:]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a")
    _generate(tmp_path / "b")
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first == second
    _generate(tmp_path / "c", seed=8)
    assert _tree(tmp_path / "c") != first
