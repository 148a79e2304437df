"""Shard assignment (site_builder/shards.py): a pure function of the indexed pages and the cap."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from site_builder import shards
from site_builder.build import OutputRefused, build

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
        "units/a-unit/index.html": "site",
        "glossary/index.html": "site",
        "index.html": "site",
    }


def test_assignment_does_not_depend_on_page_order() -> None:
    shuffled = PAGES[:]
    random.Random(1).shuffle(shuffled)
    assert shards.assign(shuffled, 2) == shards.assign(PAGES, 2)
    assert set(shards.assign(PAGES, 500).values()) == {"2023-0", "2024-0", "site"}


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
