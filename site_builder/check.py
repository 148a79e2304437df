"""Check stage: load findings + rule findings, with acknowledged findings (原文如此) applied.

Reports are independent units of work: each is loaded and checked on its own, in worker processes
when there are many, and the results are put back together in folder order.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from site_builder import contentfs, loader, quick, rules, standards
from site_builder.check_cache import FindingsCache
from site_builder.findings import Finding
from site_builder.fingerprint import Fingerprints
from site_builder.model import Report, Site, Unit
from site_builder.output import PARENT_ONLY_FDS

PARALLEL_FROM = 24  # below this many reports, worker start-up costs more than it saves
# reports per task when only findings come back: about half a second of work, so that no worker is
# left alone with a long last chunk (at 10,000 reports the default chunk was 625, several seconds)
FINDINGS_CHUNK = 48
T = TypeVar("T")
J = TypeVar("J")


class ContentProblem(Exception):
    """Raised for a problem of the content (not of this tool) found while working on a report;
    it passes through ``run_jobs`` unchanged. Carries findings."""

    findings: list[Finding]


class InternalError(Exception):
    """An unexpected exception while working on a report: the run fails (exit 2), never a partial result."""

    def __init__(self, stage: str, folder: str, error: str) -> None:
        super().__init__(stage, folder, error)
        self.stage, self.folder, self.error = stage, folder, error

    def __str__(self) -> str:
        return f"internal error while {self.stage} {self.folder}: {self.error}"


@dataclass(frozen=True)
class _Failed:
    """What a job returns instead of raising. A raised StopIteration (``next()`` in a rule) ended
    the iteration over the results silently — fewer reports, exit 0 — and an exception from a
    worker did not say which report it came from."""

    folder: str
    error: str


def describe(error: BaseException) -> str:
    """``Type: message``, or just ``Type`` when the exception has no message."""
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _guarded(function: Callable[[J], T], name: Callable[[J], str], job: J) -> T | _Failed:
    try:
        return function(job)
    except ContentProblem:
        raise
    except Exception as error:
        return _Failed(name(job), describe(error))


def _job_folder(job: tuple[Unit, Path]) -> str:
    return contentfs.display_path(job[1])


@dataclass
class CheckResult:
    site: Site | None
    findings: list[Finding]
    reports_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    def for_report(self, report: Report) -> list[Finding]:
        return [f for f in self.findings if f.report == report.rel]


def check_report(report: Report) -> list[Finding]:
    findings = rules.run_all(report)
    return apply_acknowledgements(report, findings)


def apply_acknowledgements(report: Report, findings: list[Finding]) -> list[Finding]:
    """Mark acknowledged findings; an acknowledgement that matches nothing, or whose figures changed, is an error."""
    extra: list[Finding] = []
    for ack in report.acknowledgements:
        matches = [f for f in findings if f.rule == ack.rule and f.table == ack.at and f.subject == ack.subject]
        if not matches:
            extra.append(Finding("ack.unmatched",
                                 f"acknowledged finding [{ack.rule}] {ack.at} {ack.subject} matches no current finding; remove it",
                                 ack.place, report=report.rel))
            continue
        for finding in matches:
            if finding.figures != ack.figures:
                extra.append(Finding("ack.figures-changed",
                                     f"acknowledged figures {list(ack.figures)} of [{ack.rule}] {ack.subject} are now "
                                     f"{list(finding.figures)}; the acknowledgement no longer covers this finding",
                                     ack.place, report=report.rel, related=(finding.place, *finding.related)))
            else:
                finding.acknowledged = ack.reason
    return findings + extra


def load_and_check(job: tuple[Unit, Path]) -> tuple[Report | None, list[Finding]]:
    report, findings = loader.load_report(*job)
    if report is not None:
        findings = findings + check_report(report)
    return report, findings


def _findings_only(job: tuple[Unit, Path]) -> tuple[bool, list[Finding]]:
    report, findings = load_and_check(job)
    return report is not None, findings


# A worker's garbage collector: reports make no reference cycles worth collecting often (the
# collections of a check of 400 reports found none), while a collection every 700 new containers
# (Python's default) traversed the thousands of containers each report makes — about 8 % of a
# worker's time. Everything the worker inherits from the parent (templates, code lists, schemas)
# is frozen: no collection traverses it again (nor writes to its pages, which the fork shares).
WORKER_GC_THRESHOLD = (50_000, 20, 100)


def _start_worker() -> None:
    _close_parent_only_fds()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)


def _close_parent_only_fds() -> None:
    for fd in PARENT_ONLY_FDS:
        try:
            os.close(fd)
        except OSError:
            pass


def run_jobs(function: Callable[[tuple[Unit, Path]], T], jobs: list[tuple[Unit, Path]], workers: int | None = None,
             stage: str = "checking", max_chunk: int | None = None, forked: Callable[[], None] | None = None) -> Iterator[T]:
    """Map ``function`` over report jobs, in order; in worker processes when it pays off.

    An exception in a job raises ``InternalError`` naming its report folder (``ContentProblem``
    passes through); a result is yielded for every job or the iteration raises. ``forked`` as
    ``map_in_workers`` says.
    """
    return map_in_workers(function, jobs, _job_folder, workers, stage, max_chunk, forked)


def map_in_workers(function: Callable[[J], T], jobs: list[J], name: Callable[[J], str], workers: int | None = None,
                   stage: str = "checking", max_chunk: int | None = None,
                   forked: Callable[[], None] | None = None) -> Iterator[T]:
    """``run_jobs`` for any kind of job; ``name`` (a module-level function) names a job in errors.
    Workers are forked: module state set before the call is theirs without being pickled.
    ``max_chunk``: at most this many jobs per task sent to a worker. ``forked``: called once every
    worker is forked (at once when there are none), the earliest a caller may start threads: a
    fork while another thread holds a lock leaves that lock held forever in the child."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    guarded = functools.partial(_guarded, function, name)
    if workers <= 1 or len(jobs) < PARALLEL_FROM:
        if forked is not None:
            forked()
        results: Iterator[T | _Failed] = map(guarded, jobs)
        yield from _unwrap(results, jobs, name, stage)
        return
    chunk = max(1, min(len(jobs) // (workers * 8), max_chunk or len(jobs)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             mp_context=multiprocessing.get_context("fork")) as pool:
        try:
            mapped = pool.map(guarded, jobs, chunksize=chunk)  # with "fork", every worker is forked at the first task
            if forked is not None:
                forked()
            yield from _unwrap(mapped, jobs, name, stage)
        except BrokenProcessPool as error:  # a worker died (killed, out of memory)
            raise InternalError(stage, "a report (a worker process died)", describe(error)) from None


def _unwrap(results: Iterator[T | _Failed], jobs: list[J], name: Callable[[J], str], stage: str) -> Iterator[T]:
    count = 0
    for result in results:
        if isinstance(result, _Failed):
            raise InternalError(stage, result.folder, result.error)
        count += 1
        yield result
    if count != len(jobs):  # never a silent truncation
        raise InternalError(stage, name(jobs[count]), "no result")


def check(root: Path, keep_reports: bool = True, workers: int | None = None, cache: Path | None = None,
          content: str | None = None) -> CheckResult:
    """Check a content folder. Without ``keep_reports`` only findings are kept, and with ``cache``
    (a folder) the findings of reports whose fingerprint is unchanged come from the findings cache;
    ``content``: the content folder's snapshot, taken before this check read it (``quick.py``), to
    let the next check see at once that nothing changed."""
    planned = loader.plan(root)
    findings = standards.template_findings() + planned.findings  # a bad package template file: file:line:col, not a traceback
    checked = 0
    if keep_reports:
        for report, report_findings in run_jobs(load_and_check, planned.jobs, workers):
            findings.extend(report_findings)
            if report is not None:
                planned.site.reports.append(report)
                checked += 1
    else:
        fingerprints = Fingerprints(root)
        for loaded, report_findings in _findings_of_reports(root, planned.jobs, workers, cache, fingerprints):
            findings.extend(report_findings)
            checked += loaded
        if cache is not None:
            quick.remember_check(cache, root, content, findings, checked, fingerprints.reads_git)
    return CheckResult(planned.site, findings, checked)


def _findings_of_reports(root: Path, jobs: list[tuple[Unit, Path]], workers: int | None,
                         cache_folder: Path | None, fingerprints: Fingerprints) -> list[tuple[bool, list[Finding]]]:
    """``(loaded, findings)`` of each job, in job order: cached where the fingerprint is unchanged."""
    if cache_folder is None:
        return list(run_jobs(_findings_only, jobs, workers, max_chunk=FINDINGS_CHUNK))
    cache = FindingsCache.open(cache_folder, root)
    results: list[tuple[bool, list[Finding]] | None] = []
    missing: list[tuple[int, str, str]] = []  # (job index, folder, fingerprint) of reports to check
    for index, (_, year_dir) in enumerate(jobs):
        folder, fingerprint = contentfs.display_path(year_dir), fingerprints.report(year_dir)
        cached = cache.get(folder, fingerprint)
        results.append(cached)
        if cached is None:
            missing.append((index, folder, fingerprint))
    checked = run_jobs(_findings_only, [jobs[index] for index, _, _ in missing], workers, max_chunk=FINDINGS_CHUNK)
    for (index, folder, fingerprint), (loaded, report_findings) in zip(missing, checked, strict=True):
        cache.put(folder, fingerprint, loaded, report_findings)
        results[index] = (loaded, report_findings)
    cache.save()
    return [result for result in results if result is not None]
