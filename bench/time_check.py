#!/usr/bin/env python3
"""Time ``site-builder check`` on a large generated content folder, without and with its cache.

    python bench/time_check.py [--reports 1000] [--seed 1] [--content DIR] [--repeat 3] [--no-incremental]

Generates N reports with bench/generate.py (or reuses --content DIR) and runs ``site-builder check``
as a subprocess: --repeat times with ``--no-cache`` (the best counts), then with a fresh cache
folder: cold (the cache is written), warm (nothing changed), and after changing one figure of one
report (the file is restored afterwards). Each stage prints its wall-clock time, the peak memory of
the whole process tree (workers included) and the size of what it printed. Exits 1 when the
uncached check reports any error (the generated content must check clean) or fails, or when a
cached check prints anything else than the uncached one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from benchlib import (
    Run,
    common_arguments,
    count_reports,
    findings,
    prepare_content,
    site_builder_command,
    timed,
)

AMOUNT = re.compile(rb"\d+\.\d\d")


def stage(name: str, run: Run, reports: int) -> None:
    print(f"{name}: {run.seconds:.2f} s, {run.seconds * 1000 / max(reports, 1):.2f} ms/report, {run.memory()}, "
          f"output {len(run.stdout.encode()):,} bytes")


def failed(run: Run) -> bool:
    found = findings(run.stdout)
    if run.returncode == 0 and not found["error"]:
        return False
    print(f"check failed (exit {run.returncode}, {len(found['error'])} errors):", file=sys.stderr)
    for line in (found["error"] or run.stdout.splitlines() or run.stderr.splitlines())[:20]:
        print(f"  {line}", file=sys.stderr)
    print(run.stderr.strip()[-2000:], file=sys.stderr)
    return True


def change_one_figure(content: Path) -> tuple[Path, bytes]:
    """Change the first amount of the first table of the first report; returns what to restore."""
    table = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/tables/*.yaml"))[0]
    original = table.read_bytes()
    match = AMOUNT.search(original)
    if match is None:
        raise SystemExit(f"no amount in {table}")
    changed = original[: match.start()] + b"1" + original[match.start():]
    table.write_bytes(changed)
    return table, original


def incremental(content: Path, reports: int, workdir: Path, uncached: Run) -> int:
    cache = workdir / "check-cache"
    shutil.rmtree(cache, ignore_errors=True)
    command = site_builder_command("check", str(content), "--cache", str(cache))
    print(f"command: {' '.join(command)}")
    for name in ("cached, cold", "cached, warm (unchanged)"):
        run = timed(command)
        stage(name, run, reports)
        if (run.returncode, run.stdout, run.stderr) != (uncached.returncode, uncached.stdout, uncached.stderr):
            print(f"{name}: the output differs from the uncached check's", file=sys.stderr)
            return 1
    table, original = change_one_figure(content)
    try:
        run = timed(command)
        stage("cached, one figure changed", run, reports)
        again = timed(site_builder_command("check", str(content), "--no-cache"))
        if (run.returncode, run.stdout) != (again.returncode, again.stdout):
            print("after the change: the cached output differs from the uncached check's", file=sys.stderr)
            return 1
    finally:
        table.write_bytes(original)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=3)
    parser.add_argument("--no-incremental", action="store_true", help="time only the uncached check")
    args = parser.parse_args(argv)
    content = prepare_content(args)
    reports = count_reports(content)
    command = site_builder_command("check", str(content), "--no-cache")
    print(f"command: {' '.join(command)}")
    runs = []
    for _ in range(max(1, args.repeat)):
        run = timed(command)
        runs.append(run)
        if failed(run):
            return 1
    best = min(runs, key=lambda r: r.seconds)
    found = findings(runs[-1].stdout)
    print(f"reports: {reports}")
    print(f"runs: {', '.join(f'{r.seconds:.2f} s' for r in runs)}")
    print(f"seconds: {best.seconds:.2f} (best of {len(runs)})")
    print(f"ms/report: {best.seconds * 1000 / max(reports, 1):.1f}")
    stage("uncached (best run)", best, reports)
    print(f"findings: {len(found['error'])} errors, {len(found['warning'])} warnings")
    print(f"summary: {runs[-1].stderr.strip().splitlines()[-1] if runs[-1].stderr.strip() else ''}")
    if args.no_incremental:
        return 0
    return incremental(content, reports, args.workdir, runs[-1])


if __name__ == "__main__":
    sys.exit(main())
