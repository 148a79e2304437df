"""The page of a partial report (tests/fixtures/form-only, seed 003) in Chromium: axe finds no
violation, and what is missing is said in text where the reader looks for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.test_accessibility import violations

FORM_ONLY = Path(__file__).resolve().parents[1] / "fixtures" / "form-only"
REPORT = "units/jinzhong-pension-center/2020/"


@pytest.fixture(scope="module")
def form_only_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("form-only-www") / "site"
    build(FORM_ONLY, site)
    server = make_server(site, 0, quiet=True, not_found=site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_partial_report_page_has_no_axe_violations(page: Page, form_only_url: str) -> None:
    page.goto(form_only_url + REPORT)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_table_of_contents_leads_to_the_reason(page: Page, form_only_url: str) -> None:
    page.goto(form_only_url + REPORT)
    link = page.locator("nav.toc li li", has_text="政府性基金预算财政拨款收入支出决算表")
    assert "（未公开）" in link.inner_text()
    link.locator("a").click()
    section = page.locator('[data-table-section="government_fund"]')
    assert section.locator(".unpublished-note").inner_text() == "本表未公开。原因：本单位此次只公开了项目支出绩效自评表。"
    assert section.locator("table").count() == 0
    notice = page.locator("section.unpublished-notice")
    assert notice.locator("h2").inner_text() == "本报告未公开的内容"
    assert notice.locator("li").count() == 12
