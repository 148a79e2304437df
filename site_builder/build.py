"""The build: check → render → index.

Each report is loaded, checked and rendered on its own (in worker processes when there are many)
into a staging folder beside the output folder; the site-wide pages follow, then the Pagefind
index, and only then is the staging folder swapped in — or, in a rebuild with a build cache, only
the files that changed are moved into place (``publish.py``). A refused or failed build, or one
interrupted before its publication began, leaves the previous output exactly as it was.

The output folder (what may be written, the lock, the atomic swap, recovery after a kill) is
``output.py``; a build that finds nothing changed (``quick.py``) ends before anything here runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: builds are not serialized there (documented)
    fcntl = None  # type: ignore[assignment]

from site_builder import (
    build_cache,
    bulk,
    contentfs,
    loader,
    parts,
    quick,
    search_directory,
    search_index,
    shards,
    snapshot,
)
from site_builder import publish as publish_module
from site_builder.build_cache import Rendered
from site_builder.check import (
    ContentProblem,
    InternalError,
    describe,
    load_and_check,
    map_in_workers,
    run_jobs,
)
from site_builder.digests import SiteDigests, TwiceWritten, compact, files_below
from site_builder.findings import Finding, printed_by_build
from site_builder.model import Site, Unit
from site_builder.output import (
    MARKER,
    BuildRefused,
    BuildResult,
    MarkerReader,
    OutputRefused,
    SortedMarker,
    _shown,
    digest_of,
    remove_leftovers,
    scratch_folder,
    swap_in,
    write_marker,
    write_marker_lines,
)
from site_builder.publish import SiteView, publish
from site_builder.render import browse, compare
from site_builder.render.compare import CompareGroup, GroupPlan
from site_builder.render.pages import (
    Output,
    Renderer,
    latest_reports,
    listed_units,
    summaries_by_unit,
    unit_path,
)
from site_builder.schemagen import SCHEMA_DIR
from site_builder.stamps import SiteStamps
from site_builder.summaries import (
    ReportSummary,
    headline_data,
    sharing,
    summarize,
    summary_bytes,
    summary_from_bytes,
    without_tables,
)

SUMMARIES = ".summaries"  # in the staging folder: each report's whole summary, for its unit page


# -- rendering ----------------------------------------------------------------------------------


# comparison views repeat figures of the report pages, browsing pages only list units: not searched
NOT_INDEXED = ("compare/", browse.REGIONS)


@dataclass(frozen=True)
class IndexFolders:
    """Where the copies of the pages Pagefind reads go, and the cells files of their tables;
    ``store``: the build cache's store of index copies (named by digest), which the workers fill
    as they write (``keep_in_store``): at 10,000 reports the main process's 38,000 copies into it,
    made between two stages, left both workers idle for 14 s."""

    pages: Path
    cells: Path
    store: Path | None = None


@dataclass
class Written:
    """The SHA-256 of the files a stage wrote, by site path, and of the index copies of its pages."""

    files: MutableMapping[str, str] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)


def write_tree(output: Output, folder: Path, index: IndexFolders | None = None) -> Written:
    """Write the files and return their SHA-256 by path; HTML pages also go, with tables
    flattened and the search aid kept, to the folder Pagefind reads, their tables' cells beside."""
    written = Written()
    made: set[Path] = set()
    for path in sorted(output.files):
        data = output.files[path]
        is_html = path.endswith(".html")
        written.files[path] = _write_file(folder / path, search_index.published(data) if is_html else data, made)
        if index is not None and is_html and not path.startswith(NOT_INDEXED):
            copy, cells = search_index.index_copy(data, output.cells.get(path))
            written.index[path] = digest = _write_file(index.pages / path, copy, made)
            if index.store is not None:
                keep_in_store(index.store, digest, copy)
            search_index.write_page_cells(cells, index.cells / Path(path).parent)
    return written


def keep_in_store(store: Path, digest: str, data: bytes) -> None:
    """Write ``data`` into the cache's store as ``digest`` (a worker, as it writes a page's index
    copy or a report's summary), unless it is there; the main process keeps what this could not
    write (``keep_index_copy``)."""
    target = store / digest
    if target.is_file():
        return
    temporary = store / f".{digest}.{os.getpid()}.tmp"
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _write_file(target: Path, data: bytes, made: set[Path]) -> str:
    if target.parent not in made:  # one mkdir per folder, not per file
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    target.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def gather_in_order(parts: Path, pages: Path, html: list[str], shard_of: dict[str, str], skip: set[str],
                    restore: Callable[[str, Path], bool]) -> None:
    """Move the pages workers wrote into ``pages/<shard>/`` in report order (pages of reused
    reports are restored from the build cache: ``restore``), except those of the shards in ``skip``.

    Pagefind numbers pages in the order it lists folders, which is the order their entries were
    created (on tmpfs); workers create them in whatever order they finish, so without this step
    the index and filter files of a parallel build differ from run to run. Each shard's folder
    holds the pages at their site paths, so Pagefind's result URLs are the site's."""
    for path in html:
        if shard_of[path] in skip:
            continue
        target = pages / shard_of[path] / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(parts / path):
            os.rename(parts / path, target)
        elif not restore(path, target):
            raise InternalError("building", path, "its search index copy is missing from the build cache; "
                                "build again (or with --no-cache)")


_RENDERERS: dict[tuple[str, str], Renderer] = {}


def render_job(job: tuple[Unit, Path], site: Site, root: Path, staging: Path, index: IndexFolders | None) -> Rendered:
    """Load, check and render one report into the staging folder (runs in a worker process);
    return its summary, findings and the SHA-256 of every file written, by path."""
    report, findings = load_and_check(job)
    if report is None or any(f.is_error for f in findings):
        return Rendered(None, printed_by_build(findings), {})
    key = (str(root), str(staging))
    if key not in _RENDERERS:
        _RENDERERS.clear()
        _RENDERERS[key] = Renderer(site, root)
    output = _RENDERERS[key].render_report(report, findings)
    written = write_tree(output, staging, index)
    summary = summarize(report)
    data = summary_bytes(summary)
    digest = hashlib.sha256(data).hexdigest()
    summary_file = staging / SUMMARIES / digest
    summary_file.parent.mkdir(exist_ok=True)
    summary_file.write_bytes(data)
    if index is not None and index.store is not None:
        keep_in_store(index.store, digest, data)
    return Rendered(without_tables(summary), printed_by_build(findings), compact(written.files), compact(written.index),
                    summary_digest=digest)  # in staging/SUMMARIES: the main process says so (``_render_reports``)


