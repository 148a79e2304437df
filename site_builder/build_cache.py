"""Incremental builds: what a build remembers of each report and each search shard, so that the
next build into the same output re-checks and re-renders only what changed — and still writes a
site byte-identical to a fresh build (``tests/test_incremental.py`` edits at random and compares).

The memory lives outside the content folder and outside the site, in ``<cache>/build-<key>/``
(``<cache>`` as for ``check``: ``$XDG_CACHE_HOME/site-builder``; the key is the content folder and the
output folder, whichever the current folder: an entry with findings is used only from the folder
they were shown from):

- ``reports/<sha256 of <unit>/<year>>``: one file per report — its key, findings, summary (what
  the site-wide pages need), and every file it wrote with SHA-256, size and modification time;
- ``index/<sha256>``: the copies of its pages that Pagefind reads, and the file of its whole summary
  (with the table rows its unit page reads; the entry holds the rest), content-addressed;
- ``pages``: each unit page, comparison group and browsing page by its key: the files it wrote (SHA-256, size,
  modification time) and the digests of its pages' index copies (kept in ``index/``);
- ``shards``: each search shard's input digest and the files of its bundle;
- ``folders``: for each report folder and unit.yaml read for the keys, the digest of its entries'
  statuses in the content's listing and what was read (``fingerprint.FolderStamps``);
- ``bulk``: each year's bulk files (``data/<year>/``) and each unit's ``units/<slug>/figures.csv``,
  with their input digests (``bulk.year_inputs``, ``bulk.unit_inputs``);
- ``bulk-parts/<year>-<n>``: each part of a year's bulk files (``bulk._Part``): its reports' rows in
  a SQLite file and the bytes of its records, which the year's files are put together from;
- ``site``: every file of the output with its status (size, times, inode) as the build left it, a
  line per folder (``stamps.SiteStamps``), and the key of everything the site was built from;
- ``quick``: what tells the next build at once that nothing changed (``quick.QuickRecord``).

A report is **reused** when its key is unchanged and everything it wrote is still in the previous
output as written; its files are then hard-linked from the previous output (copied where links
cannot be made) and its summary and findings come from the cache. The key is the report's check
fingerprint (``fingerprint.py``: its files, the previous year's, the unit, the root files, the tool
itself, git history where it matters) and the build's own inputs: the site's ``_theme/`` folder and,
when the site has its own templates (which may read ``site.units``), every unit.

A **unit page**, **comparison group** or **browsing page** (home, region, parent department) is
reused the same way, under a key of everything its job reads (``PageKeys``); its files are all in
its own folder.

A search **shard** is reused when the ordered list of its pages and the digests of their index
copies is unchanged (Pagefind's output is canonicalized, so the same input gives the same bundle).

A year's **bulk files** are reused when the year's reports, in order, and the digests of the
per-report files they are made from are unchanged, and so is the code that writes them; a unit's
``figures.csv`` when its reports' ``figures.csv`` digests are (``bulk.py`` computes both inputs).

Cache files are ours but not trusted: a file that is missing, corrupt, foreign or of another
version is a miss, and a miss only costs time. Files are replaced atomically. The copies in
``index/`` are checked against their names where they are read (a shard indexed again, a unit page
rendered again), not for every reused report (``has_index_copy``): one found damaged stops the
build before anything is published (``CacheDamaged``); every damaged copy is then removed and the
build runs again, rendering the reports whose copies are gone.

A report's key reads its folder's files unless the content's listing, taken by the quick check,
shows every entry of the folder with the status it had when the last build read it
(``fingerprint.FolderStamps``, the ``folders`` record).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import orjson

from site_builder import check_cache, contentfs, search_directory
from site_builder.check_cache import Invalid
from site_builder.findings import Finding
from site_builder.fingerprint import Fingerprints, FolderStamps, inside_root, tool_digest
from site_builder.model import Site, Unit
from site_builder.publish import MARKER, link_all
from site_builder.quick import MAGIC, VERSION, QuickRecord, pagefind_version
from site_builder.snapshot import Listing
from site_builder.stamps import FilesOf, SiteStamps, status_of, walk_record_lines
from site_builder.summaries import ReportSummary, summary_data, summary_from_data

KEPT_FOLDERS = 20  # build caches kept (one per content and output folder); the oldest go
SITE_RECORD = "site"  # the output's files with their status (``check_cache.write_sealed_lines``)
LEGACY_BULK_ROWS = "bulk-rows"  # where earlier versions remembered each report's bulk rows: removed
BULK_PARTS = "bulk-parts"  # the parts of each year's bulk files (``bulk._Part``)
THEME_LIMIT = 16 * 1024 * 1024


def build_inputs_digest(root: Path, site: Site) -> bytes:
    """What the build adds to a report's check fingerprint: the site's theme and, when the site has
    its own templates, every unit (a template can list ``site.units``)."""
    hasher = hashlib.sha256(b"build-inputs\0")
    items = contentfs.tree(root, root / "_theme", THEME_LIMIT)
    for item in items:
        data = item.data if item.data is not None else b"\0none"
        for part in (item.rel.encode("utf-8", "surrogateescape"), item.kind.value.encode(), data):
            hasher.update(len(part).to_bytes(8, "big") + part)
    if any(item.rel.startswith("templates/") for item in items):
        hasher.update(repr(site.units).encode("utf-8", "surrogateescape"))
    return hasher.digest()


# -- stamps: a file as written ---------------------------------------------------------------------


def stamp(path: Path | str) -> list[Any] | None:
    """[size, modification time in ns] of a regular file (not a link), None otherwise."""
    full = full_stamp(path)
    return full[:2] if full is not None else None


def full_stamp(path: Path | str) -> list[Any] | None:
    """[size, modification time, change time (ns), inode]: the change time is set by any write and
    cannot be set back, so a file edited in place with its size and time kept differs. (Report
    entries keep ``stamp``: linking a file into the next build changes its change time.)"""
    try:
        return status_of(os.lstat(path))
    except OSError:
        return None


def stamps_below(folder: Path) -> SiteStamps:
    """``full_stamp`` of every entry below ``folder`` that is not a folder, by ``/``-separated path
    (None for one that is not a regular file); links are not followed. One ``lstat`` per entry, from
    the listing: a third of the time of ``os.walk`` with a ``Path`` per file (5.6 s against 18 s for
    the 392,323 files of a 10,000-report site, measured while other work ran)."""
    return SiteStamps.walk(folder)


def _files_directly_in(folder: Path) -> dict[str, list[int] | None]:
    """``full_stamp`` of each entry of ``folder`` that is not a folder, by name (not below it)."""
    try:
        with os.scandir(folder) as scan:
            entries = [entry for entry in scan if not entry.is_dir(follow_symlinks=False)]
    except OSError:
        return {}
    return {entry.name: full_stamp(Path(entry.path)) for entry in entries}


# -- entries ---------------------------------------------------------------------------------------


class OutputRecord(Protocol):
    """What a build remembers of the files one job wrote (a report, a unit page, a comparison group)."""

    files: dict[str, list[Any]]  # site path -> [sha256, size, mtime_ns]
    cells: dict[str, list[Any]]  # path below pagefind/cells/ -> [size, mtime_ns]
    index: dict[str, str]  # page path -> sha256 of its index copy


def _stamped(out: Path, written: Mapping[str, str]) -> dict[str, list[Any]]:
    """[sha256, size, mtime_ns] of each file written, as the output now holds it (paths as text: a
    ``Path`` per file was half the time of remembering 10,000 reports)."""
    top = os.fspath(out)
    return {path: [digest, *(stamp(f"{top}/{path}") or [-1, -1])] for path, digest in written.items()}


def _files_below(root: Path, folder: str) -> Iterator[tuple[str, str]]:
    """(path relative to ``root``, full path) of each file below ``root/folder``."""
    top = os.fspath(root)
    for parent, _, names in os.walk(os.path.normpath(os.path.join(top, folder))):
        below = parent[len(top) + 1:]
        for name in names:
            yield f"{below}/{name}" if below else name, f"{parent}/{name}"



class ReportRecord:
    """What is remembered of one rendered report, as JSON: a build cache's entry and a part's
    (``parts.PartReport``) have these fields and differ in what they keep of each file."""

    folder: str
    key: str
    summary: ReportSummary
    summary_file: str
    findings: list[Finding]
    files: dict[str, Any]
    cells: dict[str, Any]
    index: Mapping[str, str]

    def to_data(self) -> dict[str, Any]:
        return {"folder": self.folder, "key": self.key, "summary": summary_data(self.summary),
                "summary_file": self.summary_file, "findings": [check_cache.encode(f) for f in self.findings],
                "files": self.files, "cells": self.cells, "index": dict(self.index)}


@dataclass
class ReportEntry(ReportRecord):
    """What a build remembers of one report."""

    folder: str  # the report folder as its findings show it (its name in the cache: ``inside_root``)
    key: str
    summary: ReportSummary  # without its table rows (``summaries.without_tables``)
    summary_file: str  # sha256 of the whole summary's file (``summaries.summary_bytes``)
    findings: list[Finding]
    files: dict[str, list[Any]]  # site path -> [sha256, size, mtime_ns]
    cells: dict[str, list[Any]]  # path below pagefind/cells/ -> [size, mtime_ns]
    index: dict[str, str]  # page path -> sha256 of its index copy

    @classmethod
    def from_data(cls, data: Any) -> ReportEntry:
        if not isinstance(data, dict):
            raise Invalid("entry")
        files, cells, index = data["files"], data["cells"], data["index"]
        if not (isinstance(files, dict) and _all_file_records(files.values(), 3)
                and isinstance(cells, dict) and _all_file_records(cells.values(), 2)
                and isinstance(index, dict) and all(isinstance(v, str) for v in index.values())):
            raise Invalid("files")
        if not all_safe_paths([*files, *cells, *index]):
            raise Invalid("path")
        if not all(is_digest(value) for value in [*index.values(), data["summary_file"]]):
            raise Invalid("digest")  # digests name files of the cache: never a path
        if not all(isinstance(data[name], str) for name in ("folder", "key", "summary_file")) \
                or not isinstance(data["findings"], list):
            raise Invalid("entry")
        return cls(data["folder"], data["key"], summary_from_data(data["summary"]), data["summary_file"],
                   [check_cache.decode(f) for f in data["findings"]], files, cells, index)


def _remembered_here(remembered_key: str, folder: Any, findings: list[Finding], key: str, year_dir: Path) -> bool:
    """A report's entry holds for this build: its key is ``key`` and, when it has findings, they
    were shown from the current folder (their paths are relative to it)."""
    return remembered_key == key and not (findings and folder != contentfs.display_path(year_dir))


def _remove_all_but(folder: Path, keep: set[str]) -> None:
    """Delete the files of ``folder`` not named in ``keep`` (no ``Path`` per name: 40,000 at 10,000 reports)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name not in keep:
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


