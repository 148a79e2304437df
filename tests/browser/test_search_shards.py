"""The search index in several shards, merged in the browser (docs/search.md, "Shards").

A generated portal of 12 reports built with at most 2 units per shard: every year with more units
is split, and the search page must still search (and filter) all shards as one index. The
expected shards, pages and filter values are read from the content folder and the built pages,
not from the code that assigns the shards.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
import yaml
from playwright.sync_api import Browser, Page

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.test_search import LOAD_INDEX

ROOT = Path(__file__).resolve().parents[2]
PER_SHARD = 2
PREFIX = "portal/"
QUERY = "公务接待费"  # in the 三公 table of every generated report page


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, dict[str, str]]]:
    """(content, site, digests of the two builds); the site is built twice from the same content."""
    work = tmp_path_factory.mktemp("shards")
    content = work / "content"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "12", "--out", str(content)],
                   check=True, capture_output=True)
    digests = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITE_BUILDER_SHARD_REPORTS", str(PER_SHARD))
        for name in ("first", "second"):
            build(content, work / name / PREFIX, workers=2)
            digests[name] = tree_digest(work / name / PREFIX)
    return content, work / "first" / PREFIX, digests


def reports(content: Path) -> dict[str, list[str]]:
    """Unit slugs by year, from the content folder's <unit>/<year>/report.yaml files."""
    by_year: dict[str, list[str]] = {}
    for report in sorted(content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml")):
        by_year.setdefault(report.parent.name, []).append(report.parent.parent.name)
    return by_year


def expected_shard(content: Path, slug: str, year: str) -> str:
    return f"{year}-{sorted(reports(content)[year]).index(slug) // PER_SHARD}"


def unit_pages(site: Path) -> list[str]:
    """The slugs of the units with a page, sorted."""
    return sorted(page.parent.name for page in site.glob("units/*/index.html"))


def unit_shard(site: Path, slug: str) -> str:
    return f"site-{unit_pages(site).index(slug) // PER_SHARD}"


@pytest.fixture(scope="module")
def base_url(portal: tuple[Path, Path, dict]) -> Iterator[str]:
    site = portal[1]
    server = make_server(site.parent, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/{PREFIX}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_rebuild_is_byte_identical(portal: tuple[Path, Path, dict]) -> None:
    digests = portal[2]
    assert len(digests["first"]) > 100
    assert digests["first"] == digests["second"], sorted(set(digests["first"].items()) ^ set(digests["second"].items()))[:10]


def test_each_year_is_cut_into_shards_of_at_most_two_units(portal: tuple[Path, Path, dict]) -> None:
    content, site, _ = portal
    by_year = reports(content)
    assert any(len(slugs) > PER_SHARD for slugs in by_year.values()), "the portal must need several shards in a year"
    units = unit_pages(site)
    expected = sorted({expected_shard(content, slug, year) for year, slugs in by_year.items() for slug in slugs} | {"site"}
                      | {unit_shard(site, slug) for slug in units})
    assert len(units) > PER_SHARD  # several shards of unit pages
    manifest = json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    assert manifest == [f"{shard}/" for shard in expected]
    for shard in expected:
        entry = json.loads((site / "pagefind" / shard / "pagefind-entry.json").read_text(encoding="utf-8"))
        pages = sum(language["page_count"] for language in entry["languages"].values())
        if shard.startswith("site-"):  # a shard of unit pages holds its units' pages
            assert pages == sum(unit_shard(site, slug) == shard for slug in units), shard
        elif shard != "site":  # a report shard holds its reports' pages: report page and attachment pages
            year, _ = shard.split("-")
            slugs = [s for s in by_year[year] if expected_shard(content, s, year) == shard]
            assert 1 <= len(slugs) <= PER_SHARD
            assert pages == sum(len(list((site / "units" / s / year).rglob("index.html"))) for s in slugs), shard


def found_urls(page: Page, base_url: str, query: str) -> list[str]:
    page.goto(base_url)
    return page.evaluate("""async (query) => {
      const pagefind = await (""" + LOAD_INDEX + """)();
      const found = await pagefind.search(query);
      return (await Promise.all(found.results.map(r => r.data()))).map(d => d.url);
    }""", query)


def test_one_query_finds_report_pages_of_every_shard(portal: tuple[Path, Path, dict], page: Page, base_url: str) -> None:
    content = portal[0]
    urls = found_urls(page, base_url, QUERY)
    prefix = urlparse(base_url).path
    expected = {f"{prefix}units/{slug}/{year}/" for year, slugs in reports(content).items() for slug in slugs}
    assert expected <= set(urls), sorted(expected - set(urls))
    shards_found = {expected_shard(content, *re.match(r".*/units/([^/]+)/(\d{4})/$", u).groups()) for u in expected}
    assert len(shards_found) >= 4
    # the results page finds them too, a few shards at a time (the search directory), and says so
    page.goto(base_url + "search/?q=" + quote(QUERY))
    page.wait_for_selector("#search[data-state=ready]", timeout=20_000)
    assert page.locator(".search-status").inner_text().startswith("找到至少")
    show_all(page)
    assert page.locator(".search-status").inner_text().startswith(f"找到 {len(urls)} 个页面")
    links = page.eval_on_selector_all(".search-result-link", "links => links.map(a => new URL(a.href).pathname)")
    assert sorted(links) == sorted(urls)


def show_all(page: Page) -> None:
    """Press 显示更多结果 until every shard that can hold the query is searched and every page shown."""
    while page.locator(".search-more").is_visible():
        count = page.locator(".search-result").count()
        status = page.locator(".search-status").inner_text()
        page.locator(".search-more").click()
        page.wait_for_function("([count, status]) => (document.querySelectorAll('.search-result').length > count"
                               " || document.querySelector('.search-status').textContent !== status)"
                               " && document.querySelector('#search').dataset.state === 'ready'", arg=[count, status])


def open_filters(page: Page, base_url: str) -> dict[str, list[str]]:
    page.goto(base_url + "search/?q=" + quote(QUERY))
    page.wait_for_selector("#search[data-state=ready]", timeout=20_000)
    page.locator(".search-filters summary").click()
    page.wait_for_selector(".search-filter")
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('.search-filter')).map(set =>
      [set.querySelector('legend').textContent, Array.from(set.querySelectorAll('label')).map(l => l.textContent.trim())]))""")


def unit_name(content: Path, slug: str) -> str:
    return yaml.safe_load((content / slug / "unit.yaml").read_text(encoding="utf-8"))["name"]


def test_filters_list_the_values_of_every_shard(portal: tuple[Path, Path, dict], page: Page, base_url: str) -> None:
    content, site, _ = portal
    listed = open_filters(page, base_url)
    by_year = reports(content)
    assert {re.sub(r"（\d+）$", "", v) for v in listed["年度"]} == set(by_year)
    slugs = sorted({slug for slugs in by_year.values() for slug in slugs})
    for slug in slugs:  # a unit's count adds its pages of every shard: reports, attachments, unit page
        pages = len(list((site / "units" / slug).rglob("index.html")))
        assert f"{unit_name(content, slug)}（{pages}）" in listed["单位"], listed["单位"]


def shown_after_ticking(page: Page, legend: str, value: str) -> tuple[str, list[str]]:
    box = page.locator(".search-filter", has=page.locator("legend", has_text=legend)).locator("label", has_text=value)
    before = page.locator(".search-status").inner_text()
    box.locator("input").check()
    page.wait_for_function("before => document.querySelector('.search-status').textContent !== before"
                           " && document.querySelector('#search').dataset.state === 'ready'", arg=before)
    show_all(page)
    links = page.eval_on_selector_all(".search-result-link", "links => links.map(a => new URL(a.href).pathname)")
    return page.locator(".search-status").inner_text(), links


def test_a_unit_filter_applies_across_shards(portal: tuple[Path, Path, dict], page: Page, base_url: str) -> None:
    """The unit is in one shard per year; every other shard has no such filter value and must return nothing."""
    content = portal[0]
    by_year = reports(content)
    slug = next(s for s in sorted(by_year["2023"]) if expected_shard(content, s, "2023") == "2023-1")
    open_filters(page, base_url)
    status, links = shown_after_ticking(page, "单位", unit_name(content, slug))
    prefix = urlparse(base_url).path
    expected = {f"{prefix}units/{slug}/{year}/" for year, slugs in by_year.items() if slug in slugs}
    assert len({expected_shard(content, slug, year) for year, slugs in by_year.items() if slug in slugs}) >= 3
    assert set(links) == expected, (status, links)
    assert status.startswith(f"找到 {len(expected)} 个页面")


def test_a_year_filter_applies_across_shards(portal: tuple[Path, Path, dict], page: Page, base_url: str) -> None:
    content = portal[0]
    slugs = reports(content)["2023"]
    assert len({expected_shard(content, s, "2023") for s in slugs}) == 2
    open_filters(page, base_url)
    status, links = shown_after_ticking(page, "年度", "2023")
    prefix = urlparse(base_url).path
    assert set(links) == {f"{prefix}units/{slug}/2023/" for slug in slugs}, (status, links)


def shards_loaded(page: Page, base_url: str, query: str) -> set[str]:
    """The shards whose Pagefind entry file the results page fetched for its first answer."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(urlparse(request.url).path))
    page.goto(base_url + "search/?q=" + quote(query))
    page.wait_for_selector("#search[data-state=ready]", timeout=20_000)
    entry = re.compile(re.escape(urlparse(base_url).path) + r"pagefind/([^/]+)/pagefind-entry\.json$")
    return {m.group(1) for m in map(entry.match, fetched) if m}


