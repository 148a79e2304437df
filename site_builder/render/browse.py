"""The browsing pages: the home page's list of units, and, for a large portal, one page per region
and per parent department, so that no page lists the whole portal.

Up to ``PAGE_UNITS`` units the home page lists every unit, grouped by region and parent department
(as a small portal has always shown it). Above that, the home page lists the regions, each with
its number of units, and links to ``regions/<region>/``. A region of at most ``PAGE_UNITS`` units
lists its units there; a larger one lists its parent departments, each with a page
``regions/<region>/<parent>/`` of its units. Every unit is reachable from the home page in at most
three links, and a page's size is bounded by ``PAGE_UNITS`` units (or one parent department's
units, which no finer grouping of the data can split).

Folder names are digests of the names (``compare.group_slug``), never the names themselves: a unit
file's region is untrusted text and never reaches a URL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from site_builder.model import Unit
from site_builder.render.compare import group_slug

PAGE_UNITS = 300  # units one browsing page lists at most (a parent department's page excepted)
HOME = "index.html"
REGIONS = "regions/"


@dataclass(frozen=True)
class Link:
    """A link to a browsing page, with the number of units below it."""

    label: str
    path: str  # the page's folder, relative to the site root
    units: int


@dataclass
class Listing:
    """One browsing page: its units by (region, parent department), or links to finer pages."""

    path: str  # the page's file, relative to the site root
    title: str
    crumbs: list[tuple[str, str]] = field(default_factory=list)  # (label, folder) of the pages above it
    groups: dict[tuple[str, str], list[Unit]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)  # regions (home page) or a region's departments


def region_path(region: str) -> str:
    return f"{REGIONS}{group_slug('region', region)}/"


def parent_path(region: str, parent: str) -> str:
    return f"{region_path(region)}{group_slug('parent', region, parent)}/"


def unit_groups(units: list[Unit]) -> dict[tuple[str, str], list[Unit]]:
    """Units by (region, parent department), both in name order, units in name order."""
    groups: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: (u.region, u.parent, u.name, u.slug)):
        groups[(unit.region, unit.parent)].append(unit)
    return dict(groups)


def listings(units: list[Unit], per_page: int = PAGE_UNITS) -> list[Listing]:
    """The home page's listing first, then every region and parent-department page it needs."""
    groups = unit_groups(units)
    if len(units) <= per_page:
        return [Listing(HOME, "", groups=groups)]
    by_region: dict[str, dict[tuple[str, str], list[Unit]]] = defaultdict(dict)
    for (region, parent), members in groups.items():
        by_region[region][(region, parent)] = members
    home = Listing(HOME, "", links=[
        Link(region, region_path(region), sum(map(len, parts.values()))) for region, parts in by_region.items()])
    pages = [home]
    for link in home.links:
        pages.extend(_region_pages(link, by_region[link.label], per_page))
    return pages


def _region_pages(region: Link, groups: dict[tuple[str, str], list[Unit]], per_page: int) -> list[Listing]:
    crumbs = [(region.label, region.path)]
    if region.units <= per_page:
        return [Listing(region.path + HOME, region.label, crumbs, groups=groups)]
    links = [Link(parent, parent_path(region.label, parent), len(members)) for (_, parent), members in groups.items()]
    pages = [Listing(region.path + HOME, region.label, crumbs, links=links)]
    for link, (key, members) in zip(links, groups.items(), strict=True):
        pages.append(Listing(link.path + HOME, f"{region.label} · {link.label}", [*crumbs, (link.label, link.path)],
                             groups={key: members}))
    return pages


def unit_crumbs(pages: list[Listing]) -> dict[str, list[tuple[str, str]]]:
    """The browsing pages above each unit's page, for its breadcrumb: (label, folder) of its region
    page, then of its parent department's page; none when the home page lists the unit."""
    return {unit.slug: page.crumbs for page in pages if page.crumbs
            for members in page.groups.values() for unit in members}
