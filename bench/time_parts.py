#!/usr/bin/env python3
"""Time a build split into parts (docs/parts.md) against a single build of the same content.

    python bench/time_parts.py [--reports 3000] [--content DIR] [--workdir DIR] [--parts 2] [--no-single]

Steps, each a ``site-builder`` subprocess (timed, with the peak memory of its process tree), one
after the other on this machine:

1. ``build CONTENT --part K/N --out WORKDIR/part-K`` for every K (on N machines they would run at
   the same time: the split's wall time is the slowest part plus the combine);
2. ``combine`` of the parts into ``WORKDIR/combined`` (no build cache);
3. unless --no-single: a single ``build --no-cache`` into ``WORKDIR/single``, compared file by file
   with the combined site.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchlib import (
    Run,
    common_arguments,
    count_reports,
    empty_trash,
    move_aside,
    prepare_content,
    site_builder_command,
    timed,
    tree_size,
)
from time_rebuild import different_files

TIMINGS = re.compile(r"timings: (.*)")
FROM_PARTS = re.compile(r"reused from the parts: (.*)")


def step(label: str, *args: str) -> Run | None:
    run = timed(site_builder_command(*args))
    if run.returncode != 0:
        print(f"{label}: failed (exit {run.returncode}):")
        print("\n".join((run.stdout + run.stderr).strip().splitlines()[:30]))
        return None
    print(f"{label}: {run.seconds:.2f} s; {run.memory()}")
    for pattern in (TIMINGS, FROM_PARTS):
        found = pattern.search(run.stderr)
        if found:
            print(f"  {found.group(0)}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=1)
    parser.add_argument("--parts", type=int, default=2, help="number of parts (default 2)")
    parser.add_argument("--no-single", action="store_true", help="skip the single build and the comparison")
    args = parser.parse_args(argv)
    content = prepare_content(args)
    print(f"{count_reports(content)} reports, {args.parts} parts")
    parts = [args.workdir / f"part-{number}" for number in range(1, args.parts + 1)]
    combined, single = args.workdir / "combined", args.workdir / "single"
    move_aside([*parts, combined, single])  # deleted at the end (benchlib.move_aside)
    try:
        return _time_parts(args, content, parts, combined, single)
    finally:
        empty_trash()


def _time_parts(args: argparse.Namespace, content: Path, parts: list[Path], combined: Path, single: Path) -> int:
    runs = [step(f"part {number}/{args.parts}", "build", str(content), "--part", f"{number}/{args.parts}", "--out", str(part))
            for number, part in enumerate(parts, start=1)]
    if None in runs:
        return 1
    for part in parts:
        size, files = tree_size(part)
        print(f"  {part.name}: {size / 1e6:.1f} MB in {files:,} files")
    joined = step("combine", "combine", *map(str, parts), "--content", str(content), "--out", str(combined), "--no-cache")
    if joined is None:
        return 1
    size, files = tree_size(combined)
    print(f"  combined site: {size / 1e6:.1f} MB in {files:,} files")
    if args.no_single:
        return 0
    alone = step("single build", "build", str(content), "--out", str(single), "--no-cache")
    if alone is None:
        return 1
    slowest = max(run.seconds for run in runs if run is not None)
    print(f"on {args.parts} machines: slowest part + combine = {slowest + joined.seconds:.2f} s "
          f"against {alone.seconds:.2f} s for the single build (ratio {(slowest + joined.seconds) / alone.seconds:.2f})")
    different = different_files(combined, single)
    print(f"combined site identical to the single build: {'yes' if not different else 'no: ' + ', '.join(different[:10])}")
    return 0 if not different else 1


if __name__ == "__main__":
    sys.exit(main())
