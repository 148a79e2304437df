"""axe-core on every page type, keyboard-only use, 404, and the site clicked through under a sub-path."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import report_pages

PAGE_TYPES = ["", "glossary/", "search/", "404.html", "units/jincheng-social-insurance-center/", *report_pages()]


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_axe_finds_no_violations(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_unknown_address_gets_the_404_page(page: Page, base_url: str) -> None:
    response = page.goto(base_url + "no/such/page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "页面未找到"


def test_report_table_of_contents_by_keyboard(page: Page, base_url: str) -> None:
    page.goto(base_url + report_pages()[0])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    # from the main landmark, tab to the table of contents link of 公开03表 and follow it
    target = page.locator("nav.toc a", has_text="支出决算表").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target.get_attribute("href"):
            break
    else:
        pytest.fail("the table of contents link was not reachable with Tab")
    page.keyboard.press("Enter")
    assert page.url.endswith("#table-expenditure")
    heading = page.locator("#table-expenditure")
    assert heading.is_visible()
    # the wide table's scroll region is itself focusable, so keyboard users can scroll it
    region = page.locator('[data-table-section="expenditure"] .table-scroll')
    region.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"


def test_every_internal_link_resolves_under_a_sub_path(page: Page, base_url: str) -> None:
    """Crawl the whole site from the home page, served under /some/prefix/: every link and asset loads."""
    seen: set[str] = set()
    queue = [base_url]
    broken = []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.request.get(url)
        if not response.ok:
            broken.append(url)
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page.goto(url)
        hrefs = page.eval_on_selector_all("a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)")
        for href in hrefs:
            clean = href.split("#")[0]
            if clean.startswith(base_url) and clean not in seen:
                queue.append(clean)
            elif clean.startswith("http://127.0.0.1") and not clean.startswith(base_url):
                broken.append(f"{url} links outside the sub-path: {href}")
    assert broken == []
    assert len(seen) > 10
