"""Browsing pages (render/browse.py): the home page lists every unit of a small portal; a large
portal's home page lists regions, and regions above the page size list parent departments, so no
page lists the whole portal and every unit stays a few links from the home page."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.model import Unit
from site_builder.render import browse, compare

ROOT = Path(__file__).resolve().parent.parent


def _unit(slug: str, region: str, parent: str) -> Unit:
    return Unit(slug=slug, name=f"单位{slug}", parent=parent, region=region, level="县级")


def _units(counts: dict[tuple[str, str], int]) -> list[Unit]:
    return [_unit(f"{region}-{parent}-{n}", region, parent)
            for (region, parent), count in counts.items() for n in range(count)]


def _listed(listing: browse.Listing) -> list[str]:
    return [unit.slug for members in listing.groups.values() for unit in members]


def test_a_small_portal_lists_every_unit_on_the_home_page() -> None:
    units = _units({("甲县", "教育局"): 2, ("乙县", "卫健委"): 1})
    [home] = browse.listings(units, per_page=3)
    assert home.path == "index.html" and not home.links
    assert sorted(_listed(home)) == sorted(u.slug for u in units)
    assert list(home.groups) == [("乙县", "卫健委"), ("甲县", "教育局")]  # regions and departments in name order


def test_a_large_portal_pages_by_region_then_by_parent_department() -> None:
    units = _units({("甲县", "教育局"): 2, ("甲县", "卫健委"): 2, ("乙县", "教育局"): 3})
    home, *pages = browse.listings(units, per_page=3)
    assert not home.groups
    assert [(link.label, link.units) for link in home.links] == [("乙县", 3), ("甲县", 4)]
    by_path = {page.path: page for page in pages}
    small = by_path[browse.region_path("乙县") + "index.html"]  # 3 units fit: listed on the region page
    assert _listed(small) == [f"乙县-教育局-{n}" for n in range(3)] and not small.links
    large = by_path[browse.region_path("甲县") + "index.html"]  # 4 units: one page per department
    assert not large.groups
    assert [(link.label, link.units) for link in large.links] == [("卫健委", 2), ("教育局", 2)]
    for link in large.links:
        page = by_path[link.path + "index.html"]
        assert page.crumbs == [("甲县", browse.region_path("甲县")), (link.label, link.path)]
        assert {unit.parent for unit in page.groups[("甲县", link.label)]} == {link.label}
    listed = [slug for page in pages for slug in _listed(page)]
    assert sorted(listed) == sorted(u.slug for u in units)  # each unit on exactly one page


def test_untrusted_names_never_reach_a_folder_name() -> None:
    units = _units({("../../etc", "<script>"): 2, ("a/b", "c"): 2})
    _, *pages = browse.listings(units, per_page=1)
    for page in pages:
        assert re.fullmatch(r"regions/region-[0-9a-f]{12}/(parent-[0-9a-f]{12}/)?index\.html", page.path), page.path
    assert len({page.path for page in pages}) == len(pages)


def test_compare_index_splits_by_year_above_the_limit() -> None:
    groups = [compare.CompareGroup("region", f"县{n}", "", f"region-{n}", year, "万元", False, [])
              for year in (2023, 2024) for n in range(3)]
    [single] = compare.index_pages(groups, limit=6)
    assert single.path == "compare/index.html" and single.groups == groups
    top, newest, older = compare.index_pages(groups, limit=5)
    assert top.groups == [] and top.years == [(2024, 3), (2023, 3)]
    assert (newest.path, newest.year, newest.groups) == ("compare/2024/index.html", 2024, groups[3:])
    assert (older.path, older.groups) == ("compare/2023/index.html", groups[:3])


# -- a built portal --------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and "://" not in href and not href.startswith("#"):
            self.hrefs.append(href.split("#")[0])


def _links(site: Path, page: str) -> list[str]:
    parser = _Links()
    parser.feed((site / page).read_text(encoding="utf-8"))
    targets = []
    for href in parser.hrefs:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
        if href.endswith("/") or target.endswith("/") or not posixpath.splitext(target)[1]:
            target = posixpath.join(target, "index.html")
        targets.append(target)
    return targets


def _reachable(site: Path, start: str, follow: re.Pattern[str]) -> dict[str, int]:
    """Pages reachable from ``start`` through pages matching ``follow``, with their link distance."""
    distance = {start: 0}
    queue = [start]
    while queue:
        page = queue.pop(0)
        for target in _links(site, page):
            if target not in distance and (site / target).is_file():
                distance[target] = distance[page] + 1
                if follow.fullmatch(target):
                    queue.append(target)
    return distance


@contextmanager
def paged_limits() -> Iterator[None]:
    """Build as a large portal would be: at most 3 units a browsing page, 3 comparison pages an index."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(browse, "PAGE_UNITS", 3)
        patch.setattr(compare, "INDEX_GROUPS", 3)
        yield


