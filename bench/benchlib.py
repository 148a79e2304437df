"""Shared helpers of the benchmark scripts: content preparation, timed subprocesses, sizes."""

from __future__ import annotations

import argparse
import re
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


def timed(command: list[str], cwd: Path | None = None) -> Run:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    return Run(time.perf_counter() - started, done.returncode, done.stdout, done.stderr)


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