@functools.lru_cache(maxsize=1 << 17)
def _report_file_name(folder: str) -> str:
    """The name of a report's entry in the cache (``reports/``): its folder's digest."""
    return hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()


def is_safe_path(path: Any) -> bool:
    """A relative path below its folder: the cache is not trusted to name where files are linked."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def all_safe_paths(paths: Iterable[Any]) -> bool:
    """``is_safe_path`` of each path, in a few substring searches over them all (an entry has
    dozens of paths; a build reads 10,000 entries). A newline in a path makes it unsafe too."""
    listed = list(paths)
    if not listed:
        return True
    if not all(type(path) is str for path in listed):
        return False
    joined = "\n".join(listed)
    parts = f"\n{joined.replace('/', chr(10))}\n"  # one part of a path per line
    return not ("\\" in joined or "\0" in joined or "\n\n" in parts or "\n.\n" in parts or "\n..\n" in parts)


_DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(value: Any) -> bool:
    """A SHA-256 in lowercase hex: what names a file of the cache's content-addressed store."""
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def _is_file_record(value: Any, length: int) -> bool:
    if not isinstance(value, list) or len(value) != length:
        return False
    *digest, size, mtime = value
    return all(isinstance(d, str) for d in digest) and type(size) is int and type(mtime) is int


