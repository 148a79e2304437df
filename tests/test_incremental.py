"""Incremental builds (issue 12): after random edits, a build that reuses the previous build's
reports, pages, search shards and bulk files writes exactly the files, byte for byte, that a fresh
build writes."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import site_builder.build as build_module
from site_builder import build_cache, check_cache, fingerprint, loader, quick, snapshot
from site_builder.build import BuildResult, build
from site_builder.findings import Finding
from site_builder.render import browse
from site_builder.shards import SHARD_REPORTS_VARIABLE

REPO = Path(__file__).resolve().parent.parent
PACKAGE_TEMPLATES = REPO / "themes" / "default" / "templates"
#: 机关运行经费 of a shanxi-2023 report's 相关信息统计表: a headline of the unit and comparison pages
RUNNING_COSTS = re.compile(r"^  (administrative|civil_service_managed): (\d+\.\d\d)$", re.M)


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def folders_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()}


def assert_same_site(incremental: Path, fresh: Path) -> None:
    """The same files with the same bytes (not a shallow comparison), in the same folders (a
    rebuild published in place leaves no empty folder behind)."""
    assert files_of(incremental) == files_of(fresh)
    assert folders_of(incremental) == folders_of(fresh)
    different = [path for path in sorted(files_of(fresh))
                 if not filecmp.cmp(incremental / path, fresh / path, shallow=False)]
    assert different == []


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample reports and 24 generated ones (several years per unit), so workers run."""
    root = tmp_path_factory.mktemp("incremental") / "content"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--reports", "24", "--out", str(root), "--seed", "7"],
                   check=True, capture_output=True)
    for unit in (REPO / "content").iterdir():
        if unit.is_dir():
            shutil.copytree(unit, root / unit.name)
    return root


