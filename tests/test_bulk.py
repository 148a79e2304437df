"""Tidy and bulk downloads: every figure of every report is in its year's SQLite database and tidy
CSVs (``data/<year>/``) exactly once, with the right names and the exact amount text; blank stays
apart from 0.00; formula-looking names are neutralised for Excel; rebuilds are byte-identical.

Expected figures are read here from the content's YAML (yaml + Decimal), never from the loader.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from site_builder.build import build

ROOT = Path(__file__).resolve().parents[1]
HOSTILE_NAME = '=cmd|\' /C calc\'!A0, "quoted"\nsecond line'
HOSTILE_PARENT = "-主管部门, 带逗号"
HOSTILE_REGION = "@地区\"引号\""
TEXT_FIELDS = ("unit_slug", "unit_name", "region", "parent", "table_id", "table_title", "section", "row_key",
               "row_code", "row_name", "column_id", "column_title", "amount_unit", "url")


class DecimalLoader(yaml.SafeLoader):
    """YAML numbers as Decimal from their text (never float)."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
DecimalLoader.add_constructor("tag:yaml.org,2002:int", _decimal)


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=DecimalLoader)  # noqa: S506 - a SafeLoader subclass


def text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


Key = tuple[str, int, str, str, str, str]  # unit slug, year, table, section, row, column