def _all_file_records(values: Iterable[Any], length: int) -> bool:
    """``_is_file_record`` of each value, in one loop (no call per record)."""
    for value in values:
        if type(value) is not list or len(value) != length or type(value[-1]) is not int or type(value[-2]) is not int \
                or (length == 3 and type(value[0]) is not str):
            return False
    return True


@dataclass(slots=True)
class Rendered:
    """One report of this build, rendered now or reused: what the rest of the build needs of it.
    The build's main process holds one per report to its end, so it holds no object of its own
    that other reports' could share (``summaries``: one folder for many)."""

    summary: ReportSummary | None  # without its table rows; None: not rendered (errors)
    findings: list[Finding]
    written: Mapping[str, str]  # site path -> sha256 (digests.FolderDigests for a report)
    index: Mapping[str, str] = field(default_factory=dict)  # page path -> sha256 of its index copy (compact)
    summaries: Path | None = None  # the folder of the whole summary's file, named by its digest
    summary_digest: str = ""  # sha256 of the whole summary (``summaries.summary_bytes``)
    reused: bool = False
    store: Path | None = None  # reused from a part (parts.py): the folder of its search copies and summary

    @property
    def summary_file(self) -> Path | None:
        return self.summaries / self.summary_digest if self.summaries is not None else None


# -- unit and comparison pages ----------------------------------------------------------------------


@dataclass
class PageEntry:
    """What a build remembers of one unit page or one comparison group (``Renderer.render_units``,
    ``render_comparison_group``): the files it wrote, all in its own folder."""

    files: dict[str, list[Any]]  # site path -> [sha256, size, mtime_ns]
    cells: dict[str, list[Any]]  # path below pagefind/cells/ -> [size, mtime_ns]
    index: dict[str, str]  # page path -> sha256 of its index copy

    def to_data(self) -> dict[str, Any]:
        return {"files": self.files, "cells": self.cells, "index": self.index}

    @classmethod
    def from_data(cls, data: Any, folder: str) -> PageEntry:
        """The entry of the job whose files are in ``folder``; every path must name a file directly
        in it, so that a tampered cache cannot make a job link another job's files."""
        if not isinstance(data, dict):
            raise Invalid("entry")
        files, cells, index = data["files"], data["cells"], data["index"]
        if not (isinstance(files, dict) and _all_file_records(files.values(), 3) and all(is_digest(v[0]) for v in files.values())
                and isinstance(cells, dict) and _all_file_records(cells.values(), 2)
                and isinstance(index, dict) and all(is_digest(v) for v in index.values())):
            raise Invalid("files")
        paths = [*files, *cells, *index]
        if not files or not all_safe_paths(paths) or not all(_directly_in(path, folder) for path in paths):
            raise Invalid("path")
        return cls(files, cells, index)


def _directly_in(path: str, folder: str) -> bool:
    return path.startswith(folder) and "/" not in path[len(folder):]


