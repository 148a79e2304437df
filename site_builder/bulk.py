"""Bulk downloads, one set per report year, streamed from the per-report files the workers wrote.

A stage of the build after the site pages. For each year, in year order, it reads the tidy
``figures.csv``, ``attachment-figures.csv`` and ``report.json`` of each of the year's reports from
the staging folder, one report at a time and in report order (the order of the build's jobs), and
appends them to

- ``data/<year>/figures-<table-id>.csv``: one tidy CSV per table kind;
- ``data/<year>/attachment-figures-<kind>.csv``: one per attachment kind (performance forms …);
- ``data/<year>/figures.sqlite``: every figure of the year in one SQLite database: the view
  ``figures`` has the tidy columns, built from ``figure_values`` (what varies per figure) joined
  with ``reports`` and ``tables``, so names and URLs are not repeated on every row; plus ``columns``
  and ``attachment_figures``; ``report_id`` numbers the year's reports from 1;
- ``data/<year>/reports.json``: the JSON of every report of the year, as one array;
- ``units/<slug>/figures.csv``: all years of a unit (year order), appended to as the years go by;

then renders ``data/index.html`` (template ``data.html``): each year with its files and their
sizes. A national portal's readers download a year (at 10,000 reports one SQLite file of every
year was 637 MB), and a year is what an edit touches.

**Incremental.** With the build cache (``Reuse``, implemented by ``build_cache.BulkReuse``), a
year's files are taken from the previous output when the year's inputs (``year_inputs``) are
unchanged: its reports in order, the SHA-256 of each per-report file they are made from, and the
code that shapes their bytes (``code_digest``: this module, the tidy CSV format, and the SQLite
library, whose version is written into the database header). A unit's file likewise, from its
reports' ``figures.csv`` digests in year order (``unit_inputs``). ``data/index.html`` is rendered
every build, with the sizes of the files as they are in the staging folder.

A year that is written again (an edit of one of its reports) is put together from **parts**: its
reports in report order, ``part_reports()`` (100) at a time (``_Part``). A part holds its reports'
rows in a SQLite file of its own and the bytes its reports give each of the year's CSV files and
``reports.json``; it is kept in the build cache (``Reuse.parts_folder``) under the digests of its
reports' files (``part_inputs``). The year's text files are the parts' bytes one after another,
and its SQLite file gets the parts' rows one part after another, copied by SQLite itself (``INSERT
… SELECT`` from the attached part), then the ``tables`` and ``columns`` rows and the indexes. So an
edit makes one part and copies the rest, instead of parsing and inserting every figure of its year
from Python (at 1,428 reports a year: 3.3–3.7 s, now 1.1–1.4 s). The bytes do not depend on which parts were recalled;
the SQLite file's header counts its transactions (one per part), so it depends on the part size,
which is fixed. Without a build cache the parts are made in the staging folder and removed.

A part that is made again parses its reports' files again (``ReportRows``): remembering each
report's rows in the build cache, as the year's files were once made, saved nothing once a part
is 100 reports (1.12–1.23 s for a year of 1,428 reports with one report changed, against
1.17–1.36 s with the rows recalled; docs/measurements.md), and took 545 MB of cache at 10,000 reports.

Nothing holds the whole portal in memory. Same input, same bytes: rows are written in report
order, and the SQLite file is written with fixed PRAGMAs (page size, no WAL), in a transaction per part.

The per-report files are read once, and as little as the outputs need (this stage is on the
critical path of a large build):

- the tidy CSVs' records are copied into the per-kind and per-unit files as the workers wrote them
  (``tidy.csv_bytes``: the csv module would write the same text again), only grouped by kind;
- fields are read for SQLite with ``str.split`` where a file has no ``"`` (the csv module, record
  by record, only where something is quoted), and ``restored`` only where a field starts with ``'``;
- a unit's file is appended to from the bytes already read for its year's files (years go in
  order; a unit has one report a year); a report of a reused year is read only when its unit's file
  is written again;
- a part's SQLite file gets its rows in the same order as ever (each report's ``reports`` row,
  figures, attachment figures: the order decides which page each row lands on, so batching one
  table's rows across reports would change the file); the year's indexes are built once at the end. (A larger page
  cache, ``PRAGMA cache_size`` 256 MiB, measured no faster at 9,000 reports and cost 400 MB.)

Amounts are TEXT in SQLite, the exact decimal as published: a REAL would turn ``0.1`` into
0.1000000000000000055…, sums would drift by cents and ``13708.28`` and ``13708.280`` could not be
told apart from how they were written. ``amount_fen`` adds an exact INTEGER in 分 (0.01 元,
converted from 万元 where the report is in 万元) for sums and comparisons across units.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol

from site_builder import check_cache
from site_builder.publish import SiteView
from site_builder.render import tidy as tidy_format
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
from site_builder.shards import reports_setting

DATA = "data"
SQLITE_NAME = "figures.sqlite"
REPORTS_JSON = "reports.json"
REPORT_JSON = "report.json"  # of each report, beside its tidy files
PER_REPORT = (REPORT_JSON, FIGURES_CSV, ATTACHMENTS_CSV)  # what a year's files are made from
FIGURES_PREFIX = "figures-"
ATTACHMENTS_PREFIX = "attachment-figures-"
FEN_PER = {"元": Decimal(100), "万元": Decimal(1_000_000)}  # 1 万元 = 10 000 元 = 1 000 000 分, exact
TEXT_COLUMNS = frozenset(FIGURE_COLUMNS) - {"year", "amount"}
#: A year's files are put together from parts of this many reports each, in report order (``_Part``):
#: an edit makes its part again and copies the others' rows (SQLite's own INSERT … SELECT), so that
#: it does not cost a Python insert of every figure of its year.
PART_REPORTS = 100
PART_REPORTS_VARIABLE = "SITE_BUILDER_BULK_PART_REPORTS"
PART_MAGIC, PART_VERSION = "site-builder-bulk-part", "1"
PART_NAME = re.compile(r"[0-9]{4}-[0-9]{1,9}")
LINE_END = "\r\n"  # of every record of a tidy CSV (csv.writer's lineterminator in tidy.csv_bytes)
CSV_QUOTE = '"'


@dataclass
class BulkFile:
    path: str  # relative to the site root
    kind: str  # figures | attachments | sqlite | json
    key: str = ""  # table id or attachment kind
    size: int = 0


@dataclass
class BulkYear:
    """One year's bulk files (``data/<year>/``), written by this build or reused from the previous one."""

    year: str  # four digits, as the report folders name it
    inputs: str  # ``year_inputs``
    reports: int
    files: list[BulkFile]
    digests: dict[str, str]  # site path -> SHA-256
    tables: list[tuple[str, str, str]]  # (template, table id, printed title)
    reused: bool = False

    @property
    def table_titles(self) -> dict[str, str]:
        """Each table id's printed titles (one per template that prints it differently), joined."""
        titles: dict[str, list[str]] = defaultdict(list)
        for _, table_id, title in self.tables:
            if title not in titles[table_id]:
                titles[table_id].append(title)
        return {table_id: "／".join(names) for table_id, names in titles.items()}


