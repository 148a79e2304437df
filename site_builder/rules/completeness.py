"""Completeness: every standard table is published, an empty one says why, an unpublished one is
declared with its reason (report.yaml ``unpublished:``), and no scaffold placeholder remains."""

from __future__ import annotations

from site_builder import scaffold
from site_builder.findings import Finding, Place
from site_builder.model import Report, Unpublished
from site_builder.rules.narrative import tables_with_stated_figures

PART_NAMES = {"overview": "概况", "explanation": "情况说明", "attachments": "附件（绩效自评表）"}
UNPUBLISHED = "report.unpublished"
PLACEHOLDER = "content.placeholder"


def run(report: Report) -> list[Finding]:
    return [*_empty_tables(report), *_unpublished(report), *_placeholders(report)]


def _empty_tables(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    stated: set[str] | None = None
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None or table.has_figures() or table.empty_note.strip():
            continue
        if stated is None:
            stated = tables_with_stated_figures(report)
        if frame.id in stated:
            fix = ("the 情况说明 states figures for it, so enter them from the published table, or declare it in "
                   "report.yaml under unpublished: with the reason if the table itself was not published")
        else:
            fix = "an empty table is published with a note such as 本单位本年度无此项收支，故本表无数据"
        findings.append(Finding(
            "table.empty-without-note", f"{frame.name} has no figures and no empty_note; {fix}",
            Place(table.path), subject=f"{frame.id}", report=report.rel, table=f"tables/{frame.id}.yaml",
        ))
    return findings


def unpublished_name(report: Report, item: Unpublished) -> str:
    if item.kind == "table":
        frame = report.template.table(item.id)
        return frame.name if frame else item.id
    return PART_NAMES.get(item.id, item.id)


def _unpublished(report: Report) -> list[Finding]:
    """A declared omission is a warning, not an error: the declaration with its reason settles it
    (as an acknowledgement settles an inconsistency), and the page says what is missing and why."""
    return [
        Finding(UNPUBLISHED, f"{unpublished_name(report, item)} 未公开：{item.reason}", item.place, severity="warning",
                subject=f"{item.kind}:{item.id}", report=report.rel,
                table=f"tables/{item.id}.yaml" if item.kind == "table" else item.id)
        for item in report.unpublished
    ]


def _placeholders(report: Report) -> list[Finding]:
    """Text ``site-builder new`` writes for the clerk to replace (and XXX, ××) left in the report's
    texts; unit.yaml is checked when it is loaded."""
    texts = [(f"{report.folder}/{name}.md", f"{name}.md", getattr(report, name)) for name in ("overview", "explanation")]
    texts += [(a.path, f"attachments/{a.slug}.yaml", a.source) for a in report.attachments]
    findings = []
    for path, table, text in texts:
        if not scaffold.may_hold_placeholder(text) or not scaffold.PLACEHOLDER.search(text):  # exact: a match in a line (or its part before a comment) is one in the text
            continue
        for line, col, found in scaffold.placeholders(text, yaml=path.endswith(".yaml")):
            findings.append(Finding(
                PLACEHOLDER, f"placeholder 「{found}」 is still in the text; write the real content (or remove the sentence)",
                Place(path, line, col), subject=f"{table}:{line}:{col}", report=report.rel, table=table,
            ))
    for table_data in report.tables.values():
        for code, (name, place) in table_data.names.items():
            for _, col, found in scaffold.placeholders(str(name)):
                findings.append(Finding(
                    PLACEHOLDER, f"placeholder 「{found}」 in the name of row {code}; write the name as printed",
                    Place(place.path, place.line, place.col + col - 1), subject=f"{table_data.id}:{code}",
                    report=report.rel, table=f"tables/{table_data.id}.yaml",
                ))
    return findings