class PageKeys:
    """The key of each unit page, comparison group and browsing page: a digest of everything its job reads.

    Both read the renderer's inputs (the tool with its default theme and the headline and crosswalk
    data, the root files, the site's ``_theme/`` and, with its own templates, every unit: as a
    report's key), the search settings and the site as loaded; a unit page also reads its unit, the
    browsing pages above it (its breadcrumb) and the whole summaries of its reports, in order (by
    digest); a comparison group reads only its ``CompareGroup``, which holds every figure and name
    it shows."""

    def __init__(self, keys: ReportKeys, site: Site, settings: str) -> None:
        hasher = hashlib.sha256(b"site pages\0" + keys.fingerprints.site_digest + keys.extra)
        rest = replace(site, units=[])  # the units are in ``keys.extra`` when a template can read them
        hasher.update(f"{settings}\0{pagefind_version()}\0{rest!r}".encode("utf-8", "surrogateescape"))
        self.common = hasher.digest()

    def unit(self, unit: Unit, summary_digests: list[str], crumbs: list[tuple[str, str]]) -> str:
        """``crumbs``: the browsing pages above the unit's page (``browse.unit_crumbs``)."""
        return self._key("unit", repr(unit), repr(crumbs), *summary_digests)

    def browse(self, listing: object, latest: list[str], listed: list[str]) -> str:
        """A browsing page (``browse.Listing``: its units and links, with every field), from the
        whole summaries of the ``latest`` reports it shows (the home page) and of the reports of the
        units it ``listed`` (by digest): what ``Renderer.browse_page`` gives its template."""
        return self._key("browse", repr(listing), str(len(latest)), *latest, *listed)

    def group(self, group: object) -> str:
        """``group``: a ``compare.CompareGroup`` (a dataclass: its repr shows every field, amounts exactly)."""
        return self._key("compare", repr(group))

    def _key(self, *fields: str) -> str:
        hasher = hashlib.sha256(self.common)
        for text in fields:
            data = text.encode("utf-8", "surrogateescape")
            hasher.update(len(data).to_bytes(8, "big") + data)
        return hasher.hexdigest()


@dataclass(frozen=True)
class PageJob:
    """One unit page or comparison group of this build, as the cache remembers it."""

    key: str
    folder: str  # every file it writes is directly in this folder
    written: Mapping[str, str]  # site path -> sha256
    index: dict[str, str]  # page path -> sha256 of its index copy


# -- the cache -------------------------------------------------------------------------------------


class ReportKeys:
    """Each report's key: its check fingerprint and the build's own inputs (see the module docstring)."""

    def __init__(self, root: Path, site: Site) -> None:
        self.root = root
        self.fingerprints = Fingerprints(root)
        self.extra = build_inputs_digest(root, site)

    def key(self, year_dir: Path) -> str:
        return hashlib.sha256(bytes.fromhex(self.fingerprints.report(year_dir)) + self.extra).hexdigest()


