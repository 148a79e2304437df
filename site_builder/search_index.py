"""Index stage: Pagefind with its extended binary, which segments Chinese text (jieba).

The Pagefind UI (``pagefind-ui.js`` of Pagefind 1.5.2) inserts filter names and values as HTML
(Svelte's ``{@html}`` for a value's label, ``innerHTML`` for names), so a unit name with markup
ran as script on the search page. ``secure_ui`` makes those text; excerpts (HTML with ``<mark>``,
the text escaped by Pagefind) are re-escaped around the marks by ``themes/default/static/search.js``.

Pagefind writes its filter indexes from hash maps, so their order — and with it the hashed file
names, the metadata file and ``pagefind-entry.json`` — changes from run to run (Pagefind issue
#638: fragments are stable since 1.3, filters are not). ``canonicalize`` rewrites those few files
in sorted order with content-derived names, so the same input gives a byte-identical site.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import cbor2

from site_builder import search_directory
from site_builder.digests import FolderDigests, files_below
from site_builder.render.downloads import compact_json
from site_builder.render.grids import Grid

MAGIC = b"pagefind_dcd"


class IndexFailed(RuntimeError):
    """Pagefind failed; the build stops and the previous output stays in place."""


def pagefind_binary() -> Path:
    from pagefind_bin_extended import get_executable  # the extended build: Chinese word segmentation

    return Path(get_executable())


class Indexer:
    """Pagefind indexing ``pages`` in its own process while the build goes on; ``finish`` waits for
    it and completes the bundle. Leaving the ``with`` block without ``finish`` kills Pagefind.
    ``peak_memory``: Pagefind's peak resident memory in bytes (sampled), known after ``finish``."""

    def __init__(self, pages: Path, bundle: Path) -> None:
        self.bundle = bundle
        self.peak_memory = 0
        self._log = tempfile.TemporaryFile()  # a file, not a pipe: nobody reads while Pagefind runs
        command = [str(pagefind_binary()), "--site", str(pages), "--output-path", str(bundle), "--quiet"]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def finish(self, cells: Path | None = None) -> None:
        """Wait for Pagefind, make its output deterministic and safe, and move the cells files
        (``cells``, written beside the pages by ``write_page_cells``) into the bundle."""
        code = self._wait()
        if code != 0:
            self._log.seek(0)
            raise IndexFailed(f"pagefind failed ({code}): {self._log.read().decode(errors='replace').strip()}")
        canonicalize(self.bundle)
        secure_ui(self.bundle)
        if cells is not None and cells.is_dir():
            os.rename(cells, self.bundle / "cells")

    def _wait(self) -> int:
        """Wait for Pagefind, reading its peak memory (``VmHWM``) every 0.05 s meanwhile (0 if it ended first). Not
        ``wait4``'s max-RSS: for a child forked from a large build process it is the parent's size."""
        while True:
            self.peak_memory = max(self.peak_memory, _high_water_mark(self._process.pid))
            try:
                return self._process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _high_water_mark(pid: int) -> int:
    """Peak resident memory of a running process in bytes (0 when it cannot be read)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) * 1024 if found else 0


SHARDS_MANIFEST = "shards.json"


class ShardedIndex:
    """One Pagefind per shard (``pages/<shard>/`` → ``bundle/<shard>/``), at most ``parallel`` at a
    time, started from background threads so the next shard starts as soon as one ends while the
    main thread goes on with the build. ``finish`` waits for all; leaving the ``with`` block
    without it kills every Pagefind still running and starts no more."""

    def __init__(self, pages: Path, bundle: Path, shards: list[str], parallel: int, manifest: list[str] | None = None,
                 previous: search_directory.Previous | None = None) -> None:
        """``manifest``: every shard of the site, when some were not indexed now (reused: build_cache.py);
        ``previous``: the previous build's directory, to update instead of merging every shard's keys.
        ``shards_seconds`` (until every shard is indexed) and ``directory_seconds`` (writing the
        directory), ``directory_updated`` (whether it was updated), known after ``finish``."""
        self.pages, self.bundle, self.shards = pages, bundle, sorted(shards)
        self.manifest = sorted(manifest if manifest is not None else shards)
        self.carried: dict[str, Path] = {}  # shards left in the live site's bundle (publish.py), by shard
        self.digests: dict[str, FolderDigests] = {}  # each indexed shard's files, hashed as it is done
        self.previous = previous
        self.shards_seconds = self.directory_seconds = 0.0
        self.directory_updated = False
        self._started = time.perf_counter()
        self._lock = threading.Lock()
        self._running: set[Indexer] = set()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="pagefind")
        self._done = [self._pool.submit(self._index, shard) for shard in self.shards]

    def add(self, shards: list[str], manifest: list[str], previous: search_directory.Previous | None) -> None:
        """Index these shards too (started early with the report shards, the index gets the
        site-wide shards once their pages exist); ``manifest`` and ``previous`` as in ``__init__``,
        now that every shard is known."""
        self.shards.extend(sorted(shards))
        self._done.extend(self._pool.submit(self._index, shard) for shard in sorted(shards))
        self.manifest, self.previous = sorted(manifest), previous

    def _index(self, shard: str) -> int:
        """Pagefind and the shard's ``keys.tsv`` (both read only the shard's pages) at the same time;
        the keys go beside the bundle until Pagefind has written the shard's folder."""
        keys = self.bundle / f".{shard}.{search_directory.SHARD_KEYS}"
        with self._lock:
            if self._stopped:
                raise IndexFailed("stopped")
            self.bundle.mkdir(parents=True, exist_ok=True)
            keys_process = self._start_keys(shard, keys)
            indexer = Indexer(self.pages / shard, self.bundle / shard)
            self._running.add(indexer)
        with indexer:
            try:
                indexer.finish()
            finally:
                with self._lock:
                    self._running.discard(indexer)
        self._wait_keys(shard, keys_process)
        os.replace(keys, self.bundle / shard / search_directory.SHARD_KEYS)
        # the shard's folder is final: hashed now, while other shards are indexed, not by the marker at the end
        digests = files_below(f"{self.bundle.name}/{shard}/", os.fspath(self.bundle / shard))
        with self._lock:
            self.digests[shard] = digests
        return indexer.peak_memory

    def _start_keys(self, shard: str, target: Path) -> subprocess.Popen[bytes]:
        """The shard's keys for the search directory, in their own process (the build's main
        thread is busy with the bulk stage meanwhile). Called under the lock."""
        process = subprocess.Popen(
            [sys.executable, "-m", "site_builder.search_directory", str(self.pages / shard), str(target)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._processes.add(process)
        return process

    def _wait_keys(self, shard: str, process: subprocess.Popen[bytes]) -> None:
        try:
            _, errors = process.communicate()
        finally:
            with self._lock:
                self._processes.discard(process)
        if process.returncode != 0:
            raise IndexFailed(f"the search directory's keys of shard {shard} ({process.returncode}): "
                              f"{errors.decode(errors='replace').strip()}")

    def finish(self, cells: Path | None = None, manifest: bool = True) -> dict[str, int]:
        """Wait for every shard; write the manifest and the search directory (unless ``manifest`` is
        false: a part of a site, whose combined site writes its own) and move the shared cells folder
        into the bundle. Returns Pagefind's peak memory (bytes) by shard."""
        peaks = {shard: done.result() for shard, done in zip(self.shards, self._done, strict=True)}
        self.shards_seconds = time.perf_counter() - self._started
        self.bundle.mkdir(parents=True, exist_ok=True)
        if manifest:
            write_manifest(self.bundle, self.manifest)
        if manifest and len(self.manifest) > 1:
            started = time.perf_counter()
            try:
                self.directory_updated = search_directory.write_directory(self.bundle, self.manifest, self.previous,
                                                                          self.carried)
            except ValueError as error:
                raise IndexFailed(f"the search directory: {error}") from None
            self.directory_seconds = time.perf_counter() - started
        if cells is not None and cells.is_dir():
            os.rename(cells, self.bundle / "cells")
        return peaks

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._stopped = True
            for indexer in self._running:
                indexer.kill()
            for process in self._processes:
                process.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)


def write_manifest(bundle: Path, shards: list[str]) -> None:
    """``shards.json``: the shard bundle folders, relative to ``bundle``, sorted; the search page
    loads the first and merges the others."""
    body = json.dumps([f"{shard}/" for shard in sorted(shards)], ensure_ascii=False)
    (bundle / SHARDS_MANIFEST).write_text(body + "\n", encoding="utf-8")


# (found, replacement, expected count) in pagefind-ui.js of Pagefind 1.5.2; checked, so a new
# Pagefind version fails the build instead of publishing an unreviewed UI.
UI_PATCHES = (
    ("h(e){this.e.innerHTML=e,", "h(e){this.e.textContent=e,", 1),  # {@html}: only a filter value's label
    ("t.innerHTML=s", "t.textContent=s", 2),  # filter name, <summary> (mount, update)
    ("i.innerHTML=n", "i.textContent=n", 2),  # filter name, <legend> (mount, update)
)


def secure_ui(bundle: Path) -> None:
    """Make the Pagefind UI show filter names and values as text, never as HTML."""
    path = bundle / "pagefind-ui.js"
    script = path.read_text(encoding="utf-8")
    for found, replacement, expected in UI_PATCHES:
        if script.count(found) != expected:
            raise IndexFailed(f"{path.name} is not the reviewed Pagefind UI ({found!r} found {script.count(found)} times, "
                              f"expected {expected}); review search_index.UI_PATCHES for this Pagefind version")
        script = script.replace(found, replacement)
    path.write_text(script, encoding="utf-8")


_TABLE = re.compile(rb"<table\b.*?</table>", re.S)  # what ``_tables`` finds
_TABLE_START = re.compile(rb"<table\b")
_TAG = re.compile(rb"<[^>]+>")
_SPACE = re.compile(rb"\s+")
_SPACE_STR = re.compile(r"[ \t\n\r\f\v]+")  # what _SPACE matches, in text
_SECTION = re.compile(rb'<h3 id="(table-[^"]+)"[^>]*>(.*?)<span class="table-no">')
_TH = re.compile(rb'<th\b([^>]*)>(.*?)</th>', re.S)
_ROW = re.compile(rb"<tr\b[^>]*>(.*?)</tr>", re.S)
_TD = re.compile(rb'<td\b([^>]*)>(.*?)</td>', re.S)
_ATTR = re.compile(rb'([a-z-]+)="([^"]*)"')
_CELLS_ANCHOR = re.compile(r"table-[a-z0-9_]+")
_FIGURE = re.compile(r"-?[\d,]*\d(?:\.\d+)?")
_AID = re.compile(rb'(<(p|span) hidden class="search-aid">)(.*?)(</\2>)', re.S)  # what ``_aids`` finds
_AID_MARK = b' hidden class="search-aid">'
_HIDDEN_FILTER = re.compile(rb'<(p|span) hidden data-pagefind-filter="([^"]*)">(.*?)</\1>', re.S)

# The search aid sits between these marks in the index copy, so the browser can tell it from the
# page's visible text and never show it (themes/default/static/search.js knows the same marks).
AID_OPEN, AID_CLOSE = "⟦", "⟧"
_AID_MARKS = (f" {AID_OPEN} ".encode(), f" {AID_CLOSE} ".encode())


def published(html: bytes) -> bytes:
    """The page as readers get it: without the search aid, which only the index copy needs (it is
    hidden anyway; leaving it out makes a report page about 10% lighter)."""
    return _replaced(html, _aids(html), lambda aid: b"")


# The regular expressions _TABLE and _AID tried a match at every "<" of a page (a report page has
# tens of thousands); these find the same spans with bytes.find, several times faster.

def _tables(html: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each match of ``_TABLE``, in order."""
    at = 0
    while (found := _TABLE_START.search(html, at)) is not None:
        close = html.find(b"</table>", found.end())
        if close < 0:
            return
        at = close + len(b"</table>")
        yield found.start(), at


def _aids(html: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each match of ``_AID``, in order."""
    at = 0
    while (mark := html.find(_AID_MARK, at)) >= 0:
        text = mark + len(_AID_MARK)
        for opening, closing in ((b"<p", b"</p>"), (b"<span", b"</span>")):
            start = mark - len(opening)
            if start >= at and html.startswith(opening, start):
                close = html.find(closing, text)
                if close >= 0:
                    at = close + len(closing)
                    yield start, at
                    break
        else:
            at = mark + 1


def _replaced(html: bytes, spans: Iterable[tuple[int, int]], replacement: Callable[[bytes], bytes]) -> bytes:
    """``html`` with each of the ``spans`` (in order, not overlapping) replaced by ``replacement`` of its bytes."""
    parts: list[bytes] = []
    at = 0
    for start, end in spans:
        parts += (html[at:start], replacement(html[start:end]))
        at = end
    parts.append(html[at:])
    return b"".join(parts)


def _flat_table(table: bytes) -> bytes:
    return b"<p>" + _SPACE.sub(b" ", _TAG.sub(b" ", table)) + b"</p>"


def _marked_aid(aid: bytes) -> bytes:
    """A search aid element (a span of ``_aids``) with its text between ``AID_OPEN`` and ``AID_CLOSE``."""
    text = aid.index(_AID_MARK) + len(_AID_MARK)
    closing = aid.rindex(b"</")
    return aid[:text] + _AID_MARKS[0] + aid[text:closing] + _AID_MARKS[1] + aid[closing:]


def flatten_tables(html: bytes) -> bytes:
    """The page as Pagefind should read it (see ``index_copy``)."""
    return index_copy(html)[0]


def index_copy(html: bytes, cells: dict[str, Any] | None = None) -> tuple[bytes, dict[str, Any]]:
    """The page as Pagefind should read it (the published page is not changed), and the cells of
    its tables for ``write_page_cells``.

    Each table is reduced to its text in one paragraph: parsing thousands of cells with their
    `headers` attributes was a third of Pagefind's time, and the words (names, codes, figures) and
    the headings that anchor sub-results are unchanged. The cells (row code and name, column
    headers, figure) let a result say where a figure stands; the search aid is put between
    ``AID_OPEN``/``AID_CLOSE``; hidden filter values move into an attribute, so they are filters
    only and never text of the page.
    """
    if cells is None:  # the renderer gives a report page's cells from its grids (``grid_cells``)
        cells = _cell_map(html)
    html = _replaced(html, _tables(html), _flat_table)
    html = _replaced(html, _aids(html), _marked_aid)
    html = _HIDDEN_FILTER.sub(lambda m: b'<%s data-pagefind-filter="%s[data-value]" data-value="%s"></%s>'
                              % (m.group(1), m.group(2), m.group(3), m.group(1)), html)
    return html, cells


def write_page_cells(cells: dict[str, Any], folder: Path) -> None:
    """Write a page's tables' cells as ``<folder>/<table anchor>.json`` (``folder`` is
    ``cells/<page folder>`` of the bundle). The browser fetches only the files of the table
    sections a result shows, to name the row and column of a matched figure."""
    made = False
    for anchor, table in cells.items():
        if _CELLS_ANCHOR.fullmatch(anchor):
            if not made:
                folder.mkdir(parents=True, exist_ok=True)
                made = True
            (folder / f"{anchor}.json").write_bytes(compact_json(table))


def _text(fragment: bytes) -> str:
    return html_unescape(_SPACE.sub(b" ", _TAG.sub(b"", fragment)).decode().strip()).replace("※", "").strip()


def _cell_map(html: bytes) -> dict[str, Any]:
    """For each table section: its title, rows (code, name) and figures (row, columns, figure as printed)."""
    sections = list(_SECTION.finditer(html))
    if not sections:
        return {}
    tables = list(_tables(html))
    result: dict[str, Any] = {}
    for section, following in zip(sections, [*sections[1:], None], strict=False):
        end = following.start() if following else len(html)
        table = next(((start, stop) for start, stop in tables if section.end() < start < end), None)
        if table is not None:
            result[section.group(1).decode()] = _table_cells(_text(section.group(2)), html[table[0]:table[1]])
    return result


def grid_cells(grid: Grid) -> dict[str, Any]:
    """``_table_cells`` of the table ``grid`` renders (``macros.html``, ``render/cells.py``),
    taken from the grid itself instead of parsing the page (a tenth of a report's rendering time).
    ``tests/test_search_cells.py`` checks both give the same on every table of the sample pages."""
    rows_of_table = [*grid.head, *grid.body]
    headers = {c.id: (c.scope, _shown_text(c.text)) for row in rows_of_table for c in row if c.header and c.id}
    order = {header_id: index for index, header_id in enumerate(headers)}
    found = _Found()
    for row in rows_of_table:
        code = ""
        for cell in row:
            if cell.header:
                continue
            if cell.kind == "code":
                code = _shown_text(cell.text)
                continue
            if cell.kind == "lanci" or not cell.text:
                continue
            # a figure's text is a formatted Decimal, already as shown (no space, no ※)
            text = cell.text if cell.kind == "amount" else _shown_text(cell.text)
            if _FIGURE.fullmatch(text):
                found.add_figure(headers, cell.headers, code, text)
        if code and code not in found.codes:
            found.row([code, _row_name(row, headers, order)])
    return {"title": _shown_text(grid.title), "rows": found.rows, "columns": found.columns, "figures": found.figures}


def _row_name(row: list[Any], headers: dict[str, tuple[str, str]], order: dict[str, int]) -> str:
    """The text of the first header (in ``headers``' order) with scope "row" among the row's own
    header cells; "" when none is."""
    ids = [c.id for c in row if c.header and c.id and headers[c.id][0] == "row"]
    return headers[min(ids, key=order.__getitem__)][1] if ids else ""


@lru_cache(maxsize=65536)  # header and row names repeat in every report of a template
def _shown_text(text: str) -> str:
    """``_text`` of a cell whose content is ``text`` escaped (the figure flag ※ is dropped)."""
    return _SPACE_STR.sub(" ", text).strip().replace("※", "").strip()


class _Found:
    """The rows, columns and figures of ``grid_cells``, each row and column listed once, in order of
    first use; positions are kept in dicts (a search of the lists per figure grew with the table)."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.columns: list[list[str]] = []
        self.figures: list[list[Any]] = []
        self.codes: set[str] = set()
        self._row_at: dict[tuple[str, ...], int] = {}
        self._column_at: dict[tuple[str, ...], int] = {}

    def row(self, entry: list[str]) -> int:
        key = tuple(entry)
        if key not in self._row_at:
            self._row_at[key] = len(self.rows)
            self.rows.append(entry)
            self.codes.add(entry[0])
        return self._row_at[key]

    def add_figure(self, headers: dict[str, tuple[str, str]], cell_headers: str, code: str, text: str) -> None:
        name: str | None = None  # of the first row header
        labels: list[str] = []  # of the column headers
        for header_id in cell_headers.split():
            scope, shown = headers.get(header_id, ("", ""))
            if scope == "row" and name is None:
                name = shown
            elif scope in ("col", "colgroup"):
                labels.append(shown)
        row = self.row([code, name or ""])
        key = tuple(labels)
        if key not in self._column_at:
            self._column_at[key] = len(self.columns)
            self.columns.append(labels)
        self.figures.append([row, self._column_at[key], text])


def _add_figure(headers: dict[str, tuple[str, str]], cell_headers: str, code: str, text: str,
                rows: list[list[str]], columns: list[list[str]], figures: list[list[Any]]) -> None:
    ids = [headers.get(i) for i in cell_headers.split()]
    names = [h[1] for h in ids if h and h[0] == "row"]
    labels = [h[1] for h in ids if h and h[0] in ("col", "colgroup")]
    entry = [code, names[0] if names else ""]
    if entry not in rows:
        rows.append(entry)
    if labels not in columns:
        columns.append(labels)
    figures.append([rows.index(entry), columns.index(labels), text])


def _table_cells(title: str, table: bytes) -> dict[str, Any]:
    headers: dict[str, tuple[str, str]] = {}
    for th in _TH.finditer(table):
        attrs = dict(_ATTR.findall(th.group(1)))
        if b"id" in attrs:
            headers[attrs[b"id"].decode()] = (attrs.get(b"scope", b"").decode(), _text(th.group(2)))
    columns: list[list[str]] = []
    rows: list[list[str]] = []
    figures: list[list[Any]] = []
    for row in _ROW.finditer(table):
        code = ""
        for td in _TD.finditer(row.group(1)):
            attrs = dict(_ATTR.findall(td.group(1)))
            text = _text(td.group(2))
            if b"code" in attrs.get(b"class", b"").split():
                code = text
                continue
            if not _FIGURE.fullmatch(text) or b"lanci" in attrs.get(b"class", b""):
                continue
            _add_figure(headers, attrs.get(b"headers", b"").decode(), code, text, rows, columns, figures)
        if code and not any(r[0] == code for r in rows):
            name = next((h[1] for i, h in headers.items() if h[0] == "row" and f'id="{i}"'.encode() in row.group(1)), "")
            rows.append([code, name])
    return {"title": title, "rows": rows, "columns": columns, "figures": figures}


def _read(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(MAGIC):
        raise IndexFailed(f"unexpected Pagefind file format in {path.name}")
    return cbor2.loads(raw[len(MAGIC):])


def _write(folder: Path, name_of: Any, data: Any) -> str:
    """Write ``data`` gzipped (no timestamp) under a name derived from its content; return the hash part."""
    body = MAGIC + cbor2.dumps(data)
    digest = hashlib.sha256(body).hexdigest()
    name = name_of(digest)
    (folder / name).write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    return name


def canonicalize(bundle: Path) -> None:
    renamed: dict[str, str] = {}
    for path in sorted((bundle / "filter").glob("*.pf_filter")):
        language = path.stem.split("_", 1)[0]
        name, values = _read(path)
        stem = _write(path.parent, lambda d, language=language: f"{language}_{d[:7]}.pf_filter", [name, sorted(values)])
        if path.name != stem:
            path.unlink()
        renamed[path.stem] = stem.removesuffix(".pf_filter")
    entry_path = bundle / "pagefind-entry.json"
    entry = entry_path.read_text(encoding="utf-8")
    for meta in sorted(bundle.glob("pagefind.*.pf_meta")):
        old_hash = meta.name.removeprefix("pagefind.").removesuffix(".pf_meta")
        language = old_hash.split("_", 1)[0]
        data = _replace_filter_names(_read(meta), renamed)
        name = _write(bundle, lambda d, language=language: f"pagefind.{language}_{d[:13]}.pf_meta", data)
        if name != meta.name:
            meta.unlink()
        entry = entry.replace(f'"{old_hash}"', f'"{name.removeprefix("pagefind.").removesuffix(".pf_meta")}"')
    json.loads(entry)  # still valid JSON
    entry_path.write_text(entry, encoding="utf-8")


def _replace_filter_names(data: Any, renamed: dict[str, str]) -> Any:
    """Point the metadata's [filter name, file] pairs at the rewritten files, sorted by filter name."""
    if isinstance(data, list):
        pairs = [x for x in data if isinstance(x, list) and len(x) == 2 and isinstance(x[1], str) and x[1] in renamed]
        if pairs and len(pairs) == len(data):
            return sorted([[name, renamed[file]] for name, file in data])
        return [_replace_filter_names(x, renamed) for x in data]
    return data
