"""The browsing pages of a large portal (render/browse.py) in Chromium: axe finds nothing on the
home page, a region page, a parent department's page and a year's comparison index, and a keyboard
user gets from the home page to a unit page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from site_builder.serve import make_server
from tests.browser.test_accessibility import violations
from tests.test_browse import build_paged_portal


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The paged portal of tests/test_browse.py, served."""
    _, site = build_paged_portal(tmp_path_factory.mktemp("browse"))
    server = make_server(site, 0, quiet=True, not_found=site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def _pages(site: Path) -> list[str]:
    region = next(p for p in sorted(site.glob("regions/*/index.html")) if not list(p.parent.glob("*/index.html")))
    parents = sorted(site.glob("regions/*/*/index.html"))
    assert parents, "no region large enough for department pages"
    year = sorted(site.glob("compare/*/index.html"))[-1]
    return ["index.html", "compare/index.html"] + [p.relative_to(site).as_posix() for p in (region, parents[0].parent.parent / "index.html", parents[0], year)]


def test_axe_finds_nothing_on_the_browsing_pages(page: Page, paged: tuple[Path, str]) -> None:
    site, base_url = paged
    for path in _pages(site):
        page.goto(base_url + path)
        assert page.locator("h1").count() == 1, path
        assert violations(page) == [], path


def test_a_keyboard_user_reaches_a_unit_page_from_the_home_page(page: Page, paged: tuple[Path, str]) -> None:
    site, base_url = paged
    region = sorted(site.glob("regions/*/*/index.html"))[0].parent.parent.relative_to(site).as_posix()
    page.goto(base_url)
    for link in (f'a[href="{region}/index.html"]', ".browse-list a", ".unit-group li > a"):  # region, department, unit
        page.locator(link).first.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert "/units/" in page.url and page.locator(".facts").count() == 1
    assert page.locator(".breadcrumb li").count() == 4  # 首页 › region › department › unit
    assert violations(page) == []
