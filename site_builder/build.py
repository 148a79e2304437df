"""The build: check → render → index.

Each report is loaded, checked and rendered on its own (in worker processes when there are many)
into a staging folder beside the output folder; the site-wide pages follow, then the Pagefind
index, and only then is the staging folder swapped in. A refused, failed or interrupted build
leaves the previous output exactly as it was.

Output safety (docs/security.md, "Build and output"):

- ``--out`` must not be or contain the content folder or the current folder, lie inside the
  content folder, be a file, or be a non-empty folder that is not a previous build (marked by the
  file ``.site-builder-build`` at its root, which lists every file with its SHA-256).
- Builds into one output take a lock (``.NAME.lock`` beside it); a second one is refused.
- The swap exchanges the staging folder and the output in one atomic ``renameat2(RENAME_EXCHANGE)``
  where the system has it, so there is no instant without a complete site. Elsewhere it falls
  back to two renames through ``.NAME.old-PID``; the folder names are the journal: a build that
  finds no output but a complete ``.old-*`` puts it back first.
- Leftovers of killed builds are deleted only after a successful swap, when the output is a
  complete site; a refused build deletes nothing but its own staging folders.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: builds are not serialized there (documented)
    fcntl = None  # type: ignore[assignment]

from site_builder import build_cache, bulk, contentfs, loader, search_index, shards, snapshot
from site_builder.build_cache import Rendered
from site_builder.check import (
    PARENT_ONLY_FDS,
    ContentProblem,
    InternalError,
    describe,
    load_and_check,
    map_in_workers,
    run_jobs,
)
from site_builder.findings import Finding
from site_builder.model import Site, Unit
from site_builder.render import compare
from site_builder.render.compare import CompareGroup
from site_builder.render.pages import Output, Renderer, summaries_by_unit
from site_builder.schemagen import SCHEMA_DIR
from site_builder.summaries import (
    ReportSummary,
    headline_data,
    summarize,
    summary_bytes,
    summary_from_bytes,
    without_tables,
)

MARKER = ".site-builder-build"
SUMMARIES = ".summaries"  # in the staging folder: each report's whole summary, for its unit page
MARKER_HEADER = "site-builder build: every file of this site with its SHA-256\n"


class BuildRefused(Exception):
    """Content has errors; the output folder was not touched."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{sum(f.is_error for f in findings)} content errors")
        self.findings = findings
        self.errors = [f for f in findings if f.is_error]


class OutputRefused(Exception):
    """The output folder cannot be used (a usage problem, exit 2); nothing was touched."""


@dataclass
class BuildResult:
    findings: list[Finding]
    pages: int
    reports: int
    files: int
    timings: dict[str, float]
    index_memory: dict[str, int] = field(default_factory=dict)  # Pagefind's peak memory (bytes) by shard
    reused_reports: int = 0  # reports taken from the previous build (incremental build)
    reused_shards: int = 0


# -- the output folder --------------------------------------------------------------------------


def _shown(path: Path) -> str:
    return contentfs.display_path(path)


def check_output(root: Path, out: Path) -> Path:
    """The resolved output folder, or ``OutputRefused`` if building there could destroy anything."""
    target, content, here = out.resolve(), root.resolve(), Path.cwd().resolve()
    if target == content or target in content.parents:
        raise OutputRefused(f"--out {_shown(out)} is or contains the content folder {_shown(root)}; choose another output folder")
    if content in target.parents:
        raise OutputRefused(f"--out {_shown(out)} is inside the content folder {_shown(root)}; choose a folder outside it")
    if target == here or target in here.parents:
        raise OutputRefused(f"--out {_shown(out)} is or contains the current folder; choose a new or previous output folder")
    if os.path.lexists(target) and not target.is_dir():
        raise OutputRefused(f"--out {_shown(out)} is a file, not a folder")
    if target.is_dir() and not is_build(target) and any(target.iterdir()):
        raise OutputRefused(f"--out {_shown(out)} is a non-empty folder that is not a previous build of site-builder "
                            f"(it has no {MARKER} file); choose an empty or new folder")
    return target


def is_build(folder: Path) -> bool:
    """A previous (complete) build: the marker is written last, after every other file."""
    return os.path.isfile(folder / MARKER) and not os.path.islink(folder / MARKER)


