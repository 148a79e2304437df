"""Check stage: load findings + rule findings, with acknowledged findings (原文如此) applied."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder import loader, rules
from site_builder.findings import Finding
from site_builder.model import Report, Site


@dataclass
class CheckResult:
    site: Site | None
    findings: list[Finding]

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
                                     ack.place, report=report.rel))
            else:
                finding.acknowledged = ack.reason
    return findings + extra


def check(root: Path) -> CheckResult:
    loaded = loader.load(root)
    findings = list(loaded.findings)
    if loaded.site:
        for report in loaded.site.reports:
            findings.extend(check_report(report))
    return CheckResult(loaded.site, findings)
