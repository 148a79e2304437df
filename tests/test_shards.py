"""Shard assignment (site_builder/shards.py): a pure function of the indexed pages and the cap."""

from __future__ import annotations

import os
import random
import textwrap
import time
from pathlib import Path

import pytest

from site_builder import search_index, shards
from site_builder.build import build
from site_builder.check import InternalError
from site_builder.output import OutputRefused

ROOT = Path(__file__).resolve().parents[1]

PAGES = [
    "units/c-unit/2023/index.html",
    "units/c-unit/2023/attachments/01-x/index.html",
    "units/a-unit/2023/index.html",
    "units/b-unit/2023/index.html",
    "units/b-unit/2024/index.html",
    "units/a-unit/index.html",
    "glossary/index.html",
    "index.html",
]


def test_years_are_cut_into_chunks_of_units_in_slug_order() -> None:
    assert shards.assign(PAGES, 2) == {
        "units/c-unit/2023/index.html": "2023-1",  # a, b, c in 2023: c is the third
        "units/c-unit/2023/attachments/01-x/index.html": "2023-1",  # with its report
        "units/a-unit/2023/index.html": "2023-0",
        "units/b-unit/2023/index.html": "2023-0",
        "units/b-unit/2024/index.html": "2024-0",  # first of its year
        "units/a-unit/index.html": "site-0",  # unit pages: a chunk of units in slug order
        "glossary/index.html": "site",
        "index.html": "site",
    }


def test_assignment_does_not_depend_on_page_order() -> None:
    shuffled = PAGES[:]
    random.Random(1).shuffle(shuffled)
    assert shards.assign(shuffled, 2) == shards.assign(PAGES, 2)
    assert set(shards.assign(PAGES, 500).values()) == {"2023-0", "2024-0", "site", "site-0"}


def test_unit_pages_are_cut_into_chunks_of_units_in_slug_order() -> None:
    """A figure edit changes a report's unit page: it re-indexes one small shard, not every unit page."""
    pages = [f"units/u{n:02d}/index.html" for n in range(7)] + ["units/u03/2023/index.html", "index.html"]
    assigned = shards.assign(pages[::-1], 3)
    assert [assigned[f"units/u{n:02d}/index.html"] for n in range(7)] == ["site-0"] * 3 + ["site-1"] * 3 + ["site-2"]
    assert assigned["units/u03/2023/index.html"] == "2023-0" and assigned["index.html"] == "site"
    assert shards.unit_of("units/u03/index.html") == "u03" and shards.unit_of("units/u03/2023/index.html") is None


def test_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(shards.SHARD_REPORTS_VARIABLE, raising=False)
    assert shards.shard_reports() == shards.SHARD_REPORTS
    monkeypatch.setenv(shards.SHARD_REPORTS_VARIABLE, "3")
    assert shards.shard_reports() == 3


@pytest.mark.parametrize("value", ["0", "-1", "many", "2.5"])
def test_a_bad_cap_refuses_the_build_before_anything_is_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              value: str) -> None:
    monkeypatch.setenv(shards.SHARD_REPORTS_VARIABLE, value)
    with pytest.raises(OutputRefused, match=shards.SHARD_REPORTS_VARIABLE):
        build(ROOT / "content", tmp_path / "site")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_shard_stops_the_others_and_leaves_the_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pagefind fails on the first shard while the others still run: the build fails at once, kills
    them, starts no more, and the previous output stays."""
    pids = tmp_path / "pids"
    fake = tmp_path / "pagefind"
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo $$ >> {pids}
        case "$2" in
          */2023-0) echo "no room on the device"; exit 3 ;;
          *) exec sleep 60 ;;
        esac
        """), encoding="utf-8")
    fake.chmod(0o755)
    out = tmp_path / "site"
    build(ROOT / "content", out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    monkeypatch.setattr(search_index, "pagefind_binary", lambda: fake)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # two Pagefinds at a time, whatever the machine
    monkeypatch.setenv(shards.SHARD_REPORTS_VARIABLE, "1")  # the samples' two reports in two shards
    started = time.monotonic()
    with pytest.raises(InternalError, match="no room on the device"):
        build(ROOT / "content", out)
    assert time.monotonic() - started < 30
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    started_pids = [int(pid) for pid in pids.read_text().split()]
    assert len(started_pids) >= 2  # another shard was running when the first failed
    for pid in started_pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_portal_that_fits_keeps_one_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to SINGLE_INDEX_REPORTS reports every page is in the one shard ``all`` (better answers,
    lighter first search); beyond it, shards by year and size."""
    reports = len({shards.report_of(p) for p in PAGES} - {None})
    assert set(shards.assign(PAGES, 2, single_up_to=reports).values()) == {shards.ALL}
    assert shards.ALL not in shards.assign(PAGES, 2, single_up_to=reports - 1).values()
    monkeypatch.delenv(shards.SHARD_REPORTS_VARIABLE, raising=False)
    assert shards.single_index_reports() == shards.SINGLE_INDEX_REPORTS
    monkeypatch.setenv(shards.SHARD_REPORTS_VARIABLE, "2")
    assert shards.single_index_reports() == 2
