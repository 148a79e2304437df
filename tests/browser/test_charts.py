"""The spending chart of each sample report page, in Chromium: axe, figures against the YAML,
the text alternative as the SVG's accessible name, and print.

Expected figures come from the content YAML read as text (BaseLoader) and shares are worked out
with exact fractions here, not by the renderer.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, report_pages

CHART = "figure.chart"


def source_rows(report: str) -> dict[str, dict[str, str]]:
    _units, unit, year = report.strip("/").split("/")
    path = Path(ROOT / "content" / unit / year / "tables" / "expenditure.yaml")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["rows"]


def printed(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def half_up_percent(part: str, total: str) -> str:
    scaled = Fraction(part) / Fraction(total) * 10000
    whole = int(abs(scaled) + Fraction(1, 2))
    return f"{'-' if scaled < 0 else ''}{whole // 100}.{whole % 100:02d}"


@pytest.mark.parametrize("report", report_pages())
def test_chart_has_no_axe_violations(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    assert page.locator(CHART).count() == 1
    results = Axe().run(page, context=CHART, options={"resultTypes": ["violations"]})
    assert [v["id"] for v in results.response["violations"]] == []


@pytest.mark.parametrize("report", report_pages())
def test_chart_table_equals_the_yaml(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    rows = source_rows(report)
    classes = [(code, row["total"]) for code, row in rows.items() if len(code) == 3]
    total = rows["total"]["total"]
    # names as the page's own 支出决算表 prints them for those codes
    spending = page.locator('table[data-table="expenditure"] tbody tr')
    names = {}
    for i in range(spending.count()):
        code = spending.nth(i).locator("td.code")
        if code.count():
            names[code.inner_text().strip()] = spending.nth(i).locator("th").inner_text().strip()
    table = page.locator(f"{CHART} table tbody tr")
    shown = [[cell.strip() for cell in table.nth(i).locator("th, td").all_inner_texts()] for i in range(table.count())]
    expected = [[names[code], value, half_up_percent(value, total)] for code, value in classes]
    expected.append([shown[-1][0], total, "100.00"])
    assert [[name, printed(value), share] for name, value, share in shown] == \
        [[name, Decimal(value), share] for name, value, share in expected]
    # the bars' labels on the chart say the same figures
    labels = page.locator(f"{CHART} svg text").all_text_contents()
    for code, value in classes:
        assert f"{Decimal(value):,}（{half_up_percent(value, total)}%）" in labels, code


@pytest.mark.parametrize("report", report_pages())
def test_text_alternative_is_the_accessible_name(page: Page, base_url: str, report: str) -> None:
    page.goto(base_url + report)
    summary = page.locator(f"{CHART} .chart-summary")
    expect(summary).to_be_visible()
    text = summary.inner_text().strip()
    total = source_rows(report)["total"]["total"]
    assert f"{Decimal(total):,}" in text
    svg = page.locator(f"{CHART} svg")
    expect(svg).to_have_attribute("role", "img")
    expect(svg).to_have_accessible_name(page.locator(f"{CHART} figcaption").inner_text().split("（金额单位")[0] + " " + text)
    expect(page.get_by_role("figure", name=page.locator(f"{CHART} figcaption").inner_text())).to_have_count(1)


@pytest.mark.parametrize("report", report_pages())
def test_chart_and_table_print_black_on_white_unclipped(page: Page, base_url: str, report: str) -> None:
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(base_url + report)
    page.emulate_media(media="print")
    figure = page.locator(CHART)
    for part in (figure, figure.locator("svg"), figure.locator("table"), figure.locator(".chart-summary")):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 794 + 0.5
    colours = figure.locator("svg text").evaluate_all("els => els.map(e => getComputedStyle(e).fill)")
    assert colours and set(colours) == {"rgb(0, 0, 0)"}
    bars = figure.locator("svg .chart-bar").evaluate_all("els => els.map(e => getComputedStyle(e).fill)")
    assert bars and set(bars) == {"rgb(0, 0, 0)"}
    assert figure.evaluate("f => getComputedStyle(f).breakInside") == "avoid"
