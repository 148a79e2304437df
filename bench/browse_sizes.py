#!/usr/bin/env python3
"""Render the browsing pages (the home page, ``regions/``) of a content folder without building its
reports, and print how many there are and how large they get.

    python bench/browse_sizes.py CONTENT [--limit 300000] [--page-units 300]

The units and their report years come from the content as a build reads them (``loader.plan``:
every unit.yaml and the report folders), and the pages are rendered by the build's own templates.
The home page's 最新公开 list stays empty here (it needs the reports' figures; it has ten lines
whatever the size of the portal). For a portal too large to build in a session, this shows what
its browsing pages would be. Exits 1 when a page is over the limit.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from site_builder import loader
from site_builder.model import Unit
from site_builder.render import browse
from site_builder.render.pages import Output, Renderer

LIMIT = 300_000


@dataclass(frozen=True)
class YearOfUnit:
    """What a browsing page reads of a report: its unit (for the address) and year."""

    unit: Unit
    year: int


def browsing_pages(content: Path, page_units: int) -> tuple[loader.Plan, Output]:
    """The content's plan, and its browsing pages as the build renders them (but 最新公开)."""
    planned = loader.plan(content)
    years: defaultdict[str, list[YearOfUnit]] = defaultdict(list)
    for unit, year_dir in planned.jobs:
        years[unit.slug].append(YearOfUnit(unit, int(year_dir.name)))
    listings = browse.listings(planned.site.units, page_units)
    out = Output()
    Renderer(planned.site, content).render_browsing(out, listings, [], years)  # type: ignore[arg-type]
    return planned, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--page-units", type=int, default=browse.PAGE_UNITS)
    args = parser.parse_args()
    started = time.perf_counter()
    planned, out = browsing_pages(args.content, args.page_units)
    sizes = sorted(((len(data), path) for path, data in out.files.items()), reverse=True)
    print(f"{len(planned.site.units):,} units, {len(planned.jobs):,} reports: {len(out.files):,} browsing pages "
          f"({sum(size for size, _ in sizes):,} bytes) in {time.perf_counter() - started:.1f} s")
    print(f"home page {len(out.files['index.html']):,} bytes; largest {sizes[0][0]:,} bytes ({sizes[0][1]})")
    over = [(size, path) for size, path in sizes if size > args.limit]
    for size, path in over:
        print(f"over {args.limit:,} bytes: {path} ({size:,})")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