def test_a_first_search_loads_only_a_few_shards(portal: tuple[Path, Path, dict], page: Page, base_url: str) -> None:
    """公务接待费 is in every report: the first answer comes from one shard, not all eight."""
    manifest = json.loads((portal[1] / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    assert len(manifest) >= 6
    assert len(shards_loaded(page, base_url, QUERY)) == 1
    assert page.locator(".search-result").count() >= 1


def figure_on_one_report(site: Path) -> tuple[str, str]:
    """(figure as printed, site path of the one report page that prints it), from the built pages."""
    printed: dict[str, set[str]] = {}
    for report in sorted(site.glob("units/*/[0-9][0-9][0-9][0-9]/index.html")):
        path = report.relative_to(site).as_posix()
        for figure in set(re.findall(r"(?<![\d,.])\d{1,3}(?:,\d{3})+\.\d\d(?![\d])", report.read_text(encoding="utf-8"))):
            printed.setdefault(figure, set()).add(path)
    figure = next(f for f, pages in sorted(printed.items()) if len(pages) == 1)
    return figure, printed[figure].pop()


def test_a_rare_figure_loads_only_the_shards_that_hold_it(portal: tuple[Path, Path, dict], page: Page,
                                                          base_url: str) -> None:
    content, site, _ = portal
    figure, report = figure_on_one_report(site)
    slug, year = re.match(r"units/([^/]+)/(\d{4})/", report).groups()
    loaded = shards_loaded(page, base_url, figure)
    assert expected_shard(content, slug, year) in loaded
    assert loaded <= {expected_shard(content, slug, year), unit_shard(site, slug), "site"}, loaded
    links = page.eval_on_selector_all(".search-result-link", "links => links.map(a => new URL(a.href).pathname)")
    assert urlparse(base_url).path + report.removesuffix("index.html") in links
    assert page.locator(".search-status").inner_text().startswith(f"找到 {len(links)} 个页面")
