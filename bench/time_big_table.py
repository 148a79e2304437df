#!/usr/bin/env python3
"""Time ``site-builder check`` on one report whose code tables have very many rows.

    python bench/time_big_table.py [--rows 20000] [--seed 1] [--repeat 1] [--workdir DIR]

Writes, with bench/generate.py, a content folder of one report whose 支出决算表 (expenditure),
收入决算表 (income) and 一般公共预算财政拨款支出决算表 (general_budget_expenditure) have about
``--rows`` code rows (类, 款, 项, all figures consistent: every sum holds exactly), then runs
``site-builder check`` on it as a subprocess and prints the best wall-clock time.

The classification codes are synthetic (the 款 and 项 below a few real 类), so the check reports
each unknown one as ``code.unknown`` (once per report) and an abolished real one as ``code.not-valid``; any other error means the figures or the checker are wrong
and exits 1. Rule checks used to be quadratic in rows: 20,000 rows took ~37 s.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

import generate  # bench/generate.py (this script's folder is on the path)
from benchlib import WORKDIR, count_reports, findings, site_builder_command, timed

# synthetic codes are not all in the code lists (some 款 are abolished ones); nothing else may fire
EXPECTED_RULES = {"code.unknown", "code.not-valid"}


def big_structure(rows: int) -> dict[str, dict[str, list[str]]]:
    """类 → 款 → [项] with about ``rows`` code rows in all, under real 类 of both templates."""
    classes = ["201", "208", "210", "212", "213", "221"]
    items_per_kuan = 99
    kuans_needed = max(1, rows // (items_per_kuan + 1))
    structure: dict[str, dict[str, list[str]]] = {}
    for index in range(kuans_needed):
        klass = classes[index // 99]
        kuan = f"{klass}{index % 99 + 1:02d}"
        structure.setdefault(klass, {})[kuan] = [f"{kuan}{i:02d}" for i in range(1, items_per_kuan + 1)]
    return structure


def write_content(rows: int, out: Path, seed: int) -> int:
    """One generated report with the big structure; returns the number of code rows per table."""
    structure = big_structure(rows)

    def plan_structure(std: generate.Standards, rng: random.Random, dept: tuple) -> tuple[dict, dict]:
        bias = {code: 500_000 for kuans in structure.values() for items in kuans.values() for code in items}
        return structure, bias

    generate.plan_structure = plan_structure  # the one unit of this folder gets the big structure
    generate.generate(1, out, seed, force=True)
    return sum(1 + len(kuans) + sum(len(items) for items in kuans.values()) for kuans in structure.values())


def _children_cpu() -> float:
    """CPU time used by finished child processes: steadier than wall time on a shared machine."""
    if resource is None:  # pragma: no cover - Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="code rows per table (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs, the best counts (default 1)")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help=f"scratch folder (default {WORKDIR})")
    args = parser.parse_args(argv)
    content = args.workdir / f"big-table-{args.rows}-seed{args.seed}"
    code_rows = write_content(args.rows, content, args.seed)
    command = site_builder_command("check", str(content))
    print(f"content: {content} ({count_reports(content)} report, {code_rows} code rows per code table)")
    print(f"command: {' '.join(command)}")
    runs, cpu = [], []
    for _ in range(max(1, args.repeat)):
        before = _children_cpu()
        runs.append(timed(command))
        cpu.append(_children_cpu() - before)
    last = runs[-1]
    if "Traceback" in last.stderr or last.returncode not in (0, 1):
        print(f"check failed (exit {last.returncode}):\n{last.stderr[-2000:]}", file=sys.stderr)
        return 1
    rules = Counter(line.split("[", 1)[1].split("]", 1)[0] for line in findings(last.stdout)["error"])
    unexpected = set(rules) - EXPECTED_RULES
    print(f"runs: {', '.join(f'{r.seconds:.2f} s' for r in runs)}")
    print(f"seconds: {min(r.seconds for r in runs):.2f} (best of {len(runs)})")
    print(f"cpu seconds (user + system of the check): {', '.join(f'{c:.2f}' for c in cpu)}")
    print(f"errors by rule: {dict(sorted(rules.items()))}")
    if unexpected:
        print(f"unexpected errors {sorted(unexpected)}:", file=sys.stderr)
        for line in findings(last.stdout)["error"]:
            if not any(f"[{rule}]" in line for rule in EXPECTED_RULES):
                print(f"  {line}", file=sys.stderr)
                break
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
