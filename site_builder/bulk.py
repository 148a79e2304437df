"""Bulk downloads of the whole portal, streamed from the per-report files the workers wrote.

A stage of the build after the site pages: for every report, in report order (the order of the
build's jobs), it reads the report's tidy ``figures.csv``, ``attachment-figures.csv`` and
``report.json`` from the staging folder, one report at a time, and appends them to

- ``units/<slug>/figures.csv``: all years of a unit (year order);
- ``data/figures-<table-id>.csv``: one tidy CSV per table kind;
- ``data/attachment-figures-<kind>.csv``: one per attachment kind (performance forms …);
- ``data/figures.sqlite``: every figure in one SQLite database: the view ``figures`` has the tidy
  columns, built from ``figure_values`` (what varies per figure) joined with ``reports`` and
  ``tables``, so names and URLs are not repeated on every row; plus ``columns`` and
  ``attachment_figures``;
- ``data/reports.json``: the JSON of every report, as one array;

then renders ``data/index.html`` (template ``data.html``) with each file's size. Nothing holds the
whole portal in memory. Same input, same bytes: rows are written in report order, and the SQLite
file is written with fixed PRAGMAs (page size, no WAL) in one transaction.

Amounts are TEXT in SQLite, the exact decimal as published: a REAL would turn ``0.1`` into
0.1000000000000000055…, sums would drift by cents and ``13708.28`` and ``13708.280`` could not be
told apart from how they were written. ``amount_fen`` adds an exact INTEGER in 分 (0.01 元,
converted from 万元 where the report is in 万元) for sums and comparisons across units.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from site_builder.render.pages import Output, Renderer
from site_builder.render.tidy import (
    ATTACHMENT_COLUMNS,
    ATTACHMENTS_CSV,
    BOM,
    FIGURE_COLUMNS,
    FIGURES_CSV,
    restored,
)
from site_builder.schemagen import SCHEMA_DIR

DATA = "data"
SQLITE_NAME = "figures.sqlite"
REPORTS_JSON = "reports.json"
FEN_PER = {"元": Decimal(100), "万元": Decimal(1_000_000)}  # 1 万元 = 10 000 元 = 1 000 000 分, exact
TEXT_COLUMNS = frozenset(FIGURE_COLUMNS) - {"year", "amount"}


@dataclass
class BulkFile:
    path: str  # relative to the site root
    kind: str  # figures | attachments | sqlite | json
    key: str = ""  # table id or attachment kind
    size: int = 0


@dataclass
class BulkResult:
    files: list[BulkFile] = field(default_factory=list)
    unit_files: list[str] = field(default_factory=list)
    tables: list[tuple[str, str, str]] = field(default_factory=list)  # (template, table id, printed title)
    attachment_titles: dict[str, str] = field(default_factory=dict)  # attachment kind -> printed title of its first form


SCHEMA = """
CREATE TABLE reports (
  report_id INTEGER PRIMARY KEY, unit_slug TEXT NOT NULL, unit_name TEXT NOT NULL, unit_code TEXT, region TEXT,
  parent TEXT, level TEXT, year INTEGER NOT NULL, title TEXT, template TEXT NOT NULL, amount_unit TEXT NOT NULL,
  url TEXT NOT NULL, UNIQUE (unit_slug, year));
CREATE TABLE tables (
  template TEXT NOT NULL, table_id TEXT NOT NULL, table_number TEXT, table_title TEXT NOT NULL,
  PRIMARY KEY (template, table_id));
CREATE TABLE columns (
  template TEXT NOT NULL, table_id TEXT NOT NULL, column_id TEXT NOT NULL, column_title TEXT NOT NULL,
  PRIMARY KEY (template, table_id, column_id, column_title));
CREATE TABLE figure_values (
  report_id INTEGER NOT NULL REFERENCES reports (report_id), table_id TEXT NOT NULL, section TEXT NOT NULL,
  row_key TEXT NOT NULL, row_code TEXT, row_name TEXT, column_id TEXT NOT NULL, column_title TEXT, amount TEXT,
  amount_fen INTEGER, anchor TEXT NOT NULL);
CREATE VIEW figures AS
  SELECT f.report_id, r.unit_slug, r.unit_name, r.region, r.parent, r.year, f.table_id, t.table_title,
         f.section, f.row_key, f.row_code, f.row_name, f.column_id, f.column_title, f.amount, r.amount_unit,
         f.amount_fen, r.url || f.anchor AS url
  FROM figure_values AS f JOIN reports AS r USING (report_id)
  JOIN tables AS t ON t.template = r.template AND t.table_id = f.table_id;