def build_paged_portal(base: Path) -> tuple[Path, Path]:
    """40 generated reports (a region above 3 units among them) built under ``paged_limits``."""
    content = base / "content"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "40", "--seed", "3",
                    "--out", str(content)], check=True, capture_output=True)
    with paged_limits():
        build(content, base / "site", index=False, workers=1)
    return content, base / "site"


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_paged_portal(tmp_path_factory.mktemp("browse"))


def test_every_unit_is_reachable_from_the_home_page_in_at_most_three_links(paged_site: tuple[Path, Path]) -> None:
    content, site = paged_site
    units = {f"units/{p.parent.name}/index.html" for p in content.glob("*/unit.yaml")}
    assert len(units) > 3
    assert list(site.glob("regions/*/*/index.html")), "no region large enough for department pages"
    reached = _reachable(site, "index.html", re.compile(r"index\.html|regions/.*"))
    assert units <= set(reached)
    assert max(reached[unit] for unit in units) <= 3
    home_links = set(_links(site, "index.html"))
    assert not units & home_links - {  # the home page lists regions, not units (but its latest reports)
        f"units/{page.split('/')[1]}/index.html" for page in home_links if re.fullmatch(r"units/[^/]+/\d{4}/index\.html", page)}
    for page in site.glob("regions/**/index.html"):
        listed = {t for t in _links(site, page.relative_to(site).as_posix()) if re.fullmatch(r"units/[^/]+/index\.html", t)}
        parts = page.relative_to(site).parts
        assert len(listed) <= 3 or len(parts) == 4  # a region page within the size; a department's page whole


def test_a_unit_page_links_up_to_the_browsing_pages_above_it(paged_site: tuple[Path, Path]) -> None:
    _, site = paged_site
    department = sorted(site.glob("regions/*/*/index.html"))[0]
    unit = next(t for t in _links(site, department.relative_to(site).as_posix()) if re.fullmatch(r"units/[^/]+/index\.html", t))
    crumbs = (site / unit).read_text(encoding="utf-8").split('<nav class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    up = [t for t in _links(site, unit) if t.startswith("regions/")]
    assert set(up) >= {department.parent.parent.relative_to(site).as_posix() + "/index.html",
                       department.relative_to(site).as_posix()}
    assert crumbs.count("<li>") == 4  # 首页 › region › department › unit


def test_comparison_pages_are_reachable_through_the_year_pages(paged_site: tuple[Path, Path]) -> None:
    _, site = paged_site
    groups = {p.relative_to(site).as_posix() for p in site.glob("compare/*/*/index.html")}
    assert groups
    reached = _reachable(site, "compare/index.html", re.compile(r"compare/(\d{4}/)?index\.html"))
    assert groups <= set(reached)
    years = sorted(p.parent.name for p in site.glob("compare/*/index.html"))
    assert years and all(reached[f"compare/{year}/index.html"] == 1 for year in years)


def test_the_sitemap_lists_the_browsing_pages(paged_site: tuple[Path, Path]) -> None:
    _, site = paged_site
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    pages = [p.relative_to(site).parent.as_posix() + "/" for p in site.glob("regions/**/index.html")]
    pages += [p.relative_to(site).parent.as_posix() + "/" for p in site.glob("compare/*/index.html")]
    assert pages and all(f"{page}</loc>" in sitemap for page in pages)


def test_a_unit_moved_to_another_region_rebuilds_as_a_fresh_build(paged_site: tuple[Path, Path], tmp_path: Path) -> None:
    """The region it left may lose its page (or its department pages); the incremental build
    removes them as a fresh build would not write them."""
    from tests.test_incremental import assert_same_site

    content = tmp_path / "content"
    shutil.copytree(paged_site[0], content)
    with paged_limits():
        build(content, tmp_path / "site", cache=tmp_path / "cache")
        before = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").glob("regions/**/index.html")}
        for unit in sorted(content.glob("*/unit.yaml")):  # every unit of the region with department pages
            text = unit.read_text(encoding="utf-8")
            if "region: 宁夏回族自治区吴忠市盐池县\n" in text:
                unit.write_text(text.replace("region: 宁夏回族自治区吴忠市盐池县\n", "region: 宁夏回族自治区吴忠市\n"), encoding="utf-8")
        build(content, tmp_path / "site", cache=tmp_path / "cache")
        build(content, tmp_path / "fresh")
    after = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").glob("regions/**/index.html")}
    assert before - after
    assert_same_site(tmp_path / "site", tmp_path / "fresh")


def test_the_benchmark_renders_the_browsing_pages_the_build_wrote(paged_site: tuple[Path, Path]) -> None:
    """bench/browse_sizes.py (browsing pages of a portal too large to build) against a real build."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import browse_sizes
    finally:
        sys.path.remove(str(ROOT / "bench"))
    content, site = paged_site
    _, out = browse_sizes.browsing_pages(content, 3)
    regions = sorted(path for path in out.files if path.startswith("regions/"))
    assert regions == sorted(p.relative_to(site).as_posix() for p in site.glob("regions/**/index.html"))
    assert all(out.files[path] == (site / path).read_bytes() for path in regions)