def build(root: Path, out: Path, index: bool = True, workers: int | None = None, cache: Path | None = None,
          checked: quick.QuickCheck | None = None, from_parts: list[Path] | None = None) -> BuildResult:
    """Build ``root`` into ``out``. With ``cache`` (a folder; only with the search index), reports
    and search shards whose inputs did not change since the last build into ``out`` are reused
    (``build_cache``), and the site is the same as a fresh build's. ``checked``: the quick check
    the caller has just run (``quick.build_if_unchanged``), which found something to build.
    ``from_parts``: part folders (``build_part``) whose reports and shards are reused (``combine``)."""
    clock = time.perf_counter()
    with quick.locked_output(root, out) as out:
        sources = _open_parts(from_parts or [], out) if index else []
        cache = cache if index else None
        checked = quick.answer(cache, root, out, clock, checked) if cache is not None else None
        if checked is not None and checked.result is not None:
            return checked.result
        try:
            planned = loader.plan(root)
            try:
                return _build_locked(root, out, planned, index, workers, cache, clock, sources, checked)
            except build_cache.CacheDamaged as damaged:  # before anything was published: once more, without the damaged copies
                damaged.repair()
                return _build_locked(root, out, planned, index, workers, cache, clock, sources, checked)
        finally:
            if checked is not None:
                checked.cancel()  # the output's walk, if the build ended before it needed it


def build_part(root: Path, out: Path, part: tuple[int, int], workers: int | None = None) -> BuildResult:
    """Check and render part ``part`` (K of N) of the reports of ``root`` into the part folder
    ``out``, and index their search shards (parts.py). Refused, as a build, when any has errors."""
    clock = time.perf_counter()
    with quick.locked_output(root, out) as out:
        planned = loader.plan(root)
        mine = dataclasses.replace(planned, jobs=[planned.jobs[n] for n in parts.chosen(planned.jobs, *part)])
        staging = out.with_name(f".{out.name}.building-{os.getpid()}-{secrets.token_hex(4)}")
        site = staging / parts.SITE
        site.mkdir(parents=True)
        scratch = scratch_folder(out)
        if scratch.exists():  # left by a dead process that had our process id
            shutil.rmtree(scratch)
        index = IndexFolders(scratch / "parts", site / "pagefind" / "cells")
        try:
            findings = list(planned.findings)
            rendered = _render_reports(mine, root, out, site, index, workers, None, [], findings, [])
            findings.extend(f for report in rendered for f in report.findings)
            if any(f.is_error for f in findings):
                raise BuildRefused(findings)
            timings = {"check and render reports": time.perf_counter() - clock}
            keyer = build_cache.ReportKeys(root, planned.site)
            reports = [_part_report(keyer, job, report, index, staging / parts.STORE)
                       for job, report in zip(mine.jobs, rendered, strict=True)]
            html = [path for report in rendered for path in report.written if path.endswith(".html")]
            inputs, memory = _index_part(root, planned, html, rendered, index.pages, scratch / "pages", site)
            timings["search index"] = time.perf_counter() - clock - timings["check and render reports"]
            parts.write_manifest(staging, quick.tool_state(quick.index_settings()), part, reports, inputs)
            shutil.rmtree(site / SUMMARIES, ignore_errors=True)
            write_marker(staging, {})
            swap_in(staging, out)
            remove_leftovers(out)
        finally:
            for folder in (staging, scratch):
                if folder.exists():
                    shutil.rmtree(folder)
    return BuildResult(findings, len(html), len(reports), sum(len(r.files) for r in reports), timings, memory)


def _part_report(keyer: build_cache.ReportKeys, job: tuple[Unit, Path], report: Rendered, index: IndexFolders,
                 store: Path) -> parts.PartReport:
    """What a part's manifest says of a report it rendered; its search copies and summary go to ``store``."""
    assert report.summary is not None and report.summary_file is not None
    for page, digest in report.index.items():
        parts.keep(store, index.pages / page, digest)
    parts.keep(store, report.summary_file, report.summary_digest)
    return parts.PartReport(contentfs.display_path(job[1]), keyer.key(job[1]), report.summary, report.summary_digest,
                            report.findings, dict(report.written), parts.cells_of(index.cells, list(report.index)),
                            dict(report.index))


def _index_part(root: Path, planned: loader.Plan, html: list[str], rendered: list[Rendered], copies: Path,
                pages: Path, site: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Index the part's search shards, cut as those of the whole site (none when the site has a
    single index: ``combine`` indexes it); their input digests and Pagefind's peak memory."""
    every_report = [(year_dir.name, unit.slug) for unit, year_dir in planned.jobs]
    shard_of = shards.assign(html, shards.shard_reports(), shards.single_index_reports(), every_report)
    if shards.ALL in shard_of.values():
        return {}, {}
    digests = {page: digest for report in rendered for page, digest in report.index.items()}
    inputs = build_cache.shard_inputs(html, shard_of, digests)
    gather_in_order(copies, pages, html, shard_of, set(), lambda path, target: False)
    with _start_index(root, pages, site, sorted(inputs), sorted(inputs)) as indexer:
        memory = _finish_index(root, indexer, None, manifest=False)  # the combined site writes its own
    return inputs, memory


def _open_parts(folders: list[Path], out: Path) -> list[parts.Part]:
    """The part folders to combine; the output must not be one of them, nor contain or lie in one."""
    for folder in folders:
        resolved = folder.resolve()
        if resolved == out or out in resolved.parents or resolved in out.parents:
            raise OutputRefused(f"--out {_shown(out)} is, contains or lies in the part folder {_shown(folder)}; "
                                "choose another output folder")
    try:
        return parts.open_parts(folders, quick.tool_state(quick.index_settings()))
    except parts.PartProblem as problem:
        raise OutputRefused(str(problem)) from None


