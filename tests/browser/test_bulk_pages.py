"""Downloads in the browser: the data page passes axe, every download link (per year) resolves, each table's
two CSV links name the table, and every tidy row's URL lands on the header cell of its row."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ROOT, report_pages
from tests.browser.test_accessibility import violations


def test_data_page_has_no_axe_violations(page: Page, base_url: str) -> None:
    page.goto(base_url + "data/")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_data_page_is_linked_from_home_and_navigation(page: Page, base_url: str) -> None:
    page.goto(base_url)
    assert page.locator("main a[href$='data/index.html']").count() >= 1
    assert page.locator("header nav a[href$='data/index.html']").count() == 1
    assert page.locator("footer a[href$='data/index.html']").count() == 1


def test_every_file_on_the_data_page_downloads(page: Page, base_url: str) -> None:
    """One table per report year (the latest first), each linking its year's files in ``data/<year>/``."""
    page.goto(base_url + "data/")
    years = sorted({year.name for year in (ROOT / "content").glob("*/[0-9][0-9][0-9][0-9]") if year.is_dir()}, reverse=True)
    tables = page.locator("table.data-files")
    assert tables.count() == len(years)
    for number, year in enumerate(years):
        table = tables.nth(number)
        assert (table.locator("caption").text_content() or "").startswith(f"{year} 年度")
        links = table.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        assert all(link.startswith(f"{base_url}data/{year}/") for link in links), links
        names = {link.rsplit("/", 1)[-1] for link in links}
        assert {"figures.sqlite", "reports.json", "figures-expenditure.csv"} <= names
        for link in links:
            response = page.request.get(link)
            assert response.ok, link
            assert len(response.body()) > 100, link


@pytest.mark.parametrize("report", report_pages())
def test_each_table_links_both_csvs_naming_the_table(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    for href in ("figures.csv", "report.json"):
        link = page.locator(f".report > p.downloads a[href='{href}']")
        assert link.count() == 1, href
        assert page.request.get(base_url + report + href).ok, href
    sections = page.locator("section.std-table")
    assert sections.count() >= 9
    for index in range(sections.count()):
        section = sections.nth(index)
        title = section.locator("h3").evaluate("h => h.firstChild.textContent.trim()")
        table = section.get_attribute("data-table-section")
        for suffix in (".csv", ".tidy.csv"):
            link = section.locator(f"a[href='{table}{suffix}']")
            assert link.count() == 1, (table, suffix)
            assert title in (link.text_content() or ""), f"the link to {table}{suffix} does not name {title}"
            assert page.request.get(base_url + report + f"{table}{suffix}").ok


@pytest.mark.parametrize("report", report_pages())
def test_tidy_urls_land_on_the_row_of_the_figure(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    body = page.request.get(base_url + report + "figures.csv").body().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert rows
    checked = 0
    for row in rows:
        path, fragment = row["url"].split("#", 1)
        assert base_url + path == base_url + report
        target = page.evaluate(
            "id => { const e = document.getElementById(id); return e && {tag: e.tagName, table: e.closest('table')?.dataset.table, text: e.textContent.trim()} }",
            fragment)
        assert target is not None, f"{row['url']} names no element"
        assert target["tag"] == "TH" and target["table"] == row["table_id"], (row["url"], target)
        assert target["text"] == row["row_name"], (row["url"], target["text"], row["row_name"])
        checked += 1
    assert checked == len(rows)
