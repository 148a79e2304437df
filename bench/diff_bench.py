#!/usr/bin/env python3
"""Time ``site-builder diff`` on a large generated content repository.

    python bench/diff_bench.py [--reports 1000] [--changed 1,10,100] [--repeat 3]

Generates N reports (bench/generate.py) into ``content/`` of a fresh git repository, commits them
on ``main``, then for each count K of ``--changed`` edits K report folders in the working tree (one
figure of 收入决算表 and one sentence of overview.md each) and times ``site-builder diff`` with its
defaults (merge base with main → working tree), best of --repeat runs. Also times the same change
committed (``diff main HEAD``). Prints one line per K, so the growth with the number of changed
reports can be read off; run with another --reports to see the growth with the unchanged ones.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from benchlib import WORKDIR, generate, site_builder_command, timed

_GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org", "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
_FIRST_AMOUNT = re.compile(r"(total: )([0-9]+)\.([0-9]{2})")


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, **_GIT_ENV)
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def make_repository(reports: int, seed: int, workdir: Path) -> Path:
    repo = workdir / f"diff-repo-{reports}-seed{seed}"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    generate.generate(reports, repo / "content", seed)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "generated content")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def report_folders(repo: Path) -> list[Path]:
    return sorted(p.parent for p in (repo / "content").glob("*/[0-9][0-9][0-9][0-9]/report.yaml"))


def change(folder: Path) -> None:
    """One figure (the first 合计 of 收入决算表, +0.01) and one sentence of overview.md."""
    income = folder / "tables" / "income.yaml"
    text = income.read_text(encoding="utf-8")
    income.write_text(_FIRST_AMOUNT.sub(lambda m: f"{m[1]}{m[2]}.{int(m[3]) + 1 if m[3] != '99' else 98:02d}", text, count=1),
                      encoding="utf-8")
    with open(folder / "overview.md", "a", encoding="utf-8") as handle:
        handle.write("\n本报告于2025年更正。\n")


def best(command: list[str], repo: Path, repeat: int) -> tuple[float, float, int, str]:
    """Best wall-clock seconds, and the least CPU seconds (user + system of the command, its git
    calls and workers): the CPU figure hardly depends on how loaded the shared machine is."""
    runs, cpu = [], []
    for _ in range(max(1, repeat)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append(timed(command, cwd=repo))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    last = runs[-1]
    if last.returncode == 2:
        print(last.stderr, file=sys.stderr)
        raise SystemExit(1)
    summary = last.stdout.strip().splitlines()[-1] if last.stdout.strip() else ""
    return min(r.seconds for r in runs), min(cpu), last.returncode, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", default="1,10,100", help="comma-separated counts of changed reports")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--reuse", action="store_true", help="reuse the repository of an earlier run (same --reports/--seed)")
    args = parser.parse_args(argv)
    existing = args.workdir / f"diff-repo-{args.reports}-seed{args.seed}"
    repo = existing if args.reuse and (existing / ".git").is_dir() else make_repository(args.reports, args.seed, args.workdir)
    folders = report_folders(repo)
    print(f"repository: {repo} ({len(folders)} reports on main); cores: {os.cpu_count()}")
    print(f"command: {' '.join(site_builder_command('diff'))}  (cwd: the repository)")
    for count in (int(c) for c in args.changed.split(",")):
        git(repo, "checkout", "-q", "--", ".")
        git(repo, "reset", "-q", "--hard", "main")
        for folder in folders[:count]:
            change(folder)
        seconds, cpu, code, summary = best(site_builder_command("diff"), repo, args.repeat)
        print(f"changed {count:>5} of {len(folders)} (working tree): {seconds:6.2f} s wall, {cpu:6.2f} s CPU  exit {code}  [{summary}]")
        git(repo, "commit", "-q", "-am", f"change {count}")
        seconds, cpu, code, summary = best(site_builder_command("diff", "main", "HEAD"), repo, args.repeat)
        print(f"changed {count:>5} of {len(folders)} (main..HEAD):   {seconds:6.2f} s wall, {cpu:6.2f} s CPU  exit {code}  [{summary}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