def _build_locked(root: Path, out: Path, planned: loader.Plan, index: bool, workers: int | None,
                  cache_folder: Path | None, clock: float, sources: list[parts.Part] | None = None,
                  checked: quick.QuickCheck | None = None) -> BuildResult:
    """``checked``: the quick check that found something to build (with a cache)."""
    sources = sources or []
    running = contextlib.ExitStack()  # the Pagefinds: killed if the build stops before they are done
    cache = _open_cache(cache_folder, root, out, planned.site)
    keyer = cache if cache is not None else build_cache.ReportKeys(root, planned.site) if sources else None
    later = _KeysLater(cache, planned, checked) if cache is not None and not sources and planned.jobs \
        and (not cache.remembers_reports() or not os.path.lexists(out)) else None  # then nothing can be reused
    keys = later.keys if later is not None else _report_keys(keyer, planned, checked)
    site_key = build_cache.site_key(cache, planned.site, keys, quick.index_settings()) \
        if cache is not None and later is None else ""
    if cache is not None and later is None:
        as_left = checked is not None and checked.output_as_left
        unchanged = _unchanged_site(cache, planned, keys, site_key, out, as_left)
        if unchanged is not None:
            remove_leftovers(out)  # what killed builds left beside it still goes
            unchanged.timings[quick.UNCHANGED] = time.perf_counter() - clock
            output = checked.recorded_output if checked is not None and as_left else _output_snapshot(out)
            _remember_quick(cache, checked, output, unchanged, unchanged.reused_shards)
            return unchanged
    if later is not None:
        running.callback(later.close)
    staging = out.with_name(f".{out.name}.building-{os.getpid()}-{secrets.token_hex(4)}")
    staging.mkdir()
    # the output's walk (quick.check) ran while the reports were planned and keyed: needed from here
    in_place = cache is not None and cache.publish_in_place(out, checked is not None and checked.output_as_left)
    scratch = scratch_folder(out) if index else None
    if scratch is not None and scratch.exists():  # left by a dead process that had our process id
        shutil.rmtree(scratch)
    parts_folder, pages = (scratch / "parts", scratch / "pages") if scratch else (None, None)
    cells = staging / ".cells" if scratch else None  # moved into pagefind/ once Pagefind is done
    timings: dict[str, float] = {}
    index_memory: dict[str, int] = {}
    try:
        findings = list(planned.findings)
        digests = SiteDigests()  # every file written, with its SHA-256: compact (digests.py)
        html: list[str] = []
        summaries: list[ReportSummary] = []
        report_folders: list[str] = []  # site paths of the reports rendered, in report order (bulk stage)
        index = IndexFolders(parts_folder, cells, cache.index_store() if cache is not None else None) \
            if parts_folder and cells else None
        rendered = _render_reports(planned, root, out, staging, index, workers, cache, keys, findings, sources,
                                   later.start if later is not None else None)
        if later is not None:
            keys = later.taken()
            site_key = build_cache.site_key(cache, planned.site, keys, quick.index_settings())
        index_digests = SiteDigests()  # each page's index copy's SHA-256
        for report in rendered:
            findings.extend(report.findings)
            _add_written(root, digests, report.written)
            html.extend(p for p in report.written if p.endswith(".html"))
            index_digests.add(report.index)
            report_folders.extend(p.removesuffix("report.json") for p in report.written if p.endswith("/report.json"))
            if report.summary is not None:
                summaries.append(report.summary)
        if any(f.is_error for f in findings):
            raise BuildRefused(findings)
        timings["check and render reports"] = time.perf_counter() - clock
        if cache is not None and parts_folder is not None:
            _keep_index_copies(cache, parts_folder, rendered)
        early: _Shards | None = None  # the report shards, indexed while the site-wide pages are made
        early_shard_of: dict[str, str] = {}
        if parts_folder is not None and pages is not None:
            settled = _shards_of_reports(html, index_digests, cache, out, staging, sources, parts_folder, pages)
            if settled is not None:
                early, early_shard_of = settled
        first = _ReportShardsFirst(root, pages, staging, early, running)
        reuse = _page_reuse(cache, planned.site, rendered, out, staging, index) if cache is not None else None
        site_pages = _worker_site_pages(planned.site, root, summaries, _summary_files(rendered), staging, index, workers,
                                        findings, reuse, first.start)
        first.start()
        indexer = first.indexer
        if cache is not None and parts_folder is not None:
            _keep_page_index_copies(cache, parts_folder, site_pages)
        site_written = _site_written(root, site_pages, write_tree(
            _site_pages(planned.site, summaries, root, findings, site_pages.take_groups()), staging, index))
        index_digests.add(site_written.index)
        every = _Shards({}, set(), set(), [])
        if parts_folder is not None and pages is not None:  # report pages in report order, then the others sorted
            indexed = html + sorted(p for p in site_written.files if p.endswith(".html") and not p.startswith(NOT_INDEXED))
            shard_of = shards.assign(indexed, shards.shard_reports(), shards.single_index_reports())
            if early is not None:
                _same_report_shards(root, early_shard_of, shard_of, html)
            rest = _settle_shards(indexed[len(html):] if early else indexed, shard_of, index_digests, cache, out,
                                  staging, sources, parts_folder, pages)
            every = early.joined(rest) if early is not None else rest
            previous = _previous_directory(cache, out, every.to_index) if every.reused and not every.imported else None
            if indexer is None:
                indexer = running.enter_context(_start_index(root, pages, staging, every.to_index, sorted(every.inputs),
                                                             previous))
            else:
                indexer.add(rest.to_index, sorted(every.inputs), previous)
            if in_place:
                indexer.carried = {shard: out / "pagefind" for shard in every.reused}
        reused, imported, inputs = every.reused, every.imported, every.inputs
        _add_written(root, digests, site_written.files)
        timings["site pages"] = time.perf_counter() - clock - sum(timings.values())
        started = time.perf_counter()
        # -- bulk downloads (site_builder/bulk.py), while Pagefind runs: streamed from the files
        # the workers wrote; its page (data/index.html) is not searched (no data-pagefind-body)
        view = SiteView(staging, out, cache.carried) if in_place and cache is not None else None
        bulk_reuse = build_cache.BulkReuse(cache, out, staging) if cache is not None else None
        bulk_output = _bulk_files(planned.site, root, staging, report_folders, digests, bulk_reuse, view)
        _add_written(root, digests, bulk_output.digests)
        _add_written(root, digests, write_tree(bulk_output.pages, staging).files)
        timings["bulk downloads"] = time.perf_counter() - started
        # -- end of bulk downloads --
        pages_written = len(html) + sum(1 for p in site_written.files if p.endswith(".html")) \
            + sum(1 for p in bulk_output.pages.files if p.endswith(".html"))
        files_written = len(digests)  # publication in place adds the files it carries
        hashed = SiteDigests()  # files the marker (or publication in place) would otherwise read back
        reports_saved: bool | None = None
        if not in_place and cells is not None:
            reports_saved = _save_reports_early(cache, planned, rendered, keys, staging, cells)
            hashed.add(files_below("pagefind/cells/", os.fspath(cells)))  # moved there by ``_finish_index``
        if indexer is not None:
            index_memory = _finish_index(root, indexer, cells)
            for shard_digests in indexer.digests.values():
                hashed.add(shard_digests)
            timings["search index"] = time.perf_counter() - started
            timings["of which shards (from their start)"] = indexer.shards_seconds
            if indexer.directory_seconds:
                how = "updated" if indexer.directory_updated else "merged"
                timings[f"of which the search directory ({how})"] = indexer.directory_seconds
        running.close()
        shutil.rmtree(staging / SUMMARIES, ignore_errors=True)
        record, touched = None, None
        if in_place and cache is not None:
            record, touched = _publish_in_place(cache, staging, out, digests, hashed)
        else:
            write_marker(staging, digests, hashed)
            swap_in(staging, out)
        remove_leftovers(out)
        result = BuildResult(findings, pages_written, len(summaries), files_written, timings,
                             index_memory, sum(r.reused and r.store is None for r in rendered), len(reused),
                             sum(r.store is not None for r in rendered), len(imported), *site_pages.reused_counts(),
                             sum(y.reused for y in bulk_output.years), sum(u.reused for u in bulk_output.units),
                             site_pages.reused_browse_pages)
        if cache is not None:
            with ThreadPoolExecutor(max_workers=1) as pool:  # find walks the output while the cache is written
                output = pool.submit(_output_snapshot, out, checked.output_listing if checked else None, touched)
                remembered = reports_saved is not False and _remember(
                    cache, planned, rendered, keys, inputs, out, site_key, site_pages, bulk_output, record,
                    reports_saved is None)
            if remembered:
                _remember_quick(cache, checked, output.result(), result, len(inputs))
            else:  # the record of the output's files may be a previous build's: the next build walks it
                cache.forget_quick()
    finally:
        running.close()
        for folder in (staging, scratch):
            if folder is not None and folder.exists():
                shutil.rmtree(folder)
    return result