CREATE TABLE attachment_figures (
  report_id INTEGER NOT NULL REFERENCES reports (report_id), unit_slug TEXT NOT NULL, unit_name TEXT NOT NULL,
  region TEXT, parent TEXT, year INTEGER NOT NULL, attachment TEXT NOT NULL, kind TEXT, title TEXT,
  path TEXT NOT NULL, row_label TEXT, field TEXT NOT NULL, amount TEXT, amount_unit TEXT, url TEXT NOT NULL);
"""
INDEXES = """
CREATE INDEX figures_by_report ON figure_values (report_id);
CREATE INDEX figures_by_table_row ON figure_values (table_id, row_key, column_id);
CREATE INDEX figures_by_code ON figure_values (row_code) WHERE row_code IS NOT NULL;
CREATE INDEX reports_by_region_year ON reports (region, year);
CREATE INDEX reports_by_parent_year ON reports (parent, year);
CREATE INDEX attachment_figures_by_report ON attachment_figures (report_id);
"""


def amount_fen(amount: str, unit: str) -> int | None:
    """The amount as an exact integer in 分, or None (blank, an unknown unit, or finer than 1 分)."""
    if not amount or unit not in FEN_PER:
        return None
    try:
        fen = Decimal(amount) * FEN_PER[unit]
    except InvalidOperation:
        return None
    return int(fen) if fen == fen.to_integral_value() else None


def _rows(data: bytes) -> Iterator[list[str]]:
    """The rows of a tidy CSV the workers wrote, without the header."""
    reader = csv.reader(io.StringIO(data.decode("utf-8").removeprefix(BOM), newline=""))
    next(reader, None)
    yield from reader


class _CsvFiles:
    """Tidy CSV files of the portal opened on first use (BOM and header once), closed at the end."""

    def __init__(self, folder: Path, header: Sequence[str]) -> None:
        self.folder = folder
        self.header = header
        self.open: dict[str, tuple[IO[str], Any]] = {}

    def writer(self, name: str) -> Any:
        if name not in self.open:
            handle = (self.folder / name).open("w", encoding="utf-8", newline="")
            handle.write(BOM)
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(self.header)
            self.open[name] = (handle, writer)
        return self.open[name][1]

    def close(self) -> list[str]:
        for handle, _ in self.open.values():
            handle.close()
        return sorted(self.open)


def _connect(path: Path) -> sqlite3.Connection:
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size = 4096", "journal_mode = DELETE", "synchronous = OFF", "encoding = 'UTF-8'",
                   "auto_vacuum = NONE", "foreign_keys = OFF"):
        connection.execute(f"PRAGMA {pragma}")
    connection.executescript(SCHEMA)
    connection.execute("BEGIN")
    return connection


def _figure_record(report_id: int, row: list[str]) -> tuple[Any, ...]:
    """A ``figure_values`` row: what varies per figure; the report's identity, unit of amount and
    URL, and the table's title, are joined in by the ``figures`` view (a third of the size)."""
    named = dict(zip(FIGURE_COLUMNS, row, strict=True))
    amount = named["amount"]
    url = restored(named["url"])
    return (report_id, named["table_id"], restored(named["section"]), restored(named["row_key"]),
            restored(named["row_code"]) or None, restored(named["row_name"]), named["column_id"],
            restored(named["column_title"]), amount or None,  # written blank: NULL, never 0
            amount_fen(amount, restored(named["amount_unit"])), "#" + url.split("#", 1)[1] if "#" in url else "")


def _attachment_record(report_id: int, row: list[str]) -> tuple[Any, ...]:
    named = dict(zip(ATTACHMENT_COLUMNS, row, strict=True))
    return (report_id, *(int(named[c]) if c == "year" else (named[c] or None) if c == "amount" else restored(named[c])
                         for c in ATTACHMENT_COLUMNS))


@dataclass
class BulkOutput:
    files: list[str]  # written straight into the staging folder
    pages: Output  # data/index.html, to be written like the other pages (and indexed)


def write_bulk(renderer: Renderer, staging: Path, reports: Sequence[str]) -> BulkOutput:
    """The bulk files and the page that describes them (``data/index.html``)."""
    result = build_bulk(staging, reports)
    titles: dict[str, list[str]] = defaultdict(list)
    for _, table_id, title in result.tables:
        if title not in titles[table_id]:
            titles[table_id].append(title)
    pages = Output()
    path = f"{DATA}/index.html"
    pages.add(path, renderer.page("data.html", path, files=result.files, report_count=len(reports),
                                  table_titles={k: "／".join(v) for k, v in titles.items()},
                                  attachment_titles=result.attachment_titles))
    return BulkOutput([f.path for f in result.files] + result.unit_files, pages)


