"""Which search-index shard a page goes to (docs/search.md, "Shards").

Pagefind's memory grows with the pages of one index (1.4 GB for 1,000 reports, 12 GB for 10,000),
so the index is built as shards of at most ``shard_reports()`` reports each, one Pagefind process
per shard, and merged in the browser (``pagefind.mergeIndex``).

The key of a report's pages is (year, position of the unit among that year's units in sorted slug
order // cap); that of a unit page (``units/<slug>/index.html``) is the position of the unit among
the units with a page, in sorted slug order, // cap (shard ``site-<n>``); the few other site-wide
pages (home, glossary, …) are in the shard ``site``:

- bounded: a shard never holds more than the cap's reports, or unit pages, so Pagefind's memory
  and time per process are bounded whatever the size of the portal. The cap is small (100): since
  the search directory a first search loads one shard whatever their number, so a small shard
  costs the reader nothing, and an edit re-indexes only its small shard (docs/measurements.md,
  "Smaller search shards");
- stable: it depends only on the set of indexed pages, never on worker timing; a changed report
  changes only its own shard (and, when its figures change, the shard of its unit's page), and a
  new year adds shards without touching the others. Adding or removing a unit moves the boundaries
  of that year's later shards and of the later unit-page shards (the price of equal sizes);
- site-wide pages go to shards of their own (``site-<n>``, ``site``): they change whenever a
  report is added, so keeping them apart keeps the report shards unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

SITE = "site"  # the site-wide pages other than unit pages; unit pages are in "site-<n>"
ALL = "all"
SHARD_REPORTS = 100
#: Up to this many reports the portal keeps one index of every page (Pagefind ~1.6 GB at 1,000
#: reports): a single index answers better (figures matched exactly, one ranking) and lighter
#: (one entry, metadata and chunk per word) than shards, which the browser merges (docs/search.md).
SINGLE_INDEX_REPORTS = 1000
SHARD_REPORTS_VARIABLE = "SITE_BUILDER_SHARD_REPORTS"

_REPORT_PAGE = re.compile(r"units/([^/]+)/(\d{4})/")
_UNIT_PAGE = re.compile(r"units/([^/]+)/(?!\d{4}/)")


def shard_reports() -> int:
    """Reports per shard: ``SHARD_REPORTS``, or the environment variable ``SITE_BUILDER_SHARD_REPORTS``
    (tests use it to get several shards from a small site)."""
    return reports_setting(SHARD_REPORTS_VARIABLE, SHARD_REPORTS)


def reports_setting(variable: str, default: int) -> int:
    """A count of reports set by the environment variable ``variable`` (a whole number of at least
    1), else ``default``."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{variable} must be a whole number of at least 1, not {value!r}")
    return int(value)


def single_index_reports() -> int:
    """Up to how many reports the index is not sharded: ``SINGLE_INDEX_REPORTS``, or the shard size
    when ``SITE_BUILDER_SHARD_REPORTS`` is set (so a test can shard a small portal)."""
    return shard_reports() if os.environ.get(SHARD_REPORTS_VARIABLE, "").strip() else SINGLE_INDEX_REPORTS


def report_of(path: str) -> tuple[str, str] | None:
    """(year, unit slug) of a report's page or attachment page, None for a site-wide page."""
    match = _REPORT_PAGE.match(path)
    return (match.group(2), match.group(1)) if match else None


def unit_of(path: str) -> str | None:
    """The unit slug of a unit's own page (``units/<slug>/index.html``, not a report's), else None."""
    match = _UNIT_PAGE.match(path)
    return match.group(1) if match else None


def assign(paths: Iterable[str], per_shard: int, single_up_to: int = 0,
           reports: Iterable[tuple[str, str]] | None = None) -> dict[str, str]:
    """Shard name of every page path (relative to the site): ``<year>-<n>`` for a report's pages
    (the n-th chunk of ``per_shard`` units of that year, in sorted slug order), ``site-<n>`` for a
    unit page (the n-th chunk of ``per_shard`` units with a page, in sorted slug order), ``site``
    otherwise;
    every page in the one shard ``all`` when there are at most ``single_up_to`` reports.
    ``reports``: every (year, slug) of the site, when ``paths`` are the pages of only some of them
    (a part of the site: ``parts.py``); by default, the reports of ``paths``."""
    paths = list(paths)
    slugs_by_year: dict[str, set[str]] = {}
    for path in paths:
        report = report_of(path)
        if report is not None:
            slugs_by_year.setdefault(report[0], set()).add(report[1])
    for year, slug in reports or ():
        slugs_by_year.setdefault(year, set()).add(slug)
    if sum(len(slugs) for slugs in slugs_by_year.values()) <= single_up_to:
        return dict.fromkeys(paths, ALL)
    chunk: dict[tuple[str, str], int] = {}
    for year, slugs in slugs_by_year.items():
        for position, slug in enumerate(sorted(slugs)):
            chunk[(year, slug)] = position // per_shard
    units = sorted({unit for unit in map(unit_of, paths) if unit is not None})
    unit_chunk = {unit: position // per_shard for position, unit in enumerate(units)}
    shards: dict[str, str] = {}
    names: dict[str, str] = {}  # one string per shard, not per page: the build keeps this to its end
    for path in paths:
        report = report_of(path)
        if report is not None:
            name = f"{report[0]}-{chunk[report]}"
        else:
            unit = unit_of(path)
            name = SITE if unit is None else f"{SITE}-{unit_chunk[unit]}"
        shards[path] = names.setdefault(name, name)
    return shards
