"""Check stage: load findings + rule findings, with acknowledged findings (原文如此) applied.

Reports are independent units of work: each is loaded and checked on its own, in worker processes
when there are many, and the results are put back together in folder order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from site_builder import loader, rules
from site_builder.findings import Finding
from site_builder.model import Report, Site, Unit

PARALLEL_FROM = 24  # below this many reports, worker start-up costs more than it saves
T = TypeVar("T")


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


def run_jobs(function: Callable[[tuple[Unit, Path]], T], jobs: list[tuple[Unit, Path]], workers: int | None = None) -> Iterator[T]:
    """Map ``function`` over report jobs, in order; in worker processes when it pays off."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < PARALLEL_FROM:
        yield from map(function, jobs)
        return
    chunk = max(1, len(jobs) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(function, jobs, chunksize=chunk)


def check(root: Path, keep_reports: bool = True, workers: int | None = None) -> CheckResult:
    planned = loader.plan(root)
    findings = list(planned.findings)
    checked = 0
    if keep_reports:
        for report, report_findings in run_jobs(load_and_check, planned.jobs, workers):
            findings.extend(report_findings)
            if report is not None:
                planned.site.reports.append(report)
                checked += 1
    else:
        for loaded, report_findings in run_jobs(_findings_only, planned.jobs, workers):
            findings.extend(report_findings)
            checked += loaded
    return CheckResult(planned.site, findings, checked)
