#!/usr/bin/env python3
"""The build's main process, stage by stage: its resident memory before and after each stage and
the peak within it, in a fresh build with the build cache (Linux: ``/proc/self/status``; the peak
is reset before each stage by writing 5 to ``/proc/self/clear_refs``).

    python bench/memory_by_stage.py CONTENT OUT CACHE

OUT and CACHE are emptied first. Workers and Pagefind are other processes and are not counted
(``bench/time_build.py`` measures the whole process tree). Comparing the figures at two portal
sizes gives what each report leaves in the main process.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import BENCH

sys.path.insert(0, str(BENCH.parent))

from site_builder import build  # noqa: E402

STAGES = ["_render_reports", "_keep_index_copies", "_worker_site_pages", "_site_pages", "_bulk_files",
          "_finish_index", "write_marker", "_publish_in_place", "_output_snapshot", "_remember"]


def status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in MB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as lines:
        for line in lines:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                found[name] = int(value.split()[0]) // 1024
    return found


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as control:
        control.write("5")


def measured(name: str, stage: Callable[..., Any], started: float) -> Callable[..., Any]:
    @functools.wraps(stage)
    def run(*args: Any, **kwargs: Any) -> Any:
        before = status()["VmRSS"]
        reset_peak()
        result = stage(*args, **kwargs)
        after = status()
        print(f"{time.perf_counter() - started:8.1f} s  {name:20s} {before:6d} -> {after['VmRSS']:6d} MB, "
              f"peak within {after['VmHWM']:6d} MB", flush=True)
        reset_peak()
        return result
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("cache", type=Path)
    args = parser.parse_args(argv)
    for folder in (args.out, args.cache):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    for name in STAGES:
        setattr(build, name, measured(name, getattr(build, name), started))
    print(f"at the start: {status()['VmRSS']} MB")
    build.build(args.content, args.out, cache=args.cache)
    print(f"{time.perf_counter() - started:8.1f} s  done: {status()['VmRSS']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
