"""Completeness: every standard table is published, an empty one says why."""

from __future__ import annotations

from site_builder.findings import Finding, Place
from site_builder.model import Report


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None:
            continue
        if not table.has_figures() and not table.empty_note.strip():
            findings.append(Finding(
                "table.empty-without-note",
                f"{frame.number} {frame.title} has no figures and no empty_note; an empty table is published with a note "
                "such as 本单位本年度无此项收支，故本表无数据",
                Place(table.path), subject=f"{frame.id}", report=report.rel, table=f"tables/{frame.id}.yaml",
            ))
    return findings