class BuildCache(ReportKeys):
    """The build cache of one content folder and output folder (see the module docstring)."""

    def __init__(self, folder: Path, root: Path, site: Site) -> None:
        super().__init__(root, site)
        self.folder = folder
        #: With publication in place (``publish.py``): the live output's files as found when the
        #: build began (``full_stamp`` by site path), and the site paths carried from it unchanged.
        self.live: SiteStamps | None = None
        self.carried: FilesOf | None = None

    def use_listing(self, listing: Listing | None) -> None:
        """The content folder's entries as the quick check's snapshot saw them (before the keys):
        the report folders it shows unchanged since the last build are not read for their keys."""
        if listing is not None:
            self.fingerprints.stamps = FolderStamps(listing, self._known_folders())

    def keys_taken(self) -> None:
        """Every report is keyed: the content's listing and what was read for the keys are no
        longer needed (``FolderStamps.release``, ``Fingerprints.forget_read``)."""
        self.fingerprints.forget_read()
        if self.fingerprints.stamps is not None:
            self.fingerprints.stamps.release()

    def publish_in_place(self, out: Path, as_left: bool = False) -> bool:
        """Carry unchanged files in the live output instead of linking them into the staging folder
        (``publish.py``), when the output is the complete build this cache remembers. ``as_left``:
        the output's snapshot is the one taken after that build (``quick.QuickCheck``), so its files
        are those remembered, with the same status, and need no walk."""
        if not self.previous_site or not os.path.isfile(out / MARKER) or os.path.islink(out / MARKER):
            return False
        self.live = self.previous_site if as_left else stamps_below(out)  # neither is changed: no copy
        self.carried = FilesOf(self.live)
        return True

    def _untouched(self, out: Path, path: str, record: list[Any]) -> bool:
        """Whether ``out/path`` is as the job wrote it (``record``: size and modification time) and
        untouched since the last build (its full status is as that build left it)."""
        status = self.live.get(path) if self.live is not None else full_stamp(out / path)
        return status is not None and status[:2] == record and status == self.previous_site.get(path)

    def _all_untouched(self, out: Path, records: Iterable[tuple[str, list[Any]]], skip: int = 0) -> bool:
        """``_untouched`` of every path and record (after its first ``skip`` fields), in one loop
        where the live output's statuses are known: a reused report's files, 394,000 at 10,000 reports."""
        live, previous = self.live, self.previous_site
        if live is None:
            return all(type(record) is list and self._untouched(out, path, record[skip:]) for path, record in records)
        walked = live is not previous  # else the output is as the previous build left it: no second look-up
        for path, record in records:
            status = live.get(path)
            if status is None or type(record) is not list or len(record) != skip + 2 \
                    or status[0] != record[skip] or status[1] != record[skip + 1] \
                    or walked and status != previous.get(path):
                return False  # a record of another shape (the cache is not trusted) is a miss
        return True

    def _carry(self, paths: list[str], links: Callable[[], list[tuple[Path, Path]]]) -> bool:
        """Take the files (site paths) into the new site: carried where it is published in place,
        else linked (``links()``: in the output, in the staging folder; all or none)."""
        if self.carried is not None:
            self.carried.update(paths)
            return True
        return link_all(links())

    # -- what the keys were made from (``fingerprint.FolderStamps``)
    def _known_folders(self) -> dict[str, list[object]]:
        record = _read(self.folder / "folders")
        if isinstance(record, list) and len(record) == 2 and record[0] == tool_digest().hex() and isinstance(record[1], dict):
            return record[1]
        return {}

    def save_folders(self) -> None:
        """Remember the folders read or recalled for this build's keys (kept as they were when the
        content could not be listed)."""
        if self.fingerprints.stamps is not None:
            _write(self.folder / "folders", [tool_digest().hex(), self.fingerprints.stamps.learned_data()])

    # -- reports
    def _report_file(self, year_dir: Path) -> Path:
        return self.folder / "reports" / _report_file_name(inside_root(year_dir))

    def remembers_reports(self) -> bool:
        """Whether an earlier build left a report here that this one might reuse."""
        try:
            with os.scandir(self.folder / "reports") as entries:
                return any(True for _ in entries)
        except OSError:
            return False

    def entry(self, year_dir: Path, key: str) -> ReportEntry | None:
        """The remembered report if its key is unchanged, else None; and if it has findings, only
        where they were shown from the same folder (their paths are relative to it)."""
        data = _read(self._report_file(year_dir))
        try:
            entry = ReportEntry.from_data(data) if data is not None else None
        except (Invalid, KeyError, TypeError, ValueError, ArithmeticError):
            return None
        return entry if entry is not None and _remembered_here(entry.key, entry.folder, entry.findings, key, year_dir) \
            else None

    def findings_of(self, year_dir: Path, key: str) -> list[Finding] | None:
        """The remembered report's findings if its key is unchanged (as ``entry`` says), without
        making the rest of its entry: all a build that finds the whole site unchanged reads of it."""
        data = _read(self._report_file(year_dir))
        try:
            if not isinstance(data, dict) or data["key"] != key or not isinstance(data["findings"], list):
                return None
            findings = [check_cache.decode(f) for f in data["findings"]]
        except (Invalid, KeyError, TypeError, ValueError, ArithmeticError):
            return None
        return findings if _remembered_here(data["key"], data["folder"], findings, key, year_dir) else None

    def reuse(self, entry: ReportEntry, out: Path, staging: Path, cells: Path | None) -> bool:
        """Link the report's files from the previous output into ``staging`` (its cells files into
        ``cells``) if all are still as written and its index copies and summary are cached; else link nothing."""
        return self.has_index_copy(entry.summary_file) and self._link_unchanged(entry, out, staging, cells)

    def _link_unchanged(self, entry: OutputRecord, out: Path, staging: Path, cells: Path | None) -> bool:
        """Link what one job wrote (``entry``) from the previous output, as ``reuse`` says."""
        if cells is None and entry.cells:
            return False
        cell_files = {f"pagefind/cells/{path}": record for path, record in entry.cells.items()} if cells is not None else {}
        if not (self._all_untouched(out, entry.files.items(), skip=1) and self._all_untouched(out, cell_files.items())):
            return False
        if cells is not None and not all(self.has_index_copy(digest) for digest in entry.index.values()):
            return False
        return self._carry([*entry.files, *cell_files],  # no Path per file unless linked
                           lambda: [(out / path, staging / path) for path in entry.files]
                           + [(out / "pagefind" / "cells" / path, cells / path) for path in entry.cells if cells is not None])

    def save_report(self, year_dir: Path, key: str, rendered: Rendered, out: Path, cells_folder: Path | None = None) -> None:
        """Remember a report rendered by this build, its files stamped in ``out``: the output, or the
        staging folder that becomes it (a rename keeps each file's size and time); its cells files
        in ``cells_folder`` (the folder that becomes ``pagefind/cells/``; by default that of ``out``)."""
        assert rendered.summary is not None
        files = _stamped(out, rendered.written)
        cells: dict[str, list[Any]] = {}
        for base in {path.removesuffix("index.html") for path in rendered.index}:
            for path, full in _files_below(cells_folder or out / "pagefind" / "cells", base):
                cells[path] = stamp(full) or [-1, -1]
        entry = ReportEntry(contentfs.display_path(year_dir), key, rendered.summary, rendered.summary_digest,
                            rendered.findings, files, cells, rendered.index)
        _write(self._report_file(year_dir), entry.to_data())

    def forget_others(self, year_dirs: Iterable[Path]) -> None:
        """Drop the entries of reports no longer in the content folder."""
        keep = {_report_file_name(inside_root(year_dir)) for year_dir in year_dirs}
        _remove_all_but(self.folder / "reports", keep)

    # -- index copies
    def index_store(self) -> Path | None:
        """The folder of the index copies, made if missing (None when it cannot be: the copies are
        then kept one by one, ``keep_index_copy``, or not at all)."""
        store = self.index_copies
        try:
            store.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return store

    def index_copy(self, digest: str) -> Path:
        if not is_digest(digest):  # a tampered cache cannot name a file outside it (it would be deleted as corrupt)
            raise Invalid("digest")
        return self.index_copies / digest

    @functools.cached_property
    def index_copies(self) -> Path:
        """The folder of the index copies, each named by its digest."""
        return self.folder / "index"

    @functools.cached_property
    def _stored(self) -> set[bytes]:
        """The names in the content-addressed store (``index/``), listed once per build, as raw
        digests (held through the build: about 3.5 per report)."""
        try:
            return {bytes.fromhex(name) for name in os.listdir(self.index_copies) if is_digest(name)}
        except OSError:
            return set()

    def has_index_copy(self, digest: str) -> bool:
        """Whether the store has a copy under ``digest``. Its bytes are checked where they are
        read (``verified_copy``): a reused report's copies are read only when its shard is indexed
        again or its unit page rendered again, and hashing them all would cost a 10,000-report
        rebuild several seconds for nothing."""
        return is_digest(digest) and bytes.fromhex(digest) in self._stored

    def verified_copy(self, digest: str) -> bytes:
        """The bytes of the stored copy ``digest``; ``CacheDamaged`` when they are not those bytes."""
        try:
            data = self.index_copy(digest).read_bytes()
        except (OSError, Invalid):
            raise CacheDamaged(self.folder, digest) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise CacheDamaged(self.folder, digest)
        return data

    def verify_copies(self, paths: list[Path]) -> None:
        """``verified_copy`` of each of ``paths`` that is in the store (``CacheDamaged`` if one is not right)."""
        store = self.index_copies
        for path in paths:
            if path.parent == store:
                self.verified_copy(path.name)

    def keep_index_copy(self, source: Path, digest: str) -> None:
        target = self.index_copy(digest)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{digest}.{os.getpid()}.tmp")
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        self._stored.add(bytes.fromhex(digest))

    def restore_index_copy(self, digest: str, target: Path) -> bool:
        """Write the stored copy ``digest`` to ``target``, checked (``verified_copy``); False when
        the store has none."""
        if not self.has_index_copy(digest):
            return False
        target.write_bytes(self.verified_copy(digest))
        return True

    def forget_index_copies(self, used: set[str]) -> None:
        _remove_all_but(self.index_copies, used)
        self._stored &= {bytes.fromhex(digest) for digest in used}

    # -- unit and comparison pages
    @functools.cached_property
    def _pages(self) -> dict[str, bytes]:
        """The page entries of the previous build by key (read once), each kept as its JSON: they
        are held to the end of the build, and as objects took 16 MB at 3,000 reports."""
        data = _read(self.folder / "pages")
        return {key: orjson.dumps(entry) for key, entry in data.items()} if isinstance(data, dict) else {}

    def page_entry(self, key: str, folder: str) -> PageEntry | None:
        """The entry of the unit page or comparison group with ``key`` (its files in ``folder``), else None."""
        try:
            return PageEntry.from_data(orjson.loads(self._pages[key]), folder) if key in self._pages else None
        except (Invalid, KeyError, TypeError, ValueError):
            return None

    def reuse_page(self, entry: PageEntry, out: Path, staging: Path, cells: Path | None) -> bool:
        """Link the page job's files as ``reuse`` links a report's."""
        return self._link_unchanged(entry, out, staging, cells)

    def save_pages(self, jobs: list[PageJob], out: Path, site: SiteStamps | None = None,
                   reused: list[bool] | None = None) -> None:
        """Remember this build's unit pages and comparison groups (after the swap), and only them
        (``site``: the output's files with their status, when the build knows them; else read).
        A job ``reused`` from the previous build keeps its entry: its files are the same files."""
        cells_root = out / "pagefind" / "cells"
        reused = reused or [False] * len(jobs)
        rendered = {job.folder for job, kept in zip(jobs, reused, strict=True) if not kept}
        in_cells = _cells_by_folder(site, rendered) if site is not None else None
        record = {}
        for job, kept in zip(jobs, reused, strict=True):
            if kept and job.key in self._pages:
                record[job.key] = orjson.Fragment(self._pages[job.key])
                continue
            found = in_cells.get(job.folder, {}) if in_cells is not None else _files_directly_in(cells_root / job.folder)
            cells = {f"{job.folder}{name}": status[:2] if status else [-1, -1] for name, status in found.items()}
            files = _stamped(out, job.written) if site is None else \
                {path: [digest, *((site.get(path) or [-1, -1])[:2])] for path, digest in job.written.items()}
            record[job.key] = PageEntry(files, cells, job.index).to_data()
        _write(self.folder / "pages", record)

    # -- the whole site
    @functools.cached_property
    def _site_record(self) -> tuple[str, SiteStamps]:
        found = check_cache.read_sealed_lines(self.folder / SITE_RECORD, MAGIC, VERSION)
        files = SiteStamps.from_record(found[1]) if found is not None else None
        return (found[0], files) if found is not None and files is not None else ("", SiteStamps())

    @property
    def previous_site(self) -> SiteStamps:
        """Every file of the previous output with its ``full_stamp`` as that build left it."""
        return self._site_record[1]

    def site_unchanged(self, key: str, out: Path, as_left: bool = False) -> SiteStamps | None:
        """The files of the previous output (path -> status) if it was built from ``key`` and is
        exactly as written: no file changed, added or removed since, and none but regular files. Else None.
        ``as_left``: as ``publish_in_place`` (the output's snapshot says so: no walk)."""
        built_from, files = self._site_record
        if built_from != key:
            return None
        if not as_left and stamps_below(out) != files:
            return None
        return files if files.all_regular() else None

    def save_site(self, key: str, out: Path, record: SiteStamps | None = None) -> None:
        """Remember the output's files with their status (``record``: as publication in place
        knows them, else walked), a line per folder."""
        lines = record.record_lines() if record is not None else walk_record_lines(out)
        check_cache.write_sealed_lines(self.folder / SITE_RECORD, MAGIC, VERSION, key, lines)

    # -- the quick check: nothing changed on either side (snapshot.py)
    def save_quick(self, record: QuickRecord) -> None:
        _write(self.folder / "quick", record.to_data())

    def forget_quick(self) -> None:
        try:
            (self.folder / "quick").unlink(missing_ok=True)
        except OSError:
            pass

    # -- shards
    @functools.cached_property
    def shards(self) -> dict[str, Any]:
        """The shard records of the previous build (read once)."""
        data = _read(self.folder / "shards")
        return data if isinstance(data, dict) else {}

    def reuse_shard(self, shard: str, inputs: str, out: Path, bundle: Path) -> bool:
        """Link a shard's bundle from the previous output if its inputs are unchanged and its files are as written."""
        record = self.shards.get(shard)
        if not (isinstance(record, list) and len(record) == 2 and record[0] == inputs and isinstance(record[1], dict)):
            return False
        files: dict[str, Any] = record[1]
        source = out / "pagefind" / shard
        if not files or not all(is_safe_path(path) for path in files):
            return False
        if not self._all_untouched(out, ((f"pagefind/{shard}/{path}", value) for path, value in files.items())):
            return False
        return self._carry([f"pagefind/{shard}/{path}" for path in files],
                           lambda: [(source / path, bundle / shard / path) for path in files])

    def save_shards(self, inputs: dict[str, str], out: Path, site: SiteStamps | None = None) -> None:
        """Remember each shard's inputs and files (from ``site``, the output's files with their
        status, when the build knows them; else walked)."""
        below = _shard_files(site, set(inputs)) if site is not None else None
        record: dict[str, Any] = {}
        for shard, digest in inputs.items():
            files = below.get(shard, {}) if below is not None else stamps_below(out / "pagefind" / shard)
            record[shard] = [digest, {path: status[:2] if status else [-1, -1] for path, status in files.items()}]
        _write(self.folder / "shards", record)


    # -- bulk downloads (bulk.py)
    @functools.cached_property
    def _bulk(self) -> dict[str, Any]:
        """The bulk records of the previous build: ``years`` and ``units`` (read once)."""
        data = _read(self.folder / "bulk")
        return data if isinstance(data, dict) else {}

    def _bulk_record(self, section: str, name: str) -> Any:
        records = self._bulk.get(section)
        return records.get(name) if isinstance(records, dict) else None

    def reuse_bulk_year(self, year: str, inputs: str, out: Path,
                        staging: Path) -> tuple[dict[str, str], list[tuple[str, str, str]]] | None:
        """Link the year's bulk files (``data/<year>/``) from the previous output if its inputs are
        unchanged and its files are as written; their digests by path, and the year's tables
        (template, table id, printed title). Else None, and nothing linked."""
        record = self._bulk_record("years", year)
        if not (isinstance(record, dict) and record.get("inputs") == inputs):
            return None
        files, tables = record.get("files"), record.get("tables")
        folder = f"data/{year}/"
        if not (isinstance(files, dict) and files and is_safe_path(folder.rstrip("/"))
                and all(is_safe_path(path) and _directly_in(path, folder) for path in files)
                and all(_is_file_record(value, 3) and is_digest(value[0]) for value in files.values())):
            return None
        if not (isinstance(tables, list)
                and all(isinstance(t, list) and len(t) == 3 and all(isinstance(v, str) for v in t) for t in tables)):
            return None
        if not self._link_unchanged(_Files(files), out, staging, None):
            return None
        return {path: value[0] for path, value in files.items()}, [(t[0], t[1], t[2]) for t in tables]

    def reuse_bulk_unit(self, path: str, inputs: str, out: Path, staging: Path) -> str | None:
        """Link a unit's ``figures.csv`` from the previous output as ``reuse_bulk_year`` links a year's
        files; its digest, else None."""
        record = self._bulk_record("units", path)
        if not (isinstance(record, list) and len(record) == 4 and record[0] == inputs):
            return None
        value = record[1:]
        if not (is_safe_path(path) and _is_file_record(value, 3) and is_digest(value[0])):
            return None
        return value[0] if self._link_unchanged(_Files({path: value}), out, staging, None) else None

    def save_bulk(self, years: dict[str, BulkYearRecord], units: dict[str, tuple[str, str]], out: Path,
                  parts: set[str]) -> None:
        """Remember this build's bulk files (after the swap: the stamps are the output's), and only them.
        ``units``: unit file path -> (inputs, SHA-256); ``parts``: the names of the years' parts (the others go)."""
        record = {
            "years": {year: {"inputs": entry.inputs, "files": _stamped(out, entry.digests),
                             "tables": [list(table) for table in entry.tables]} for year, entry in years.items()},
            "units": {path: [inputs, *_stamped(out, {path: digest})[path]] for path, (inputs, digest) in units.items()},
        }
        _write(self.folder / "bulk", record)
        shutil.rmtree(self.folder / LEGACY_BULK_ROWS, ignore_errors=True)
        _remove_all_but(self.folder / BULK_PARTS, {name + suffix for name in parts for suffix in ("", ".sqlite", ".data")})