# -- incremental builds (build_cache.py) ----------------------------------------------------------


def _report_keys(keyer: build_cache.ReportKeys | None, planned: loader.Plan,
                 checked: quick.QuickCheck | None) -> list[str]:
    if checked is not None:
        checked.take_content()
        if isinstance(keyer, build_cache.BuildCache):
            keyer.use_listing(checked.listing)
    keys = [keyer.key(year_dir) for _, year_dir in planned.jobs] if keyer is not None else []
    if isinstance(keyer, build_cache.BuildCache):
        keyer.keys_taken()
    if checked is not None:
        checked.listing = None  # the cache's folder stamps read it for the keys; nothing reads it after
    return keys


class _KeysLater:
    """The reports' keys of a build whose cache remembers no report, or whose output (which reused
    reports are linked from) is gone: none can be reused, so the workers render at once while a
    thread takes the keys (before, at 10,000 reports, the keys and the content's walk they wait for
    took 10 s with one core idle). The thread starts once the workers are forked (``start``): a
    fork while it held a lock would leave the lock held in the worker."""

    def __init__(self, cache: build_cache.BuildCache, planned: loader.Plan, checked: quick.QuickCheck | None) -> None:
        self.keys: list[str] = []  # until ``taken``: nothing is looked up by key
        self._arguments = cache, planned, checked
        self._pool: ThreadPoolExecutor | None = None
        self._keys: Future[list[str]] | None = None

    def start(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1)
            self._keys = self._pool.submit(_report_keys, *self._arguments)

    def taken(self) -> list[str]:
        self.start()
        assert self._keys is not None
        return self._keys.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _open_cache(folder: Path | None, root: Path, out: Path, site: Site) -> build_cache.BuildCache | None:
    if folder is None:
        return None
    try:
        return build_cache.BuildCache(quick.cache_folder(folder, root, out), root, site)
    except OSError:  # an unreadable theme folder: the build reports it; no cache
        return None


def _output_snapshot(out: Path, earlier: snapshot.Listing | None = None, touched: list[str] | None = None) -> str | None:
    """The output's snapshot, taken once it is published (``snapshot.py``); with the listing of
    the output when the build began (``earlier``) and the paths publication in place changed
    (``touched``), only the folders holding them are walked again (``snapshot.take_again``)."""
    try:
        if earlier is not None and touched is not None:
            return snapshot.take_again(snapshot.Spec(out), earlier, touched)
        return snapshot.take(out)
    except OSError:
        return None


def _remember_quick(cache: build_cache.BuildCache, checked: quick.QuickCheck | None, output: str | None,
                    result: BuildResult, shard_count: int) -> None:
    """Let the next build see at once that nothing changed, when it can: not when the content
    folder changed while it was read (or just before), nor when a report's key depends on git.
    ``output``: the output's snapshot, taken after it was published."""
    content = checked.content if checked is not None else None
    try:
        if content is None or output is None or cache.fingerprints.reads_git:
            cache.forget_quick()
            return
        cache.save_quick(quick.QuickRecord(
            quick.build_state(cache.root, result.findings), content, output, result.findings, result.pages,
            result.reports, result.files, shard_count))
    except OSError:
        pass


def _unchanged_site(cache: build_cache.BuildCache, planned: loader.Plan, keys: list[str], site_key: str,
                    out: Path, as_left: bool) -> BuildResult | None:
    """The result of the previous build when nothing it was built from changed and its output is
    exactly as it wrote it (then a fresh build would write the same bytes: nothing is written).
    ``as_left``: the output's snapshot is the one taken after that build (no walk needed)."""
    files = cache.site_unchanged(site_key, out, as_left)
    if files is None:
        return None
    findings = list(planned.findings)
    for (_, year_dir), key in zip(planned.jobs, keys, strict=True):
        remembered = cache.findings_of(year_dir, key)
        if remembered is None:
            return None
        findings.extend(remembered)
    if any(f.is_error for f in findings):
        raise BuildRefused(findings)
    shard_count = len(json.loads((out / "pagefind" / search_index.SHARDS_MANIFEST).read_text(encoding="utf-8"))
                      if (out / "pagefind" / search_index.SHARDS_MANIFEST).is_file() else [])
    written = [path for path in files if not path.startswith("pagefind/") and path != MARKER]  # as a build counts them
    return BuildResult(findings, sum(1 for p in written if p.endswith(".html")), len(keys), len(written), {}, {},
                       len(keys), shard_count)


def _render_reports(planned: loader.Plan, root: Path, out: Path, staging: Path, index: IndexFolders | None,
                    workers: int | None, cache: build_cache.BuildCache | None, keys: list[str],
                    findings: list[Finding], sources: list[parts.Part],
                    forked: Callable[[], None] | None = None) -> list[Rendered]:
    """Every report, in report order: reused from the previous build where the cache allows, else
    from a part that has it under the same key, else loaded, checked and rendered in worker processes.
    ``keys``: empty when the cache can give none (``_KeysLater``); ``forked`` as ``run_jobs`` says."""
    results: list[Rendered | None] = [None] * len(planned.jobs)
    if cache is not None and keys:
        copies = cache.index_copies
        for number, ((_, year_dir), key) in enumerate(zip(planned.jobs, keys, strict=True)):
            entry = cache.entry(year_dir, key)
            if entry is not None and cache.reuse(entry, out, staging, index.cells if index else None):
                results[number] = Rendered(entry.summary, entry.findings, compact({p: r[0] for p, r in entry.files.items()}),
                                           compact(entry.index), copies, entry.summary_file, reused=True)
    if sources:
        for number, job in enumerate(planned.jobs):
            if results[number] is None:
                results[number] = _from_parts(sources, job, keys[number], staging, index)
    todo = [number for number, result in enumerate(results) if result is None]
    job = functools.partial(render_job, site=planned.site, root=root, staging=staging, index=index)
    summaries = staging / SUMMARIES
    try:
        for number, result in zip(todo, run_jobs(job, [planned.jobs[n] for n in todo], workers, stage="building",
                                                 forked=forked), strict=True):
            if result.summary is not None:
                result.summaries = summaries
            results[number] = result
    except ContentProblem as problem:
        raise BuildRefused(merged(findings + [f for r in results if r for f in r.findings], problem.findings)) from None
    for (unit, _), result in zip(planned.jobs, results, strict=True):
        if result is not None and result.summary is not None:  # held to the end of the build
            result.summary = sharing(result.summary, unit)
    return [result for result in results if result is not None]


