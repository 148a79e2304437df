"""Browser test fixtures: the sample portal built once, served under a sub-path, and Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser_support import launch_args

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "some/prefix/"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    www = tmp_path_factory.mktemp("www")
    site = www / PREFIX
    site.parent.mkdir(parents=True, exist_ok=True)
    build(ROOT / "content", site)
    return site


@pytest.fixture(scope="session")
def base_url(built_site: Path) -> Iterator[str]:
    """The whole site served under /some/prefix/ of a plain static server."""
    www = built_site.parents[1]
    server = make_server(www, 0, quiet=True, not_found=built_site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/{PREFIX}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def report_pages() -> list[str]:
    """Site paths of every sample report page, from the content folders (not from the renderer)."""
    return sorted(
        f"units/{year.parent.name}/{year.name}/"
        for year in (ROOT / "content").glob("*/*")
        if year.is_dir() and (year / "report.yaml").exists()
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    passed = [r for r in terminalreporter.stats.get("passed", []) if "tests/browser/" in r.nodeid.replace("::", "/")]
    terminalreporter.write_line(f"browser tests passed: {len(passed)}")

