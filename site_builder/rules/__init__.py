"""Consistency rules (勾稽关系). Each module's ``run(report)`` returns findings with stable rule ids."""

from __future__ import annotations

from site_builder.findings import Finding
from site_builder.model import Report
from site_builder.rules import (
    codes,
    completeness,
    corrections,
    equations,
    layout,
    narrative,
    performance,
    references,
)

RULE_MODULES = (completeness, codes, layout, equations, performance, narrative, references, corrections)


def run_all(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for module in RULE_MODULES:
        findings.extend(module.run(report))
    return findings
