#!/usr/bin/env python3
"""What the build's main process holds for each report after the render stage, part by part: the
deep size (``sys.getsizeof`` over every object reachable, each counted once) of each field of the
reports' ``build_cache.Rendered``, divided by the number of reports, in a fresh build with the
build cache. Objects the reports share (modules, the plan's units, shared name tuples) are counted
once, at the first report that reaches them.

    python bench/held_per_report.py CONTENT WORKDIR

WORKDIR/out and WORKDIR/cache are emptied first. The summary is what the site-wide pages need
and may grow with the portal (issue 12); the rest should stay small.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import BENCH

sys.path.insert(0, str(BENCH.parent))

from site_builder import build  # noqa: E402
from site_builder.build_cache import Rendered  # noqa: E402

PARTS = ["summary", "findings", "written", "index", "summaries", "summary_digest"]


def deep_size(obj: object, seen: set[int]) -> int:
    """Bytes of ``obj`` and of everything it reaches that ``seen`` does not hold (added to it)."""
    size, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        size += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return size


def report_sizes(rendered: list[Rendered]) -> dict[str, float]:
    seen = {id(module) for module in list(sys.modules.values())}
    sizes = {part: sum(deep_size(getattr(report, part), seen) for report in rendered) / len(rendered) for part in PARTS}
    sizes["the Rendered object"] = sum(sys.getsizeof(report) for report in rendered) / len(rendered)
    return sizes


def measuring(stage: Callable[..., Any]) -> Callable[..., Any]:
    def run(cache: Any, parts: Path, rendered: list[Rendered]) -> Any:
        sizes = report_sizes(rendered)
        for part, size in sizes.items():
            print(f"{part:20s} {size:8.0f} bytes per report")
        print(f"{'all':20s} {sum(sizes.values()):8.0f} bytes per report ({len(rendered)} reports)")
        return stage(cache, parts, rendered)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("workdir", type=Path)
    args = parser.parse_args(argv)
    out, cache = args.workdir / "out", args.workdir / "cache"
    for folder in (out, cache):
        shutil.rmtree(folder, ignore_errors=True)
    build._keep_index_copies = measuring(build._keep_index_copies)  # called right after the render stage
    build.build(args.content, out, cache=cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
