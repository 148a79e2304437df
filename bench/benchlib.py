"""Shared helpers of the benchmark scripts: content preparation, timed subprocesses, sizes."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py, found through the path set above)

FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning) \[(?P<rule>[^\]]+)\]")
WORKDIR = Path(tempfile.gettempdir()) / "site-builder-bench"


def common_arguments(parser: argparse.ArgumentParser, repeat: int) -> None:
    parser.add_argument("--reports", type=int, default=1000, help="reports to generate (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--content", type=Path,
                        help="content folder to use as it is; generated into when it does not exist yet")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help=f"scratch folder (default {WORKDIR})")
    parser.add_argument("--repeat", type=int, default=repeat, help=f"timed runs, the best counts (default {repeat})")


# ext4 without a journal (this machine's disk: /sys/fs/ext4/<dev>/journal_task reads <none>) does not
# reuse an inode deleted less than 60 s ago, or 360 s when its inode table block is dirty again
# (fs/ext4/ialloc.c, recently_deleted), and each new file's allocation scans past every such inode:
# right after a tree of files was deleted, creating files costs several times as much kernel time
# (bench/time_file_creation.py, docs/measurements.md). So the benchmarks do not delete a previous
# run's output before a timed run: they move it aside and delete what they moved at the very end.
TRASH = ".trash"
_TRASHES: set[Path] = set()  # every trash folder filled by this process (``empty_trash``)


def move_aside(folders: tuple[Path, ...] | list[Path]) -> None:
    """Move a previous run's ``folders`` (those that exist) into a ``.trash`` folder beside each (a
    rename on the same disk), to be deleted by ``empty_trash``."""
    for folder in folders:
        if folder.exists():
            trash = folder.parent / TRASH
            trash.mkdir(exist_ok=True)
            _TRASHES.add(trash)
            number = 0
            while (trash / f"{number}-{folder.name}").exists():
                number += 1
            os.rename(folder, trash / f"{number}-{folder.name}")


def empty_trash() -> None:
    """Delete every trash folder ``move_aside`` filled (with what a killed earlier run left in it)."""
    for trash in sorted(_TRASHES):
        shutil.rmtree(trash, ignore_errors=True)
    _TRASHES.clear()


def prepare_content(args: argparse.Namespace) -> Path:
    """The content folder to time: --content if it exists, else freshly generated."""
    if args.content is not None and args.content.exists():
        print(f"content: {args.content} (reused)")
        return args.content
    target = args.content or args.workdir / f"content-{args.reports}-seed{args.seed}"
    started = time.perf_counter()
    written = generate.generate(args.reports, target, args.seed)
    print(f"content: {target} (generated {written} reports in {time.perf_counter() - started:.2f} s)")
    return target


def count_reports(content: Path) -> int:
    return sum(1 for _ in content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml"))


def site_builder_command(*args: str) -> list[str]:
    """``site-builder ARGS`` run with this interpreter, so that the benchmark times the installed checkout."""
    return [sys.executable, "-m", "site_builder", *args]


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int = 0  # bytes: the highest sum of RSS over the process and all its descendants (sampled)
    peak_pss: int = 0  # bytes: the same with PSS (shared pages divided among the processes sharing them)
    max_single_rss: int = 0  # bytes: wait4's max-RSS, the largest single process of the tree

    def memory(self) -> str:
        return (f"peak memory of the process tree {mb(self.peak_pss)} PSS, {mb(self.peak_rss)} RSS "
                f"(largest single process {mb(self.max_single_rss)})")


SAMPLE_SECONDS = 0.05
#: The sampler's share of one core at most. Reading ``smaps_rollup`` walks every mapped page of a
#: process: for a tree of a few GB it takes 0.1–0.3 s, so sampling every 50 ms took about a third
#: of a core, taken from the build it measured on a 2-core machine.
SAMPLER_SHARE = 0.05


def timed(command: list[str], cwd: Path | None = None) -> Run:
    """Run ``command``, timing it and sampling the memory of its whole process tree.

    The max-RSS that ``wait4`` (or ``getrusage(RUSAGE_CHILDREN)``) gives is not enough on its own:
    it is the maximum over the process and its waited-for descendants one by one, not their sum,
    so a parent plus two workers of 400 MB each reads as 400 MB. The tree is therefore sampled from
    /proc: the sum of RSS (which counts pages shared by forked workers once per process, an
    over-estimate) and of PSS (shared pages divided among their sharers: the memory the tree really
    occupies), every 50 ms, or less often when a sample costs more than ``SAMPLER_SHARE`` of a core
    (every few seconds for a tree of several GB). A peak shorter than the sampling interval can be
    missed; the wait4 figure is printed beside it as a floor. The end of the command is seen
    within 50 ms.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        peak_rss = peak_pss = 0
        next_sample = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() >= next_sample:
                began = time.perf_counter()
                rss, pss = tree_memory(process.pid)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
                cost = time.perf_counter() - began
                next_sample = began + max(SAMPLE_SECONDS, cost / SAMPLER_SHARE)
            time.sleep(SAMPLE_SECONDS)  # the end is seen within this, whenever the next sample is due
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its own rusage
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    single = usage.ru_maxrss * 1024  # KiB on Linux: the largest of the child and its waited-for descendants
    return Run(seconds, process.returncode, stdout, stderr, peak_rss, peak_pss, single)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc/<pid>/task/<tid>/children."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*/children"))
        except OSError:  # the process ended meanwhile
            continue
        for children in tasks:
            try:
                pending.extend(int(child) for child in children.read_text().split())
            except OSError:  # the process ended meanwhile
                continue
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over ``pid`` and its descendants; processes gone meanwhile count 0."""
    rss = pss = 0
    for member in descendants(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss


def findings(text: str) -> dict[str, list[str]]:
    """Finding lines of ``site-builder check`` text output, by severity."""
    result: dict[str, list[str]] = {"error": [], "warning": []}
    for line in text.splitlines():
        match = FINDING.match(line)
        if match:
            result[match["severity"]].append(line)
    return result


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of every file under ``folder``."""
    total = files = 0
    for path in folder.rglob("*"):
        if path.is_file():
            total += path.stat().st_size
            files += 1
    return total, files


def mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
