#!/usr/bin/env python3
"""Time creating many small files in a fresh folder, right after deleting as many, and after waiting.

Why it matters: on ext4 without a journal (this machine's disk), an inode deleted less than 60 s
ago is not reused (fs/ext4/ialloc.c, ``recently_deleted``) and each new file's allocation scans
past every such inode. A timed build that starts right after the previous run's output was deleted
then pays for the deletion, and it pays per file it creates. The benchmark scripts therefore move
a previous output aside and delete it after their timed runs (``benchlib.move_aside``).

Two processes each create ``--reports`` folders of ``--files`` files (the shape of a build's report
folders): once in a fresh folder, once right after deleting the first tree, once more after
flushing the disk and waiting ``--settle`` seconds since that second tree was deleted (the kernel's
window is 60 s, or 360 s for inodes whose table block was written again since).

    python bench/time_file_creation.py --workdir /work/big/files --reports 1500 --files 28
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from multiprocessing import Pool
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from benchlib import WORKDIR  # noqa: E402


def create(task: tuple[Path, int, int]) -> tuple[float, float]:
    """Create the files of one process; its wall and CPU seconds (user and kernel)."""
    base, reports, files = task
    started, cpu = time.perf_counter(), time.process_time()
    data = b"x" * 2000
    for report in range(reports):
        folder = base / f"unit-{report}" / "2025"
        folder.mkdir(parents=True)
        for number in range(files):
            (folder / f"table-{number}.csv").write_bytes(data)
    return time.perf_counter() - started, time.process_time() - cpu


def timed_tree(tree: Path, reports: int, files: int) -> tuple[float, float]:
    with Pool(2) as pool:
        results = pool.map(create, [(tree / f"worker-{w}", reports, files) for w in range(2)])
    return max(r[0] for r in results), sum(r[1] for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=WORKDIR / "files")
    parser.add_argument("--reports", type=int, default=1500, help="folders per process (default 1500)")
    parser.add_argument("--files", type=int, default=28, help="files per folder (default 28)")
    parser.add_argument("--settle", type=float, default=65.0, help="seconds to wait before the third tree")
    args = parser.parse_args(argv)
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    count = 2 * args.reports * args.files
    print(f"{count:,} files of 2,000 bytes in each tree, two processes")
    rows = []
    rows.append(("in a fresh folder", *timed_tree(args.workdir / "first", args.reports, args.files)))
    shutil.rmtree(args.workdir / "first")
    rows.append(("right after deleting the first tree", *timed_tree(args.workdir / "second", args.reports, args.files)))
    shutil.rmtree(args.workdir / "second")
    os.sync()
    time.sleep(args.settle)
    rows.append((f"{args.settle:g} s after deleting the second tree",
                 *timed_tree(args.workdir / "third", args.reports, args.files)))
    shutil.rmtree(args.workdir)
    for label, wall, cpu in rows:
        print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {cpu / count * 1e6:.0f} µs CPU per file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
