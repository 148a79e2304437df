"""A build split across machines (docs/parts.md).

``site-builder build CONTENT --part K/N --out PART`` checks and renders part K of N of the reports
and indexes their search shards; ``site-builder combine PART... --out SITE`` builds the site from
the parts: it reuses each part's reports and shards and builds the rest (site-wide pages, bulk
downloads, the site-wide search shards). The combined site is the one ``site-builder build CONTENT``
writes, byte for byte: the parts only save work.

A part is cut along search shards, so every report shard is indexed once, on the machine that
rendered its reports. (Up to ``shards.single_index_reports()`` reports the site has one index of
every page; then the parts take every N-th report and ``combine`` indexes them all.)

A part folder holds:

- ``part.json``: the manifest, sealed (``check_cache.write_sealed``): the tool state it was built
  with, and per report its key, findings, summary (without table rows) and every file it wrote
  with its SHA-256, per shard its input digest and files with their SHA-256;
- ``site/``: the files at their site paths, including ``pagefind/<shard>/`` and ``pagefind/cells/``;
- ``store/<sha256>``: the search copies of the pages and each report's whole summary.

``combine`` trusts a part no more than its own build cache: it computes every report's key from
its own content folder and takes a report only when the part has it under the same key (same
files, previous year, unit, root files, theme, tool, and the paths findings show); every path must
lie below the report's own folder; every file is read and must have the SHA-256 of the manifest
(artifacts lose times and inodes in transfer, so only content counts). A part built by another
version of the tool or with other shard settings is refused; a report no part has (or has under
another key) is rendered by ``combine`` itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder import check_cache, shards
from site_builder.build_cache import ReportRecord, is_digest, is_safe_path, link_all
from site_builder.check_cache import Invalid
from site_builder.digests import files_below
from site_builder.findings import Finding
from site_builder.model import Unit
from site_builder.summaries import ReportSummary, summary_from_data

MANIFEST = "part.json"
SITE = "site"
STORE = "store"
MAGIC = "site-builder-part"
VERSION = "1"


class PartProblem(Exception):
    """A part folder that cannot be used (a usage problem, exit 2)."""


def parse_part(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N, as given to ``--part``."""
    number, _, count = text.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise ValueError(f"--part must be K/N with 1 <= K <= N (as 2/4), not {text!r}")
    return int(number), int(count)


def report_folder(unit: Unit, year_dir: Path) -> str:
    """The site folder of a report's files: ``units/<slug>/<year>/``."""
    return f"units/{unit.slug}/{year_dir.name}/"


def chosen(jobs: list[tuple[Unit, Path]], number: int, count: int) -> list[int]:
    """The reports (positions in ``jobs``) of part ``number`` of ``count``: whole search shards of
    the whole site, dealt so that the parts have about as many reports (``balanced``), or every
    ``count``-th report when the site has a single index."""
    pages = [report_folder(unit, year_dir) + "index.html" for unit, year_dir in jobs]
    shard_of = shards.assign(pages, shards.shard_reports(), shards.single_index_reports())
    if set(shard_of.values()) == {shards.ALL}:
        return list(range(number - 1, len(jobs), count))
    sizes = Counter(shard_of.values())
    mine = balanced(sizes, count)[number - 1]
    return [position for position, page in enumerate(pages) if shard_of[page] in mine]


def balanced(sizes: Counter[str], count: int) -> list[set[str]]:
    """Shards dealt to ``count`` parts, largest first, each to the part with the fewest reports so
    far (lowest number on a tie): deterministic, and within one shard of even. (Every N-th shard
    by name gave 1,077 and 1,923 of 3,000 reports: the years' last shards are the small ones.)"""
    dealt: list[set[str]] = [set() for _ in range(count)]
    totals = [0] * count
    for shard, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        part = min(range(count), key=lambda n: (totals[n], n))
        dealt[part].add(shard)
        totals[part] += size
    return dealt


# -- what a part remembers of a report -------------------------------------------------------------


@dataclass
class PartReport(ReportRecord):
    folder: str  # the report folder as findings show it
    key: str  # build_cache.BuildCache.key
    summary: ReportSummary  # without its table rows
    summary_file: str  # sha256 of the whole summary, in store/
    findings: list[Finding]
    files: dict[str, str]  # site path -> sha256
    cells: dict[str, str]  # path below pagefind/cells/ -> sha256
    index: dict[str, str]  # page path -> sha256 of its search copy, in store/

    @classmethod
    def from_data(cls, data: Any) -> PartReport:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("folder", "key")):
            raise Invalid("report")
        files, cells, index = data["files"], data["cells"], data["index"]
        for mapping in (files, cells, index):
            if not isinstance(mapping, dict) or not all(is_safe_path(p) and is_digest(d) for p, d in mapping.items()):
                raise Invalid("files")
        if not is_digest(data["summary_file"]) or not isinstance(data["findings"], list):
            raise Invalid("report")
        return cls(data["folder"], data["key"], summary_from_data(data["summary"]), data["summary_file"],
                   [check_cache.decode(f) for f in data["findings"]], files, cells, index)

    def below(self, prefix: str) -> bool:
        """Whether every file it names lies in its own report folder ``prefix``: a part cannot
        write the home page or another unit's files."""
        return all(path.startswith(prefix) for path in [*self.files, *self.cells, *self.index])


