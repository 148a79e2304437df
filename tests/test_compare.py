"""Issue 11 (compare): report summaries, the code crosswalk, unit pages across years, comparison pages.

Expected figures are read from the content YAML in the test (yaml + Decimal) or computed by hand."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pickle
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from site_builder import loader
from site_builder.build import build
from site_builder.crosswalk import CrosswalkError, read_crosswalk
from site_builder.model import Unit
from site_builder.render import compare
from site_builder.summaries import (
    HeadlineDataError,
    Line,
    ReportSummary,
    TableRows,
    headline_data,
    read_headlines,
    summarize,
    summary_bytes,
    summary_data,
    summary_from_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
JINCHENG = CONTENT / "jincheng-social-insurance-center" / "2023" / "tables"
YANCHI = CONTENT / "yanchi-social-insurance-center" / "2024" / "tables"


def _yaml(path: Path) -> dict:
    """The YAML with every number as the Decimal of its text (read independently of the loader)."""

    class DecimalLoader(yaml.SafeLoader):
        pass

    def as_decimal(loader_: yaml.SafeLoader, node: yaml.Node) -> Decimal:
        return Decimal(loader_.construct_scalar(node))  # type: ignore[arg-type]

    DecimalLoader.add_constructor("tag:yaml.org,2002:float", as_decimal)
    DecimalLoader.add_constructor("tag:yaml.org,2002:int", as_decimal)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=DecimalLoader)  # noqa: S506 (a SafeLoader subclass)


@pytest.fixture(scope="module")
def samples() -> dict[str, ReportSummary]:
    loaded = loader.load(CONTENT)
    return {r.rel: summarize(r) for r in loaded.site.reports}


# -- summaries ------------------------------------------------------------------------------------


def test_summary_headlines_match_the_yaml_shanxi(samples: dict[str, ReportSummary]) -> None:
    summary = next(s for s in samples.values() if s.year == 2023)
    figures = summary.figures
    expenditure = _yaml(JINCHENG / "expenditure.yaml")["rows"]["total"]
    three = _yaml(JINCHENG / "three_public.yaml")["rows"]["final"]
    detail = _yaml(JINCHENG / "basic_expenditure_detail.yaml")["rows"]
    related = _yaml(JINCHENG / "related_info.yaml")
    assert figures["basic"] == expenditure["basic"] and figures["project"] == expenditure["project"]
    assert figures["three_public"] == three["total"] and figures["reception"] == three["reception"]
    assert figures["abroad"] is None  # blank in the table: blank, never 0
    assert figures["personnel"] == detail["personnel_total"]
    assert figures["running_costs"] == related["running_costs"]["civil_service_managed"]  # 行政单位 is blank
    assert summary.amount_unit == "万元"


def test_summary_headlines_match_the_yaml_ningxia(samples: dict[str, ReportSummary]) -> None:
    summary = next(s for s in samples.values() if s.year == 2024)
    three = _yaml(YANCHI / "three_public.yaml")["rows"]["final"]
    assert summary.figures["vehicle_operation"] == three["vehicle_operation"]
    assert summary.figures["abroad"] == Decimal("0.00")  # an explicit 0.00 stays 0.00
    assert "running_costs" not in summary.figures  # ningxia-2024 prints no 机关运行经费 table
    assert summary.amount_unit == "元"


def test_summary_is_compact_and_picklable(samples: dict[str, ReportSummary]) -> None:
    for summary in samples.values():
        again = pickle.loads(pickle.dumps(summary))
        assert again == summary
        assert len(pickle.dumps(summary)) < 40_000


def test_summary_bytes_are_summary_data_as_compact_json_and_read_back_exactly(samples: dict[str, ReportSummary]) -> None:
    for summary in samples.values():
        data = summary_bytes(summary)
        assert data == json.dumps(summary_data(summary), ensure_ascii=False, separators=(",", ":")).encode()
        assert summary_from_bytes(data) == summary
    blank = replace(next(iter(samples.values())), headlines=(("total_expenditure", None), ("basic", Decimal("0.00"))))
    assert summary_from_bytes(summary_bytes(blank)).headlines == (("total_expenditure", None), ("basic", Decimal("0.00")))


@pytest.mark.parametrize("damage", [b"", b"[", b"[1]", b'{"a": 1}', b"\xff", b"NaN"])
def test_summary_from_bytes_refuses_what_is_not_a_summary(damage: bytes) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        summary_from_bytes(damage)


def test_summary_forms_carry_funds_and_grade(samples: dict[str, ReportSummary]) -> None:
    summary = next(s for s in samples.values() if s.year == 2023)
    form = _yaml(JINCHENG.parent / "attachments" / "01-window-service.yaml")
    first = next(f for f in summary.forms if f.slug == "01-window-service")
    assert first.annual == form["funds"]["rows"][0]["annual"] and first.executed == form["funds"]["rows"][0]["executed"]
    assert first.grade == form["grade"]


def test_headline_mapping_schema_and_unknown_headline(tmp_path: Path) -> None:
    assert {h.id for h in headline_data().headlines} >= {"total_expenditure", "three_public", "personnel"}
    bad = tmp_path / "headlines.yaml"
    text = (ROOT / "site_builder" / "standards" / "headlines.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("ningxia-2024: *common", "ningxia-2024: {nonsense: {table: x, section: y, row: z, column: w}}"),
                   encoding="utf-8")
    with pytest.raises(HeadlineDataError, match="nonsense"):
        read_headlines(bad)
    bad.write_text(text.replace("column: amount}", "colum: amount}", 1), encoding="utf-8")
    with pytest.raises(HeadlineDataError):
        read_headlines(bad)


# -- crosswalk ------------------------------------------------------------------------------------

FIXTURE_CROSSWALK = """
entries:
  - kind: function
    from: {codes: ["2080505"], until: 2022}
    to: {codes: ["2080599"], since: 2023}
    note: fixture renumbering
  - kind: function
    from: {codes: ["2080599"], until: 2023}
    to: {codes: ["2080588"], since: 2024}
    note: fixture second renumbering (a chain)
  - kind: function
    from: {codes: ["2089901"], until: 2022}
    to: {codes: ["2089902", "2089903"], since: 2023}
    note: fixture split
