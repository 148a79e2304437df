#!/usr/bin/env python3
"""CPU milliseconds per report of the render side of a build's ``render_job`` in one process (no
workers, no cache): each report is loaded and checked once (timed apart), then its pages rendered,
written with their search-index copies and cells, and summarized, each part timed on its own.
Process time does not count other processes, so runs on a busy machine compare.

    python bench/cpu_render.py CONTENT [--repeat 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import BENCH

sys.path.insert(0, str(BENCH.parent))

from site_builder import loader, standards  # noqa: E402
from site_builder.build import IndexFolders, write_tree  # noqa: E402
from site_builder.check import load_and_check  # noqa: E402
from site_builder.model import Report, Site  # noqa: E402
from site_builder.render.pages import Renderer  # noqa: E402
from site_builder.summaries import summarize, summary_bytes  # noqa: E402

PARTS = ("render", "write", "summary")


def checked_reports(root: Path) -> tuple[Site, list[tuple[Report, list]], float]:
    """Every report of ``root`` that renders (no errors), with its findings; and the CPU seconds taken."""
    started = time.process_time()
    planned = loader.plan(root)
    reports = []
    for job in planned.jobs:
        report, findings = load_and_check(job)
        if report is not None and not any(f.is_error for f in findings):
            reports.append((report, findings))
    return planned.site, reports, time.process_time() - started


def render_all(site: Site, root: Path, reports: list[tuple[Report, list]], scratch: Path) -> dict[str, float]:
    """Render, write and summarize every report as ``render_job`` does; CPU seconds by part."""
    renderer = Renderer(site, root)
    index = IndexFolders(scratch / "parts", scratch / "site" / "pagefind" / "cells")
    spent = dict.fromkeys(PARTS, 0.0)

    def timed(part: str, work: Callable[[], object]) -> object:
        started = time.process_time()
        result = work()
        spent[part] += time.process_time() - started
        return result

    for report, findings in reports:
        output = timed("render", lambda: renderer.render_report(report, findings))  # noqa: B023
        timed("write", lambda: write_tree(output, scratch / "site", index))  # noqa: B023
        timed("summary", lambda: summary_bytes(summarize(report)))  # noqa: B023
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="also write a cProfile of one more run here")
    args = parser.parse_args(argv)
    standards.template_findings()  # start-up, not per report
    site, reports, check_seconds = checked_reports(args.content)
    count = max(len(reports), 1)
    print(f"reports: {len(reports)}; load+check {check_seconds * 1000 / count:.2f} ms/report (not counted)")
    runs = []
    # every run's files are kept until the end: a run right after a deletion would pay for it
    # (benchlib.move_aside)
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(args.repeat):
            runs.append(render_all(site, args.content, reports, Path(scratch) / f"run-{number}"))
    for part in (*PARTS, "total"):
        values = [sum(run.values()) if part == "total" else run[part] for run in runs]
        shown = ", ".join(f"{v * 1000 / count:.2f}" for v in values)
        print(f"{part:8} ms/report: {shown}; best {min(values) * 1000 / count:.2f}")
    if args.profile is not None:
        scratch = Path(tempfile.mkdtemp())
        try:
            cProfile.runctx("render_all(site, args.content, reports, scratch)", globals(),
                            {"site": site, "args": args, "reports": reports, "scratch": scratch,
                             "render_all": render_all}, str(args.profile))
        finally:
            shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