def build_bulk(staging: Path, reports: Sequence[str]) -> BulkResult:
    """Write the portal's bulk files into ``staging`` from the per-report files below ``reports``
    (site paths of the report folders, ``units/<slug>/<year>/``, in report order)."""
    folder = staging / DATA
    folder.mkdir(parents=True, exist_ok=True)
    figures = _CsvFiles(folder, FIGURE_COLUMNS)
    attachments = _CsvFiles(folder, ATTACHMENT_COLUMNS)
    connection = _connect(folder / SQLITE_NAME)
    result = BulkResult()
    tables: dict[tuple[str, str], tuple[str, str]] = {}
    columns: set[tuple[str, str, str, str]] = set()
    by_unit: dict[str, list[tuple[int, str]]] = defaultdict(list)
    placeholders = ", ".join("?" * 11)
    attachment_placeholders = ", ".join("?" * (len(ATTACHMENT_COLUMNS) + 1))
    try:
        with (folder / REPORTS_JSON).open("wb") as everything:
            everything.write(b"[\n")
            for report_id, base in enumerate(reports, start=1):
                raw = (staging / base / "report.json").read_bytes()
                everything.write((b",\n" if report_id > 1 else b"") + raw.rstrip(b"\n"))
                data = json.loads(raw)
                rows = list(_rows((staging / base / FIGURES_CSV).read_bytes()))
                url = restored(rows[0][-1]).split("#", 1)[0] if rows else base
                template = str(data["template"])
                unit = data["unit"]
                connection.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    report_id, unit["slug"], unit["name"], unit.get("code") or None, unit.get("region"), unit.get("parent"),
                    unit.get("level"), int(data["year"]), data.get("title"), template, data["amount_unit"],
                    url))
                for table_id, table in data["tables"].items():
                    tables.setdefault((template, table_id), (str(table.get("number", "")), str(table.get("title", ""))))
                for row in rows:  # the title the tidy rows print (the figures view joins it by template)
                    tables[(template, row[5])] = (tables.get((template, row[5]), ("", ""))[0], restored(row[6]))
                del data
                by_unit[base.split("/")[1]].append((int(base.rstrip("/").split("/")[-1]), base))
                records = []
                for row in rows:
                    figures.writer(f"figures-{row[5]}.csv").writerow(row)
                    records.append(_figure_record(report_id, row))
                    columns.add((template, row[5], row[11], restored(row[12])))
                connection.executemany(f"INSERT INTO figure_values VALUES ({placeholders})", records)
                records = []
                for row in _rows((staging / base / ATTACHMENTS_CSV).read_bytes()):
                    kind = restored(row[6]) or "other"
                    attachments.writer(f"attachment-figures-{kind}.csv").writerow(row)
                    if kind not in result.attachment_titles:
                        result.attachment_titles[kind] = _kind_title(kind)
                    records.append(_attachment_record(report_id, row))
                connection.executemany(f"INSERT INTO attachment_figures VALUES ({attachment_placeholders})", records)
            everything.write(b"\n]\n")
        connection.executemany("INSERT INTO tables VALUES (?, ?, ?, ?)",
                               [(t, i, number, title) for (t, i), (number, title) in tables.items()])
        connection.executemany("INSERT INTO columns VALUES (?, ?, ?, ?)", sorted(columns))
        for statement in filter(str.strip, INDEXES.split(";")):  # not executescript: it would commit first
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()
        figure_files, attachment_files = figures.close(), attachments.close()
    result.files = ([BulkFile(f"{DATA}/{name}", "figures", name.removeprefix("figures-").removesuffix(".csv")) for name in figure_files]
                    + [BulkFile(f"{DATA}/{name}", "attachments", name.removeprefix("attachment-figures-").removesuffix(".csv"))
                       for name in attachment_files]
                    + [BulkFile(f"{DATA}/{SQLITE_NAME}", "sqlite"), BulkFile(f"{DATA}/{REPORTS_JSON}", "json")])
    for entry in result.files:
        entry.size = os.path.getsize(staging / entry.path)
    result.unit_files = [_unit_file(staging, slug, years) for slug, years in sorted(by_unit.items())]
    result.tables = [(t, i, title) for (t, i), (_, title) in tables.items()]
    return result


def _kind_title(kind: str) -> str:
    """The printed name of an attachment kind: the title of its JSON Schema (data, not code)."""
    if not re.fullmatch(r"[a-z_]+", kind):
        return kind
    schema = SCHEMA_DIR / f"attachment-{kind}.schema.json"
    return str(json.loads(schema.read_text(encoding="utf-8")).get("title", kind)) if schema.is_file() else kind


def _unit_file(staging: Path, slug: str, years: list[tuple[int, str]]) -> str:
    """``units/<slug>/figures.csv``: the unit's per-report tidy files one after another, in year order."""
    path = f"units/{slug}/{FIGURES_CSV}"
    with (staging / path).open("wb") as target:
        for index, (_, base) in enumerate(sorted(years)):
            data = (staging / base / FIGURES_CSV).read_bytes()
            if index:  # the BOM and header once
                data = data.split(b"\r\n", 1)[1] if b"\r\n" in data else b""
            target.write(data)
    return path
