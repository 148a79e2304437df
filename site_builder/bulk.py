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

The per-report files are read once, and as little as the outputs need (this stage is on the
critical path of a large build):

- the tidy CSVs' records are copied into the per-kind and per-unit files as the workers wrote them
  (``tidy.csv_bytes``: the csv module would write the same text again), only grouped by kind;
- fields are read for SQLite with ``str.split`` where a file has no ``"`` (the csv module, record
  by record, only where something is quoted), and ``restored`` only where a field starts with ``'``;
- a unit's file is written from the bytes already read when the next unit begins (a unit's reports
  are consecutive in report order; one met again later is rewritten from its files at the end);
- SQLite gets its rows in the same order as ever (each report's ``reports`` row, figures,
  attachment figures: the order decides which page each row lands on, so batching one table's rows
  across reports would change the file) and the indexes are built once at the end. (A larger page
  cache, ``PRAGMA cache_size`` 256 MiB, measured no faster at 9,000 reports and cost 400 MB.)

Amounts are TEXT in SQLite, the exact decimal as published: a REAL would turn ``0.1`` into
0.1000000000000000055…, sums would drift by cents and ``13708.28`` and ``13708.280`` could not be
told apart from how they were written. ``amount_fen`` adds an exact INTEGER in 分 (0.01 元,
converted from 万元 where the report is in 万元) for sums and comparisons across units.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from site_builder.publish import SiteView
from site_builder.render.pages import Output, Renderer
from site_builder.render.tidy import (
    ATTACHMENT_COLUMNS,
    ATTACHMENTS_CSV,
    BOM,
    FIGURE_COLUMNS,
    FIGURES_CSV,
    QUOTE,
    csv_header,
    restored,
)
from site_builder.schemagen import SCHEMA_DIR

DATA = "data"
SQLITE_NAME = "figures.sqlite"
REPORTS_JSON = "reports.json"
FEN_PER = {"元": Decimal(100), "万元": Decimal(1_000_000)}  # 1 万元 = 10 000 元 = 1 000 000 分, exact
TEXT_COLUMNS = frozenset(FIGURE_COLUMNS) - {"year", "amount"}
LINE_END = "\r\n"  # of every record of a tidy CSV (csv.writer's lineterminator in tidy.csv_bytes)
CSV_QUOTE = '"'


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


@dataclass
class _Tidy:
    """A tidy CSV the workers wrote, without its header: each record's CSV text as written (no line
    end, to be copied as it is), its fields as written, and its fields as published (``restored``)."""

    records: list[str]
    rows: list[list[str]]
    texts: list[list[str]]


def _tidy(data: bytes) -> _Tidy:
    """Read with ``str.split`` where nothing is quoted (nearly every file: the csv module would read
    the same fields), with the csv module record by record where something is (a comma, quote or
    line break in a name); ``restored`` only where some field starts with ``'``."""
    text = data.decode("utf-8").removeprefix(BOM)
    quoted = CSV_QUOTE in text
    records = _records(text, quoted)
    rows = _fields(records, quoted)
    if QUOTE not in text:
        return _Tidy(records, rows, rows)
    return _Tidy(records, rows, [[restored(value) for value in row] if QUOTE in record else row
                                 for row, record in zip(rows, records, strict=True)])


def _fields(records: list[str], quoted: bool) -> list[list[str]]:
    """Each record's fields as written (neutralised text, amounts as written)."""
    if not quoted:
        return [record.split(",") for record in records]
    return [next(csv.reader([record])) if CSV_QUOTE in record else record.split(",") for record in records]


def _records(text: str, quoted: bool) -> list[str]:
    """The records after the header. Records end in ``\\r\\n``; a quoted field may hold a line break
    too, so where something is quoted, a piece with an odd number of ``"`` is joined with the next."""
    pieces = text.split(LINE_END)
    if pieces[-1] == "":
        pieces.pop()
    if not quoted:
        return pieces[1:]
    records: list[str] = []
    pending: str | None = None
    for piece in pieces:
        pending = piece if pending is None else pending + LINE_END + piece
        if pending.count(CSV_QUOTE) % 2 == 0:
            records.append(pending)
            pending = None
    if pending is not None:
        records.append(pending)
    return records[1:]


