"""The trust panel's prose part: coverage counts of a report's prose figures, and ※ marks that link an
acknowledged inconsistency in 情况说明 to its note in 数据核验 (and back)."""

from __future__ import annotations

from site_builder.findings import Finding

PROSE_TABLES = ("explanation.md", "overview.md")


def prose_counts(findings: list[Finding]) -> dict[str, int]:
    coverage = next((f for f in findings if f.rule == "narrative.coverage"), None)
    return dict(coverage.counts) if coverage else {}


def _offset(text: str, line: int, col: int) -> int:
    position = 0
    for _ in range(line - 1):
        position = text.find("\n", position) + 1
    return position + col - 1


def mark_acknowledged(html: str, text: str, table: str, acknowledged: list[Finding]) -> str:
    """After the stated figure of each acknowledged finding of this file, a ※ linking to its note.

    The figure is found as the same occurrence (first, second …) in the HTML's text as in the
    Markdown: the renderer keeps figures' text as written. Occurrences inside a tag (a heading's
    ``id`` repeats its text) are skipped, so the mark never lands inside an attribute."""
    for index, finding in reversed(list(enumerate(acknowledged, start=1))):
        if finding.table != table or not finding.figures:
            continue
        stated = finding.figures[0]
        if not stated.strip():
            continue
        occurrence = text.count(stated, 0, _offset(text, finding.place.line, finding.place.col) + len(stated))
        position = -1
        for _ in range(max(occurrence, 1)):
            position = _find_in_text(html, stated, position + 1)
            if position < 0:
                break
        if position < 0:
            continue
        end = position + len(stated)
        mark = (f'<a class="ack-mark" id="ack-ref-{index}" href="#ack-{index}" '
                f'aria-label="原文数据不一致，见数据核验说明 {index}">※</a>')
        html = html[:end] + mark + html[end:]
    return html


def _find_in_text(html: str, needle: str, start: int) -> int:
    """The next occurrence of ``needle`` at or after ``start`` that is not inside a tag; -1 if none."""
    position = html.find(needle, start)
    while position >= 0 and html.rfind("<", 0, position) > html.rfind(">", 0, position):
        position = html.find(needle, position + 1)
    return position