@dataclass(frozen=True)
class BulkYearRecord:
    """What is remembered of one year's bulk files."""

    inputs: str  # ``bulk.year_inputs``
    digests: dict[str, str]  # site path -> SHA-256
    tables: list[tuple[str, str, str]]  # (template, table id, printed title)


@dataclass
class _Files:
    """Files one job wrote, with nothing in the search index (an ``OutputRecord``)."""

    files: dict[str, list[Any]]  # site path -> [sha256, size, mtime_ns]
    cells: dict[str, list[Any]] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)


@dataclass
class BulkReuse:
    """``bulk.Reuse`` from the build cache: the previous output's bulk files, linked into ``staging``."""

    cache: BuildCache
    out: Path
    staging: Path

    def year(self, year: str, inputs: str) -> tuple[dict[str, str], list[tuple[str, str, str]]] | None:
        return self.cache.reuse_bulk_year(year, inputs, self.out, self.staging)

    def unit(self, path: str, inputs: str) -> str | None:
        return self.cache.reuse_bulk_unit(path, inputs, self.out, self.staging)

    def drop(self, paths: list[str]) -> None:
        for path in paths:
            (self.staging / path).unlink(missing_ok=True)
            if self.cache.carried is not None:
                self.cache.carried.discard(path)

    def parts_folder(self) -> Path | None:
        folder = self.cache.folder / BULK_PARTS
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return None
        return folder