# -- a part folder, read -----------------------------------------------------------------------------


class Part:
    """A part folder as ``combine`` reads it."""

    def __init__(self, folder: Path, reports: dict[str, Any], part_shards: dict[str, Any]) -> None:
        self.folder = folder
        self._reports = reports  # folder -> raw data, decoded when asked for
        self._shards = part_shards

    @property
    def store(self) -> Path:
        return self.folder / STORE

    def report(self, folder: str, key: str, prefix: str) -> PartReport | None:
        """The report if this part has it under ``key`` with every path below ``prefix``; else None."""
        data = self._reports.get(folder)
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        try:
            entry = PartReport.from_data(data)
        except (Invalid, KeyError, TypeError, ValueError, ArithmeticError):
            return None
        return entry if entry.folder == folder and entry.below(prefix) else None

    def link_report(self, entry: PartReport, staging: Path, cells: Path | None) -> bool:
        """Link the report's files into ``staging`` (its cells files into ``cells``) if every one
        has the SHA-256 of the manifest and its search copies and summary are stored; else link nothing."""
        wanted = [(self.folder / SITE / path, staging / path, digest) for path, digest in entry.files.items()]
        if cells is not None:
            wanted += [(self.folder / SITE / "pagefind" / "cells" / path, cells / path, digest)
                       for path, digest in entry.cells.items()]
        elif entry.cells:
            return False
        stored = [*entry.index.values(), entry.summary_file]
        if not all(has_digest(source, digest) for source, _, digest in wanted) \
                or not all(has_digest(self.store / digest, digest) for digest in stored):
            return False
        return link_all([(source, target) for source, target, _ in wanted])

    def link_shard(self, shard: str, inputs: str, bundle: Path) -> bool:
        """Link a shard's bundle into ``bundle/<shard>/`` if the part indexed it from the same
        inputs and every file has the SHA-256 of the manifest."""
        record = self._shards.get(shard)
        if not (isinstance(record, list) and len(record) == 2 and record[0] == inputs and isinstance(record[1], dict)):
            return False
        files: dict[str, Any] = record[1]
        source = self.folder / SITE / "pagefind" / shard
        if not files or not all(is_safe_path(p) and is_digest(d) and has_digest(source / p, d) for p, d in files.items()):
            return False
        return link_all([(source / path, bundle / shard / path) for path in files])


def has_digest(path: Path, digest: str) -> bool:
    """Whether ``path`` is a regular file (not a link) with this SHA-256."""
    try:
        with open(path, "rb", opener=_no_follow) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == digest
    except OSError:
        return False


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def open_parts(folders: list[Path], state: str) -> list[Part]:
    """Read each part's manifest; refuse one that is missing, corrupt, or built with another tool
    state (``quick.tool_state``: the tool, its settings and Pagefind)."""
    found: list[Part] = []
    for folder in folders:
        data = check_cache.read_sealed(folder / MANIFEST, MAGIC, VERSION)
        if not (isinstance(data, dict) and isinstance(data.get("reports"), dict) and isinstance(data.get("shards"), dict)):
            raise PartProblem(f"{folder}: not a part folder (no readable {MANIFEST}); build it with "
                              f"site-builder build CONTENT --part K/N --out {folder}")
        if data.get("tool") != state:
            raise PartProblem(f"{folder}: built by another version of site-builder, or with other search shard "
                              "settings (SITE_BUILDER_SHARD_REPORTS); build the parts and combine them with the same ones")
        found.append(Part(folder, data["reports"], data["shards"]))
    return found


def stored_copy(stores: list[Path], digest: str) -> Path | None:
    """A search copy or summary file with this SHA-256 in one of the parts' stores."""
    if not is_digest(digest):
        return None
    return next((store / digest for store in stores if has_digest(store / digest, digest)), None)


# -- a part folder, written --------------------------------------------------------------------------


def files_with_digests(folder: Path) -> Iterator[tuple[str, str]]:
    """(path relative to ``folder``, SHA-256) of every file below it (links left out), sorted."""
    return iter(files_below("", os.fspath(folder)).items())


def write_manifest(folder: Path, state: str, part: tuple[int, int], reports: list[PartReport],
                   shard_inputs: dict[str, str]) -> None:
    """``part.json`` of a part folder being built (its shards' bundles are in ``site/pagefind/``)."""
    bundles = {shard: [inputs, dict(files_with_digests(folder / SITE / "pagefind" / shard))]
               for shard, inputs in sorted(shard_inputs.items())}
    data = {"tool": state, "part": list(part), "reports": {r.folder: r.to_data() for r in reports}, "shards": bundles}
    if not check_cache.write_sealed(folder / MANIFEST, MAGIC, VERSION, data):
        raise ValueError("the part's manifest is not valid JSON text")


def keep(store: Path, source: Path, digest: str) -> None:
    """Put ``source`` into the store under its digest."""
    target = store / digest
    if not target.exists():
        store.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def cells_of(cells: Path, pages: list[str]) -> dict[str, str]:
    """The cells files of a report's pages (below ``cells``, at ``<page folder>/…``) with their SHA-256."""
    found: dict[str, str] = {}
    for base in sorted({page.removesuffix("index.html") for page in pages}):
        if (cells / base).is_dir():
            found.update((base + path, digest) for path, digest in files_with_digests(cells / base))
    return found
