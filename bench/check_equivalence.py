#!/usr/bin/env python3
"""Run ``site-builder check --no-cache`` of two source trees on the same content folders and diff
what they print (text and ``--format json``: stdout, stderr and exit code).

    python bench/check_equivalence.py --base SRC_A --new SRC_B [--work DIR] [--content DIR ...]
        [--absolute DIR ...] [--hostile]

SRC_A and SRC_B are folders holding ``site_builder`` (a checkout, or ``git archive`` of a commit).
``--hostile`` adds every case of tests/hostile/ that runs ``check``: each case's content folder is
made as the corpus makes it (tests/hostile/run.py) under ``--work``, and both trees check that same
copy. The base tree's outputs are kept under ``--work`` and reused when present (``--fresh``: not).
Prints one line per difference and the number of folders compared; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(src: Path, cwd: Path, args: list[str]) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
    return b"exit %d\n--stdout--\n%s\n--stderr--\n%s" % (done.returncode, done.stdout, done.stderr)


def compare(base: Path, new: Path, store: Path, cwd: Path, content: str, fresh: bool) -> list[str]:
    problems = []
    for fmt in ("text", "json"):
        args = ["check", content, "--no-cache", "--format", fmt]
        key = hashlib.sha256(f"{cwd}\0{content}\0{fmt}".encode()).hexdigest()[:20]
        saved = store / f"{key}.out"
        if fresh or not saved.exists():
            saved.write_bytes(run(base, cwd, args))
        before = saved.read_bytes()
        after = run(new, cwd, args)
        if before != after:
            (store / f"{key}.new").write_bytes(after)
            problems.append(f"{cwd}/{content} ({fmt}): outputs differ; see {saved} and {store / key}.new")
    return problems


def hostile_folders(work: Path) -> list[tuple[Path, str]]:
    sys.path.insert(0, str(ROOT))
    from tests.hostile import run as corpus

    folders = []
    for case in corpus.load_cases():
        if case.command and case.command[0] != "check":
            continue
        base = work / "hostile" / case.id
        if not base.exists():
            base.parent.mkdir(parents=True, exist_ok=True)
            box = corpus.make_sandbox(base)
            corpus.apply_ops(case, box)
        if case.command:
            folders.append((base / case.cwd, case.command[1].replace("{content}", corpus.CONTENT)
                            if len(case.command) > 1 else ""))
        else:
            folders.append((base, corpus.CONTENT))
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/check-equivalence"))
    parser.add_argument("--content", type=Path, action="append", default=[])
    parser.add_argument("--absolute", type=Path, action="append", default=[],
                        help="a content folder named by its absolute path, checked from /tmp")
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    store = args.work / "outputs"
    store.mkdir(parents=True, exist_ok=True)
    folders = [(path.resolve().parent, path.resolve().name) for path in args.content]
    folders += [(Path("/tmp"), str(path.resolve())) for path in args.absolute]
    if args.hostile:
        folders += hostile_folders(args.work)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda f: compare(args.base, args.new, store, f[0], f[1], args.fresh), folders))
    problems = [p for result in results for p in result]
    for problem in problems:
        print(problem)
    print(f"{len(folders)} folders compared (text and JSON each), {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
