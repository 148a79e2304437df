"""Figures in published prose against the tables (issue 8): every literal figure of 情况说明, 概况 and
the self-evaluation forms' text is found, read with the words before it and checked where the tables
decide it. The checks live in ``rules/prose_check``; this module adds the per-report coverage entry
(severity ``info``, rule ``narrative.coverage``) that the trust panel and ``check --format json`` show."""

from __future__ import annotations

from site_builder.findings import Finding, Place
from site_builder.model import Report
from site_builder.rules.prose_check import PROSE_FILES, Tally, analyse
from site_builder.rules.prose_check.context import read_block
from site_builder.rules.prose_check.document import outline
from site_builder.rules.prose_check.figures import extract, mask_references

COVERAGE = "narrative.coverage"


def coverage(report: Report, tally: Tally) -> Finding:
    counts = tally.counts()
    message = (f"正文数字 {counts['stated']} 个：核对一致 {counts['agree']}，不一致 {counts['disagree']}，"
               f"无法核对 {counts['not_checkable']}；引用计算 {counts['computed']} 个")
    return Finding(COVERAGE, message, Place(f"{report.folder}/explanation.md"), severity="info", report=report.rel,
                   table="explanation.md", subject=f"{report.rel}:coverage", counts=counts)


def run(report: Report) -> list[Finding]:
    findings, tally = analyse(report, details=False)
    return [*findings, coverage(report, tally)]


def tables_with_stated_figures(report: Report) -> set[str]:
    """Ids of the tables whose cells the prose (情况说明, 概况) states a literal amount for, as read by
    the prose check's labels: a table the prose quotes figures for is not an empty table."""
    tables: set[str] = set()
    for _, attribute in PROSE_FILES:
        masked, _ = mask_references(getattr(report, attribute))
        doc = outline(masked, extract(masked))
        for block in doc.blocks:
            for reading in read_block(report, masked, block):
                if reading.figure.kind == "amount" and reading.role in ("level", "budget"):
                    tables.update(cell.split("/", 1)[0] for label in reading.labels for cell in label.cells)
    return tables