def _cells_by_folder(site: SiteStamps, folders: set[str]) -> dict[str, dict[str, list[int] | None]]:
    """The files of ``pagefind/cells/`` in each of ``folders`` (``units/x/``), by name."""
    found: dict[str, dict[str, list[int] | None]] = {}
    start = len("pagefind/cells/")
    for path, status in site.items_below("pagefind/cells/"):
        folder, _, name = path[start:].rpartition("/")
        folder += "/"
        if folder in folders:
            found.setdefault(folder, {})[name] = status
    return found


def _shard_files(site: SiteStamps, shards: set[str]) -> dict[str, dict[str, list[int] | None]]:
    """The files of each shard's bundle (``pagefind/<shard>/…``) by path in the bundle."""
    found: dict[str, dict[str, list[int] | None]] = {}
    for path, status in site.items_below("pagefind/"):
        shard, _, rest = path[len("pagefind/"):].partition("/")
        if rest and shard in shards:
            found.setdefault(shard, {})[rest] = status
    return found


def site_key(cache: BuildCache, site: Site, keys: list[str], settings: str) -> str:
    """A digest of everything the whole site is built from: every report's key in order, every unit
    (a unit without reports still has its page), the root files, the theme, the tool and ``settings``
    (search shard sizes)."""
    hasher = hashlib.sha256(b"site\0" + cache.fingerprints.site_digest + cache.extra)
    hasher.update(f"{settings}\0{pagefind_version()}\0{site.units!r}\0".encode("utf-8", "surrogateescape"))
    for key in keys:
        hasher.update(key.encode())
    return hasher.hexdigest()


