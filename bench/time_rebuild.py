#!/usr/bin/env python3
"""Time incremental builds: a fresh build, a rebuild with nothing changed, a rebuild after one
narrative edit, each with the build cache; then check that the result is the fresh build's.

    python bench/time_rebuild.py [--reports 1000] [--content DIR] [--workdir DIR] [--no-verify]

Steps, each ``site-builder build CONTENT --out OUT --cache CACHE`` as a subprocess (timed, with the
peak memory of its process tree):

1. fresh: no previous output, an empty cache;
2. unchanged: the same content again;
3. one edit: a sentence appended to the 情况说明 of one report (the last report of the content);
4. unless --no-verify: a fresh build with --no-cache into OUT-fresh, compared file by file with OUT.

The edit is undone at the end, so generated content stays as generated.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
from pathlib import Path

from benchlib import common_arguments, count_reports, prepare_content, site_builder_command, timed, tree_size

REUSED = re.compile(r"reused from the previous build: (.*)")
TIMINGS = re.compile(r"timings: (.*)")


def run_build(label: str, content: Path, out: Path, *options: str) -> bool:
    run = timed(site_builder_command("build", str(content), "--out", str(out), *options))
    if run.returncode != 0:
        print(f"{label}: build failed (exit {run.returncode}):")
        print("\n".join((run.stdout + run.stderr).strip().splitlines()[:30]))
        return False
    reused = REUSED.search(run.stderr)
    stages = TIMINGS.search(run.stderr)
    print(f"{label}: {run.seconds:.2f} s; reused {reused.group(1) if reused else 'nothing'}; {run.memory()}")
    if stages:
        print(f"  stages: {stages.group(1)}")
    return True


def different_files(first: Path, second: Path) -> list[str]:
    names = {p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file()}
    others = {p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()}
    return sorted(names ^ others) + sorted(n for n in names & others if not filecmp.cmp(first / n, second / n, shallow=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=1)
    parser.add_argument("--no-verify", action="store_true", help="skip the fresh build and the comparison")
    args = parser.parse_args(argv)
    content = prepare_content(args)
    out, cache = args.workdir / f"rebuild-{count_reports(content)}", args.workdir / "rebuild-cache"
    for folder in (out, cache):
        shutil.rmtree(folder, ignore_errors=True)
    cached = ("--cache", str(cache))
    edited = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/explanation.md"))[-1]
    original = edited.read_bytes()
    try:
        if not (run_build("fresh", content, out, *cached) and run_build("unchanged", content, out, *cached)):
            return 1
        edited.write_bytes(original + "\n本单位无其他需要说明的事项。\n".encode())
        print(f"edit: a sentence appended to {edited}")
        if not run_build("one edit", content, out, *cached):
            return 1
        size, files = tree_size(cache)
        print(f"cache: {size / 1e6:.1f} MB in {files:,} files ({cache})")
        if args.no_verify:
            return 0
        fresh = out.with_name(out.name + "-fresh")
        shutil.rmtree(fresh, ignore_errors=True)
        if not run_build("fresh, no cache", content, fresh, "--no-cache"):
            return 1
        different = different_files(out, fresh)
        print(f"identical to a fresh build: {'yes' if not different else 'no: ' + ', '.join(different[:10])}")
        return 0 if not different else 1
    finally:
        edited.write_bytes(original)


if __name__ == "__main__":
    sys.exit(main())
