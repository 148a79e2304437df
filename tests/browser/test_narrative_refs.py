"""Computed figures in the 情况说明, read in Chromium: each one links to its cell on the same page,
and the figure a reader sees in the sentence is the text of that cell.

The portal is the mini fixture with the scaffolded skeletons as its 情况说明 (see
tests/test_scaffold_narrative.py), built and served under a sub-path like the sample portal.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from site_builder.build import build
from site_builder.serve import make_server
from tests.conftest import MINI, REPORT_2023, REPORT_2024
from tests.test_scaffold_narrative import narrate


@pytest.fixture(scope="module")
def narrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("narrated")
    content = base / "content"
    shutil.copytree(MINI, content)
    narrate(content)
    site = base / "www" / "prefix"
    site.parent.mkdir()
    build(content, site)
    server = make_server(site.parent, 0, quiet=True, not_found=site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/prefix/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("report", [REPORT_2023, REPORT_2024])
def test_each_narrative_figure_is_its_cell(page: Page, narrated_url: str, report: str) -> None:
    url = f"{narrated_url}units/{report}/"
    page.goto(url)
    links = page.locator("section[aria-labelledby=part-explanation] a.figure")
    count = links.count()
    assert count >= 20
    for index in range(count):
        link = links.nth(index)
        shown = link.inner_text().strip()
        assert shown and shown[0].isdigit()
        link.click()
        target = page.evaluate("decodeURIComponent(location.hash.slice(1))")
        assert page.url.startswith(url)  # the cell is on the same page
        cell = page.locator(f'[id="{target}"]')
        assert cell.count() == 1
        assert cell.evaluate("e => e.tagName") == "TD"
        assert cell.inner_text().strip() == shown
        assert cell.evaluate("e => e.closest('table') !== null")


def test_no_reference_is_left_unfilled(page: Page, narrated_url: str) -> None:
    for report in (REPORT_2023, REPORT_2024):
        page.goto(f"{narrated_url}units/{report}/")
        text = page.locator("section[aria-labelledby=part-explanation]").inner_text()
        assert "{{" not in text and "}}" not in text
        assert page.locator(".ref-error").count() == 0
