"""Every checked figure is shown: a figure the template's layout cannot print is an error.

An economic detail table prints a fixed grid of codes. A reported code the grid does not list is
placed after its 款/类 (``standards.laid_out_groups``); a code whose 类 the grid does not print at
all, or that stands on a —— cell, would be summed by the checks and vanish from the page and the
CSV, so it is a finding at its own line.
"""

from __future__ import annotations

from site_builder import standards
from site_builder.findings import Finding
from site_builder.model import Report


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None or frame.layout != "economic_detail":
            continue
        present = list(table.sections.get("rows", {}))
        dash = set(frame.raw.get("dash_codes", []))
        for code in standards.unshown_codes(frame, present):
            place = table.row_places[("rows", code)]
            why = "is printed as —— in this template" if code in dash else f"has no {code[:3]} 类 in this template's layout"
            findings.append(Finding(
                "table.code-not-in-layout",
                f"{frame.name}: code {code} {why}, so its figure would not be shown; "
                "move the figure to a code the table prints, or use a template whose layout has it",
                place, report=report.rel, table=frame.id, subject=code,
            ))
    return findings