def write_marker(folder: Path, known: dict[str, str]) -> None:
    """List every file of the finished site with its SHA-256 (deterministic: sorted paths).

    ``known`` holds the digests taken as the files were written (stages never write one path
    twice: ``_refuse_twice_written``); the rest (bulk files, the search bundle) are read here."""
    lines = [MARKER_HEADER]
    for path in sorted(_files_below(folder)):
        digest = known.get(path) or hashlib.sha256((folder / path).read_bytes()).hexdigest()
        lines.append(f"{digest}  {path}\n")
    (folder / MARKER).write_text("".join(lines), encoding="utf-8")


def _files_below(folder: Path) -> Iterator[str]:
    for parent, _, names in os.walk(folder):
        base = Path(parent).relative_to(folder)
        for name in names:
            yield (base / name).as_posix()


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``.NAME.lock`` beside the output; refuse if another build has it.

    The lock file stays (deleting it would let a third build lock a different file)."""
    if fcntl is None:
        yield
        return
    fd = os.open(out.with_name(f".{out.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputRefused(f"another build into {_shown(out)} is running; try again when it has finished") from None
        PARENT_ONLY_FDS.add(fd)
        yield
    finally:
        PARENT_ONLY_FDS.discard(fd)
        os.close(fd)


# -- the swap -----------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc ≥ 2.28
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two folders; False if the system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(first), None, str(second))


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete ``staging`` tree at ``out``; the previous tree is removed afterwards."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    if exchange(staging, out):
        shutil.rmtree(staging)  # now the previous site
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old)


def recover(out: Path) -> Path | None:
    """After a build killed between the two renames of the fallback swap: put the previous site
    back. Only renames, never deletes; returns the folder restored, if any."""
    if os.path.lexists(out):
        return None
    previous = [p for p in out.parent.glob(f".{out.name}.old-*") if p.is_dir() and not p.is_symlink() and is_build(p)]
    if not previous:
        return None
    latest = max(previous, key=lambda p: (p / MARKER).stat().st_mtime_ns)
    os.rename(latest, out)
    return latest


def scratch_folder(out: Path) -> Path:
    """Where the pages Pagefind reads are written: memory (/dev/shm) when there is some, as they
    are thrown away after indexing, else beside the output folder."""
    name = f".{out.name}.indexing-{os.getpid()}"
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / f"site-builder{name}"
    return out.with_name(name)


def remove_leftovers(out: Path) -> None:
    """Remove what builds into ``out`` killed before cleaning up left beside it — only when ``out``
    is a complete site, so the only complete copy is never deleted (called under the lock)."""
    if not is_build(out):
        return
    for pattern in (f".{out.name}.building-*", f".{out.name}.indexing-*", f".{out.name}.old-*"):
        for folder in out.parent.glob(pattern):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
    scratch = scratch_folder(out)
    for folder in scratch.parent.glob(f"site-builder.{out.name}.indexing-*"):
        if not _pid_alive(folder.name.rsplit("-", 1)[-1]):
            shutil.rmtree(folder, ignore_errors=True)


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


# -- rendering ----------------------------------------------------------------------------------


NOT_INDEXED = ("compare/",)  # comparison views repeat figures of the report pages: not searched


@dataclass(frozen=True)
class IndexFolders:
    """Where the copies of the pages Pagefind reads go, and the cells files of their tables."""

    pages: Path
    cells: Path


@dataclass
class Written:
    """The SHA-256 of the files a stage wrote, by site path, and of the index copies of its pages."""

    files: dict[str, str] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)

    def update(self, other: Written) -> None:
        self.files.update(other.files)
        self.index.update(other.index)


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
            written.index[path] = _write_file(index.pages / path, copy, made)
            search_index.write_page_cells(cells, index.cells / Path(path).parent)
    return written


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
        return Rendered(None, findings, {})
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
    return Rendered(without_tables(summary), findings, written.files, written.index, summary_file, digest)


def build(root: Path, out: Path, index: bool = True, workers: int | None = None, cache: Path | None = None) -> BuildResult:
    """Build ``root`` into ``out``. With ``cache`` (a folder; only with the search index), reports
    and search shards whose inputs did not change since the last build into ``out`` are reused
    (``build_cache``), and the site is the same as a fresh build's."""
    out = check_output(root, out)
    try:
        shards.shard_reports()  # a bad setting is refused before anything is done
    except ValueError as error:
        raise OutputRefused(str(error)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        check_output(root, out)  # again: another build may have finished in between
        recover(out)
        clock = time.perf_counter()
        cache = cache if index else None
        content = None
        if cache is not None:
            quick, content = _quick_check(cache, root, out)
            if quick is not None:
                remove_leftovers(out)  # what killed builds left beside it still goes
                quick.timings["unchanged: nothing built"] = time.perf_counter() - clock
                return quick
        return _build_locked(root, out, loader.plan(root), index, workers, cache, content, clock)


def _build_locked(root: Path, out: Path, planned: loader.Plan, index: bool, workers: int | None,
                  cache_folder: Path | None, content: str | None, clock: float) -> BuildResult:
    cache = _open_cache(cache_folder, root, out, planned.site)
    keys = [cache.key(year_dir) for _, year_dir in planned.jobs] if cache is not None else []
    site_key = build_cache.site_key(cache, planned.site, keys, _index_settings()) if cache is not None else ""
    if cache is not None:
        unchanged = _unchanged_site(cache, planned, keys, site_key, out)
        if unchanged is not None:
            remove_leftovers(out)  # what killed builds left beside it still goes
            unchanged.timings["unchanged: nothing built"] = time.perf_counter() - clock
            _remember_quick(cache, content, out, unchanged, unchanged.reused_shards)
            return unchanged
    staging = out.with_name(f".{out.name}.building-{os.getpid()}-{secrets.token_hex(4)}")
    staging.mkdir()
    scratch = scratch_folder(out) if index else None
    if scratch is not None and scratch.exists():  # left by a dead process that had our process id
        shutil.rmtree(scratch)
    parts, pages = (scratch / "parts", scratch / "pages") if scratch else (None, None)
    cells = staging / ".cells" if scratch else None  # moved into pagefind/ once Pagefind is done
    timings: dict[str, float] = {}
    index_memory: dict[str, int] = {}
    try:
        findings = list(planned.findings)
        digests: dict[str, str] = {}
        files: list[str] = []
        html: list[str] = []
        summaries: list[ReportSummary] = []
        report_folders: list[str] = []  # site paths of the reports rendered, in report order (bulk stage)
        index = IndexFolders(parts, cells) if parts and cells else None
        rendered = _render_reports(planned, root, out, staging, index, workers, cache, keys, findings)
        index_digests: dict[str, str] = {}
        for report in rendered:
            findings.extend(report.findings)
            digests.update(report.written)
            files.extend(report.written)
            html.extend(p for p in report.written if p.endswith(".html"))
            index_digests.update(report.index)
            report_folders.extend(p.removesuffix("report.json") for p in report.written if p.endswith("/report.json"))
            if report.summary is not None:
                summaries.append(report.summary)
        if any(f.is_error for f in findings):
            raise BuildRefused(findings)
        timings["check and render reports"] = time.perf_counter() - clock
        if cache is not None and parts is not None:
            _keep_index_copies(cache, parts, rendered)
        summary_files = {r.summary.rel: r.summary_file for r in rendered if r.summary is not None and r.summary_file}
        site_written = _worker_site_pages(planned.site, root, summaries, summary_files, staging, index, workers, findings)
        site_written.update(write_tree(_site_pages(planned.site, summaries, root, findings), staging, index))
        index_digests.update(site_written.index)
        to_index: list[str] = []
        inputs: dict[str, str] = {}
        if parts is not None and pages is not None:  # report pages in report order, then the others sorted
            indexed = html + sorted(p for p in site_written.files if p.endswith(".html") and not p.startswith(NOT_INDEXED))
            shard_of = shards.assign(indexed, shards.shard_reports(), shards.single_index_reports())
            inputs = build_cache.shard_inputs(indexed, shard_of, index_digests)
            reused = {s for s in inputs if cache is not None and cache.reuse_shard(s, inputs[s], out, staging / "pagefind")}
            to_index = sorted(set(inputs) - reused)
            gather_in_order(parts, pages, indexed, shard_of, reused, _restorer(cache, index_digests))
        digests.update(site_written.files)
        files.extend(site_written.files)
        timings["site pages"] = time.perf_counter() - clock - sum(timings.values())
        with contextlib.ExitStack() as running:
            indexer = (running.enter_context(_start_index(root, pages, staging, to_index, sorted(inputs)))
                       if pages is not None else None)
            started = time.perf_counter()
            # -- bulk downloads (site_builder/bulk.py), while Pagefind runs: streamed from the files
            # the workers wrote; its page (data/index.html) is not searched (no data-pagefind-body)
            bulk_output = _bulk_files(planned.site, root, staging, report_folders)
            digests.update(write_tree(bulk_output.pages, staging).files)
            files.extend([*bulk_output.files, *bulk_output.pages.files])
            timings["bulk downloads"] = time.perf_counter() - started
            # -- end of bulk downloads --
            _refuse_twice_written(root, files)
            if indexer is not None:
                index_memory = _finish_index(root, indexer, cells)
                timings["search index"] = time.perf_counter() - started
        shutil.rmtree(staging / SUMMARIES, ignore_errors=True)
        write_marker(staging, digests)
        swap_in(staging, out)
        remove_leftovers(out)
        result = BuildResult(findings, sum(1 for p in files if p.endswith(".html")), len(summaries), len(files), timings,
                             index_memory, sum(r.reused for r in rendered), len(inputs) - len(to_index))
        if cache is not None:
            _remember(cache, planned, rendered, keys, inputs, out, site_key)
            _remember_quick(cache, content, out, result, len(inputs))
    finally:
        for folder in (staging, scratch):
            if folder is not None and folder.exists():
                shutil.rmtree(folder)
    return result


# -- incremental builds (build_cache.py) ----------------------------------------------------------


def _open_cache(folder: Path | None, root: Path, out: Path, site: Site) -> build_cache.BuildCache | None:
    if folder is None:
        return None
    try:
        return build_cache.BuildCache(build_cache.cache_folder(folder, root, out), root, site)
    except OSError:  # an unreadable theme folder: the build reports it; no cache
        return None


def _quick_check(cache: Path, root: Path, out: Path) -> tuple[BuildResult | None, str | None]:
    """The previous build's result if neither the content folder nor the output changed since it,
    nor the tool and its settings (``snapshot.py``: one ``lstat`` per entry, no file read); and
    the content folder's snapshot, taken now, before anything reads it, for the next build."""
    record = build_cache.read_quick(build_cache.cache_folder(cache, root, out))
    content_spec = snapshot.Spec(root, frozenset({".git"}), settled=True)
    if record is None:
        return None, snapshot.take_all([content_spec])[0]
    content, output = snapshot.take_all([content_spec, snapshot.Spec(out)])
    if content is None or (content, output) != (record.content, record.output) \
            or record.tool != build_cache.tool_state(_index_settings()):
        return None, content
    return BuildResult(record.findings, record.pages, record.reports, record.files, {}, {}, record.reports,
                       record.shards), content


def _remember_quick(cache: build_cache.BuildCache, content: str | None, out: Path, result: BuildResult,
                    shard_count: int) -> None:
    """Let the next build see at once that nothing changed, when it can: not when the content
    folder changed while it was read (or just before), nor when a report's key depends on git."""
    try:
        output = snapshot.take(out)
        if content is None or output is None or cache.fingerprints.reads_git:
            cache.forget_quick()
            return
        cache.save_quick(build_cache.QuickRecord(
            build_cache.tool_state(_index_settings()), content, output, result.findings, result.pages,
            result.reports, result.files, shard_count))
    except OSError:
        pass


def _index_settings() -> str:
    return f"{shards.shard_reports()} {shards.single_index_reports()}"


def _unchanged_site(cache: build_cache.BuildCache, planned: loader.Plan, keys: list[str], site_key: str,
                    out: Path) -> BuildResult | None:
    """The result of the previous build when nothing it was built from changed and its output is
    exactly as it wrote it (then a fresh build would write the same bytes: nothing is written)."""
    files = cache.site_unchanged(site_key, out)
    if files is None:
        return None
    findings = list(planned.findings)
    for (_, year_dir), key in zip(planned.jobs, keys, strict=True):
        entry = cache.entry(contentfs.display_path(year_dir), key)
        if entry is None:
            return None
        findings.extend(entry.findings)
    if any(f.is_error for f in findings):
        raise BuildRefused(findings)
    shard_count = len(json.loads((out / "pagefind" / search_index.SHARDS_MANIFEST).read_text(encoding="utf-8"))
                      if (out / "pagefind" / search_index.SHARDS_MANIFEST).is_file() else [])
    written = [path for path in files if not path.startswith("pagefind/") and path != MARKER]  # as a build counts them
    return BuildResult(findings, sum(1 for p in written if p.endswith(".html")), len(keys), len(written), {}, {},
                       len(keys), shard_count)


def _render_reports(planned: loader.Plan, root: Path, out: Path, staging: Path, index: IndexFolders | None,
                    workers: int | None, cache: build_cache.BuildCache | None, keys: list[str],
                    findings: list[Finding]) -> list[Rendered]:
    """Every report, in report order: reused from the previous build where the cache allows,
    else loaded, checked and rendered in worker processes."""
    results: list[Rendered | None] = [None] * len(planned.jobs)
    if cache is not None:
        for number, ((_, year_dir), key) in enumerate(zip(planned.jobs, keys, strict=True)):
            entry = cache.entry(contentfs.display_path(year_dir), key)
            if entry is not None and cache.reuse(entry, out, staging, index.cells if index else None):
                results[number] = Rendered(entry.summary, entry.findings, {p: r[0] for p, r in entry.files.items()},
                                           entry.index, cache.index_copy(entry.summary_file), entry.summary_file,
                                           reused=True)
    todo = [number for number, result in enumerate(results) if result is None]
    job = functools.partial(render_job, site=planned.site, root=root, staging=staging, index=index)
    try:
        for number, result in zip(todo, run_jobs(job, [planned.jobs[n] for n in todo], workers, stage="building"),
                                  strict=True):
            results[number] = result
    except ContentProblem as problem:
        raise BuildRefused(merged(findings + [f for r in results if r for f in r.findings], problem.findings)) from None
    return [result for result in results if result is not None]


def _keep_index_copies(cache: build_cache.BuildCache, parts: Path, rendered: list[Rendered]) -> None:
    """Copy what this build rendered into the cache's content-addressed store: the pages' index
    copies and the summaries' files (they are gone once the build is done)."""
    for report in rendered:
        if not report.reused:
            for path, digest in report.index.items():
                cache.keep_index_copy(parts / path, digest)
            if report.summary_file is not None:
                cache.keep_index_copy(report.summary_file, report.summary_digest)


def _restorer(cache: build_cache.BuildCache | None, digests: dict[str, str]) -> Callable[[str, Path], bool]:
    def restore(path: str, target: Path) -> bool:
        return cache is not None and path in digests and cache.restore_index_copy(digests[path], target)

    return restore


def _remember(cache: build_cache.BuildCache, planned: loader.Plan, rendered: list[Rendered], keys: list[str],
              inputs: dict[str, str], out: Path, site_key: str) -> None:
    """After the swap: remember the reports rendered now and the shards, forget what is gone.
    A cache that cannot be written only costs time next build."""
    try:
        folders = [contentfs.display_path(year_dir) for _, year_dir in planned.jobs]
        for folder, key, report in zip(folders, keys, rendered, strict=True):
            if not report.reused:
                cache.save_report(folder, key, report, out)
        cache.forget_others(set(folders))
        cache.forget_index_copies({digest for report in rendered for digest in [*report.index.values(), report.summary_digest]})
        cache.save_shards(inputs, out)
        cache.save_site(site_key, out)
        build_cache.prune(cache.folder.parent)
    except OSError:
        pass


def _start_index(root: Path, pages: Path, staging: Path, to_index: list[str], every_shard: list[str]) -> search_index.ShardedIndex:
    """One Pagefind per shard to index, as many at a time as there are cores: Pagefind uses about one
    and a half, the bulk stage in this process one, and at most ``shard_reports()`` reports' pages each."""
    try:
        return search_index.ShardedIndex(pages, staging / "pagefind", to_index, os.cpu_count() or 1, every_shard)
    except OSError as error:
        raise InternalError("building", _shown(root), describe(error)) from None


def _finish_index(root: Path, indexer: search_index.ShardedIndex, cells: Path | None) -> dict[str, int]:
    try:
        return indexer.finish(cells)
    except (search_index.IndexFailed, OSError) as error:
        raise InternalError("building", _shown(root), describe(error)) from None


def _refuse_twice_written(root: Path, files: list[str]) -> None:
    """Two stages writing one path means one silently replaced the other: an internal error."""
    seen: set[str] = set()
    for path in files:
        if path in seen:
            raise InternalError("building", _shown(root), f"two stages wrote {path}")
        seen.add(path)


def merged(findings: list[Finding], more: list[Finding]) -> list[Finding]:
    """``findings`` and those of ``more`` not already among them (the loader also reports a
    link in ``_theme/`` that rendering then meets)."""
    seen = {f.line() for f in findings}
    return findings + [f for f in more if f.line() not in seen]


def _bulk_files(site: Site, root: Path, staging: Path, report_folders: list[str]) -> bulk.BulkOutput:
    try:
        return bulk.write_bulk(Renderer(site, root), staging, report_folders)
    except ContentProblem as problem:  # the site's own data.html template
        raise BuildRefused(problem.findings) from None
    except Exception as error:
        raise InternalError("building", _shown(root), describe(error)) from None


#: What the site-page workers need, set before they are forked (so never pickled).
_SITE_PAGES: _SitePagesState | None = None


@dataclass
class _SitePagesState:
    renderer: Renderer
    by_unit: dict[str, list[ReportSummary]]  # without their table rows
    summary_files: dict[str, Path]  # report rel -> the file of its whole summary
    groups: list[CompareGroup]
    staging: Path
    index: IndexFolders | None


def site_page_job(job: tuple[str, int]) -> Written:
    """Render and write one unit's page or one comparison group's views (runs in a worker
    process); the SHA-256 of the files written."""
    state = _SITE_PAGES
    assert state is not None
    kind, number = job
    if kind == "unit":
        unit = state.renderer.site.units[number]
        reports = [summary_from_bytes(state.summary_files[s.rel].read_bytes()) for s in state.by_unit.get(unit.slug, [])]
        output = state.renderer.render_units([unit], {unit.slug: reports})
    else:
        output = state.renderer.render_comparison_group(state.groups[number], headline_data())
    return write_tree(output, state.staging, state.index)


def _site_page_name(job: tuple[str, int]) -> str:
    state = _SITE_PAGES
    kind, number = job
    if state is None:
        return f"{kind} page {number}"
    if kind == "unit":
        return f"the page of unit {state.renderer.site.units[number].slug}"
    return f"the comparison pages {state.groups[number].path}"


def _worker_site_pages(site: Site, root: Path, summaries: list[ReportSummary], summary_files: dict[str, Path],
                       staging: Path, index: IndexFolders | None, workers: int | None, findings: list[Finding]) -> Written:
    """The unit and comparison pages (most of the site pages' time at 1,000 reports), in worker processes."""
    global _SITE_PAGES
    try:
        groups = compare.compare_groups(summaries, headline_data())
        _SITE_PAGES = _SitePagesState(Renderer(site, root), summaries_by_unit(summaries), summary_files, groups,
                                      staging, index)
        jobs = [("unit", i) for i in range(len(site.units))] + [("compare", i) for i in range(len(groups))]
        written = Written()
        for part in map_in_workers(site_page_job, jobs, _site_page_name, workers, stage="building"):
            written.update(part)
        return written
    except ContentProblem as problem:
        raise BuildRefused(merged(findings, problem.findings)) from None
    finally:
        _SITE_PAGES = None


def _site_pages(site: Site, summaries: list[ReportSummary], root: Path, findings: list[Finding]) -> Output:
    try:
        output = Renderer(site, root).render_site(summaries, with_units=False)
    except ContentProblem as problem:
        raise BuildRefused(merged(findings, problem.findings)) from None
    except Exception as error:
        raise InternalError("building", _shown(root), describe(error)) from None
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        output.add(f"schemas/{schema.name}", schema.read_bytes())
    return output