def _from_parts(sources: list[parts.Part], job: tuple[Unit, Path], key: str, staging: Path,
                index: IndexFolders | None) -> Rendered | None:
    """The report linked from the first part that has it under ``key``, or None."""
    unit, year_dir = job
    folder, prefix = contentfs.display_path(year_dir), parts.report_folder(unit, year_dir)
    for part in sources:
        entry = part.report(folder, key, prefix)
        if entry is not None and part.link_report(entry, staging, index.cells if index else None):
            return Rendered(entry.summary, entry.findings, compact(entry.files), compact(entry.index),
                            part.store, entry.summary_file, reused=True, store=part.store)
    return None


def _keep_index_copies(cache: build_cache.BuildCache, parts: Path, rendered: list[Rendered]) -> None:
    """Copy what this build rendered or took from parts into the cache's content-addressed store:
    the pages' index copies and the summaries' files (they are gone once the build is done)."""
    for report in rendered:
        if report.store is not None:
            for digest in [*report.index.values(), report.summary_digest]:
                cache.keep_index_copy(report.store / digest, digest)
        elif not report.reused:
            for path, digest in report.index.items():
                cache.keep_index_copy(parts / path, digest)
            if report.summary_file is not None:
                cache.keep_index_copy(report.summary_file, report.summary_digest)


def _keep_page_index_copies(cache: build_cache.BuildCache, parts: Path, pages: SitePages) -> None:
    """Copy the index copies of the unit pages rendered now into the cache's store (as reports')."""
    for job, reused in zip(pages.jobs, pages.reused, strict=True):
        if not reused:
            for path, digest in job.index.items():
                cache.keep_index_copy(parts / path, digest)


def _restorer(cache: build_cache.BuildCache | None, digests: Mapping[str, str],
              stores: list[Path]) -> Callable[[str, Path], bool]:
    """Put a page's search copy at ``target`` from the build cache or a part's store."""
    def restore(path: str, target: Path) -> bool:
        if path not in digests:
            return False
        if cache is not None and cache.restore_index_copy(digests[path], target):
            return True
        found = parts.stored_copy(stores, digests[path])
        if found is not None:
            shutil.copyfile(found, target)
        return found is not None

    return restore


def _publish_in_place(cache: build_cache.BuildCache, staging: Path, out: Path, digests: MutableMapping[str, str],
                      hashed: Mapping[str, str]) -> tuple[SiteStamps, list[str]]:
    """Publish what changed into the live output (publish.py): a staged file with the same bytes
    as the untouched live one is carried too, so unchanged files keep their time (and a web
    server's caches hold). Returns every file of the new site with its ``full_stamp``, and the
    paths publication wrote or deleted. The new marker is the previous one with the lines of the
    files written or gone changed (``_marker_lines``): the digests of the carried files are not
    looked up one by one. ``hashed``: digests of staged files read once they were final (the shards indexed now)."""
    live, carried, previous = cache.live, cache.carried, cache.previous_site
    assert live is not None and carried is not None

    def untouched(path: str) -> bool:
        if live is previous:  # the output as the previous build left it (``publish_in_place``)
            return live.get(path) is not None
        return live.get(path) is not None and live.get(path) == previous.get(path)

    staged = publish_module.staged_files(staging)
    carried.difference_update(staged)  # written now (a stage that first took the live file wrote it after all)
    for path in staged:
        if path not in digests:
            digests[path] = hashed.get(path) or hashlib.sha256((staging / path).read_bytes()).hexdigest()
    staged_set = set(staged)
    sorted_marker = _marker_as_left(out, live, previous, untouched)
    try:
        before = _listed_digests(sorted_marker, staged) if sorted_marker is not None else None
        copying = before is not None
        old, complete = None, False
        if before is None:
            old, before, listed = _previous_marker(out, untouched, staged_set, carried)
            complete = listed == len(carried)  # every carried file has its line (the staged ones carried below have theirs)
        for path in staged:
            if untouched(path) and before.get(path) == digests[path]:
                (staging / path).unlink()
                carried.add(path)
        written = [path for path in staged if path not in carried]
        gone = sorted(path for path in carried.others() if path not in staged_set and path != MARKER)
        if copying and sorted_marker is not None \
                and not _copied_marker(sorted_marker, staging, {p: digests[p] for p in written}, gone):
            old, _, listed = _previous_marker(out, untouched, staged_set, carried)  # read line by line after all
            copying, complete = False, listed == len(carried)
        if not copying:
            _write_new_marker(staging, out, old, complete, written, carried, digests, untouched)
    finally:
        if sorted_marker is not None:
            sorted_marker.close()
    written.append(MARKER)
    publish(staging, out, gone)
    # carried files keep their status: every live file is carried, written again or gone
    record = live.updated(gone, {path: build_cache.full_stamp(out / path) for path in written})
    return record, written + gone


def _marker_as_left(out: Path, live: SiteStamps, previous: SiteStamps,
                    untouched: Callable[[str], bool]) -> SortedMarker | None:
    """The previous build's marker, to be copied with a few lines changed, when the output is as
    that build left it (so every file but the marker is one it lists, with the digest it lists)
    and the marker lists as many files: else None (its lines are then read one by one)."""
    if live is not previous or not untouched(MARKER):
        return None
    try:
        marker = SortedMarker(out)
    except (OSError, ValueError):
        return None
    try:
        if marker.count() == len(live) - 1:
            return marker
    except (OSError, ValueError):
        pass
    marker.close()
    return None


def _listed_digests(marker: SortedMarker, staged: list[str]) -> dict[str, str] | None:
    """The digests ``marker`` lists for the staged paths; None if it is not a marker after all (a
    line of another shape: it is then read line by line, as an old marker is)."""
    try:
        return {path: digest for path in staged if (digest := marker.digest(path)) is not None}
    except ValueError:
        return None


def _copied_marker(marker: SortedMarker, staging: Path, lines: dict[str, str], gone: list[str]) -> bool:
    """The new marker as ``SortedMarker.write_changed`` copies it; False if the old one turns out
    not to be a marker (the new one is then written from the lines)."""
    try:
        marker.write_changed(staging, lines, gone)
    except ValueError:
        return False
    return True


