#!/usr/bin/env python3
"""Time ``site-builder build`` on a large generated content folder.

    python bench/time_build.py [--reports 1000] [--seed 1] [--content DIR] [--out DIR] [--repeat 1]

Generates N reports with bench/generate.py (or reuses --content DIR), runs ``site-builder build
CONTENT --out OUT`` as a subprocess and prints pages, wall-clock seconds, ms/report and the size of
the output and of its ``pagefind/`` folder, and the build's own stage timings (check and render,
site pages, search index). Finally it builds the sample content (``content/`` of the
checkout, or --samples) and prints the size of one full report page: its index.html plus
assets/style.css.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchlib import (
    BENCH,
    common_arguments,
    count_reports,
    empty_trash,
    mb,
    move_aside,
    prepare_content,
    site_builder_command,
    timed,
    tree_size,
)

BUILT = re.compile(r"built (\d+) pages for (\d+) reports")
TIMINGS = re.compile(r"timings: (.*)")
SHARDS = re.compile(r"search index: (.*)")


def sample_page(samples: Path, out: Path) -> int:
    """Build the sample content and print the size of one report page (index.html + assets/style.css)."""
    run = timed(site_builder_command("build", str(samples), "--out", str(out)))
    if run.returncode != 0:
        print(f"sample page: building {samples} failed (exit {run.returncode}):")
        print("\n".join(f"  {line}" for line in (run.stdout + run.stderr).strip().splitlines()[:20]))
        return 1
    pages = sorted(out.glob("units/*/[0-9][0-9][0-9][0-9]/index.html"))
    if not pages:
        print(f"sample page: no report page under {out}/units/*/<year>/")
        return 1
    page = pages[0]
    css = out / "assets" / "style.css"
    html_size = page.stat().st_size
    css_size = css.stat().st_size if css.exists() else 0
    print(f"sample page: {page.relative_to(out)} {html_size:,} bytes + assets/style.css {css_size:,} bytes "
          f"= {html_size + css_size:,} bytes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=1)
    parser.add_argument("--out", type=Path, help="output folder (default WORKDIR/site-N)")
    parser.add_argument("--samples", type=Path, default=BENCH.parent / "content",
                        help="sample content for the one-page size (default: the checkout's content/)")
    parser.add_argument("--keep-old", action="store_true",
                        help="build over the previous output (the swap then also deletes the old tree)")
    parser.add_argument("--no-cache", action="store_true",
                        help="build without the build cache (default: a cache in WORKDIR/build-cache, emptied "
                             "before each run, so that each run is a fresh build that writes the cache)")
    args = parser.parse_args(argv)
    content = prepare_content(args)
    reports = count_reports(content)
    out = args.out or args.workdir / f"site-{reports}"
    cache = args.workdir / "build-cache"
    options = ("--no-cache",) if args.no_cache else ("--cache", str(cache))
    command = site_builder_command("build", str(content), "--out", str(out), *options)
    print(f"command: {' '.join(command)}")
    runs = []
    try:
        for _ in range(max(1, args.repeat)):
            # time a fresh build; replacing an old tree also costs deleting it (see --keep-old)
            move_aside([cache] if args.keep_old else [cache, out])
            run = timed(command)
            runs.append(run)
            if run.returncode != 0:
                print(f"build failed (exit {run.returncode}):", file=sys.stderr)
                print("\n".join((run.stdout + run.stderr).strip().splitlines()[:30]), file=sys.stderr)
                return 1
    finally:
        empty_trash()
    best = min(r.seconds for r in runs)
    built = BUILT.search(runs[-1].stderr)
    pages = int(built.group(1)) if built else sum(1 for _ in out.rglob("*.html"))
    size, files = tree_size(out)
    pagefind_size, pagefind_files = tree_size(out / "pagefind") if (out / "pagefind").exists() else (0, 0)
    print(f"reports: {reports}")
    print(f"pages: {pages}")
    print(f"runs: {', '.join(f'{r.seconds:.2f} s' for r in runs)}")
    print(f"seconds: {best:.2f} (best of {len(runs)})")
    print(f"ms/report: {best * 1000 / max(reports, 1):.1f}")
    print(f"memory (best run): {min(runs, key=lambda r: r.seconds).memory()}")
    print(f"output: {mb(size)} in {files:,} files ({out})")
    print(f"pagefind/: {mb(pagefind_size)} in {pagefind_files:,} files")
    stages = TIMINGS.search(runs[-1].stderr)
    if stages:
        print(f"stages (last run): {stages.group(1)}")
    index = SHARDS.search(runs[-1].stderr)
    if index:
        print(f"search index (last run): {index.group(1)}")
    status = 0
    if args.samples and args.samples.exists():
        status = sample_page(args.samples, args.workdir / "site-samples")
    return status


if __name__ == "__main__":
    sys.exit(main())
