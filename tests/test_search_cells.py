"""The cells files of the search index (which row and column a figure of a result stands in) are
taken from the report's grids (``search_index.grid_cells``); before, they were parsed out of the
rendered page (``search_index._cell_map``). Both must say the same for every table: the parse is
the independent reading of what the page prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import loader, search_index
from site_builder.check import load_and_check
from site_builder.findings import Place
from site_builder.model import Unpublished
from site_builder.render.pages import Renderer

ROOT = Path(__file__).resolve().parents[1]


def generated(folder: Path) -> Path:
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "12", "--seed", "5",
                    "--out", str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module", params=["samples", "generated"])
def content(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "samples":
        return ROOT / "content"
    return generated(tmp_path_factory.mktemp("cells") / "content")


def test_grid_cells_equal_the_cells_the_page_prints(content: Path) -> None:
    planned = loader.plan(content)
    renderer = Renderer(planned.site, content)
    pages = 0
    for job in planned.jobs:
        report, findings = load_and_check(job)
        assert report is not None
        output = renderer.render_report(report, findings)
        for path, cells in output.cells.items():
            parsed = search_index._cell_map(output.files[path])
            assert list(cells) == list(parsed), path
            for anchor in cells:
                assert cells[anchor] == parsed[anchor], f"{path} {anchor}"
            assert sum(len(table["figures"]) for table in cells.values()) > 0
            pages += 1
    assert pages == len(planned.jobs)


def test_an_unpublished_table_has_no_cells(tmp_path: Path) -> None:
    """A table declared unpublished prints only its reason: no cells, as the page has no table."""
    content = generated(tmp_path / "content")
    planned = loader.plan(content)
    report, findings = load_and_check(planned.jobs[0])
    assert report is not None
    output = Renderer(planned.site, content).render_report(report, findings)
    page = next(iter(output.cells))
    assert "table-three_public" in output.cells[page]
    report.unpublished.append(Unpublished("table", "three_public", "本单位无三公经费", Place("report.yaml", 1, 1)))
    output = Renderer(planned.site, content).render_report(report, findings)
    assert "table-three_public" not in output.cells[page]
    assert "table-three_public" not in search_index._cell_map(output.files[page])