class _CsvFiles:
    """Tidy CSV files of the portal opened on first use (BOM and header once), closed at the end.
    Records are appended as the workers wrote them: the csv module would write the same text."""

    def __init__(self, folder: Path, header: Sequence[str]) -> None:
        self.folder = folder
        self.header = csv_header(tuple(header))
        self.open: dict[str, IO[bytes]] = {}

    def append(self, name: str, records: list[str]) -> None:
        if name not in self.open:
            self.open[name] = (self.folder / name).open("wb")
            self.open[name].write(self.header)
        self.open[name].write((LINE_END.join(records) + LINE_END).encode("utf-8"))

    def append_grouped(self, names: list[str], records: list[str]) -> None:
        """Each record to the file named alongside it, in record order within each file."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for name, record in zip(names, records, strict=True):
            grouped[name].append(record)
        for name, group in grouped.items():
            self.append(name, group)

    def close(self) -> list[str]:
        for handle in self.open.values():
            handle.close()
        return sorted(self.open)


class _Database:
    """``figures.sqlite``, written in one transaction. Rows go in in the order of the reports (for each
    report: its ``reports`` row, its figures, its attachments' figures): the order in which the
    tables' pages are allocated, so the same order gives the same file (batching rows of one table
    across reports would interleave the pages differently)."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            path.unlink()
        self.connection = sqlite3.connect(path, isolation_level=None)
        for pragma in ("page_size = 4096", "journal_mode = DELETE", "synchronous = OFF", "encoding = 'UTF-8'",
                       "auto_vacuum = NONE", "foreign_keys = OFF"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.executescript(SCHEMA)
        self.connection.execute("BEGIN")

    def insert(self, table: str, records: list[tuple[Any, ...]]) -> None:
        if records:
            placeholders = ", ".join("?" * len(records[0]))
            self.connection.executemany(f"INSERT INTO {table} VALUES ({placeholders})", records)

    def commit(self) -> None:
        """The indexes (built once, at the end, from the sorted rows), then COMMIT."""
        for statement in filter(str.strip, INDEXES.split(";")):  # not executescript: it would commit first
            self.connection.execute(statement)
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def _figure_record(report_id: int, row: list[str], text: list[str]) -> tuple[Any, ...]:
    """A ``figure_values`` row: what varies per figure; the report's identity, unit of amount and
    URL, and the table's title, are joined in by the ``figures`` view (a third of the size).
    ``row`` has the fields as written, ``text`` as published (``restored``)."""
    if len(row) != len(FIGURE_COLUMNS):
        raise ValueError(f"a tidy row of {len(row)} fields, not {len(FIGURE_COLUMNS)}")
    amount, url = row[13], text[15]
    return (report_id, row[5], text[7], text[8], text[9] or None, text[10], row[11], text[12],
            amount or None,  # written blank: NULL, never 0
            amount_fen(amount, text[14]), "#" + url.split("#", 1)[1] if "#" in url else "")


def _attachment_record(report_id: int, row: list[str], text: list[str]) -> tuple[Any, ...]:
    if len(row) != len(ATTACHMENT_COLUMNS):
        raise ValueError(f"an attachment row of {len(row)} fields, not {len(ATTACHMENT_COLUMNS)}")
    return (report_id, *text[:4], int(row[4]), *text[5:11], row[11] or None, *text[12:])


@dataclass
class BulkOutput:
    files: list[str]  # written straight into the staging folder
    pages: Output  # data/index.html, to be written like the other pages (and indexed)


def write_bulk(renderer: Renderer, staging: Path, reports: Sequence[str], view: SiteView | None = None) -> BulkOutput:
    """The bulk files and the page that describes them (``data/index.html``); ``view``: where the
    per-report files are read (those of reports carried from the live output are there)."""
    result = build_bulk(staging, reports, view)
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


class _UnitFiles:
    """``units/<slug>/figures.csv``: a unit's per-report tidy files one after another, in year order
    (the BOM and header once). A unit's reports are consecutive in report order, so its file is
    written when the next unit begins, from the bytes already read for the bulk files (one unit's few
    years are held meanwhile, never the portal); a unit met again later is written again at the
    end, from its files."""

    def __init__(self, staging: Path, view: SiteView) -> None:
        self.staging, self.view = staging, view
        self.by_unit: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.slug = ""
        self.held: list[tuple[int, str, bytes]] = []  # (year, report folder, figures.csv) of the unit being read
        self.again: set[str] = set()

    def add(self, base: str, figures: bytes) -> None:
        slug, year = base.split("/")[1], int(base.rstrip("/").split("/")[-1])
        if slug != self.slug:
            self._write_held()
            if slug in self.by_unit:
                self.again.add(slug)
            self.slug = slug
        self.by_unit[slug].append((year, base))
        self.held.append((year, base, figures))

    def _write_held(self) -> None:
        if self.held:
            _write_unit_file(self.staging, self.slug, [data for _, _, data in sorted(self.held)])
        self.held = []

    def close(self) -> list[str]:
        """The site paths of the unit files, by unit slug."""
        self._write_held()
        for slug in sorted(self.again):
            _write_unit_file(self.staging, slug, [self.view.path(base + FIGURES_CSV).read_bytes()
                                                  for _, base in sorted(self.by_unit[slug])])
        return [_unit_path(slug) for slug in sorted(self.by_unit)]


class _Portal:
    """What the bulk files gather over the reports, one report at a time."""

    def __init__(self, staging: Path, folder: Path, view: SiteView) -> None:
        self.staging, self.view = staging, view
        self.figures = _CsvFiles(folder, FIGURE_COLUMNS)
        self.attachments = _CsvFiles(folder, ATTACHMENT_COLUMNS)
        self.database = _Database(folder / SQLITE_NAME)
        self.tables: dict[tuple[str, str], tuple[str, str]] = {}  # (template, table id) -> (number, printed title)
        self.columns: set[tuple[str, str, str, str]] = set()
        self.units = _UnitFiles(staging, view)
        self.attachment_titles: dict[str, str] = {}

    def add(self, report_id: int, base: str, raw_json: bytes) -> None:
        """One report: its row of ``reports``, its figures and its attachments' figures."""
        data = json.loads(raw_json)
        figures = self.view.path(base + FIGURES_CSV).read_bytes()
        self.units.add(base, figures)
        tidy = _tidy(figures)
        rows, texts = tidy.rows, tidy.texts
        template = str(data["template"])
        self._add_report(report_id, data, texts[0][15].split("#", 1)[0] if texts else base)
        self._add_tables(template, data, rows)
        del data
        self.figures.append_grouped([f"figures-{row[5]}.csv" for row in rows], tidy.records)
        self.database.insert("figure_values", [_figure_record(report_id, row, text) for row, text in zip(rows, texts, strict=True)])
        self.columns.update((template, row[5], row[11], text[12]) for row, text in zip(rows, texts, strict=True))
        self._add_attachments(report_id, _tidy(self.view.path(base + ATTACHMENTS_CSV).read_bytes()))

    def _add_report(self, report_id: int, data: dict[str, Any], url: str) -> None:
        unit = data["unit"]
        self.database.insert("reports", [(
            report_id, unit["slug"], unit["name"], unit.get("code") or None, unit.get("region"), unit.get("parent"),
            unit.get("level"), int(data["year"]), data.get("title"), str(data["template"]), data["amount_unit"], url)])

    def _add_tables(self, template: str, data: dict[str, Any], rows: list[list[str]]) -> None:
        """Number and title of each table: the number from the first report.json that has the table,
        the title from the last tidy row that prints it (the figures view joins it by template)."""
        for table_id, table in data["tables"].items():
            self.tables.setdefault((template, table_id), (str(table.get("number", "")), str(table.get("title", ""))))
        printed = {row[5]: row[6] for row in rows}  # first appearance order, last title
        for table_id, title in printed.items():
            key = (template, table_id)
            self.tables[key] = (self.tables.get(key, ("", ""))[0], restored(title))

    def _add_attachments(self, report_id: int, tidy: _Tidy) -> None:
        rows, texts = tidy.rows, tidy.texts
        kinds = [text[6] or "other" for text in texts]
        for kind in kinds:
            if kind not in self.attachment_titles:
                self.attachment_titles[kind] = _kind_title(kind)
        self.attachments.append_grouped([f"attachment-figures-{kind}.csv" for kind in kinds], tidy.records)
        self.database.insert("attachment_figures",
                             [_attachment_record(report_id, row, text) for row, text in zip(rows, texts, strict=True)])

    def finish(self) -> None:
        """The ``tables`` and ``columns`` rows, the indexes, COMMIT."""
        self.database.insert("tables", [(t, i, number, title) for (t, i), (number, title) in self.tables.items()])
        self.database.insert("columns", sorted(self.columns))
        self.database.commit()

    def close(self) -> tuple[list[str], list[str]]:
        self.database.close()
        return self.figures.close(), self.attachments.close()


def build_bulk(staging: Path, reports: Sequence[str], view: SiteView | None = None) -> BulkResult:
    """Write the portal's bulk files into ``staging`` from the per-report files below ``reports``
    (site paths of the report folders, ``units/<slug>/<year>/``, in report order)."""
    folder = staging / DATA
    folder.mkdir(parents=True, exist_ok=True)
    view = view or SiteView(staging)
    portal = _Portal(staging, folder, view)
    try:
        with (folder / REPORTS_JSON).open("wb") as everything:
            everything.write(b"[\n")
            for report_id, base in enumerate(reports, start=1):
                raw = view.path(base + "report.json").read_bytes()
                everything.write((b",\n" if report_id > 1 else b"") + raw.rstrip(b"\n"))
                portal.add(report_id, base, raw)
            everything.write(b"\n]\n")
        portal.finish()
    finally:
        figure_files, attachment_files = portal.close()
    result = BulkResult(attachment_titles=portal.attachment_titles)
    result.files = ([BulkFile(f"{DATA}/{name}", "figures", name.removeprefix("figures-").removesuffix(".csv")) for name in figure_files]
                    + [BulkFile(f"{DATA}/{name}", "attachments", name.removeprefix("attachment-figures-").removesuffix(".csv"))
                       for name in attachment_files]
                    + [BulkFile(f"{DATA}/{SQLITE_NAME}", "sqlite"), BulkFile(f"{DATA}/{REPORTS_JSON}", "json")])
    for entry in result.files:
        entry.size = os.path.getsize(staging / entry.path)
    result.unit_files = portal.units.close()
    result.tables = [(t, i, title) for (t, i), (_, title) in portal.tables.items()]
    return result


def _kind_title(kind: str) -> str:
    """The printed name of an attachment kind: the title of its JSON Schema (data, not code)."""
    if not re.fullmatch(r"[a-z_]+", kind):
        return kind
    schema = SCHEMA_DIR / f"attachment-{kind}.schema.json"
    return str(json.loads(schema.read_text(encoding="utf-8")).get("title", kind)) if schema.is_file() else kind


def _unit_path(slug: str) -> str:
    return f"units/{slug}/{FIGURES_CSV}"


def _write_unit_file(staging: Path, slug: str, figures: list[bytes]) -> None:
    """The unit's per-report tidy files (in year order) one after another, the BOM and header once."""
    path = staging / _unit_path(slug)
    path.parent.mkdir(parents=True, exist_ok=True)  # a unit whose pages were all carried (publish.py)
    with path.open("wb") as target:
        for index, data in enumerate(figures):
            if index:
                data = data.split(b"\r\n", 1)[1] if b"\r\n" in data else b""
            target.write(data)