"""


def _crosswalk(tmp_path: Path, text: str = FIXTURE_CROSSWALK):
    path = tmp_path / "crosswalk.yaml"
    path.write_text(text, encoding="utf-8")
    return read_crosswalk(path)


def test_package_crosswalk_is_valid() -> None:
    walk = read_crosswalk()
    assert walk.follow("function", "21010", 2018).code == "20138"
    assert walk.follow("function", "21010", 2019).code == "21010"  # not used as the old code after its last year
    assert walk.follow("economic", "39906", 2022).split is not None


def test_crosswalk_schema_refuses_bad_entries(tmp_path: Path) -> None:
    with pytest.raises(CrosswalkError, match="until"):
        _crosswalk(tmp_path, "entries: [{kind: function, from: {codes: ['201']}, to: {codes: ['202'], since: 2020}, note: x}]")
    with pytest.raises(CrosswalkError, match="after"):
        _crosswalk(tmp_path, "entries: [{kind: function, from: {codes: ['201'], until: 2020}, to: {codes: ['202'], since: 2020}, note: x}]")
    with pytest.raises(CrosswalkError):
        _crosswalk(tmp_path, "entries: [{kind: function, from: {codes: ['2x1'], until: 2019}, to: {codes: ['202'], since: 2020}, note: x}]")


def _summary(year: int, unit: str, lines: list[tuple[str, str, Decimal | None]], figures: dict[str, Decimal | None],
             slug: str = "u1", region: str = "R", parent: str = "P") -> ReportSummary:
    table = TableRows("expenditure", "T", "function", (("rows", (("total", "TOTAL"),)),), (),
                      tuple(Line("rows", code, name, (("total", value),)) for code, name, value in lines))
    return ReportSummary(Unit(slug, slug.upper(), parent, region, "L"), year, f"{slug}/{year}", "t", "shanxi-2023", unit,
                         tuple(figures.items()), (), (table,), ())


def test_unit_page_follows_a_renumbered_code(tmp_path: Path) -> None:
    walk = _crosswalk(tmp_path)
    reports = [
        _summary(2022, "元", [("2080505", "old", Decimal("10.00")), ("2089901", "split", Decimal("5.00"))], {}),
        _summary(2023, "元", [("2080599", "mid", Decimal("12.00")), ("2089902", "a", Decimal("3.00"))], {}),
        _summary(2024, "元", [("2080588", "new", Decimal("15.00"))], {}),
    ]
    history = compare.unit_history(reports, headline_data(), walk)
    rows = {r.code: r for r in history.tables[0].rows}
    followed = rows["2080588"]
    assert followed.values == [Decimal("10.00"), Decimal("12.00"), Decimal("15.00")]
    assert "2022年为2080505科目" in followed.notes and "2023年为2080599科目" in followed.notes
    assert followed.label == "new"
    assert rows["2089901"].values == [Decimal("5.00"), None, None]
    assert any("2089902、2089903" in n for n in rows["2089901"].notes)
    assert followed.changes[1].amount == Decimal("2.00") and followed.changes[1].pct == Decimal("20.00")


# -- changes, units, ratios -----------------------------------------------------------------------


def test_change_with_blank_zero_and_gap() -> None:
    assert compare.change(None, Decimal(1), True).reason == compare.BLANK
    assert compare.change(Decimal(1), None, True).amount is None
    gap = compare.change(Decimal(1), Decimal(2), False)
    assert gap.amount is None and gap.reason == compare.NO_PREVIOUS
    zero = compare.change(Decimal("0.00"), Decimal("5.00"), True)
    assert zero.amount == Decimal("5.00") and zero.pct is None and zero.reason == compare.ZERO_BASE
    down = compare.change(Decimal("200.00"), Decimal("150.00"), True)
    assert down.amount == Decimal("-50.00") and down.pct == Decimal("-25.00")


def test_mixed_units_are_converted_exactly(tmp_path: Path) -> None:
    reports = [_summary(2023, "万元", [], {"total_expenditure": Decimal("13804.91")}),
               _summary(2024, "元", [], {"total_expenditure": Decimal("138049100.01")})]
    history = compare.unit_history(reports, headline_data(), _crosswalk(tmp_path))
    row = next(r for r in history.headlines if r.label == headline_data().label("total_expenditure"))
    assert history.unit == "元" and history.converted
    assert row.values == [Decimal("138049100.00"), Decimal("138049100.01")]
    assert row.changes[1].amount == Decimal("0.01") and row.changes[1].pct == Decimal("0.00")


def test_ratio_rounding_is_half_up() -> None:
    assert compare.percent(Decimal(1), Decimal(800)) == Decimal("0.13")  # 0.125 → 0.13 (half-even would give 0.12)
    assert compare.percent(Decimal(2), Decimal(3)) == Decimal("66.67")
    assert compare.percent(Decimal(1), Decimal(3)) == Decimal("33.33")


def test_comparison_rows_shares_and_blank() -> None:
    data = headline_data()
    a = _summary(2024, "元", [], {"total_expenditure": Decimal("800"), "personnel": Decimal("1"), "project": None}, slug="a")
    b = _summary(2024, "元", [], {"total_expenditure": Decimal("0"), "personnel": Decimal("0"), "project": Decimal("0")}, slug="b")
    group = next(g for g in compare.compare_groups([a, b], data) if g.kind == "region")
    rows = {r.unit_slug: r for r in group.rows}
    assert rows["a"].values["personnel_share"] == Decimal("0.13")
    assert rows["a"].values["project_share"] is None and rows["a"].reasons["project_share"] == compare.BLANK
    assert rows["b"].values["personnel_share"] is None  # division by zero is absent
    order = [r.unit_slug for r in compare.sorted_rows(group.rows, "project_share")]
    assert order == ["b", "a"] or order == ["a", "b"]  # both absent: kept by name
    assert [r.unit_slug for r in compare.sorted_rows(group.rows, "total_expenditure")] == ["a", "b"]


@pytest.mark.parametrize("name", ["../../etc", "<script>alert(1)</script>", "晋城市 / 人社局", "a\x00b", ""])
def test_group_slugs_are_safe(name: str) -> None:
    for slug in (compare.group_slug("region", name), compare.group_slug("parent", "R", name)):
        assert re.fullmatch(r"(region|parent)-[0-9a-f]{12}", slug)


# -- built pages ----------------------------------------------------------------------------------


def _digest(folder: Path, patterns: tuple[str, ...]) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for pattern in patterns for p in sorted(folder.glob(pattern)) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("generated")
    content = base / "content"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "30", "--seed", "7",
                    "--out", str(content)], check=True, capture_output=True)
    site = base / "site"
    build(content, site, index=False)
    return content, site


PATTERNS = ("compare/**/*", "units/*/index.html", "units/*/history.csv", "index.html", "sitemap.xml")


def test_new_pages_rebuild_byte_identical(generated: tuple[Path, Path], tmp_path: Path) -> None:
    content, site = generated
    again = tmp_path / "again"
    build(content, again, index=False, workers=1)
    first = _digest(site, PATTERNS)
    assert any(k.startswith("compare/") for k in first)
    assert first == _digest(again, PATTERNS)


def test_unit_csv_matches_the_yaml(generated: tuple[Path, Path]) -> None:
    content, site = generated
    label = headline_data().label("three_public")
    checked = 0
    for unit_dir in sorted(p for p in content.iterdir() if (p / "unit.yaml").is_file()):
        years = sorted(int(p.name) for p in unit_dir.iterdir() if p.name.isdigit())
        units = {_yaml(unit_dir / str(y) / "report.yaml")["amount_unit"] for y in years}
        rows = list(csv.reader(io.StringIO((site / "units" / unit_dir.name / "history.csv").read_text(encoding="utf-8-sig"))))
        shown = {int(r[3]): r[4] for r in rows[1:] if r[2] == label and r[0] == rows[1][0]}
        for year in years:
            final = _yaml(unit_dir / str(year) / "tables" / "three_public.yaml")["rows"]["final"].get("total")
            assert len(units) == 1  # generated units keep their province's unit
            assert shown[year] == ("" if final is None else str(final)), (unit_dir.name, year)
            checked += 1
    assert checked >= 20


def test_comparison_pages_stay_small(generated: tuple[Path, Path]) -> None:
    _, site = generated
    pages = list(site.glob("compare/**/*.html"))
    assert pages and max(p.stat().st_size for p in pages) < 300_000
    index = (site / "compare" / "index.html").read_text(encoding="utf-8")
    assert "region-" in index
    assert 'href="compare/index.html"' in (site / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("samples") / "site"
    build(CONTENT, site, index=False)
    return site


def test_home_page_names_the_amount_unit(sample_site: Path) -> None:
    """Regression: the home page printed the summary's Unit object where the amount unit belongs."""
    total = _yaml(JINCHENG / "income_expenditure_summary.yaml")["expenditure"]["total_expenditure"]
    home = (sample_site / "index.html").read_text(encoding="utf-8")
    assert f'<span class="num">{total:,}</span> 万元</span>' in home
    assert "Unit(" not in home


def test_sample_unit_page_and_csv(sample_site: Path) -> None:
    page = (sample_site / "units" / "jincheng-social-insurance-center" / "index.html").read_text(encoding="utf-8")
    personnel = _yaml(JINCHENG / "basic_expenditure_detail.yaml")["rows"]["personnel_total"]
    assert f'data-year="2023"><span class="num">{personnel:,}</span>' in page
    assert 'href="history.csv"' in page and 'href="figures.csv"' in page
    rows = list(csv.reader(io.StringIO((sample_site / "units" / "jincheng-social-insurance-center" / "history.csv")
                                       .read_text(encoding="utf-8-sig"))))
    label = headline_data().label("personnel")
    assert [r[4] for r in rows if r[2] == label] == [str(personnel)]