@dataclass(frozen=True)
class UnitFile:
    """A unit's ``units/<slug>/figures.csv``, written by this build or reused from the previous one."""

    path: str
    inputs: str  # ``unit_inputs``
    digest: str  # SHA-256 of the file
    reused: bool = False


@dataclass
class BulkResult:
    years: list[BulkYear] = field(default_factory=list)  # in year order
    units: list[UnitFile] = field(default_factory=list)  # by unit slug


class Reuse(Protocol):
    """The bulk files of the previous build (``build_cache.BulkReuse``). Each method links the files
    remembered under ``inputs`` into the staging folder if they are still in the previous output as
    written, and returns what the build needs of them; else it links nothing and returns None."""

    def year(self, year: str, inputs: str) -> tuple[dict[str, str], list[tuple[str, str, str]]] | None:
        """The year's files (site path -> SHA-256, every one directly in ``data/<year>/``) and tables."""

    def unit(self, path: str, inputs: str) -> str | None:
        """The SHA-256 of the unit file ``path``."""

    def drop(self, paths: list[str]) -> None:
        """Take back files ``year`` brought in (they are written again)."""

    def parts_folder(self) -> Path | None:
        """Where a year's parts (``_Part``) are kept from one build to the next (None: nowhere)."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """What shapes the bulk files' bytes besides their inputs: this module, the tidy CSV format
    (render/tidy.py: header, BOM, quoting) and the SQLite library (its version is in the file's header)."""
    hasher = hashlib.sha256(b"bulk code\0")
    for module in (Path(__file__), Path(tidy_format.__file__)):
        hasher.update(module.read_bytes())
    hasher.update(sqlite3.sqlite_version.encode())
    return hasher.hexdigest()


def year_of(base: str) -> str:
    """The year of a report folder ``units/<slug>/<year>/``."""
    return base.rstrip("/").rsplit("/", 1)[-1]


def _slug_of(base: str) -> str:
    return base.split("/")[1]


def year_inputs(year: str, bases: Sequence[str], digests: Mapping[str, str]) -> str:
    """A digest of what the year's files are made from: the code, and the year's report folders in
    report order with the SHA-256 of each per-report file read (``digests``: site path -> SHA-256)."""
    hasher = hashlib.sha256(f"bulk year\0{code_digest()}\0{year}\0".encode())
    for base in bases:
        files = "\0".join(digests[base + name] for name in PER_REPORT)
        hasher.update(f"{base}\0{files}\0".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()


def part_reports() -> int:
    """Reports per part of a year: ``PART_REPORTS``, or the environment variable
    ``SITE_BUILDER_BULK_PART_REPORTS`` (tests use it to get several parts from a small site)."""
    return reports_setting(PART_REPORTS_VARIABLE, PART_REPORTS)


def part_names(year: str, reports: int) -> list[str]:
    """The names of a year's parts (``<year>-<n>``) when it has ``reports`` reports."""
    return [f"{year}-{n}" for n in range(-(-reports // part_reports()))]


def part_inputs(bases: Sequence[str], digests: Mapping[str, str]) -> str:
    """A digest of what a part is made from: the code, and its report folders in report order with
    the SHA-256 of each per-report file read. Not its position: a part's rows number its reports from 1."""
    hasher = hashlib.sha256(f"bulk part\0{code_digest()}\0".encode())
    for base in bases:
        files = "\0".join(digests[base + name] for name in PER_REPORT)
        hasher.update(f"{base}\0{files}\0".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()


def unit_inputs(slug: str, bases: Sequence[str], digests: Mapping[str, str]) -> str:
    """A digest of what a unit's file is made from: the code, and its reports' ``figures.csv`` in year order."""
    hasher = hashlib.sha256(f"bulk unit\0{code_digest()}\0{slug}\0".encode("utf-8", "surrogateescape"))
    for base in bases:
        hasher.update(f"{base}\0{digests[base + FIGURES_CSV]}\0".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()


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


class _Database:
    """A ``figures.sqlite`` being written (a year's, or a part's: ``_Part``). Rows go in in the
    order of the reports (for each report: its ``reports`` row, its figures, its attachments'
    figures): the order in which the tables' pages are allocated, so the same order gives the same
    file (batching rows of one table across reports would interleave the pages differently)."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            path.unlink()
        self.connection = sqlite3.connect(path, isolation_level=None)
        for pragma in ("page_size = 4096", "journal_mode = DELETE", "synchronous = OFF", "encoding = 'UTF-8'",
                       "auto_vacuum = NONE", "foreign_keys = OFF"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.executescript(SCHEMA)

    def begin(self) -> None:
        self.connection.execute("BEGIN")

    def insert(self, table: str, records: list[tuple[Any, ...]]) -> None:
        if records:
            placeholders = ", ".join("?" * len(records[0]))
            self.connection.executemany(f"INSERT INTO {table} VALUES ({placeholders})", records)

    def append(self, part: Path, offset: int) -> None:
        """A part's rows after those already in, in their order, its reports numbered on from
        ``offset``: SQLite copies them (INSERT … SELECT), in a transaction of their own (a database
        cannot be attached inside one, nor more than ten at a time)."""
        self.connection.execute("ATTACH DATABASE ? AS part", (os.fspath(part),))
        try:
            self.begin()
            for table in ("reports", "figure_values", "attachment_figures"):
                names = [row[1] for row in self.connection.execute(f"PRAGMA main.table_info({table})")]
                columns = ", ".join(["report_id + ?", *names[1:]])
                self.connection.execute(f"INSERT INTO main.{table} SELECT {columns} FROM part.{table} ORDER BY rowid",
                                        (offset,))
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        finally:
            self.connection.execute("DETACH DATABASE part")

    def commit(self, indexes: bool = True) -> None:
        """The indexes (built once, at the end, from the sorted rows; a part has none), then COMMIT."""
        if indexes:
            for statement in filter(str.strip, INDEXES.split(";")):  # not executescript: it would commit first
                self.connection.execute(statement)
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def _figure_record(row: list[str], text: list[str]) -> list[Any]:
    """A ``figure_values`` row without its report_id: what varies per figure; the report's identity,
    unit of amount and URL, and the table's title, are joined in by the ``figures`` view (a third
    of the size). ``row`` has the fields as written, ``text`` as published (``restored``)."""
    if len(row) != len(FIGURE_COLUMNS):
        raise ValueError(f"a tidy row of {len(row)} fields, not {len(FIGURE_COLUMNS)}")
    amount, url = row[13], text[15]
    return [row[5], text[7], text[8], text[9] or None, text[10], row[11], text[12],
            amount or None,  # written blank: NULL, never 0
            amount_fen(amount, text[14]), "#" + url.split("#", 1)[1] if "#" in url else ""]


def _attachment_record(row: list[str], text: list[str]) -> list[Any]:
    if len(row) != len(ATTACHMENT_COLUMNS):
        raise ValueError(f"an attachment row of {len(row)} fields, not {len(ATTACHMENT_COLUMNS)}")
    return [*text[:4], int(row[4]), *text[5:11], row[11] or None, *text[12:]]


def _runs(names: list[str]) -> list[list[Any]]:
    """Consecutive records with the same file name as ``[name, first, end]``: a report's tidy
    records come table by table, so a handful of runs says where each of them goes."""
    runs: list[list[Any]] = []
    for position, name in enumerate(names):
        if runs and runs[-1][0] == name:
            runs[-1][2] = position + 1
        else:
            runs.append([name, position, position + 1])
    return runs


@dataclass
class ReportRows:
    """What a year's files take from one report besides the bytes of its tidy records: its
    ``reports`` row, the tables it declares (id, number, title) and prints (id, printed title), its
    ``figure_values``, ``columns`` and ``attachment_figures`` rows (rows without report_id), and
    which CSV file each of its tidy records goes to (``_runs``), made from the report's files."""

    report: list[Any]
    declared: list[list[str]]
    printed: list[list[str]]
    figures: list[list[Any]]
    columns: list[list[str]]
    attachments: list[list[Any]]
    figure_runs: list[list[Any]]
    attachment_runs: list[list[Any]]

    @classmethod
    def from_files(cls, base: str, raw_json: bytes, figures: _Tidy, attachments: _Tidy) -> ReportRows:
        data = json.loads(raw_json)
        rows, texts = figures.rows, figures.texts
        template, unit = str(data["template"]), data["unit"]
        url = texts[0][15].split("#", 1)[0] if texts else base
        report = [unit["slug"], unit["name"], unit.get("code") or None, unit.get("region"), unit.get("parent"),
                  unit.get("level"), int(data["year"]), data.get("title"), template, data["amount_unit"], url]
        declared = [[table_id, str(table.get("number", "")), str(table.get("title", ""))]
                    for table_id, table in data["tables"].items()]
        printed = {row[5]: row[6] for row in rows}  # first appearance order, last title
        pairs = list(zip(rows, texts, strict=True))
        attachment_pairs = list(zip(attachments.rows, attachments.texts, strict=True))
        return cls(report, declared, [[table_id, restored(title)] for table_id, title in printed.items()],
                   [_figure_record(row, text) for row, text in pairs],
                   [list(column) for column in dict.fromkeys((template, row[5], row[11], text[12]) for row, text in pairs)],
                   [_attachment_record(row, text) for row, text in attachment_pairs],
                   _runs([f"{FIGURES_PREFIX}{row[5]}.csv" for row in rows]),
                   _runs([f"{ATTACHMENTS_PREFIX}{text[6] or 'other'}.csv" for text in attachments.texts]))


@dataclass
class BulkOutput:
    files: list[str]  # written or linked straight into the staging folder
    digests: dict[str, str]  # their SHA-256, by site path
    pages: Output  # data/index.html, to be written like the other pages
    years: list[BulkYear]  # in year order
    units: list[UnitFile]


def write_bulk(renderer: Renderer, staging: Path, reports: Sequence[str], digests: Mapping[str, str],
               reuse: Reuse | None = None, view: SiteView | None = None) -> BulkOutput:
    """The bulk files and the page that describes them (``data/index.html``). ``digests``: the
    SHA-256 of each per-report file, by site path; ``reuse``: the previous build's bulk files."""
    result = build_bulk(staging, reports, digests, reuse, view)
    kinds = sorted({f.key for year in result.years for f in year.files if f.kind == "attachments"})
    pages = Output()
    path = f"{DATA}/index.html"
    pages.add(path, renderer.page("data.html", path, years=result.years[::-1], report_count=len(reports),
                                  attachment_titles={kind: _kind_title(kind) for kind in kinds}))
    written = {path: digest for year in result.years for path, digest in year.digests.items()}
    written.update((unit.path, unit.digest) for unit in result.units)
    return BulkOutput(list(written), written, pages, result.years, result.units)


class _UnitFiles:
    """``units/<slug>/figures.csv``: a unit's per-report tidy files one after another, in year order
    (the BOM and header once), for the units whose file is not reused. Years go in order and a unit
    has one report a year, so each report's file is appended as its year is read (opened for each:
    one unit's file is never held, nor thousands of files open)."""

    def __init__(self, staging: Path, by_unit: dict[str, list[str]], digests: Mapping[str, str],
                 reuse: Reuse | None) -> None:
        self.staging = staging
        self.done: dict[str, UnitFile] = {}
        self.todo: dict[str, str] = {}  # slug -> inputs, of the files to write
        for slug in sorted(by_unit):
            inputs, path = unit_inputs(slug, by_unit[slug], digests), _unit_path(slug)
            digest = reuse.unit(path, inputs) if reuse is not None else None
            if digest is not None:
                self.done[slug] = UnitFile(path, inputs, digest, reused=True)
            else:
                self.todo[slug] = inputs
        self.hashers: dict[str, Any] = {}

    @classmethod
    def none(cls) -> _UnitFiles:
        """Files of no unit: what a part made again for a year's files only goes to."""
        return cls(Path(), {}, {}, None)

    def wanted(self, base: str) -> bool:
        return _slug_of(base) in self.todo

    def add(self, base: str, figures: bytes) -> None:
        """The report's ``figures.csv`` (its whole bytes) at the end of its unit's file, if that is written."""
        slug = _slug_of(base)
        if slug not in self.todo:
            return
        first = slug not in self.hashers
        if first:
            self.hashers[slug] = hashlib.sha256()
        else:
            figures = figures.split(b"\r\n", 1)[1] if b"\r\n" in figures else b""
        path = self.staging / _unit_path(slug)
        if first:  # a unit whose pages were all carried has no folder in the staging folder (publish.py)
            path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb" if first else "ab") as target:
            target.write(figures)
        self.hashers[slug].update(figures)

    def close(self) -> list[UnitFile]:
        for slug, inputs in self.todo.items():
            self.done[slug] = UnitFile(_unit_path(slug), inputs, self.hashers[slug].hexdigest())
        return [self.done[slug] for slug in sorted(self.done)]


@dataclass
class _Part:
    """Up to ``part_reports()`` consecutive reports of a year, as the year's files take them: their
    rows in a SQLite file of their own (``database``, reports numbered from 1, no indexes), and in
    the file ``data`` (``size`` bytes) their ``report.json`` texts joined (span ``json``) and the
    records of each tidy CSV file of the year they go to (spans ``csv``, by file name); the tables
    they declare and print (``[template, table id, number, title, printed]`` in first-appearance
    order, ``_PartWriter``) and their columns (sorted). Its files are read where the year's files
    are written, one span at a time: a year's parts are never held."""

    database: Path
    data: Path
    size: int
    json: list[int]
    csv: dict[str, list[int]]
    reports: int
    tables: list[list[Any]]
    columns: list[list[str]]

    def copy(self, where: list[int], target: IO[bytes] | _Hashing) -> None:
        """The bytes of span ``where`` of the data, written to ``target``."""
        with self.data.open("rb") as source:
            source.seek(where[0])
            left = where[1] - where[0]
            while left:
                block = source.read(min(left, 1 << 20))
                if not block:
                    raise OSError(f"{self.data}: shorter than its record says")
                target.write(block)
                left -= len(block)

    def meta(self, inputs: str, database_digest: str, data_digest: str) -> dict[str, Any]:
        return {"inputs": inputs, "reports": self.reports, "size": self.size, "json": self.json, "csv": self.csv,
                "tables": self.tables, "columns": self.columns, "database": database_digest, "data": data_digest}


class _PartWriter:
    """What one part gathers over its reports, one report at a time: rows into its SQLite file,
    records and JSON texts into a file per CSV file of the year (in ``spill``, a folder of its own,
    so that not even a part's records are held), joined into its data file at ``finish``."""

    def __init__(self, database: Path, units: _UnitFiles, spill: Path) -> None:
        self.path, self.spill = database, spill
        shutil.rmtree(spill, ignore_errors=True)
        spill.mkdir()
        try:
            self.database = _Database(database)
        except BaseException:
            shutil.rmtree(spill, ignore_errors=True)
            raise
        self.database.begin()
        self.texts: dict[str, IO[bytes]] = {}  # "" (the JSON texts) and each CSV file's name -> its spill file
        self.tables: dict[tuple[str, str], list[Any]] = {}  # (template, table id) -> [number, title, printed]
        self.columns: set[tuple[str, str, str, str]] = set()
        self.units = units
        self.report_id = 0

    def add(self, base: str, raw_json: bytes, rows: ReportRows, figures: bytes, records: list[str],
            attachments: list[str]) -> None:
        """The next report (``report_id`` counts them from 1): its JSON, its row of ``reports``, its
        figures and its attachments' figures (``figures``: its ``figures.csv``, whose records are
        ``records``; ``attachments``: the records of its ``attachment-figures.csv``)."""
        self.report_id += 1
        report_id = self.report_id
        self._text("").write((b",\n" if report_id > 1 else b"") + raw_json.rstrip(b"\n"))
        self.units.add(base, figures)
        self.database.insert("reports", [(report_id, *rows.report)])
        template = rows.report[8]
        for table_id, number, title in rows.declared:  # the number and title it is first declared with
            self.tables.setdefault((template, table_id), [number, title, False])
        for table_id, title in rows.printed:  # the title from the last tidy row that prints it
            self.tables.setdefault((template, table_id), ["", title, True])[1:] = [title, True]
        self._append(rows.figure_runs, records)
        self.database.insert("figure_values", [(report_id, *row) for row in rows.figures])
        self.columns.update(tuple(column) for column in rows.columns)
        self._append(rows.attachment_runs, attachments)
        self.database.insert("attachment_figures", [(report_id, *row) for row in rows.attachments])

    def _text(self, name: str) -> IO[bytes]:
        if name not in self.texts:  # numbered: a file name is never made from a report's data
            self.texts[name] = (self.spill / str(len(self.texts))).open("w+b")
        return self.texts[name]

    def _append(self, runs: list[list[Any]], records: list[str]) -> None:
        for name, first, end in runs:
            self._text(name).write((LINE_END.join(records[first:end]) + LINE_END).encode("utf-8"))

    def finish(self, data: Path) -> tuple[_Part, str]:
        """COMMIT, write the data file; the part and the data's SHA-256."""
        self.database.commit(indexes=False)
        self.database.close()
        with data.open("wb") as handle:
            target = _Hashing(handle)

            def put(name: str) -> list[int]:
                start = handle.tell()
                if name in self.texts:
                    source = self.texts[name]
                    source.seek(0)
                    while block := source.read(1 << 20):
                        target.write(block)
                return [start, handle.tell()]

            json_span = put("")
            csv = {name: put(name) for name in sorted(self.texts) if name}
            size = handle.tell()
        return _Part(self.path, data, size, json_span, csv, self.report_id,
                     [[template, table_id, *value] for (template, table_id), value in self.tables.items()],
                     [list(column) for column in sorted(self.columns)]), target.hasher.hexdigest()

    def close(self) -> None:
        self.database.close()
        for handle in self.texts.values():
            handle.close()
        shutil.rmtree(self.spill, ignore_errors=True)


class _Parts:
    """Where a year's parts are (``<name>``: the sealed record of ``_Part.meta``, ``<name>.sqlite``,
    ``<name>.data``): the build cache's folder, kept from one build to the next, or a folder of
    this build's own. Recalled parts are the cache's, not trusted: their record must have its
    shape and the digests of both files must hold, else the part is made again."""

    def __init__(self, folder: Path, own: Path | None = None) -> None:
        """``own``: where a part goes that cannot be made in ``folder`` (a build cache that cannot be
        written only costs time)."""
        self.folder, self.own = folder, own

    def writer(self, name: str, units: _UnitFiles) -> tuple[_PartWriter, Path]:
        """A writer of a part and where its data goes: in the folder, else in the build's own."""
        try:
            return self._writer(self.folder, name, units)
        except (OSError, sqlite3.Error):
            if self.own is None:
                raise
            return self._writer(self.own, name, units)

    @staticmethod
    def _writer(folder: Path, name: str, units: _UnitFiles) -> tuple[_PartWriter, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        return _PartWriter(folder / f".{name}.sqlite.tmp", units, folder / f".{name}.records.tmp"), \
            folder / f".{name}.data.tmp"

    def keep(self, name: str, inputs: str, part: _Part, data_digest: str) -> _Part:
        """The part under its name in the folder, with its record; where that cannot be written, the
        part as it is (a later build makes it again)."""
        if part.database.parent != self.folder:
            return part
        try:
            os.replace(part.database, self.folder / f"{name}.sqlite")
            part.database = self.folder / f"{name}.sqlite"
            os.replace(part.data, self.folder / f"{name}.data")
            part.data = self.folder / f"{name}.data"
            with part.database.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            check_cache.write_sealed(self.folder / name, PART_MAGIC, PART_VERSION, part.meta(inputs, digest, data_digest))
        except OSError:
            pass
        return part

    def recall(self, name: str, inputs: str, reports: int) -> _Part | None:
        meta = check_cache.read_sealed(self.folder / name, PART_MAGIC, PART_VERSION)
        if not (isinstance(meta, dict) and meta.get("inputs") == inputs and meta.get("reports") == reports):
            return None
        database, data = self.folder / f"{name}.sqlite", self.folder / f"{name}.data"
        try:
            with database.open("rb") as handle:
                database_digest = hashlib.file_digest(handle, "sha256").hexdigest()
            with data.open("rb") as handle:
                data_digest = hashlib.file_digest(handle, "sha256").hexdigest()
                size = handle.tell()
        except OSError:
            return None
        part = _Part(database, data, size, meta.get("json"), meta.get("csv"), reports, meta.get("tables"),
                     meta.get("columns"))
        return part if _well_formed(part) and part.meta(inputs, database_digest, data_digest) == meta else None


def _well_formed(part: _Part) -> bool:
    """Whether a recalled part's spans lie in its data and name CSV files of its year's folder, and
    its tables and columns have their shapes."""
    def span(value: Any) -> bool:
        return type(value) is list and len(value) == 2 and all(type(v) is int for v in value) \
            and 0 <= value[0] <= value[1] <= part.size

    return span(part.json) and type(part.csv) is dict \
        and all(span(where) and _year_csv_name(name) for name, where in part.csv.items()) \
        and type(part.tables) is list and all(
            type(t) is list and len(t) == 5 and all(type(v) is str for v in t[:4]) and type(t[4]) is bool
            for t in part.tables) \
        and type(part.columns) is list and all(
            type(c) is list and len(c) == 4 and all(type(v) is str for v in c) for c in part.columns)


def _year_csv_name(name: str) -> bool:
    return type(name) is str and name.endswith(".csv") and "/" not in name and "\0" not in name \
        and name.startswith((FIGURES_PREFIX, ATTACHMENTS_PREFIX))


def build_bulk(staging: Path, reports: Sequence[str], digests: Mapping[str, str],
               reuse: Reuse | None = None, view: SiteView | None = None) -> BulkResult:
    """Write the bulk files into ``staging`` from the per-report files below ``reports`` (site paths
    of the report folders, ``units/<slug>/<year>/``, in report order), or link those of the previous
    build that ``reuse`` has under the same inputs (``digests``: site path -> SHA-256 of each file)."""
    by_year: dict[str, list[str]] = defaultdict(list)
    for base in reports:
        by_year[year_of(base)].append(base)
    by_unit: dict[str, list[str]] = defaultdict(list)
    for year in sorted(by_year):
        for base in by_year[year]:
            by_unit[_slug_of(base)].append(base)
    view = view or SiteView(staging)  # per-report and reused files carried from the live site are read there
    kept, own = reuse.parts_folder() if reuse is not None else None, staging / ".bulk-parts"
    parts = _Parts(kept, own) if kept is not None else _Parts(own)
    try:
        units = _UnitFiles(staging, by_unit, digests, reuse)
        years = [_year(staging, year, by_year[year], digests, reuse, units, view, parts) for year in sorted(by_year)]
    finally:
        shutil.rmtree(own, ignore_errors=True)
    for year in years:
        for entry in year.files:
            entry.size = os.path.getsize(view.path(entry.path))
    return BulkResult(years, units.close())


def _year(staging: Path, year: str, bases: list[str], digests: Mapping[str, str], reuse: Reuse | None,
          units: _UnitFiles, view: SiteView, parts: _Parts) -> BulkYear:
    """The year's files: linked from the previous build where ``reuse`` has them, else written."""
    inputs = year_inputs(year, bases, digests)
    recorded = reuse.year(year, inputs) if reuse is not None else None
    if recorded is not None:
        files = _recorded_files(year, recorded[0])
        if files is not None:
            for base in bases:
                if units.wanted(base):
                    units.add(base, view.path(base + FIGURES_CSV).read_bytes())
            return BulkYear(year, inputs, len(bases), files, dict(recorded[0]), list(recorded[1]), reused=True)
        reuse.drop(list(recorded[0]))  # not the set of files this code writes: written again
    return _write_year(staging, year, bases, inputs, units, view, digests, parts)


def _recorded_files(year: str, digests: Mapping[str, str]) -> list[BulkFile] | None:
    """The files of a year as the previous build recorded them, if they are a year's set of files."""
    folder = f"{DATA}/{year}/"
    names = [path.removeprefix(folder) for path in digests]
    if not all(path.startswith(folder) for path in digests) or not {SQLITE_NAME, REPORTS_JSON} <= set(names):
        return None
    files = _year_files(folder, names)
    return files if len(files) == len(names) else None


def _year_files(folder: str, names: Sequence[str]) -> list[BulkFile]:
    """The files of a year's folder as the data page lists them: the tables' CSVs, the attachments'
    CSVs (each by name), the SQLite file and the JSON. Names of no such file are left out."""
    def key(name: str, prefix: str) -> str:
        return name.removeprefix(prefix).removesuffix(".csv")

    figures = sorted(n for n in names if n.startswith(FIGURES_PREFIX) and n.endswith(".csv") and key(n, FIGURES_PREFIX))
    attachments = sorted(n for n in names if n.startswith(ATTACHMENTS_PREFIX) and n.endswith(".csv")
                         and key(n, ATTACHMENTS_PREFIX))
    return ([BulkFile(folder + name, "figures", key(name, FIGURES_PREFIX)) for name in figures]
            + [BulkFile(folder + name, "attachments", key(name, ATTACHMENTS_PREFIX)) for name in attachments]
            + [BulkFile(folder + name, kind) for name, kind in ((SQLITE_NAME, "sqlite"), (REPORTS_JSON, "json"))
               if name in names])


def _write_year(staging: Path, year: str, bases: list[str], inputs: str, units: _UnitFiles, view: SiteView,
                digests: Mapping[str, str], parts: _Parts) -> BulkYear:
    """Write ``data/<year>/`` from its parts (``_Part``), each recalled where its reports' files are
    unchanged, else made from them; the files are the parts' bytes one after another, and the
    SQLite file their rows one part after another."""
    folder = staging / DATA / year
    folder.mkdir(parents=True, exist_ok=True)
    size = part_reports()
    chunks = [bases[start:start + size] for start in range(0, len(bases), size)]
    made = [_part(parts, name, chunk, units, view, digests)
            for name, chunk in zip(part_names(year, len(bases)), chunks, strict=True)]
    try:
        tables, texts = _write_files(folder, made)
    except sqlite3.DatabaseError:  # a recalled part whose rows SQLite cannot copy: every part made again
        made = [_made_part(parts, name, chunk, units, view, digests, wanted=False)
                for name, chunk in zip(part_names(year, len(bases)), chunks, strict=True)]
        tables, texts = _write_files(folder, made)
    files = _year_files(f"{DATA}/{year}/", list(texts))
    written = {entry.path: texts[entry.path.rsplit("/", 1)[1]] for entry in files}
    return BulkYear(year, inputs, len(bases), files, written, [(t, i, title) for (t, i), (_, title) in tables.items()])


def _part(parts: _Parts, name: str, bases: list[str], units: _UnitFiles, view: SiteView,
          digests: Mapping[str, str]) -> _Part:
    """A part as the last build made it if it is made from the same files, else made now."""
    recalled = parts.recall(name, part_inputs(bases, digests), len(bases))
    if recalled is None:
        return _made_part(parts, name, bases, units, view, digests)
    for base in bases:
        if units.wanted(base):
            units.add(base, view.path(base + FIGURES_CSV).read_bytes())
    return recalled


def _made_part(parts: _Parts, name: str, bases: list[str], units: _UnitFiles, view: SiteView,
               digests: Mapping[str, str], wanted: bool = True) -> _Part:
    """Make a part from its reports' files, in report order. ``wanted``: whether its reports still
    go into their units' files."""
    writer, data = parts.writer(name, units if wanted else _UnitFiles.none())
    try:
        for base in bases:
            _add_report(writer, view, base)
        part, data_digest = writer.finish(data)
    finally:
        writer.close()
    return parts.keep(name, part_inputs(bases, digests), part, data_digest)


def _write_files(folder: Path, parts: list[_Part]) -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, str]]:
    """The year's files from its parts; its tables, and the SHA-256 of each file by name."""
    tables = _merged_tables(parts)
    texts = _write_texts(folder, parts)
    _write_database(folder / SQLITE_NAME, parts, tables)
    with (folder / SQLITE_NAME).open("rb") as handle:
        texts[SQLITE_NAME] = hashlib.file_digest(handle, "sha256").hexdigest()
    return tables, texts


def _merged_tables(parts: list[_Part]) -> dict[tuple[str, str], tuple[str, str]]:
    """The year's tables (template, table id) -> (number, printed title), as if its reports had been
    read one after another: the number and title of the first declaration, unless a table is
    printed before it is declared (no number), and the title of the last report that prints it."""
    tables: dict[tuple[str, str], list[Any]] = {}
    for part in parts:
        for template, table_id, number, title, printed in part.tables:
            known = tables.get((template, table_id))
            if known is None:
                tables[(template, table_id)] = [number, title]
            elif printed:
                known[1] = title
    return {key: (number, title) for key, (number, title) in tables.items()}


class _Hashing:
    """A file being written, hashed as it is (not read back to be hashed)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.hasher = target, hashlib.sha256()

    def write(self, data: bytes | memoryview) -> None:
        self.target.write(data)
        self.hasher.update(data)


def _write_texts(folder: Path, parts: list[_Part]) -> dict[str, str]:
    """``reports.json`` and the tidy CSV files of the year from its parts; the SHA-256 of each by name."""
    written: dict[str, str] = {}
    with (folder / REPORTS_JSON).open("wb") as handle:
        everything = _Hashing(handle)
        everything.write(b"[\n")
        for position, part in enumerate(parts):
            everything.write(b",\n" if position else b"")
            part.copy(part.json, everything)
        everything.write(b"\n]\n")
    written[REPORTS_JSON] = everything.hasher.hexdigest()
    for name in sorted({name for part in parts for name in part.csv}):
        header = csv_header(tuple(FIGURE_COLUMNS if name.startswith(FIGURES_PREFIX) else ATTACHMENT_COLUMNS))
        with (folder / name).open("wb") as handle:
            target = _Hashing(handle)
            target.write(header)
            for part in parts:
                if name in part.csv:
                    part.copy(part.csv[name], target)
        written[name] = target.hasher.hexdigest()
    return written


def _write_database(path: Path, parts: list[_Part], tables: dict[tuple[str, str], tuple[str, str]]) -> None:
    """The year's SQLite file: the parts' rows in order, then ``tables``, ``columns`` and the indexes."""
    database = _Database(path)
    try:
        offset = 0
        for part in parts:
            database.append(part.database, offset)
            offset += part.reports
        database.begin()
        database.insert("tables", [(t, i, number, title) for (t, i), (number, title) in tables.items()])
        database.insert("columns", sorted({tuple(column) for part in parts for column in part.columns}))
        database.commit()
    finally:
        database.close()


def _add_report(writer: _PartWriter, view: SiteView, base: str) -> None:
    """Add one report to its part, from its files."""
    raw_json = view.path(base + REPORT_JSON).read_bytes()
    figures = view.path(base + FIGURES_CSV).read_bytes()
    tidy, attachment_tidy = _tidy(figures), _tidy(view.path(base + ATTACHMENTS_CSV).read_bytes())
    rows = ReportRows.from_files(base, raw_json, tidy, attachment_tidy)
    writer.add(base, raw_json, rows, figures, tidy.records, attachment_tidy.records)


def _kind_title(kind: str) -> str:
    """The printed name of an attachment kind: the title of its JSON Schema (data, not code)."""
    if not re.fullmatch(r"[a-z_]+", kind):
        return kind
    schema = SCHEMA_DIR / f"attachment-{kind}.schema.json"
    return str(json.loads(schema.read_text(encoding="utf-8")).get("title", kind)) if schema.is_file() else kind


def _unit_path(slug: str) -> str:
    return f"units/{slug}/{FIGURES_CSV}"
