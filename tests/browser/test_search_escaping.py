"""Markup in content never runs on the search page: every text that reaches the search UI (filter
names and values, result titles, excerpts, sub-result titles) is shown as text.

The sample portal is copied with a payload in each field that becomes a filter, a title or an
excerpt; the site is built with the real Pagefind and searched in Chromium like a reader would:
type a query, open every filter group, then assert that no payload ran (``window.__pwned`` stays
undefined, no dialog opened) and that the payloads are visible literally.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.conftest import ROOT

UNIT = "yanchi-social-insurance-center"


def payload(field: str) -> str:
    return f'<img src=x onerror="window.__pwned=\'{field}\'">{field}'


FIELDS = ("unit", "parent", "region", "title", "term", "heading", "attachment")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _yaml_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hostile_content(folder: Path) -> Path:
    content = folder / "content"
    shutil.copytree(ROOT / "content", content)
    unit, report = content / UNIT / "unit.yaml", content / UNIT / "2024"
    _replace(unit, "name: 盐池县社会保险事业管理中心", "name: " + _yaml_string("盐池县社会保险事业管理中心" + payload("unit")))
    _replace(unit, "parent: 盐池县人力资源和社会保障局", "parent: " + _yaml_string("盐池县人力资源和社会保障局" + payload("parent")))
    _replace(unit, "region: 宁夏回族自治区吴忠市盐池县", "region: " + _yaml_string("宁夏回族自治区吴忠市盐池县" + payload("region")))
    _replace(report / "report.yaml", "title: 盐池县社会保险事业管理中心2024年度部门决算",
             "title: " + _yaml_string("盐池县社会保险事业管理中心2024年度部门决算" + payload("title")))
    glossary = report / "glossary.yaml"
    text = glossary.read_text(encoding="utf-8")
    first_term = text.split("- term: ", 1)[1].split("\n", 1)[0]
    _replace(glossary, f"- term: {first_term}", "- term: " + _yaml_string("名词" + payload("term")))
    # a heading without acknowledged findings: an acknowledgement names its finding by the heading above it
    _replace(report / "explanation.md", "## 三、支出决算情况说明", "## 三、支出决算情况说明" + payload("heading"))
    attachment = report / "attachments" / "01-ethnic-unity-award.yaml"
    _replace(attachment, "project: 2024年企业退休人员民族团结奖", "project: " + _yaml_string("民族团结奖" + payload("attachment")))
    _replace(attachment, "title: 2024年企业退休人员民族团结奖项目支出绩效自评表",
             "title: " + _yaml_string("民族团结奖自评表" + payload("attachment")))
    return content


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-search")
    site = folder / "site"
    build(hostile_content(folder), site)
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def search(browser: Browser, base: str, query: str) -> tuple[Page, list[str]]:
    """Search from the search page, open every filter group; return the page and dialogs seen."""
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base + "search/?q=" + query)
    page.wait_for_selector("#search[data-state=ready]", timeout=15_000)
    page.locator("details.search-filters").evaluate("element => { element.open = true; }")
    page.wait_for_selector(".search-filters fieldset", timeout=15_000)
    page.wait_for_timeout(500)  # an <img onerror> fires after its (failed) load
    return page, dialogs


FILTER_PANEL_HOLDS = """(wanted) => {
  const panel = document.querySelector('.search-filters');
  return !!panel && wanted.every(w => panel.innerText.includes(w));
}"""


def wait_for_filter_values(page: Page, wanted: list[str]) -> None:
    """Pagefind fills the filter groups' values one by one after the results; on a loaded machine a
    half-filled panel was read, and once a whole group stayed missing until the page was loaded
    again. Wait (up to 20 s), load the page once more if needed, and wait again; the assertion that
    follows still fails, naming the field, when one never shows as text."""
    for attempt in range(2):
        try:
            page.wait_for_function(FILTER_PANEL_HOLDS, arg=wanted, timeout=20_000)
            return
        except PlaywrightTimeoutError:
            if attempt == 0:
                page.reload()
                page.wait_for_selector("#search[data-state=ready]", timeout=15_000)
                page.locator("details.search-filters").evaluate("element => { element.open = true; }")


@pytest.mark.parametrize("query", ["盐池", "民族团结奖", "名词", "支出决算情况说明"])
def test_no_payload_runs_and_all_show_as_text(browser: Browser, hostile_site: str, query: str) -> None:
    page, dialogs = search(browser, hostile_site, query)
    try:
        assert page.evaluate("window.__pwned") is None, f"payload ran: {page.evaluate('window.__pwned')}"
        assert dialogs == []
        assert page.locator("#search img").count() == 0, page.locator("#search").inner_html()[:2000]
        text = page.locator("#search").inner_text()
        wait_for_filter_values(page, [payload(field) for field in ("unit", "parent", "region")])
        filters = page.locator(".search-filters").inner_text()
        assert page.evaluate("window.__pwned") is None and dialogs == []  # also after a reload
        for field in ("unit", "parent", "region"):
            assert payload(field) in filters, f"{field} is not shown literally in the filters: {filters[:1500]}"
        if query == "盐池":
            assert payload("unit") in text
    finally:
        page.close()


def test_titles_and_excerpts_show_markup_as_text(browser: Browser, hostile_site: str) -> None:
    seen = ""
    for query in FIELDS:  # each payload ends with its field's name, a word of its own
        page, dialogs = search(browser, hostile_site, query)
        try:
            assert page.evaluate("window.__pwned") is None and dialogs == []
            seen += page.locator(".search-results").inner_text()
        finally:
            page.close()
    for field in ("title", "attachment", "heading", "term"):  # excerpts are cut: the payload's end
        assert f"__pwned='{field}'\">{field}" in seen, f"{field} payload not shown as text in results: {seen[:1500]}"
    assert "&lt;img" not in seen, "escaped twice"
