"""A report page with a correction history (更正记录): axe finds nothing, and the history reads back
from the rendered page newest first with the figures each correction changed (old → new)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.test_accessibility import violations

ROOT = Path(__file__).resolve().parents[2]
YC = "content/yanchi-social-insurance-center/2024"
PAGE = "units/yanchi-social-insurance-center/2024/"


def git(repo: Path, *args: str, date: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_DATE=f"{date}T10:00:00+0000", GIT_COMMITTER_DATE=f"{date}T10:00:00+0000")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture(scope="module")
def corrected_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """盐池 2024 published 2024-06-30 and corrected twice (2024-09-10 三公 budget 0.00 → blank;
    2025-03-02 a sentence of overview.md only), built from its git repository and served."""
    repo = tmp_path_factory.mktemp("corrected") / "repo"
    shutil.copytree(ROOT / "content", repo / "content")
    append(repo / YC / "report.yaml", "published: 2024-06-30\n")
    git(repo, "init", "-q", "-b", "main", date="2024-07-01")
    git(repo, "add", "-A", date="2024-07-01")
    git(repo, "commit", "-q", "-m", "published", date="2024-07-01")
    replace(repo / YC / "tables/three_public.yaml", "budget: {total: 30000.00, abroad: 0.00, ", "budget: {total: 30000.00, ")
    append(repo / YC / "report.yaml", "corrections:\n  - date: 2024-09-10\n    what: 公开07表 预算数 因公出国（境）费\n"
                                       "    why: 原表此格为空白，误录为0.00。\n")
    git(repo, "commit", "-q", "-am", "first correction", date="2024-09-10")
    append(repo / YC / "overview.md", "\n中心办公地点在盐池县。\n")  # an edit that changes no figure
    append(repo / YC / "report.yaml", "  - date: 2025-03-02\n    what: 概况 标点\n    why: 排版<script>alert(1)</script>\n")
    git(repo, "commit", "-q", "-am", "second correction", date="2025-03-02")
    site = repo.parent / "www" / "site"
    cwd = Path.cwd()
    os.chdir(repo)  # the build is run from the repository, as in CI
    try:
        build(Path("content"), site)
    finally:
        os.chdir(cwd)
    server = make_server(site, 0, quiet=True, not_found=site / "404.html")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", site
    server.shutdown()
    server.server_close()


def test_history_reads_back_newest_first(page: Page, corrected_site: tuple[str, Path]) -> None:
    base_url, _ = corrected_site
    page.goto(base_url + PAGE)
    entries = page.locator("#corrections ~ ol.correction-list > li")
    assert entries.count() == 2
    assert [entries.nth(i).locator("time").inner_text() for i in range(2)] == ["2025-03-02", "2024-09-10"]
    assert entries.nth(0).locator(".why").inner_text() == "原因：排版<script>alert(1)</script>"  # escaped, shown as text
    assert entries.nth(0).locator(".figures-none").inner_text() == "本次更正未改动表中数字。"
    rows = entries.nth(1).locator("table.correction-figures tbody tr")
    assert rows.count() == 1
    assert [c.strip() for c in rows.nth(0).locator("td").all_inner_texts()] == [
        "财政拨款“三公”经费支出决算表", "", "预算数因公出国（境）费", "0.00", "空白", "空白↔0"]
    assert page.locator("#corrections").inner_text() == "更正记录"
    assert "首次公开于 2024-06-30" in page.locator("section.corrections > p").first.inner_text()


def test_portal_corrections_page(page: Page, corrected_site: tuple[str, Path]) -> None:
    base_url, _ = corrected_site
    page.goto(base_url + "corrections/")
    items = page.locator("ol.portal-corrections > li")
    assert [items.nth(i).locator("time").inner_text() for i in range(items.count())] == ["2025-03-02", "2024-09-10"]
    items.nth(1).locator("a").click()
    assert page.url.endswith(PAGE + "index.html#corrections")


@pytest.mark.parametrize("path", [PAGE, "corrections/"])
def test_axe_finds_no_violations(page: Page, corrected_site: tuple[str, Path], path: str) -> None:
    base_url, _ = corrected_site
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_report_json_carries_the_history(corrected_site: tuple[str, Path]) -> None:
    _, site = corrected_site
    data = json.loads((site / PAGE / "report.json").read_text(encoding="utf-8"))
    assert data["published"] == "2024-06-30"
    assert [(c["date"], c["figures"]) for c in data["corrections"]] == [
        ("2025-03-02", []),
        ("2024-09-10", [{"table": "财政拨款“三公”经费支出决算表", "row": "", "column": "预算数因公出国（境）费",
                         "old": "0.00", "new": None, "difference": None}]),
    ]