def copied(portal: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the portal to edit, and where its site and build cache go."""
    shutil.copytree(portal, tmp_path / "content")
    return tmp_path / "content", tmp_path / "site", tmp_path / "cache"


def reports_of(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/[0-9][0-9][0-9][0-9]") if p.is_dir())


def years_of(unit: Path) -> list[Path]:
    return sorted(p for p in unit.glob("[0-9][0-9][0-9][0-9]") if p.is_dir())


def latest_years(root: Path) -> list[Path]:
    """Reports that are no other report's previous year (removing one leaves the others valid)."""
    return [p for p in reports_of(root) if not (p.parent / str(int(p.name) + 1)).exists()]


# -- edits a clerk or an editor makes -------------------------------------------------------------


def edit_narrative(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    report = rng.choice(reports_of(root))
    with (report / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\n本单位无其他需要说明的事项（第{rng.randint(1, 999)}次补充）。\n")
    return f"narrative of {report.relative_to(root)}"


def rename_unit(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    unit = rng.choice(sorted(p.parent for p in root.glob("*/unit.yaml")))
    text = (unit / "unit.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    lines = [line.rstrip("\n") + "（更名）\n" if line.startswith("name:") else line for line in lines]
    (unit / "unit.yaml").write_text("".join(lines), encoding="utf-8")
    return f"name of {unit.name}"


def remove_report(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    candidates = [p for p in latest_years(root) if len(list(p.parent.glob("[0-9]*"))) > 1]
    report = rng.choice(candidates)
    keep = root.parent / "removed" / report.relative_to(root)
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(report, keep)
    removed[report] = keep
    return f"removed {report.relative_to(root)}"


def restore_report(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    if not removed:
        return remove_report(root, rng, removed)
    report = rng.choice(sorted(removed))
    shutil.move(removed.pop(report), report)
    return f"restored {report.relative_to(root)}"


def retitle_site(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    path = root / "site.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", f"title: 第{rng.randint(1, 99)}版", 1), encoding="utf-8")
    return "site title"


def override_template(name: str, title: str, root: Path, rng: random.Random) -> str:
    """The site's own copy of a default template, with a numbered title."""
    target = root / "_theme" / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (PACKAGE_TEMPLATES / name).read_text(encoding="utf-8")
    assert title in text
    target.write_text(text.replace(title, f"{title}（第{rng.randint(1, 999)}版）", 1), encoding="utf-8")
    return f"the site's own {name}"


def override_report_template(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    return override_template("report.html", "{% block title %}{{ report.title }}", root, rng)


def override_unit_template(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    return override_template("unit.html", "{% block title %}{{ unit.name }}", root, rng)


def override_compare_template(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    return override_template("compare.html", "{% block title %}{{ group.year }}年度", root, rng)


def running_costs_reports(root: Path) -> list[Path]:
    return [p for p in reports_of(root) if (p / "tables" / "related_info.yaml").is_file()
            and RUNNING_COSTS.search((p / "tables" / "related_info.yaml").read_text(encoding="utf-8"))]


def change_running_costs(report: Path, rng: random.Random) -> None:
    """Lower 机关运行经费 in the table and in the 情况说明 sentence that states it (a consistent report)."""
    table = report / "tables" / "related_info.yaml"
    text = table.read_text(encoding="utf-8")
    found = RUNNING_COSTS.search(text)
    assert found is not None
    old = Decimal(found.group(2))
    new = max(Decimal(0), old - Decimal(rng.randint(1, 99)) / 100)
    table.write_text(text.replace(found.group(0), f"  {found.group(1)}: {new:.2f}", 1), encoding="utf-8")
    explanation = report / "explanation.md"
    prose = explanation.read_text(encoding="utf-8")
    stated = f"机关运行经费支出{old:,.2f}万元"
    assert stated in prose
    explanation.write_text(prose.replace(stated, f"机关运行经费支出{new:,.2f}万元"), encoding="utf-8")


def unit_field(unit: Path, name: str) -> str:
    return next(line.removeprefix(f"{name}:").strip() for line in (unit / "unit.yaml").read_text(encoding="utf-8").splitlines()
                if line.startswith(f"{name}:"))


def compared_reports(root: Path) -> list[Path]:
    """Reports with another unit's report of their year and region: rows of a comparison group."""
    region_years = [(unit_field(p.parent, "region"), p.name) for p in reports_of(root)]
    return [p for p, region_year in zip(reports_of(root), region_years, strict=True) if region_years.count(region_year) > 1]


def edit_headline_figure(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    """Preferably of a report in a comparison group, so that a group's page changes."""
    candidates = running_costs_reports(root)
    report = rng.choice([p for p in candidates if p in compared_reports(root)] or candidates)
    change_running_costs(report, rng)
    return f"机关运行经费 of {report.relative_to(root)}"


def add_unit(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    """A copy of a unit under another folder and name: it joins its region's comparison groups."""
    unit = rng.choice(sorted(p.parent for p in root.glob("*/unit.yaml")))
    copy = unit.with_name(f"{unit.name}-copy{rng.randint(1, 999)}")
    shutil.copytree(unit, copy)
    lines = (copy / "unit.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    (copy / "unit.yaml").write_text("".join(line.rstrip("\n") + "（二）\n" if line.startswith("name:") else line
                                            for line in lines), encoding="utf-8")
    return f"added {copy.relative_to(root)}"


def touch_without_change(root: Path, rng: random.Random, removed: dict[Path, Path]) -> str:
    report = rng.choice(reports_of(root))
    os.utime(report / "report.yaml")
    return f"touched {report.relative_to(root)}"


EDITS: list[Callable[[Path, random.Random, dict[Path, Path]], str]] = [
    edit_narrative, rename_unit, remove_report, restore_report, retitle_site, override_report_template,
    touch_without_change, edit_headline_figure, add_unit, override_unit_template, override_compare_template,
]


def test_random_edits_give_the_fresh_build(portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARD_REPORTS_VARIABLE, "8")  # several search shards, so some are reused
    root, site, cache = copied(portal, tmp_path)
    first = build(root, site, cache=cache)
    assert first.reused_reports == 0
    again = build(root, site, cache=cache)
    assert again.reused_reports == again.reports and again.reused_shards == len(again.index_memory) + again.reused_shards
    assert again.index_memory == {}  # nothing changed: no Pagefind ran
    rng = random.Random(12)
    removed: dict[Path, Path] = {}
    reused_pages = reused_bulk = updated = 0
    # every kind of edit, in a random order, one per build (an edit of every report would hide a
    # missed dependency of the edit before or after it)
    for round_number, edit in enumerate(rng.sample(EDITS, len(EDITS))):
        done = edit(root, rng, removed)
        result = build(root, site, cache=cache)
        fresh = build(root, tmp_path / f"fresh-{round_number}")
        assert result.reports == fresh.reports, done
        assert_same_site(site, tmp_path / f"fresh-{round_number}")
        shutil.rmtree(tmp_path / f"fresh-{round_number}")
        reused_pages += result.reused_unit_pages + result.reused_compare_groups
        reused_bulk += result.reused_bulk_years + result.reused_unit_files
        if edit is edit_headline_figure:  # one year's bulk files and one unit's figures.csv are written again
            assert (result.reused_bulk_years, result.reused_unit_files) == (len(bulk_years(site)) - 1, len(unit_folders(site)) - 1)
        updated += "of which the search directory (updated)" in result.timings
    assert reused_pages > 0  # else the comparisons above say nothing of reused unit and comparison pages
    assert reused_bulk > 0  # nor of reused bulk files
    assert updated > 0  # nor of a search directory updated from the previous one


def test_one_narrative_edit_renders_one_report(portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARD_REPORTS_VARIABLE, "4")  # shards: one indexed again, the directory updated
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    latest = latest_years(root)[0]
    with (latest / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write("\n本单位无其他需要说明的事项。\n")
    result: BuildResult = build(root, site, cache=cache)
    assert result.reused_reports == result.reports - 1
    assert (result.reused_unit_pages, result.reused_compare_groups) == (len(unit_folders(site)), len(group_folders(site)))
    assert (result.reused_bulk_years, result.reused_unit_files) == (len(bulk_years(site)), len(unit_folders(site)))  # no figure changed
    assert len(result.index_memory) == 1 and "of which the search directory (updated)" in result.timings
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def reports_with_findings(findings: list[Finding], shown_root: str) -> set[str]:
    """The ``<unit>/<year>`` folders that findings shown below ``shown_root`` name files of."""
    return {"/".join(f.place.path.removeprefix(shown_root).split("/")[:2]) for f in findings
            if f.place.path.startswith(shown_root)}


def assert_every_site_wide_part_reused(result: BuildResult, site: Path, fresh: BuildResult) -> None:
    """Nothing but the current folder changed: every page, shard and download made from more than
    one report (or from a unit) is taken from the previous build (``fresh``: the build that made it)."""
    assert (result.reused_unit_pages, result.reused_compare_groups) == (len(unit_folders(site)), len(group_folders(site)))
    assert (result.reused_bulk_years, result.reused_unit_files) == (len(bulk_years(site)), len(unit_folders(site)))
    assert result.reused_browse_pages == len(browse_pages(site)) > 0
    assert result.reused_shards == len(fresh.index_memory) > 0


def browse_pages(site: Path) -> list[Path]:
    """The home page and the region and parent-department pages."""
    return [site / "index.html", *sorted(site.glob("regions/**/index.html"))]


def test_a_build_from_another_folder_reuses_the_cache_and_shows_paths_from_there(
        portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build cache is the same whichever the current folder. Findings name files relative to
    it, so only the reports with findings are checked again from another folder (and the quick
    check answers only from the folder its findings were shown from)."""
    copied(portal, tmp_path)
    monkeypatch.chdir(tmp_path)
    first = build(Path("content"), Path("site"), cache=Path("cache"))
    checked_again = reports_with_findings(first.findings, "content/")
    assert 0 < len(checked_again) < first.reports
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    second = build(Path("../content"), Path("../site"), cache=Path("../cache"))
    assert quick.UNCHANGED not in second.timings
    assert second.reused_reports == second.reports - len(checked_again)
    assert_every_site_wide_part_reused(second, tmp_path / "site", first)
    assert [f.place.path for f in second.findings] == ["../" + f.place.path for f in first.findings]
    assert all(Path(f.place.path).is_file() for f in second.findings)
    assert quick.UNCHANGED in build(Path("../content"), Path("../site"), cache=Path("../cache")).timings
    monkeypatch.chdir(tmp_path)
    third = build(Path("content"), Path("site"), cache=Path("cache"))
    assert quick.UNCHANGED not in third.timings and third.reused_reports == second.reused_reports
    assert [f.place.path for f in third.findings] == [f.place.path for f in first.findings]
    build(Path("content"), Path("fresh"))
    assert_same_site(tmp_path / "site", tmp_path / "fresh")


def test_the_findings_a_site_unchanged_reads_are_those_of_the_whole_entry(
        portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``findings_of`` (all a build that finds the site unchanged reads of a report's entry) says
    what ``entry`` says: the findings when the key holds, and from another folder none for a report
    with findings (their paths are relative to the folder they were shown from)."""
    copied(portal, tmp_path)
    monkeypatch.chdir(tmp_path)
    build(Path("content"), Path("site"), cache=Path("cache"))

    def both(up: str) -> list[tuple[object, object]]:
        root = Path(up + "content")
        planned = loader.plan(root)
        cache = build_cache.BuildCache(quick.cache_folder(Path(up + "cache"), root, Path(up + "site")), root, planned.site)
        keys = [cache.key(year_dir) for _, year_dir in planned.jobs]
        pairs = []
        for (_, year_dir), key in zip(planned.jobs, keys, strict=True):
            entry = cache.entry(year_dir, key)
            pairs.append((entry.findings if entry is not None else None, cache.findings_of(year_dir, key)))
            assert cache.findings_of(year_dir, "0" * 64) is None
        return pairs

    here = both("")
    assert all(entry == findings for entry, findings in here) and sum(bool(f) for f, _ in here) > 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = both("../")
    assert all(entry == findings for entry, findings in there)
    assert [f is None for f, _ in there] == [bool(f) for f, _ in here]


def test_a_build_whose_cache_remembers_no_report_keys_them_while_they_render(
        portal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys taken in the background are those a build that keys first takes: the next build,
    which keys first, reuses every report but the one edited."""
    root, site, cache = copied(portal, tmp_path)
    later: list[int] = []
    taken = build_module._KeysLater.taken
    monkeypatch.setattr(build_module._KeysLater, "taken", lambda self: later.append(1) or taken(self))
    first = build(root, site, cache=cache)
    assert later == [1] and first.reused_reports == 0
    with (latest_years(root)[0] / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write("\n本单位无其他需要说明的事项。\n")
    second = build(root, site, cache=cache)
    assert later == [1] and second.reused_reports == second.reports - 1
    shutil.rmtree(site)  # the reports remembered were linked from it: none can be reused
    third = build(root, site, cache=cache)
    assert later == [1, 1] and third.reused_reports == 0
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def bulk_years(site: Path) -> list[str]:
    return sorted(folder.name for folder in (site / "data").iterdir() if folder.is_dir())


def unit_folders(site: Path) -> list[Path]:
    return sorted(page.parent for page in site.glob("units/*/index.html"))


def group_folders(site: Path) -> list[Path]:
    return sorted(folder for folder in site.glob("compare/*/*") if folder.is_dir())


def groups_listing(site: Path, name: str, year: str) -> list[Path]:
    """The comparison groups with a row of unit ``name`` in ``year``."""
    return [folder for folder in group_folders(site)
            if any(line.startswith(f"{name},{year},") for line in (folder / "by-personnel.csv").read_text(encoding="utf-8-sig").splitlines())]


def test_one_figure_edit_renders_its_unit_page_and_comparison_groups(portal: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A headline figure of one report changed: its report, its unit's page and the comparison
    groups it is a row of are rendered again; every other page is reused. The search index: the
    report's shard and its unit page's shard indexed again, the directory updated."""
    monkeypatch.setenv(SHARD_REPORTS_VARIABLE, "4")
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    report = next(p for p in running_costs_reports(root) if groups_listing(site, unit_field(p.parent, "name"), p.name))
    groups = groups_listing(site, unit_field(report.parent, "name"), report.name)
    change_running_costs(report, random.Random(5))
    result = build(root, site, cache=cache)
    assert result.reused_reports == result.reports - 1
    assert result.reused_unit_pages == len(unit_folders(site)) - 1
    assert result.reused_compare_groups == len(group_folders(site)) - len(groups)
    assert len(groups) >= 1
    assert sorted(result.index_memory)[-1].startswith("site-") and len(result.index_memory) == 2
    assert "of which the search directory (updated)" in result.timings
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def browsing_pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted(site.glob("regions/**/index.html"))]


def test_a_figure_edit_renders_only_the_browsing_page_that_lists_its_unit(portal: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The browsing pages are reused unless what they show changed: a figure of a report that is
    not among the home page's latest changed, so only the page listing its unit is rendered again
    (its reports' summaries are part of that page's key)."""
    monkeypatch.setattr(browse, "PAGE_UNITS", 3)  # region and parent-department pages from a small portal
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    pages = browsing_pages(site)
    assert len(pages) >= 4 and "regions/" in (site / "index.html").read_text(encoding="utf-8").split("<main", 1)[1]
    latest = sorted(reports_of(root), key=lambda p: (-int(p.name), unit_field(p.parent, "name")))[:10]  # as the home page
    report = next(p for p in running_costs_reports(root) if p not in latest)
    change_running_costs(report, random.Random(3))
    result = build(root, site, cache=cache)
    assert result.reused_browse_pages == len(pages) - 1
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")
    assert build(root, site, cache=cache).reused_browse_pages == 0  # nothing changed: answered by the quick check


def inodes(site: Path, pattern: str) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in sorted(site.glob(pattern))}


def test_a_figure_edit_writes_its_years_bulk_files_only(portal: Path, tmp_path: Path) -> None:
    """The other years' files and the other units' figures.csv are the previous output's (the same
    inodes: linked), the edited year's are written again, and the site is a fresh build's."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    report = next(p for p in running_costs_reports(root) if p in latest_years(root))  # no next year shows its figures
    before = inodes(site, "data/*/*") | inodes(site, "units/*/figures.csv")
    edited_year = (site / "data" / report.name / "figures.sqlite").read_bytes()
    change_running_costs(report, random.Random(3))
    result = build(root, site, cache=cache)
    assert (result.reused_bulk_years, result.reused_unit_files) == (len(bulk_years(site)) - 1, len(unit_folders(site)) - 1)
    after = inodes(site, "data/*/*") | inodes(site, "units/*/figures.csv")
    assert set(after) == set(before)
    changed = {path for path in after if after[path] != before[path]}
    # of the edited year's files, those written again with the same bytes stay in place (publish.py)
    assert changed <= {path for path in after if path.startswith(f"data/{report.name}/")} | {
        f"units/{report.parent.name}/figures.csv"}
    assert {f"data/{report.name}/figures.sqlite", f"units/{report.parent.name}/figures.csv"} <= changed
    assert (site / "data" / report.name / "figures.sqlite").read_bytes() != edited_year
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def parsed_reports(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The report folders whose bulk rows the next build makes from their files (not recalled)."""
    from site_builder import bulk

    parsed: list[str] = []
    made = bulk.ReportRows.from_files.__func__  # type: ignore[attr-defined]

    def counted(cls: type[bulk.ReportRows], base: str, *rest: object) -> bulk.ReportRows:
        parsed.append(base)
        return made(cls, base, *rest)

    monkeypatch.setattr(bulk.ReportRows, "from_files", classmethod(counted))
    return parsed


def made_parts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the parts of years' bulk files the next build makes (not recalled)."""
    from site_builder import bulk

    made: list[str] = []
    make = bulk._made_part

    def counted(parts: object, name: str, *rest: object, **named: object) -> object:
        made.append(name)
        return make(parts, name, *rest, **named)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "_made_part", counted)
    return made


def database_rows(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_a_year_put_together_from_parts_is_the_year_read_at_once(portal: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of two reports give a year the same CSV and JSON bytes and the same SQLite rows, in the
    same order, as one part of every report (the SQLite file itself differs only in its header's
    count of transactions: one per part)."""
    from site_builder import bulk

    root, site, _ = copied(portal, tmp_path)
    build(root, site)
    monkeypatch.setenv(bulk.PART_REPORTS_VARIABLE, "2")
    made = made_parts(monkeypatch)
    build(root, tmp_path / "in-parts")
    years = bulk_years(site)
    assert len(made) > len(years)  # several parts a year
    for year in years:
        ours, theirs = site / "data" / year, tmp_path / "in-parts" / "data" / year
        assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in theirs.iterdir())
        for name in sorted(p.name for p in ours.iterdir() if p.name != bulk.SQLITE_NAME):
            assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
        assert database_rows(ours / bulk.SQLITE_NAME) == database_rows(theirs / bulk.SQLITE_NAME)


def test_a_figure_edit_makes_only_its_part_of_its_years_files(portal: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The year's other parts are recalled from the build cache (only the reports of the edited
    report's part are parsed); a part whose record or files were changed there is made again; a
    part whose rows SQLite cannot copy, though its digests hold, has every part made again; and
    the site is a fresh build's."""
    from site_builder import bulk

    monkeypatch.setenv(bulk.PART_REPORTS_VARIABLE, "2")
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    report = next(p for p in running_costs_reports(root) if p in latest_years(root))
    year = report.name
    bases = sorted(f"units/{p.parent.name}/{year}/" for p in reports_of(root) if p.name == year)
    base = f"units/{report.parent.name}/{year}/"
    own = f"{year}-{sorted(bases).index(base) // 2}"  # report order is the sorted folders'
    assert len(bases) > 4
    change_running_costs(report, random.Random(8))
    made = made_parts(monkeypatch)
    parsed = parsed_reports(monkeypatch)
    build(root, site, cache=cache)
    assert made == [own]
    assert sorted(parsed) == [b for b in bases if bases.index(b) // 2 == bases.index(base) // 2]  # its part's reports
    parts = next(cache.glob(f"build-*/{build_cache.BULK_PARTS}"))
    others = sorted(name for name in bulk.part_names(year, len(bases)) if name != own)
    data = parts / f"{others[0]}.data"
    data.write_bytes(data.read_bytes().replace(b"2", b"3", 1))
    database = parts / f"{others[1]}.sqlite"
    database.write_bytes(database.read_bytes() + b"\0")
    change_running_costs(report, random.Random(9))
    made.clear()
    build(root, site, cache=cache)
    assert sorted(made) == sorted([own, others[0], others[1]])
    record = check_cache.read_sealed(parts / others[2], bulk.PART_MAGIC, bulk.PART_VERSION)
    forged = b"SQLite format 3\0" + bytes(4080)  # not a database SQLite can copy rows from, under a digest that holds
    (parts / f"{others[2]}.sqlite").write_bytes(forged)
    record["database"] = hashlib.sha256(forged).hexdigest()
    check_cache.write_sealed(parts / others[2], bulk.PART_MAGIC, bulk.PART_VERSION, record)
    change_running_costs(report, random.Random(10))
    made.clear()
    build(root, site, cache=cache)
    assert made == [own, *bulk.part_names(year, len(bases))]  # its own part; then, as SQLite failed, every part
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_parts_that_cannot_be_kept_in_the_build_cache_only_cost_time(portal: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A part whose files cannot be made in the build cache is made in the build's own folder, and
    one that cannot be put under its name there is used where it is: the build goes on, and its
    site is a fresh build's."""
    from site_builder import bulk

    monkeypatch.setenv(bulk.PART_REPORTS_VARIABLE, "2")
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    parts = next(cache.glob(f"build-*/{build_cache.BULK_PARTS}"))
    year = bulk_years(site)[-1]
    for name in bulk.part_names(year, 3):
        (parts / name).unlink()  # no record: every part of the year is made again
    (parts / f".{year}-0.sqlite.tmp").mkdir()  # cannot be made there
    (parts / f"{year}-1.data").unlink()
    (parts / f"{year}-1.data").mkdir()  # cannot be put under its name
    (site / "data" / year / bulk.SQLITE_NAME).write_bytes(b"changed by hand")  # the year is written again
    made = made_parts(monkeypatch)
    build(root, site, cache=cache)
    assert {f"{year}-0", f"{year}-1"} <= set(made)
    assert not (site / ".bulk-parts").exists() and not list(site.parent.glob("*.bulk-parts*"))
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_bulk_file_changed_in_the_output_is_written_again(portal: Path, tmp_path: Path) -> None:
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    years = bulk_years(site)
    database = site / "data" / years[0] / "figures.sqlite"
    database.write_bytes(database.read_bytes() + b"hand edit")
    unit_file = site / "units" / "jincheng-social-insurance-center" / "figures.csv"
    unit_file.write_bytes(unit_file.read_bytes().replace(b"2023", b"2032"))  # the same size
    (site / "data" / years[-1] / "extra.csv").write_text("added by hand", encoding="utf-8")
    result = build(root, site, cache=cache)
    assert result.reused_reports == result.reports
    assert (result.reused_bulk_years, result.reused_unit_files) == (len(years) - 1, len(unit_folders(site)) - 1)
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_report_moved_to_another_year(portal: Path, tmp_path: Path) -> None:
    """Both years' files are written again; the others are reused."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    years = bulk_years(site)
    report = next(p for p in reports_of(root) if len(list(p.parent.glob("[0-9]*"))) == 1 and p.name != years[0])
    target = report.with_name(years[0])
    shutil.move(report, target)
    for path in [*target.glob("*.md"), target / "report.yaml"]:  # the text states its year
        path.write_text(path.read_text(encoding="utf-8").replace(f"{report.name}年", f"{target.name}年"), encoding="utf-8")
    result = build(root, site, cache=cache)
    assert result.reused_bulk_years == len(years) - 2
    assert result.reused_unit_files == len(unit_folders(site)) - 1
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_year_removed_leaves_the_bulk_downloads(portal: Path, tmp_path: Path) -> None:
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    years = bulk_years(site)
    last = [p for p in reports_of(root) if p.name == years[-1]]
    assert all(p in latest_years(root) for p in last)  # removing them leaves the other reports valid
    for report in last:
        shutil.rmtree(report)
    result = build(root, site, cache=cache)
    assert bulk_years(site) == years[:-1] and not (site / "data" / years[-1]).exists()
    assert result.reused_bulk_years == len(years) - 1
    assert f"{years[-1]}/" not in (site / "data" / "index.html").read_text(encoding="utf-8")
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_tampered_bulk_record_is_a_miss(portal: Path, tmp_path: Path) -> None:
    """A bulk record may name only files of its own year's folder (or its own unit file), with
    digests; one that names another is a miss: nothing outside is linked, and the site is a fresh build's."""
    from site_builder import check_cache

    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    years = bulk_years(site)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    bulk_file = next(cache.glob("build-*/bulk"))
    record = check_cache.read_sealed(bulk_file, quick.MAGIC, quick.VERSION)
    first, second = record["years"][years[0]], record["years"][years[1]]
    first["files"][os.path.relpath(victim, site)] = next(iter(first["files"].values()))
    second["files"] = {path.replace(f"data/{years[1]}/", f"data/{years[0]}/"): value for path, value in second["files"].items()}
    unit = next(iter(record["units"]))
    record["units"][unit] = record["units"][unit][:2]
    check_cache.write_sealed(bulk_file, quick.MAGIC, quick.VERSION, record)
    (site / "units" / "stray.html").write_text("added by hand", encoding="utf-8")  # so that bulk files are reused
    result = build(root, site, cache=cache)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert (result.reused_bulk_years, result.reused_unit_files) == (len(years) - 2, len(unit_folders(site)) - 1)
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_file_changed_in_the_output_is_written_again(portal: Path, tmp_path: Path) -> None:
    """Someone edited the published site by hand: that report is rendered again, not reused."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    page = site / "units" / "jincheng-social-insurance-center" / "2023" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>hand edit</p></body>"))
    result = build(root, site, cache=cache)
    assert result.reused_reports == result.reports - 1
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_corrupt_cache_is_a_miss(portal: Path, tmp_path: Path) -> None:
    root, site, cache = copied(portal, tmp_path)
    assert build(root, site, cache=cache).reports > 2
    entries = sorted(cache.glob("build-*/reports/*"))
    entries[0].write_bytes(entries[0].read_bytes()[:-40] + b"garbage")
    entries[1].write_bytes(b"site-builder-build-cache 1 0000\n{}")
    for copy in sorted(cache.glob("build-*/index/*")):  # the other reports' index copies and summaries
        copy.write_bytes(b"not the page")
    result = build(root, site, cache=cache)  # the copies are checked where they are read: none is read
    assert result.reused_reports == result.reports - 2
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")
    with (latest_years(root)[0] / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write("\n本单位无其他需要说明的事项。\n")
    result = build(root, site, cache=cache)  # the search index is built again from the copies: found damaged
    assert result.reused_reports == 0
    assert all(hashlib.sha256(copy.read_bytes()).hexdigest() == copy.name for copy in cache.glob("build-*/index/*"))
    build(root, tmp_path / "fresh-2")
    assert_same_site(site, tmp_path / "fresh-2")


def test_index_copies_are_kept_where_the_workers_could_not_store_them(portal: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers write their pages' index copies and their summaries into the store as they
    render; where they could not (``keep_in_store`` failing), the main process copies them: the
    same store either way, and the next build reuses it."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    stored = {copy.name: copy.read_bytes() for copy in cache.glob("build-*/index/*")}
    assert stored and all(hashlib.sha256(data).hexdigest() == name for name, data in stored.items())

    def not_stored(store: Path, digest: str, data: bytes) -> None:
        return None

    monkeypatch.setattr(build_module, "keep_in_store", not_stored)  # the workers are forked: theirs too
    other_site, other_cache = tmp_path / "site-2", tmp_path / "cache-2"
    build(root, other_site, cache=other_cache)
    assert {copy.name: copy.read_bytes() for copy in other_cache.glob("build-*/index/*")} == stored
    with (latest_years(root)[0] / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write("\n本单位无其他需要说明的事项。\n")
    result = build(root, other_site, cache=other_cache)  # the search index is built again from the copies
    assert result.reused_reports == result.reports - 1
    build(root, tmp_path / "fresh")
    assert_same_site(other_site, tmp_path / "fresh")


def test_a_damaged_summary_is_found_when_its_unit_page_is_rendered(portal: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A reused report's whole summary is read from the cache only when its unit page is rendered
    again: then a damaged one is found, and that report rendered again."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    second = next(p for p in running_costs_reports(root) if p in latest_years(root) and len(years_of(p.parent)) > 1)
    first = years_of(second.parent)[0]  # another year of the unit (its key does not read the edited year)
    summaries = {path for path in cache.glob("build-*/index/*") if path.read_bytes().startswith(b"[")}
    store = next(cache.glob("build-*/index"))
    entries = [json.loads(path.read_bytes().partition(b"\n")[2]) for path in cache.glob("build-*/reports/*")]
    damaged = store / next(e["summary_file"] for e in entries if e["folder"].endswith(f"{first.parent.name}/{first.name}"))
    assert damaged in summaries
    damaged.write_bytes(damaged.read_bytes().replace(b"20", b"21"))
    change_running_costs(second, random.Random(5))  # a figure of its unit's page
    result = build(root, site, cache=cache)
    assert result.reused_reports == result.reports - 2  # the edited report, and the one whose summary was damaged
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_tampered_cache_cannot_name_a_file_outside_it(portal: Path, tmp_path: Path) -> None:
    """Digests in a cache entry name files of its store; one that is a path would be read and, as a
    corrupt copy, deleted. An entry with such a digest is a miss; the file stays."""
    from site_builder import check_cache, quick

    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    entries = sorted(cache.glob("build-*/reports/*"))
    for entry, field in zip(entries, ("summary_file", "index"), strict=False):
        data = check_cache.read_sealed(entry, quick.MAGIC, quick.VERSION)
        escape = os.path.relpath(victim, entry.parent.parent / "index")
        if field == "index":
            data["index"] = {page: escape for page in data["index"]}
        else:
            data["summary_file"] = escape
        check_cache.write_sealed(entry, quick.MAGIC, quick.VERSION, data)
    (site / "units" / "stray.html").write_text("added by hand", encoding="utf-8")  # so that reports are reused
    result = build(root, site, cache=cache)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert result.reused_reports <= result.reports - 2
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_unit_page_changed_in_the_output_is_written_again(portal: Path, tmp_path: Path) -> None:
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    page = site / "units" / "jincheng-social-insurance-center" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>hand edit</p></body>"))
    result = build(root, site, cache=cache)
    assert (result.reused_reports, result.reused_unit_pages) == (result.reports, len(unit_folders(site)) - 1)
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_a_tampered_page_entry_is_a_miss(portal: Path, tmp_path: Path) -> None:
    """A page entry may name only files of its own folder, and digests that are digests."""
    from site_builder import check_cache

    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    pages_file = next(cache.glob("build-*/pages"))
    pages = check_cache.read_sealed(pages_file, quick.MAGIC, quick.VERSION)
    units = [entry for entry in pages.values() if entry["index"]]
    escape = os.path.relpath(victim, pages_file.parent / "index")
    units[0]["index"] = {page: escape for page in units[0]["index"]}
    report_page = "units/jincheng-social-insurance-center/2023/index.html"  # another job's file, as written
    units[1]["files"][report_page] = [*next(iter(units[1]["files"].values()))[:1], 1, 1]
    check_cache.write_sealed(pages_file, quick.MAGIC, quick.VERSION, pages)
    (site / "units" / "stray.html").write_text("added by hand", encoding="utf-8")  # so that pages are reused
    result = build(root, site, cache=cache)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert result.reused_unit_pages == len(unit_folders(site)) - 2
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_no_default_template_reads_the_sites_units() -> None:
    """Report and page keys take in the list of units only when the site has its own templates
    (``build_cache.build_inputs_digest``): a unit's page would otherwise miss another unit's rename."""
    for template in sorted(PACKAGE_TEMPLATES.glob("*.html")):
        lines = template.read_text(encoding="utf-8").splitlines()
        assert not [line for line in lines if re.search(r"\bsite\b", line) and re.search(r"\b(units|reports)\b", line)], template


def test_nothing_changed_writes_nothing(portal: Path, tmp_path: Path) -> None:
    root, site, cache = copied(portal, tmp_path)
    first = build(root, site, cache=cache)
    marker = (site / ".site-builder-build").stat()
    again = build(root, site, cache=cache)
    assert list(again.timings) == ["unchanged: nothing built"]
    assert (again.pages, again.reports, again.files) == (first.pages, first.reports, first.files)
    assert [f.line() for f in again.findings] == [f.line() for f in first.findings]
    assert (site / ".site-builder-build").stat().st_mtime_ns == marker.st_mtime_ns
    (site / "units" / "stray.html").write_text("added by hand", encoding="utf-8")  # not what a fresh build writes
    third = build(root, site, cache=cache)
    assert "unchanged: nothing built" not in third.timings and third.reused_reports == third.reports
    assert not (site / "units" / "stray.html").exists()


def test_an_unchanged_build_still_removes_what_killed_builds_left(portal: Path, tmp_path: Path) -> None:
    """A killed build leaves its staging folder beside the site; the next build cleans it up even
    when it has nothing to build (the CI run that found this killed builds at random instants)."""
    root, site, cache = copied(portal, tmp_path)
    build(root, site, cache=cache)
    left = [site.with_name(f".{site.name}.building-4597-2d459921"), site.with_name(f".{site.name}.old-4600-7e0263c5")]
    for folder in left:
        (folder / "units").mkdir(parents=True)
        (folder / "units" / "index.html").write_text("half written", encoding="utf-8")
    again = build(root, site, cache=cache)
    assert list(again.timings) == ["unchanged: nothing built"]
    assert not any(folder.exists() for folder in left)


@pytest.mark.parametrize("path", ["../outside.html", "/etc/passwd", "units/../../x", "a//b", "", "a\\b"])
def test_cache_paths_that_leave_the_site_are_refused(path: str) -> None:
    from site_builder.build_cache import is_safe_path

    assert not is_safe_path(path)
    assert is_safe_path("units/x/2023/index.html")


# -- the quick check (snapshot.py): nothing changed, seen without reading a file --------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated reports only: none declares ``published:`` (whose key depends on git history)."""
    root = tmp_path_factory.mktemp("quick") / "content"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--reports", "12", "--out", str(root), "--seed", "3"],
                   check=True, capture_output=True)
    return root


def settle() -> None:
    time.sleep(snapshot.RACY_SECONDS + 1.05)  # find compares whole seconds


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Change ``old`` to ``new`` (as many bytes) and put the modification time back, as a careless
    copy tool would: only the change time tells."""
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text and len(old.encode()) == len(new.encode())
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_after_an_edit_the_output_is_walked_again_only_where_it_was_published(
        generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build published in place takes the output's snapshot again walking only the folders it
    wrote into (``snapshot.take_again``): the snapshot it records is the one a whole walk takes,
    so the next build sees at once that nothing changed."""
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    root, site, cache = copied(generated, tmp_path)
    taken_again: list[str | None] = []
    real_take_again = snapshot.take_again
    monkeypatch.setattr(snapshot, "take_again",
                        lambda *args: taken_again.append(real_take_again(*args)) or taken_again[-1])
    settle()
    build(root, site, cache=cache)
    with (latest_years(root)[0] / "explanation.md").open("a", encoding="utf-8") as handle:
        handle.write("\n本单位无其他需要说明的事项。\n")
    settle()
    result = build(root, site, cache=cache)
    assert result.reused_reports == result.reports - 1
    record = quick.read_quick(quick.cache_folder(cache, root, site))
    assert len(taken_again) == 1 and record is not None and record.output == taken_again[0] == snapshot.take(site)
    assert quick.UNCHANGED in build(root, site, cache=cache).timings


def test_an_edit_while_a_first_build_walks_the_content_is_seen_by_the_next(
        generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build whose cache has no record yet renders while the content's snapshot is taken and the
    reports keyed (``QuickCheck.content_walk``, ``_KeysLater``): an edit made meanwhile, before or
    after the report was read, is never taken for unchanged by the next build."""
    root, site, cache = copied(generated, tmp_path)
    settle()
    start = build_module._KeysLater.start

    def edit_then_start(keys: build_module._KeysLater) -> None:
        with (latest_years(root)[0] / "explanation.md").open("a", encoding="utf-8") as handle:
            handle.write("\n本单位无其他需要说明的事项。\n")
        start(keys)

    with monkeypatch.context() as patched:
        patched.setattr(build_module._KeysLater, "start", edit_then_start)
        build(root, site, cache=cache)
    build(root, site, cache=cache)
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_nothing_changed_is_seen_without_reading_content(generated: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    root, site, cache = copied(generated, tmp_path)
    settle()
    first = build(root, site, cache=cache)
    with monkeypatch.context() as patched:
        patched.setattr(build_module.loader, "plan", lambda root: pytest.fail("the content folder was read"))
        again = build(root, site, cache=cache)
    assert list(again.timings) == ["unchanged: nothing built"]
    assert (again.pages, again.reports, again.files, again.reused_reports) == (first.pages, first.reports, first.files, first.reports)
    assert [f.line() for f in again.findings] == [f.line() for f in first.findings]


def test_the_quick_check_sees_edits_that_keep_size_and_time(generated: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    root, site, cache = copied(generated, tmp_path)
    settle()
    build(root, site, cache=cache)
    overview = next(root.glob("*/*/overview.md"))
    page = site / "units" / overview.parent.parent.name / overview.parent.name / "index.html"
    same_size_edit(overview, "承担相关资金", "承担有关资金")
    edited = build(root, site, cache=cache)  # the content changed just now: no quick record is kept
    assert "unchanged: nothing built" not in edited.timings
    assert "承担有关资金" in page.read_text(encoding="utf-8")
    settle()
    assert "unchanged: nothing built" in build(root, site, cache=cache).timings  # by keys; keeps a quick record
    with monkeypatch.context() as patched:
        patched.setattr(build_module.loader, "plan", lambda root: pytest.fail("the content folder was read"))
        assert "unchanged: nothing built" in build(root, site, cache=cache).timings
    same_size_edit(page, "承担有关资金", "承担相关资金")  # the output edited by hand
    rebuilt = build(root, site, cache=cache)
    assert "unchanged: nothing built" not in rebuilt.timings
    assert "承担有关资金" in page.read_text(encoding="utf-8")


def test_report_folders_unchanged_since_the_last_build_are_not_read(generated: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A report's key reads its folder, unless the content's listing shows every entry of the folder
    with the status it had when the last build read it (an edit that keeps size and time shows)."""
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    root, site, cache = copied(generated, tmp_path)
    settle()
    build(root, site, cache=cache)
    overview = next(root.glob("*/*/overview.md"))
    same_size_edit(overview, "承担相关资金", "承担有关资金")
    settle()
    read: list[str] = []
    tree = fingerprint.contentfs.tree
    monkeypatch.setattr(fingerprint.contentfs, "tree",
                        lambda top, folder, limit: read.append(folder.relative_to(top).as_posix()) or tree(top, folder, limit))
    result = build(root, site, cache=cache)
    assert [rel for rel in read if (root / rel).is_dir() and rel != "_theme"] == [overview.parent.relative_to(root).as_posix()]
    next_year = (overview.parent.parent / str(int(overview.parent.name) + 1)).is_dir()  # its key reads the edited folder
    assert result.reused_reports == result.reports - 1 - next_year
    page = site / "units" / overview.parent.parent.name / overview.parent.name / "index.html"
    assert "承担有关资金" in page.read_text(encoding="utf-8")
    build(root, tmp_path / "fresh")
    assert_same_site(site, tmp_path / "fresh")


def test_no_quick_record_for_reports_whose_key_reads_git(portal: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample reports declare ``published:``: their corrections depend on git history and the
    date, which no file of the content folder shows, so every build computes their keys."""
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    root, site, cache = copied(portal, tmp_path)
    settle()
    build(root, site, cache=cache)
    assert quick.read_quick(quick.cache_folder(cache, root, site)) is None


QUICK_CLI = """
import sys
from site_builder import snapshot
snapshot.RACY_SECONDS = 0.3
from site_builder.cli import main
code = main(["build", sys.argv[1], "--out", sys.argv[2], "--cache", sys.argv[3]])
print(code, "site_builder.build" in sys.modules, "jinja2" in sys.modules)
"""


def test_the_command_line_answers_an_unchanged_build_without_loading_the_pipeline(generated: Path, tmp_path: Path) -> None:
    root, site, cache = copied(generated, tmp_path)
    time.sleep(1.35)  # settled, with RACY_SECONDS 0.3 (find compares whole seconds)

    def run() -> tuple[list[str], str]:
        done = subprocess.run([sys.executable, "-c", QUICK_CLI, str(root), str(site), str(cache)], capture_output=True,
                              text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == 0, done.stderr
        return done.stdout.split(), done.stderr

    first, _ = run()
    assert first == ["0", "True", "True"]
    second, printed = run()
    assert second == ["0", "False", "False"], printed
    assert "unchanged: nothing built" in printed and "built " in printed


QUICK_CHECK_CLI = """
import sys
from site_builder import snapshot
snapshot.RACY_SECONDS = 0.3
from site_builder.cli import main
code = main(["check", sys.argv[1], "--cache", sys.argv[2], "--format", sys.argv[3]])
print("exit", code, "site_builder.check" in sys.modules)
"""


def test_check_answers_an_unchanged_content_folder_from_its_record(generated: Path, tmp_path: Path) -> None:
    root, _, cache = copied(generated, tmp_path)
    time.sleep(1.35)  # settled, with RACY_SECONDS 0.3 (find compares whole seconds)

    def run(output_format: str = "text") -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", QUICK_CHECK_CLI, str(root), str(cache), output_format], capture_output=True,
                              text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
        return done.stdout, done.stderr

    first, first_summary = run()
    assert first.endswith("exit 0 True\n")
    again, again_summary = run()
    assert again == first.replace("exit 0 True", "exit 0 False") and again_summary == first_summary
    json_first, _ = run("json")
    assert json_first.endswith("exit 0 False\n") and '"rule"' in json_first
    table = next(root.glob("*/*/tables/*.yaml"))
    text = table.read_text(encoding="utf-8")
    digit = next(c for c in text if c in "123456789")
    position = text.index(digit)
    table.write_text(text[:position] + ("2" if digit == "1" else "1") + text[position + 1:], encoding="utf-8")  # same size
    edited, _ = run()
    assert edited.endswith(" True\n")  # checked again