def _previous_marker(out: Path, untouched: Callable[[str], bool], staged: set[str],
                     carried: Collection[str]) -> tuple[MarkerReader | None, dict[str, str], int]:
    """The previous build's marker, if it is untouched and one of ours; the digests it lists for
    the ``staged`` paths; and how many of the ``carried`` paths it lists (all of them, but after a
    damaged output or cache)."""
    if not untouched(MARKER):
        return None, {}, 0
    old = MarkerReader(out)
    before: dict[str, str] = {}
    listed = 0
    try:
        for line, path in old.lines():
            if path in staged:
                before[path] = line[:64]
            elif path in carried:
                listed += 1
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None, {}, 0
    return old, before, listed


def _write_new_marker(staging: Path, out: Path, old: MarkerReader | None, complete: bool, written: list[str],
                      carried: Collection[str], digests: Mapping[str, str], untouched: Callable[[str], bool]) -> None:
    """The marker of the new site (the ``carried`` files and those ``written``) into ``staging``:
    the previous marker ``old`` (when it lists every carried path: ``complete``) with the lines of
    the files written now or gone changed."""
    def digest(path: str) -> str:
        return digests.get(path) or digest_of(out / path)

    unlisted: Iterable[str] = carried if old is None else () if complete \
        else set(carried).difference(path for _, path in old.lines(checked=False))
    lines = {path: digests[path] for path in written}
    lines.update((path, digest(path)) for path in unlisted)
    write_marker_lines(staging, _marker_lines(old, lines, carried, untouched, digest))


def _marker_lines(old: MarkerReader | None, lines: dict[str, str], carried: Collection[str],
                  untouched: Callable[[str], bool], digest: Callable[[str], str]) -> Iterator[str]:
    """The new marker's lines in path order: the previous marker's line of each carried file that
    is untouched, as it was; ``lines`` (path -> digest: the files written now and the carried ones
    the previous marker does not list) merged in; the lines of files gone left out."""
    pending = sorted(lines)
    position = 0
    for line, path in old.lines(checked=False) if old is not None else ():
        while position < len(pending) and pending[position] < path:
            yield f"{lines[pending[position]]}  {pending[position]}\n"
            position += 1
        if path in lines:
            continue  # written now: its line comes from ``lines``
        if path in carried:
            yield line if untouched(path) else f"{digest(path)}  {path}\n"
    for path in pending[position:]:
        yield f"{lines[path]}  {path}\n"


def _save_reports(cache: build_cache.BuildCache, planned: loader.Plan, rendered: list[Rendered], keys: list[str],
                  site: Path, cells: Path | None = None) -> None:
    """Remember each report rendered now (or taken from a part), its files as ``site`` holds them
    (its cells files in ``cells``, by default ``site``'s ``pagefind/cells/``)."""
    for (_, year_dir), key, report in zip(planned.jobs, keys, rendered, strict=True):
        if not report.reused or report.store is not None:
            cache.save_report(year_dir, key, report, site, cells)


def _save_reports_early(cache: build_cache.BuildCache | None, planned: loader.Plan, rendered: list[Rendered],
                        keys: list[str], staging: Path, cells: Path) -> bool | None:
    """``_save_reports`` from the staging folder while Pagefind indexes its last shards (the main
    process would wait for them idle; after them, this ran on one core while the other was idle).
    Whether the reports were remembered; None without a cache."""
    if cache is None:
        return None
    try:
        _save_reports(cache, planned, rendered, keys, staging, cells)
    except OSError:
        return False
    return True


def _remember(cache: build_cache.BuildCache, planned: loader.Plan, rendered: list[Rendered], keys: list[str],
              inputs: dict[str, str], out: Path, site_key: str, site_pages: SitePages,
              bulk_output: bulk.BulkOutput, record: SiteStamps | None = None,
              with_reports: bool = True) -> bool:
    """After the swap: remember the reports rendered now (unless ``with_reports`` is false: saved
    while Pagefind ended, ``_save_reports_early``), the unit and comparison pages, the shards
    and the bulk files, forget what is gone. A cache that cannot be written only costs time next
    build (False)."""
    try:
        if with_reports:
            _save_reports(cache, planned, rendered, keys, out)
        cache.forget_others([year_dir for _, year_dir in planned.jobs])
        page_jobs = site_pages.jobs
        cache.save_pages(page_jobs, out, record, site_pages.reused)
        cache.forget_index_copies({digest for report in rendered for digest in [*report.index.values(), report.summary_digest]}
                                  | {digest for job in page_jobs for digest in job.index.values()})
        cache.save_shards(inputs, out, record)
        cache.save_bulk({y.year: build_cache.BulkYearRecord(y.inputs, y.digests, y.tables) for y in bulk_output.years},
                        {u.path: (u.inputs, u.digest) for u in bulk_output.units}, out,
                        {name for y in bulk_output.years for name in bulk.part_names(y.year, y.reports)})
        cache.save_site(site_key, out, record)
        cache.save_folders()
        build_cache.prune(cache.folder.parent)
    except OSError:
        return False
    return True


def _previous_directory(cache: build_cache.BuildCache | None, out: Path,
                        to_index: list[str]) -> search_directory.Previous | None:
    """The previous output's search directory, to update for the shards indexed again
    (``search_directory.update_directory``); its files are checked against the build cache's
    record of that output."""
    if cache is None:
        return None
    recorded, live, carried = cache.previous_site, cache.live, cache.carried
    folder = f"pagefind/{search_directory.DIRECTORY}/"
    buckets = frozenset(path.removeprefix(folder) for path, _ in recorded.items_below(folder))

    def trusted(path: str) -> bool:
        status = live.get(f"pagefind/{path}") if live is not None else build_cache.full_stamp(out / "pagefind" / path)
        return status is not None and status == recorded.get(f"pagefind/{path}")

    def carry(paths: list[str]) -> None:  # published in place: unchanged buckets stay where they are
        assert carried is not None
        carried.update(f"pagefind/{path}" for path in paths)

    return search_directory.Previous(out / "pagefind", to_index, trusted, buckets, carry if carried is not None else None)


@dataclass
class _Shards:
    """Search shards with their inputs (``build_cache.shard_inputs``): those reused from the
    previous build, those imported from a part, and the rest, to index."""

    inputs: dict[str, str]
    reused: set[str]
    imported: set[str]
    to_index: list[str]

    def joined(self, other: _Shards) -> _Shards:
        return _Shards(self.inputs | other.inputs, self.reused | other.reused, self.imported | other.imported,
                       sorted({*self.to_index, *other.to_index}))


