"""The real sample reports in ``content/`` pass the check: ``site-builder check content`` exits 0."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINDING = re.compile(r"^content/\S+:\d+:\d+: (error|warning|acknowledged) \[[a-z0-9.-]+\] .+$")


def check_samples(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "site_builder", "check", "content", *extra], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_sample_content_checks_clean() -> None:
    run = check_samples()
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stdout.splitlines() if ": error [" in line]
    assert run.returncode == 0 and errors == [], "\n".join(errors) + run.stderr


def test_sample_findings_are_well_formed() -> None:
    run = check_samples()
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr
    for line in run.stdout.splitlines():
        assert FINDING.match(line), line
    reports = sorted(p.parent for p in (ROOT / "content").glob("*/*/report.yaml"))
    assert reports, "no sample report found"
    assert f"{len(reports)} reports checked" in run.stderr
    as_json = json.loads(check_samples("--format", "json").stdout)
    findings = [f for f in as_json if f["severity"] != "info"]
    coverage = [f for f in as_json if f["rule"] == "narrative.coverage"]
    assert len(findings) == len(run.stdout.splitlines())
    assert len(coverage) == len(reports) and all(f["severity"] == "info" for f in coverage)
    assert all(set(f["counts"]) == {"stated", "agree", "disagree", "not_checkable", "computed"} for f in coverage)
    assert "prose figures:" in run.stderr