@functools.lru_cache(maxsize=1)
def _shard_code_digest() -> str:
    """The code that turns Pagefind's output into a shard's bundle: canonical order, patched UI
    (search_index.py) and the directory's keys (search_directory.py)."""
    hasher = hashlib.sha256()
    for module in (Path(__file__).with_name("search_index.py"), Path(search_directory.__file__)):
        hasher.update(module.read_bytes())
    return hasher.hexdigest()


def shard_inputs(pages: list[str], shard_of: dict[str, str], index: Mapping[str, str]) -> dict[str, str]:
    """Per shard, a digest of what its bundle is made from: the Pagefind version, the code that
    completes the bundle, and its pages, in order, with the digests of their index copies."""
    hashers: dict[str, Any] = {}
    for path in pages:
        shard = shard_of[path]
        if shard not in hashers:
            hashers[shard] = hashlib.sha256(f"shard\0{pagefind_version()}\0{shard}\0{_shard_code_digest()}\0".encode())
        hashers[shard].update(f"{path}\0{index[path]}\0".encode("utf-8", "surrogateescape"))
    return {shard: hasher.hexdigest() for shard, hasher in hashers.items()}


class CacheDamaged(Exception):
    """A copy in the build cache's store is not the bytes its name says (edited, truncated,
    replaced): ``repair`` removes every such copy, and the build starts again."""

    def __init__(self, folder: Path, digest: str) -> None:
        super().__init__(f"{folder / 'index' / digest}: not the file the build cache recorded")
        self.folder = folder

    def repair(self) -> None:
        """Remove every entry of the store that is not a file with the bytes its name says."""
        store = self.folder / "index"
        for path in store.iterdir() if store.is_dir() else []:
            try:
                damaged = not path.is_file() or path.is_symlink() or hashlib.sha256(path.read_bytes()).hexdigest() != path.name
            except OSError:
                damaged = True
            if damaged and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif damaged:
                path.unlink(missing_ok=True)


# -- files -----------------------------------------------------------------------------------------


def _read(path: Path) -> Any:
    return check_cache.read_sealed(path, MAGIC, VERSION)


def _write(path: Path, data: Any) -> None:
    check_cache.write_sealed(path, MAGIC, VERSION, data)


def prune(folder: Path) -> None:
    """Keep the ``KEPT_FOLDERS`` most recently used build caches of ``folder``."""
    caches = sorted(folder.glob("build-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in caches[KEPT_FOLDERS:]:
        shutil.rmtree(old, ignore_errors=True)