def expected_figures(content: Path) -> tuple[dict[Key, str | None], dict[tuple[str, int], dict[str, str]], dict[Key, str]]:
    """Every written cell of every table YAML: amount text, or None when written blank; the
    reports' identity; the printed row names the YAML gives (``name:`` of a coded row)."""
    figures: dict[Key, str | None] = {}
    reports: dict[tuple[str, int], dict[str, str]] = {}
    names: dict[Key, str] = {}
    for report_yaml in sorted(content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml")):
        folder = report_yaml.parent
        unit = load(folder.parent / "unit.yaml")
        report = load(report_yaml)
        slug, year = folder.parent.name, int(folder.name)
        reports[(slug, year)] = {"name": unit["name"], "parent": unit["parent"], "region": unit["region"],
                                 "amount_unit": report["amount_unit"], "template": report["template"]}
        for table_yaml in sorted((folder / "tables").glob("*.yaml")):
            data = load(table_yaml) or {}
            for section, rows in data.items():
                if not isinstance(rows, dict):
                    continue  # empty_note and other text
                multi = any(isinstance(v, dict) for v in rows.values())
                for row, value in rows.items():
                    if isinstance(value, dict):
                        for column, amount in value.items():
                            if column == "name":
                                names[(slug, year, table_yaml.stem, section, str(row), "")] = amount
                                continue
                            figures[(slug, year, table_yaml.stem, section, str(row), column)] = text(amount)
                    elif not multi:
                        figures[(slug, year, table_yaml.stem, section, str(row), "amount")] = text(value)
    return figures, reports, names


def template_row_names(template: str) -> dict[tuple[str, str], set[str]]:
    """(table id, row id) → names the template prints for that fixed row (read from its YAML)."""
    data = yaml.safe_load((ROOT / "site_builder" / "standards" / "templates" / f"{template}.yaml").read_text(encoding="utf-8"))
    found: dict[tuple[str, str], set[str]] = {}

    def walk(node: Any, table: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("name"), str):
                found.setdefault((table, node["id"]), set()).add(node["name"])
            for value in node.values():
                walk(value, table)
        elif isinstance(node, list):
            for item in node:
                walk(item, table)

    for table in data["tables"]:
        walk(table, table["id"])
    return found


def code_names() -> dict[str, set[str]]:
    """Every name (and alias, variant) the package's classification lists give a code."""
    found: dict[str, set[str]] = {}
    for kind in ("function", "economic"):
        data = yaml.safe_load((ROOT / "site_builder" / "standards" / f"{kind}_codes.yaml").read_text(encoding="utf-8"))
        for code, entry in (data.get("codes") or {}).items():
            if isinstance(entry, str):
                found.setdefault(str(code), set()).add(entry)
            elif isinstance(entry, dict):
                found.setdefault(str(code), set()).update(
                    [entry.get("name", ""), *(entry.get("aliases") or {}), *(entry.get("variants") or [])])
    return found


def hostile_content(target: Path) -> Path:
    """The sample content with a unit named like a spreadsheet formula (quote, comma, newline) and
    one cell written blank (``project: null``) beside written 0.00 figures."""
    shutil.copytree(ROOT / "content", target)
    unit = target / "jincheng-social-insurance-center" / "unit.yaml"
    data = yaml.safe_load(unit.read_text(encoding="utf-8"))
    data.update(name=HOSTILE_NAME, parent=HOSTILE_PARENT, region=HOSTILE_REGION)
    unit.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    table = target / "jincheng-social-insurance-center" / "2023" / "tables" / "expenditure.yaml"
    source = table.read_text(encoding="utf-8")
    written = source.replace('"2080501": {total: 10.30, basic: 10.30}', '"2080501": {total: 10.30, basic: 10.30, project: null}')
    assert written != source
    table.write_text(written, encoding="utf-8")
    return target


def generated_content(target: Path) -> Path:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "30", "--seed", "3",
                           "--out", str(target)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture(scope="module", params=["hostile", "generated"])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp(request.param)
    content = (hostile_content if request.param == "hostile" else generated_content)(folder / "content")
    build(content, folder / "site", index=False)
    return content, folder / "site"


def csv_rows(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), f"{path} has no BOM"
    body = data.decode("utf-8")[1:]
    assert bare_line_feeds(body) == 0, f"{path}: records must end in \\r\\n"
    return list(csv.DictReader(io.StringIO(body, newline="")))


def bare_line_feeds(body: str) -> int:
    """Line feeds outside quoted fields that are not preceded by a carriage return."""
    quoted, count = False, 0
    for index, char in enumerate(body):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted and (index == 0 or body[index - 1] != "\r"):
            count += 1
    return count


def unquoted(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def key_of(row: dict[str, Any]) -> Key:
    return (row["unit_slug"], int(row["year"]), row["table_id"], row["section"], row["row_key"], row["column_id"])


def year_folders(site: Path) -> dict[int, Path]:
    """``data/<year>/`` by year."""
    return {int(folder.name): folder for folder in sorted((site / "data").iterdir()) if folder.is_dir()}


def query(site: Path, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` in every year's database, each with the year of its file as ``file_year``."""
    rows: list[dict[str, Any]] = []
    for year, folder in year_folders(site).items():
        connection = sqlite3.connect(folder / "figures.sqlite")
        connection.row_factory = sqlite3.Row
        rows.extend({**dict(r), "file_year": year} for r in connection.execute(sql))
        connection.close()
    return rows


def test_one_folder_per_report_year(portal: tuple[Path, Path]) -> None:
    content, site = portal
    _, reports, _ = expected_figures(content)
    assert set(year_folders(site)) == {year for _, year in reports}
    assert not [p for p in (site / "data").iterdir() if p.is_file() and p.name != "index.html"]  # no portal-wide files
    for folder in year_folders(site).values():
        assert {"figures.sqlite", "reports.json", "figures-expenditure.csv"} <= {p.name for p in folder.iterdir()}


def test_sqlite_has_every_figure_exactly_once(portal: tuple[Path, Path]) -> None:
    content, site = portal
    figures, reports, names = expected_figures(content)
    rows = query(site, "SELECT * FROM figures")
    assert all(r["year"] == r["file_year"] for r in rows)
    counts = Counter(key_of(r) for r in rows)
    assert [k for k, n in counts.items() if n > 1] == []
    assert set(counts) == set(figures), (set(figures) - set(counts), set(counts) - set(figures))
    templates = {t: template_row_names(t) for t in {r["template"] for r in reports.values()}}
    codes = code_names()
    for row in rows:
        key = key_of(row)
        report = reports[key[:2]]
        assert row["amount"] == figures[key], key  # exact text; None is NULL (blank), never 0
        assert row["unit_name"] == report["name"] and row["parent"] == report["parent"] and row["region"] == report["region"]
        assert row["amount_unit"] == report["amount_unit"], key
        assert row["url"].startswith(f"units/{key[0]}/{key[1]}/#t"), row["url"]
        printed = names.get((*key[:5], ""))
        fixed = templates[report["template"]].get((key[2], key[4]))
        if printed is not None:
            assert row["row_name"] == printed, key
        elif key[4].isdigit():
            known = codes.get(key[4], {row["row_name"]})  # a class row prints its ordinal: 八、社会保障和就业支出
            assert row["row_code"] == key[4], key
            assert any(row["row_name"] in (n, n.join(("", ""))) or row["row_name"].endswith("、" + n) for n in known), key
        elif fixed:
            assert row["row_name"] in fixed, (key, row["row_name"], fixed)
        assert row["column_title"], key
        if row["amount"] is not None:
            fen = Decimal(row["amount"]) * (100 if row["amount_unit"] == "元" else 1_000_000)
            assert row["amount_fen"] == (int(fen) if fen == int(fen) else None)
        else:
            assert row["amount_fen"] is None
    listed = query(site, "SELECT * FROM reports")
    assert all(r["year"] == r["file_year"] for r in listed)
    stored = {(r["unit_slug"], r["year"]): r for r in listed}
    assert len(stored) == len(listed) and set(stored) == set(reports)
    for key, report in reports.items():
        assert stored[key]["template"] == report["template"] and stored[key]["amount_unit"] == report["amount_unit"]
    for year in year_folders(site):  # numbered from 1 in each year's file
        assert sorted(r["report_id"] for r in listed if r["year"] == year) == list(range(1, sum(k[1] == year for k in reports) + 1))
    titles = {(r["file_year"], r["table_id"], r["column_id"]) for r in query(site, "SELECT * FROM columns")}
    assert {(k[1], k[2], k[5]) for k in figures} <= titles


def test_tidy_csvs_have_every_figure_exactly_once(portal: tuple[Path, Path]) -> None:
    content, site = portal
    figures, reports, _ = expected_figures(content)
    for folder in year_folders(site).values():
        assert {row["year"] for path in folder.glob("figures-*.csv") for row in csv_rows(path)} == {folder.name}
    for label, files in (("years", sorted((site / "data").glob("*/figures-*.csv"))),
                         ("reports", sorted(site.glob("units/*/[0-9][0-9][0-9][0-9]/figures.csv"))),
                         ("tables", sorted(site.glob("units/*/[0-9][0-9][0-9][0-9]/*.tidy.csv"))),
                         ("units", sorted(site.glob("units/*/figures.csv")))):
        rows = [row for path in files for row in csv_rows(path)]
        counts = Counter(key_of({k: unquoted(v) if k in TEXT_FIELDS else v for k, v in r.items()}) for r in rows)
        assert [k for k, n in counts.items() if n > 1] == [], label
        assert set(counts) == set(figures), label
        for row in rows:
            key = key_of({k: unquoted(v) for k, v in row.items()})
            assert row["amount"] == (figures[key] or ""), (label, key)  # blank: empty field; 0.00 stays "0.00"
            assert unquoted(row["unit_name"]) == reports[key[:2]]["name"]
            assert row["amount_unit"] == reports[key[:2]]["amount_unit"]


def test_blank_and_zero_stay_apart(portal: tuple[Path, Path]) -> None:
    content, site = portal
    figures, _, _ = expected_figures(content)
    blank = len(query(site, "SELECT 1 FROM figures WHERE amount IS NULL"))
    zero = len(query(site, "SELECT 1 FROM figures WHERE amount = '0.00'"))
    assert blank == sum(v is None for v in figures.values())
    assert zero == sum(v == "0.00" for v in figures.values())
    if "hostile" in str(site):
        assert blank >= 1 and zero >= 1


def test_formula_looking_names_are_neutralised(portal: tuple[Path, Path]) -> None:
    _, site = portal
    if "hostile" not in str(site):
        pytest.skip("the hostile names are in the sample copy")
    for path in (site / "data" / "2023" / "figures-expenditure.csv", site / "units" / "jincheng-social-insurance-center" / "figures.csv",
                 site / "units" / "jincheng-social-insurance-center" / "2023" / "expenditure.tidy.csv"):
        rows = csv_rows(path)
        mine = [r for r in rows if r["unit_slug"] == "jincheng-social-insurance-center"]
        assert mine
        for row in mine:
            assert row["unit_name"] == "'" + HOSTILE_NAME  # a leading ' keeps Excel from running it
            assert row["parent"] == "'" + HOSTILE_PARENT
            assert row["region"] == "'" + HOSTILE_REGION
    stored = {r["unit_name"] for r in query(site, "SELECT DISTINCT unit_name FROM figures")}
    assert HOSTILE_NAME in stored  # SQLite keeps the text as published
    everything = json.loads((site / "data" / "2023" / "reports.json").read_text(encoding="utf-8"))
    assert HOSTILE_NAME in {r["unit"]["name"] for r in everything}


def test_negative_amounts_are_not_quoted() -> None:
    from site_builder.render.tidy import FIGURE_COLUMNS, csv_bytes, restored  # noqa: PLC0415

    row = ["u", "-名称", "r", "p", "2024", "t", "标题", "s", "k", "", "n", "c", "列", "-12.50", "元", "units/u/2024/#x"]
    written = list(csv.reader(io.StringIO(csv_bytes(FIGURE_COLUMNS, [row]).decode("utf-8-sig"))))[1]
    assert written[13] == "-12.50" and written[1] == "'-名称" and restored(written[1]) == "-名称"
    assert restored(list(csv.reader(io.StringIO(csv_bytes(FIGURE_COLUMNS, [[*row[:1], "'x", *row[2:]]]).decode("utf-8-sig"))))[1][1]) == "'x"


def test_reports_json_is_one_array_of_every_report_of_its_year(portal: tuple[Path, Path]) -> None:
    content, site = portal
    _, reports, _ = expected_figures(content)
    everything = []
    for year, folder in year_folders(site).items():
        listed = json.loads((folder / "reports.json").read_text(encoding="utf-8"))
        assert isinstance(listed, list) and {r["year"] for r in listed} == {year}
        order = [(r["unit"]["slug"], r["year"]) for r in listed]
        assert order == [(r["unit_slug"], r["year"]) for r in query(site, "SELECT * FROM reports ORDER BY report_id")
                         if r["file_year"] == year]  # report order, as the database numbers them
        everything.extend(listed)
    assert len(everything) == len(reports)
    assert {(r["unit"]["slug"], r["year"]) for r in everything} == set(reports)
    for report in everything:
        own = json.loads((site / "units" / report["unit"]["slug"] / str(report["year"]) / "report.json").read_text(encoding="utf-8"))
        assert own == report


def test_unit_file_is_its_years_in_order(portal: tuple[Path, Path]) -> None:
    content, site = portal
    figures, _, _ = expected_figures(content)
    for unit_file in site.glob("units/*/figures.csv"):
        rows = csv_rows(unit_file)
        years = [int(r["year"]) for r in rows]
        assert years == sorted(years)
        assert {key_of({k: unquoted(v) for k, v in r.items()}) for r in rows} == {k for k in figures if k[0] == unit_file.parent.name}


def test_attachment_figures_are_listed_once(portal: tuple[Path, Path]) -> None:
    content, site = portal
    expected: dict[tuple[str, int, str, str], str] = {}

    def walk(node: Any, path: str, into: dict[str, str]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}{k}" if not isinstance(v, dict | list) else f"{path}{k}/", into)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}{i}" if not isinstance(v, dict | list) else f"{path}{i}/", into)
        elif isinstance(node, Decimal):
            into[path] = format(node, "f")

    for path in content.glob("*/[0-9][0-9][0-9][0-9]/attachments/*.yaml"):
        found: dict[str, str] = {}
        walk(load(path), "", found)
        for where, amount in found.items():
            expected[(path.parents[2].name, int(path.parents[1].name), path.stem, where)] = amount
    rows = query(site, "SELECT unit_slug, year, attachment, path, amount FROM attachment_figures")
    assert all(r["year"] == r["file_year"] for r in rows)
    keys = [(r["unit_slug"], r["year"], r["attachment"], r["path"]) for r in rows]
    assert Counter(keys) == Counter(expected.keys())
    assert {key: r["amount"] for key, r in zip(keys, rows, strict=True)} == expected
    year_rows = [(p.parent.name, r) for p in (site / "data").glob("*/attachment-figures-*.csv") for r in csv_rows(p)]
    assert all(r["year"] == year for year, r in year_rows)
    assert Counter((unquoted(r["unit_slug"]), int(r["year"]), r["attachment"], r["path"]) for _, r in year_rows) == Counter(expected.keys())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_files(site: Path) -> dict[str, str]:
    paths = [*site.glob("data/*.html"), *site.glob("data/*/*"), *site.glob("units/*/figures.csv"), *site.glob("units/*/*/figures.csv"),
             *site.glob("units/*/*/attachment-figures.csv"), *site.glob("units/*/*/*.tidy.csv")]
    return {p.relative_to(site).as_posix(): digest(p) for p in sorted(paths)}


def test_rebuild_is_byte_identical(portal: tuple[Path, Path], tmp_path: Path) -> None:
    content, site = portal
    again = tmp_path / "again"
    build(content, again, index=False)
    first, second = new_files(site), new_files(again)
    assert {"data/2023/figures.sqlite", "data/2023/reports.json", "data/index.html"} <= set(first)
    assert first == second


class _DataPage(HTMLParser):
    """The tables of files on ``data/index.html``: per table, its caption and rows (link, header scope, cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.cell: list[str] | None = None
        self.row: list[dict[str, Any]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "data-files" in (found.get("class") or ""):
            self.tables.append({"caption": "", "rows": [], "head_scopes": []})
        elif not self.tables or self.tables[-1].get("done"):
            return
        elif tag == "caption":
            self.cell = []
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.row.append({"tag": tag, "scope": found.get("scope"), "text": "", "href": None})
            self.cell = []
        elif tag == "a" and self.row:
            self.row[-1]["href"] = found.get("href")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.tables or self.tables[-1].get("done"):
            return
        table = self.tables[-1]
        if tag == "caption" and self.cell is not None:
            table["caption"], self.cell = "".join(self.cell).strip(), None
        elif tag in ("th", "td") and self.cell is not None and self.row:
            self.row[-1]["text"], self.cell = "".join(self.cell).strip(), None
        elif tag == "tr" and self.row is not None:
            table["rows"].append(self.row)
            self.row = None
        elif tag == "table":
            table["done"] = True


def shown_size(size: int) -> str:
    """How the data page prints a size (1 MB = 1,048,576 bytes, one decimal)."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} 字节"


def test_data_page_lists_each_year_with_its_files_and_sizes(portal: tuple[Path, Path]) -> None:
    content, site = portal
    _, reports, _ = expected_figures(content)
    parser = _DataPage()
    parser.feed((site / "data" / "index.html").read_text(encoding="utf-8"))
    years = sorted({year for _, year in reports}, reverse=True)  # the latest first
    assert [table["caption"] for table in parser.tables] == [
        f"{year} 年度 {sum(y == year for _, y in reports)} 份报告的批量下载文件" for year in years]
    for year, table in zip(years, parser.tables, strict=True):
        header, *rows = table["rows"]
        assert [(c["tag"], c["scope"]) for c in header] == [("th", "col")] * 3
        listed = {}
        for row in rows:
            assert [(c["tag"], c["scope"]) for c in row] == [("th", "row"), ("td", None), ("td", None)]
            listed[row[0]["href"]] = row
            assert row[0]["text"] == row[0]["href"]  # the link names the file with its year: 2023/figures.sqlite
        files = sorted(p.relative_to(site / "data").as_posix() for p in (site / "data" / str(year)).iterdir())
        assert sorted(listed) == files
        for href, row in listed.items():
            assert row[2]["text"] == shown_size((site / "data" / href).stat().st_size), href
            assert f"{year} 年度" in row[1]["text"], href
