#!/usr/bin/env python3
"""Sizes of the comparison, unit and browsing pages of a built portal (issue 11: each comparison page < 300 KB).

    python bench/page_sizes.py SITE [--limit 300000]
    python bench/page_sizes.py --reports 1000 [--seed 1] [--workdir DIR]   # generate, build, measure

Prints the number of comparison pages, the largest comparison page, the largest unit page and the
largest browsing page (the home page, ``regions/``) with their sizes in bytes; exits 1 when a
comparison or browsing page is over the limit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchlib import common_arguments, prepare_content, site_builder_command, timed

LIMIT = 300_000


def largest(pages: list[Path]) -> tuple[Path | None, int]:
    sizes = [(p.stat().st_size, p) for p in pages]
    if not sizes:
        return None, 0
    size, page = max(sizes)
    return page, size


def measure(site: Path, limit: int) -> int:
    compare = sorted(site.glob("compare/**/*.html"))
    units = sorted(site.glob("units/*/index.html"))
    browsing = [site / "index.html", *sorted(site.glob("regions/**/*.html"))]
    page, size = largest(compare)
    unit_page, unit_size = largest(units)
    browse_page, browse_size = largest(browsing)
    print(f"comparison pages: {len(compare)}; largest {size:,} bytes ({page.relative_to(site) if page else '-'})")
    print(f"unit pages: {len(units)}; largest {unit_size:,} bytes ({unit_page.relative_to(site) if unit_page else '-'})")
    print(f"browsing pages: {len(browsing)}; home page {browsing[0].stat().st_size:,} bytes; largest {browse_size:,} bytes "
          f"({browse_page.relative_to(site) if browse_page else '-'})")
    over = [p for p in compare + browsing if p.stat().st_size > limit]
    for path in over:
        print(f"over {limit:,} bytes: {path.relative_to(site)} ({path.stat().st_size:,})")
    return 1 if over else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site (else one is generated and built)")
    parser.add_argument("--limit", type=int, default=LIMIT)
    common_arguments(parser, repeat=1)
    args = parser.parse_args()
    site = args.site
    if site is None:
        content = prepare_content(args)
        site = args.workdir / f"site-sizes-{args.reports}"
        run = timed(site_builder_command("build", str(content), "--out", str(site)))
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            return 1
    return measure(site, args.limit)


if __name__ == "__main__":
    sys.exit(main())