def _settle_shards(indexed: list[str], shard_of: dict[str, str], index_digests: Mapping[str, str],
                   cache: build_cache.BuildCache | None, out: Path, staging: Path, sources: list[parts.Part],
                   parts_folder: Path, pages: Path) -> _Shards:
    """The shards of these pages (every page of each): reused where the cache or a part has the
    same inputs; the pages of the others put in their shard's folder for Pagefind."""
    inputs = build_cache.shard_inputs(indexed, shard_of, index_digests)
    reused = {s for s in inputs if cache is not None and cache.reuse_shard(s, inputs[s], out, staging / "pagefind")}
    imported = {s for s in sorted(set(inputs) - reused)
                if any(part.link_shard(s, inputs[s], staging / "pagefind") for part in sources)}
    gather_in_order(parts_folder, pages, indexed, shard_of, reused | imported,
                    _restorer(cache, index_digests, [part.store for part in sources]))
    return _Shards(inputs, reused, imported, sorted(set(inputs) - reused - imported))


def _shards_of_reports(html: list[str], index_digests: Mapping[str, str], cache: build_cache.BuildCache | None,
                       out: Path, staging: Path, sources: list[parts.Part], parts_folder: Path,
                       pages: Path) -> tuple[_Shards, dict[str, str]] | None:
    """The report shards, settled before the site-wide pages exist (a report's shard depends only
    on the reports: ``shards.assign``), so Pagefind indexes them meanwhile; None when the portal
    keeps one index of every page."""
    shard_of = shards.assign(html, shards.shard_reports(), shards.single_index_reports())
    if shards.ALL in shard_of.values():
        return None
    return _settle_shards(html, shard_of, index_digests, cache, out, staging, sources, parts_folder, pages), shard_of


def _same_report_shards(root: Path, early: dict[str, str], shard_of: dict[str, str], html: list[str]) -> None:
    """The report pages' shards, assigned again with every page, are those Pagefind was given."""
    moved = next((path for path in html if shard_of[path] != early[path]), None)
    if moved is not None:
        raise InternalError("building", _shown(root), f"{moved} changed search shard once the site-wide pages were made")


class _ReportShardsFirst:
    """Pagefind on the report shards (``shards``, or none) from ``start`` on: called once the
    site-page workers are forked, as threads wait for Pagefind (``map_in_workers``)."""

    def __init__(self, root: Path, pages: Path | None, staging: Path, shards: _Shards | None,
                 running: contextlib.ExitStack) -> None:
        self.root, self.pages, self.staging, self.shards, self.running = root, pages, staging, shards, running
        self.indexer: search_index.ShardedIndex | None = None

    def start(self) -> None:
        if self.shards is not None and self.pages is not None and self.indexer is None:
            self.indexer = self.running.enter_context(_start_index(self.root, self.pages, self.staging,
                                                                   self.shards.to_index, [], None))


def _start_index(root: Path, pages: Path, staging: Path, to_index: list[str], every_shard: list[str],
                 previous: search_directory.Previous | None = None) -> search_index.ShardedIndex:
    """One Pagefind per shard to index, as many at a time as there are cores: Pagefind uses about one
    and a half, the bulk stage in this process one, and at most ``shard_reports()`` reports' pages each."""
    try:
        return search_index.ShardedIndex(pages, staging / "pagefind", to_index, os.cpu_count() or 1, every_shard,
                                         previous)
    except OSError as error:
        raise InternalError("building", _shown(root), describe(error)) from None


def _finish_index(root: Path, indexer: search_index.ShardedIndex, cells: Path | None,
                  manifest: bool = True) -> dict[str, int]:
    try:
        return indexer.finish(cells, manifest)
    except (search_index.IndexFailed, OSError) as error:
        raise InternalError("building", _shown(root), describe(error)) from None


def _site_written(root: Path, site_pages: SitePages, main: Written) -> Written:
    """What the site-page workers wrote and what the main process wrote (``main``), refused if
    two of them wrote one path."""
    try:
        return site_pages.written(main)
    except TwiceWritten as twice:
        raise InternalError("building", _shown(root), f"two stages wrote {twice.path}") from None


def _add_written(root: Path, digests: SiteDigests, written: Mapping[str, str]) -> None:
    """Two stages writing one path means one silently replaced the other: an internal error."""
    try:
        digests.add(written)
    except TwiceWritten as twice:
        raise InternalError("building", _shown(root), f"two stages wrote {twice.path}") from None


def merged(findings: list[Finding], more: list[Finding]) -> list[Finding]:
    """``findings`` and those of ``more`` not already among them (the loader also reports a
    link in ``_theme/`` that rendering then meets)."""
    seen = {f.line() for f in findings}
    return findings + [f for f in more if f.line() not in seen]


def _bulk_files(site: Site, root: Path, staging: Path, report_folders: list[str], digests: dict[str, str],
                reuse: bulk.Reuse | None, view: SiteView | None = None) -> bulk.BulkOutput:
    try:
        return bulk.write_bulk(Renderer(site, root), staging, report_folders, digests, reuse, view)
    except ContentProblem as problem:  # the site's own data.html template
        raise BuildRefused(problem.findings) from None
    except Exception as error:
        raise InternalError("building", _shown(root), describe(error)) from None


#: What the site-page workers need, set before they are forked (so never pickled).
_SITE_PAGES: _SitePagesState | None = None


@dataclass
class _SitePagesState:
    renderer: Renderer
    summaries: list[ReportSummary]  # without their table rows, as ``groups`` number them
    by_unit: dict[str, list[ReportSummary]]
    summary_files: dict[str, Path]  # report rel -> the file of its whole summary
    groups: list[GroupPlan]
    crumbs: dict[str, list[tuple[str, str]]]  # unit slug -> the browsing pages above its page
    staging: Path
    index: IndexFolders | None
    listings: list[browse.Listing]  # the browsing pages (home first)
    latest: list[ReportSummary]  # the reports the home page lists as the latest


def site_page_job(job: tuple[str, int]) -> Written:
    """Render and write one unit's page or one comparison group's views (runs in a worker
    process); the SHA-256 of the files written."""
    state = _SITE_PAGES
    assert state is not None
    kind, number = job
    if kind == "unit":
        unit = state.renderer.site.units[number]
        reports = [summary_from_bytes(state.summary_files[s.rel].read_bytes()) for s in state.by_unit.get(unit.slug, [])]
        output = state.renderer.render_units([unit], {unit.slug: reports}, state.crumbs)
    elif kind == "compare":
        output = state.renderer.render_comparison_group(
            compare.make_group(state.groups[number], state.summaries, headline_data()), headline_data())
    else:
        listing = state.listings[number]
        output = Output()
        output.add(listing.path, state.renderer.browse_page(listing, state.latest, state.by_unit))
    return write_tree(output, state.staging, state.index)


def _site_page_name(job: tuple[str, int]) -> str:
    state = _SITE_PAGES
    kind, number = job
    if state is None:
        return f"{kind} page {number}"
    if kind == "unit":
        return f"the page of unit {state.renderer.site.units[number].slug}"
    if kind == "compare":
        return f"the comparison pages {state.groups[number].path}"
    return f"the browsing page {state.listings[number].path}"


