"""The browser checks must fail on a broken template: a theme override that drops one row of the
支出决算表, and one that swaps two columns of the 财政拨款收入支出决算总表, are built and checked
with the same functions the real site passes."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from site_builder.build import build
from site_builder.serve import make_server
from tests.browser.conftest import ROOT, report_pages
from tests.browser.test_tables import header_problems, source_problems, total_problems

MACROS = ROOT / "themes" / "default" / "templates" / "macros.html"
BODY = "{{ body_html(grid.body, term_links) }}"  # the default body rows; BREAKS writes them row by row
BREAKS = {
    "drop-expenditure-row": "{% for row in grid.body %}{% if not (grid.table_id == 'expenditure' and loop.index == 3) %}"
                            "{{ row_html(row, term_links) }}{% endif %}{% endfor %}",
    "swap-fiscal-columns": "{% for row in grid.body %}{{ row_html(row[:6] + [row[7], row[6]] + row[8:] "
                           "if grid.table_id == 'fiscal_summary' else row, term_links) }}{% endfor %}",
}


@pytest.fixture(scope="module", params=sorted(BREAKS))
def broken(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    content = tmp_path_factory.mktemp(request.param) / "content"
    shutil.copytree(ROOT / "content", content)
    macros = MACROS.read_text(encoding="utf-8")
    assert BODY in macros, "the default macros changed: update BREAKS"
    override = content / "_theme" / "templates" / "macros.html"
    override.parent.mkdir(parents=True)
    override.write_text(macros.replace(BODY, BREAKS[request.param]), encoding="utf-8")
    site = content.parent / "site"
    build(content, site, index=False)
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield request.param, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_broken_template_is_caught(browser: Browser, broken: tuple[str, str]) -> None:
    name, base = broken
    page = browser.new_page()
    report = report_pages()[0]
    page.goto(base + report)
    problems = {"totals": total_problems(page, report), "source": source_problems(page, report), "headers": header_problems(page)}
    page.close()
    print(f"{name}: " + "; ".join(f"{k}: {len(v)} problems, e.g. {v[:2]}" for k, v in problems.items()))
    if name == "drop-expenditure-row":
        assert problems["source"], "a dropped row must be missed against the source"
        assert problems["totals"], "a dropped row must break the rendered totals"
    else:
        assert problems["headers"], "swapped columns must sit under the wrong headers"
