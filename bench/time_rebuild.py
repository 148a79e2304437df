#!/usr/bin/env python3
"""Time incremental builds: a fresh build, a rebuild with nothing changed, a rebuild after one
narrative or figure edit, each with the build cache; then check that the result is the fresh build's.

    python bench/time_rebuild.py [--reports 1000] [--content DIR] [--workdir DIR] [--no-verify]
                                 [--edit narrative|figure] [--edits N] [--undo] [--pause SECONDS]
                                 [--out DIR --cache DIR --keep]

Steps, each ``site-builder build CONTENT --out OUT --cache CACHE`` as a subprocess (timed, with the
peak memory of its process tree):

1. fresh: no previous output, an empty cache;
2. unchanged: the same content again;
   (with ``--keep``: the site and cache in --out and --cache are kept, and this first build is
   whatever they need: nothing when they are current, everything after the tool changed);
3. one edit (``--edits N``: N edits, one build after each; ``--pause``: seconds between an edit
   and its build, as a clerk saves and then builds; default 3):
   - ``narrative`` (default): a sentence appended to the 情况说明 of one report (the last report of the content);
   - ``figure``: 机关运行经费 of one report lowered by 0.01 in its 相关信息统计表 and in the 情况说明
     sentence that states it (the last report whose table and text state it, so the report stays
     consistent): a figure of the tables, the bulk downloads of its year and its unit change;
4. with ``--undo``: the edited files put back, one build, then one with nothing changed;
5. unless --no-verify: a fresh build with --no-cache into OUT-fresh, compared file by file with OUT.

The build cache's key includes the content and output folders as given and the current folder:
to reuse a site built by ``cd DIR && site-builder build content --out site --cache build-cache``,
run this script in DIR with ``--content content --out site --cache build-cache --keep``.

The edits are undone at the end, so generated content stays as generated.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from benchlib import (
    common_arguments,
    count_reports,
    empty_trash,
    move_aside,
    prepare_content,
    site_builder_command,
    timed,
    tree_size,
)

REUSED = re.compile(r"reused from the previous build: (.*)")
TIMINGS = re.compile(r"timings: (.*)")
RUNNING_COSTS = re.compile(r"^  (administrative|civil_service_managed): (\d+\.\d\d)$", re.M)  # in related_info.yaml


def figure_edit(content: Path) -> tuple[list[Path], Callable[[], str]]:
    """The files a figure edit changes, and the edit: 机关运行经费 lowered by 0.01 in the table and in
    the 情况说明 sentence that states it, of the last report that has both."""
    for report in sorted(content.glob("*/[0-9][0-9][0-9][0-9]"), reverse=True):
        table, explanation = report / "tables" / "related_info.yaml", report / "explanation.md"
        if not (table.is_file() and explanation.is_file()):
            continue
        found = RUNNING_COSTS.search(table.read_text(encoding="utf-8"))
        if found and Decimal(found.group(2)) > 1 and f"机关运行经费支出{Decimal(found.group(2)):,.2f}万元" in explanation.read_text(encoding="utf-8"):
            break
    else:
        raise SystemExit("no report states 机关运行经费 in its table and its 情况说明")

    def edit() -> str:
        text, prose = table.read_text(encoding="utf-8"), explanation.read_text(encoding="utf-8")
        found = RUNNING_COSTS.search(text)
        assert found is not None
        old = Decimal(found.group(2))
        new = old - Decimal("0.01")
        table.write_text(text.replace(found.group(0), f"  {found.group(1)}: {new:.2f}", 1), encoding="utf-8")
        explanation.write_text(prose.replace(f"机关运行经费支出{old:,.2f}万元", f"机关运行经费支出{new:,.2f}万元"), encoding="utf-8")
        return f"机关运行经费 of {report} lowered from {old} to {new}"

    return [table, explanation], edit


def narrative_edit(content: Path) -> tuple[list[Path], Callable[[], str]]:
    edited = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/explanation.md"))[-1]

    def edit() -> str:
        edited.write_bytes(edited.read_bytes() + "\n本单位无其他需要说明的事项。\n".encode())
        return f"a sentence appended to {edited}"

    return [edited], edit


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
    parser.add_argument("--edit", choices=("narrative", "figure"), default="narrative", help="what one edit changes")
    parser.add_argument("--edits", type=int, default=1, help="edits, one build after each (default 1)")
    parser.add_argument("--undo", action="store_true", help="put the edited files back and build twice more")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between an edit and its build (default 3)")
    parser.add_argument("--out", type=Path, help="the site (default WORKDIR/rebuild-N)")
    parser.add_argument("--cache", type=Path, help="the build cache (default WORKDIR/rebuild-cache)")
    parser.add_argument("--keep", action="store_true", help="keep the site and cache there are in --out and --cache")
    args = parser.parse_args(argv)
    content = prepare_content(args)
    out = args.out or args.workdir / f"rebuild-{count_reports(content)}"
    cache = args.cache or args.workdir / "rebuild-cache"
    if not args.keep:
        move_aside([out, cache])  # deleted at the end (benchlib.move_aside)
    cached = ("--cache", str(cache))
    edited, edit = (figure_edit if args.edit == "figure" else narrative_edit)(content)
    originals = {path: path.read_bytes() for path in edited}
    try:
        first = "first (the site and cache kept)" if args.keep else "fresh"
        if not (run_build(first, content, out, *cached) and run_build("unchanged", content, out, *cached)):
            return 1
        for number in range(1, args.edits + 1):
            print(f"edit: {edit()}")
            time.sleep(args.pause)
            if not run_build("one edit" if args.edits == 1 else f"one edit ({number} of {args.edits})", content, out, *cached):
                return 1
        if args.undo:
            put_back(originals)
            print("edit undone: the edited files put back")
            time.sleep(args.pause)
            if not (run_build("edit undone", content, out, *cached) and run_build("unchanged", content, out, *cached)):
                return 1
        size, files = tree_size(cache)
        print(f"cache: {size / 1e6:.1f} MB in {files:,} files ({cache})")
        if args.no_verify:
            return 0
        fresh = out.with_name(out.name + "-fresh")
        move_aside([fresh])
        if not run_build("fresh, no cache", content, fresh, "--no-cache"):
            return 1
        different = different_files(out, fresh)
        print(f"identical to a fresh build: {'yes' if not different else 'no: ' + ', '.join(different[:10])}")
        return 0 if not different else 1
    finally:
        put_back(originals)
        empty_trash()


def put_back(originals: dict[Path, bytes]) -> None:
    """Write back each file whose bytes differ from ``originals``: one already put back is left
    alone, so the next build's quick check still holds (a write changes the folder's snapshot)."""
    for path, data in originals.items():
        if path.read_bytes() != data:
            path.write_bytes(data)


if __name__ == "__main__":
    sys.exit(main())