@dataclass
class SitePages:
    """The unit pages, then the comparison groups, then the browsing pages of this build: what
    each wrote, and whether it was reused from the previous build."""

    jobs: list[build_cache.PageJob]
    reused: list[bool]
    units: int  # the first ``units`` jobs are unit pages
    groups: list[GroupPlan]  # the comparison groups (``compare.group_plans``), in job order
    group_count: int = 0

    def __post_init__(self) -> None:
        self.group_count = len(self.groups)

    def take_groups(self) -> list[GroupPlan]:
        """The comparison groups, for the site-wide pages; not kept after."""
        groups, self.groups = self.groups, []
        return groups

    def written(self, main: Written) -> Written:
        """What every job wrote, and what the main process wrote (``main``); ``TwiceWritten`` if
        two of them wrote one path."""
        files, index = SiteDigests(), {}
        for job in self.jobs:
            files.add(job.written)
            index.update(job.index)
        files.add(main.files)
        index.update(main.index)
        return Written(files, index)

    def reused_counts(self) -> tuple[int, int]:
        """Unit pages and comparison groups reused."""
        return sum(self.reused[:self.units]), sum(self.reused[self.units:self.units + self.group_count])

    @property
    def reused_browse_pages(self) -> int:
        return sum(self.reused[self.units + self.group_count:])


@dataclass
class _PageReuse:
    """What reusing unit and comparison pages needs: the cache, the keys, each report's summary digest."""

    cache: build_cache.BuildCache
    keys: build_cache.PageKeys
    summary_digests: dict[str, str]  # report rel -> sha256 of its whole summary (what its unit page reads)
    out: Path
    staging: Path
    cells: Path | None

    def job_keys(self, units: list[Unit], by_unit: dict[str, list[ReportSummary]], groups: Iterable[CompareGroup],
                 crumbs: dict[str, list[tuple[str, str]]], listings: list[browse.Listing],
                 latest: list[ReportSummary]) -> list[str]:
        def digests(unit: Unit) -> list[str]:
            return [self.summary_digests[s.rel] for s in by_unit.get(unit.slug, [])]

        home = [self.summary_digests[s.rel] for s in latest]
        return ([self.keys.unit(unit, digests(unit), crumbs.get(unit.slug, [])) for unit in units]
                + [self.keys.group(group) for group in groups]
                + [self.keys.browse(listing, home if listing.path == browse.HOME else [],
                                    [digest for unit in listed_units(listing) for digest in digests(unit)])
                   for listing in listings])

    def linked(self, key: str, folder: str) -> Written | None:
        """The job's files linked from the previous output, if the cache has them under ``key``."""
        entry = self.cache.page_entry(key, folder)
        if entry is None or not self.cache.reuse_page(entry, self.out, self.staging, self.cells):
            return None
        return Written({path: record[0] for path, record in entry.files.items()}, dict(entry.index))


def _page_reuse(cache: build_cache.BuildCache, site: Site, rendered: list[Rendered], out: Path, staging: Path,
                index: IndexFolders | None) -> _PageReuse:
    return _PageReuse(cache, build_cache.PageKeys(cache, site, quick.index_settings()),
                      {r.summary.rel: r.summary_digest for r in rendered if r.summary is not None}, out, staging,
                      index.cells if index else None)


def _summary_files(rendered: list[Rendered]) -> dict[str, Path]:
    """The file of each report's whole summary, by its ``rel`` (for the unit pages only: not kept)."""
    return {r.summary.rel: r.summaries / r.summary_digest for r in rendered if r.summary is not None and r.summaries}


def _worker_site_pages(site: Site, root: Path, summaries: list[ReportSummary], summary_files: dict[str, Path],
                       staging: Path, index: IndexFolders | None, workers: int | None, findings: list[Finding],
                       reuse: _PageReuse | None, forked: Callable[[], None] | None = None) -> SitePages:
    """The unit and comparison pages (most of the site pages' time at 1,000 reports): reused where
    ``reuse`` allows, else rendered in worker processes; ``forked`` as ``map_in_workers`` says."""
    global _SITE_PAGES
    try:
        groups = compare.group_plans(summaries)  # each group's rows made where it is keyed or rendered
        by_unit = summaries_by_unit(summaries)
        listings = browse.listings(site.units, browse.PAGE_UNITS)
        crumbs, latest = browse.unit_crumbs(listings), latest_reports(summaries)
        jobs = ([("unit", i) for i in range(len(site.units))] + [("compare", i) for i in range(len(groups))]
                + [("browse", i) for i in range(len(listings))])
        folders = ([unit_path(unit.slug) for unit in site.units] + [group.path for group in groups]
                   + [listing.path.removesuffix(browse.HOME) for listing in listings])
        made = (compare.make_group(plan, summaries, headline_data()) for plan in groups)
        keys = reuse.job_keys(site.units, by_unit, made, crumbs, listings, latest) if reuse is not None \
            else [""] * len(jobs)
        done = [reuse.linked(key, folder) if reuse is not None else None for key, folder in zip(keys, folders, strict=True)]
        reused = [written is not None for written in done]
        _SITE_PAGES = _SitePagesState(Renderer(site, root), summaries, by_unit, summary_files, groups, crumbs, staging, index,
                                      listings, latest)
        todo = [number for number, written in enumerate(done) if written is None]
        if reuse is not None:  # the whole summaries the unit pages rendered now read, from the cache's store
            reuse.cache.verify_copies([summary_files[s.rel] for kind, number in (jobs[n] for n in todo) if kind == "unit"
                                       for s in by_unit.get(site.units[number].slug, [])])
        for number, written in zip(todo, map_in_workers(site_page_job, [jobs[n] for n in todo], _site_page_name, workers,
                                                        stage="building", forked=forked), strict=True):
            done[number] = written
        finished = [written for written in done if written is not None]
        assert len(finished) == len(jobs)
        page_jobs = [build_cache.PageJob(key, folder, compact(written.files), written.index)
                     for key, folder, written in zip(keys, folders, finished, strict=True)]
        return SitePages(page_jobs, reused, len(site.units), groups)
    except ContentProblem as problem:
        raise BuildRefused(merged(findings, problem.findings)) from None
    finally:
        _SITE_PAGES = None


def _site_pages(site: Site, summaries: list[ReportSummary], root: Path, findings: list[Finding],
                groups: list[GroupPlan]) -> Output:
    try:
        output = Renderer(site, root).render_site(summaries, with_units=False, compare_groups=groups)
    except ContentProblem as problem:
        raise BuildRefused(merged(findings, problem.findings)) from None
    except Exception as error:
        raise InternalError("building", _shown(root), describe(error)) from None
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        output.add(f"schemas/{schema.name}", schema.read_bytes())
    return output
