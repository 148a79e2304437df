#!/usr/bin/env python3
"""Time ``site-builder check`` on a large generated content folder.

    python bench/time_check.py [--reports 1000] [--seed 1] [--content DIR] [--repeat 3]

Generates N reports with bench/generate.py (or reuses --content DIR), runs ``site-builder check``
on them as a subprocess --repeat times and prints the best wall-clock time. Exits 1 when the check
reports any error (the generated content must check clean) or fails.
"""

from __future__ import annotations

import argparse
import sys

from benchlib import common_arguments, count_reports, findings, prepare_content, site_builder_command, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=3)
    args = parser.parse_args(argv)
    content = prepare_content(args)
    reports = count_reports(content)
    command = site_builder_command("check", str(content))
    print(f"command: {' '.join(command)}")
    runs = []
    for _ in range(max(1, args.repeat)):
        run = timed(command)
        runs.append(run)
        found = findings(run.stdout)
        if run.returncode != 0 or found["error"]:
            print(f"check failed (exit {run.returncode}, {len(found['error'])} errors):", file=sys.stderr)
            for line in (found["error"] or run.stdout.splitlines() or run.stderr.splitlines())[:20]:
                print(f"  {line}", file=sys.stderr)
            print(run.stderr.strip()[-2000:], file=sys.stderr)
            return 1
    best = min(r.seconds for r in runs)
    found = findings(runs[-1].stdout)
    print(f"reports: {reports}")
    print(f"runs: {', '.join(f'{r.seconds:.2f} s' for r in runs)}")
    print(f"seconds: {best:.2f} (best of {len(runs)})")
    print(f"ms/report: {best * 1000 / max(reports, 1):.1f}")
    print(f"findings: {len(found['error'])} errors, {len(found['warning'])} warnings")
    print(f"summary: {runs[-1].stderr.strip().splitlines()[-1] if runs[-1].stderr.strip() else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
