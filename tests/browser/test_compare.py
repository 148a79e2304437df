"""Issue 11 (compare) in Chromium: figures read back off unit pages and comparison views match the
YAML (read here, independently), axe finds nothing, sort links work by keyboard, print hides chrome."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.test_accessibility import violations
from tests.test_compare import _yaml

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "cmp/prefix/"

READ_ROWS = """
(table) => Array.from(table.querySelectorAll('tbody tr')).map(tr => ({
  rel: tr.dataset.rel || '', row: tr.dataset.row || '',
  cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-col], td[data-year]')).map(td =>
     [td.dataset.col || td.dataset.year, (td.querySelector('.num') || {textContent: ''}).textContent.replaceAll(',', '')]))
}))
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    base = tmp_path_factory.mktemp("cmp")
    content = base / "content"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "30", "--seed", "7",
                    "--out", str(content)], check=True, capture_output=True)
    www = base / "www"
    site = www / PREFIX
    site.parent.mkdir(parents=True)
    build(content, site, index=False)
    server = make_server(www, 0, quiet=True, not_found=site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield content, f"http://127.0.0.1:{server.server_port}/{PREFIX}"
    server.shutdown()
    server.server_close()


def expected(content: Path, rel: str) -> dict[str, Decimal | None]:
    """Headline figures of one report, from its YAML (shanxi/ningxia generated layouts)."""
    folder = content / rel
    summary = _yaml(folder / "tables" / "income_expenditure_summary.yaml")
    three = _yaml(folder / "tables" / "three_public.yaml")["rows"]["final"]
    detail = _yaml(folder / "tables" / "basic_expenditure_detail.yaml")["rows"]
    total = summary["expenditure"]["total_expenditure"]
    personnel = detail.get("personnel_total")
    share = None if personnel is None or not total else (personnel * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"total_expenditure": total, "three_public": three.get("total"), "reception": three.get("reception"),
            "personnel": personnel, "personnel_share": share, "unit": _yaml(folder / "report.yaml")["amount_unit"]}


def as_shown(value: Decimal | None, unit: str, page_unit: str) -> str:
    if value is None:
        return ""
    return str(value * 10000) if unit == "万元" and page_unit == "元" else str(value)


def group_links(page: Page, base_url: str) -> list[str]:
    page.goto(base_url + "compare/index.html")
    return page.eval_on_selector_all(".compare-list a", "els => els.map(e => e.href)")


def test_every_comparison_view_matches_the_yaml(page: Page, portal: tuple[Path, str]) -> None:
    content, base_url = portal
    links = group_links(page, base_url)
    assert links
    checked = 0
    for index, link in enumerate(links):
        page.goto(link)
        views = [link] + (page.eval_on_selector_all("table.compare thead a", "els => els.map(e => e.href)") if index < 4 else [])
        for view in views:
            page.goto(view)
            caption = page.locator("table.compare caption").inner_text()
            page_unit = "万元" if "金额单位：万元" in caption else "元"
            sort_key = page.locator("table.compare th[aria-sort]").get_attribute("data-col")
            rows = page.locator("table.compare").evaluate(READ_ROWS)
            sorted_values = [Decimal(r["cells"][sort_key]) for r in rows if r["cells"][sort_key]]
            assert sorted_values == sorted(sorted_values, reverse=True), view
            for row in rows:
                want = expected(content, row["rel"])
                for key in ("total_expenditure", "three_public", "reception", "personnel"):
                    assert row["cells"][key] == as_shown(want[key], str(want["unit"]), page_unit), (view, row["rel"], key)
                assert row["cells"]["personnel_share"] == ("" if want["personnel_share"] is None else str(want["personnel_share"]))
                checked += 1
    assert checked > 30


def test_unit_pages_match_the_yaml(page: Page, portal: tuple[Path, str]) -> None:
    content, base_url = portal
    units = sorted(p for p in content.iterdir() if (p / "unit.yaml").is_file())
    for unit in units:
        page.goto(f"{base_url}units/{unit.name}/")
        rows = page.locator('table[data-series="headlines"]').evaluate(READ_ROWS)
        caption = page.locator('table[data-series="headlines"] caption').inner_text()
        page_unit = "万元" if "金额单位：万元" in caption else "元"
        three_public = rows[6]["cells"]  # the headline order of standards/headlines.yaml: 三公 is the 7th
        for year_dir in sorted(p for p in unit.iterdir() if p.name.isdigit()):
            want = expected(content, f"{unit.name}/{year_dir.name}")
            assert three_public[year_dir.name] == as_shown(want["three_public"], str(want["unit"]), page_unit)
        assert page.locator("a", has_text="下载本页数据 CSV").count() == 1
        check_three_public_chart(page, unit, content, page_unit)


def check_three_public_chart(page: Page, unit: Path, content: Path, page_unit: str) -> None:
    """The unit page's 三公 chart (units with two or more reports): its data table, year by year,
    equals the YAML in the page's amount unit, with the tables' thousands separators; blank stays blank."""
    years = sorted(p.name for p in unit.iterdir() if p.name.isdigit())
    chart = page.locator("figure.chart").filter(has_text="“三公”经费支出")
    if len(years) < 2:
        assert page.locator("figure.chart").count() == 0
        return
    shown = dict(chart.locator("table.chart-data tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').innerText.trim(), r.querySelector('td').innerText.trim()])"))
    for year in years:
        want = expected(content, f"{unit.name}/{year}")
        value = as_shown(want["three_public"], str(want["unit"]), page_unit)
        assert shown[f"{year}年"] == (f"{Decimal(value):,}" if value else "空白"), (unit.name, year)
    assert chart.locator("svg[role=img]").count() == 1


def test_axe_on_unit_and_comparison_pages(page: Page, portal: tuple[Path, str]) -> None:
    content, base_url = portal
    unit = sorted(p.name for p in content.iterdir() if (p / "unit.yaml").is_file())[0]
    links = group_links(page, base_url)
    for url in (f"{base_url}units/{unit}/", base_url + "compare/index.html", links[0], links[-1]):
        page.goto(url)
        assert violations(page) == [], url


def test_sort_links_by_keyboard_and_print(page: Page, portal: tuple[Path, str]) -> None:
    _, base_url = portal
    page.goto(group_links(page, base_url)[0])
    target = page.locator("table.compare thead a").first
    href = target.get_attribute("href")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            break
    else:
        pytest.fail("no sort link reachable with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href or "?")
    assert page.locator("table.compare th[aria-sort=descending]").count() == 1
    page.emulate_media(media="print")
    assert page.locator("table.compare").is_visible()
    assert not page.locator(".site-header nav").is_visible()
    assert not page.locator(".downloads").first.is_visible()
