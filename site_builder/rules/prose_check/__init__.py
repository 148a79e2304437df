"""Check every literal figure in published prose (情况说明, 概况, the forms' text) against the tables.

``analyse(report)`` returns the findings and a per-report tally: figures stated, checked and agreeing,
checked and disagreeing, not checkable (each with its reason) and computed (``{{ … }}``) figures.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from site_builder.findings import Finding, Place
from site_builder.limits import AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS
from site_builder.model import Attachment, Report
from site_builder.rules.prose_check import attachments as forms
from site_builder.rules.prose_check import checks
from site_builder.rules.prose_check.context import Reading, read_block
from site_builder.rules.prose_check.document import Block, Outline, outline
from site_builder.rules.prose_check.figures import Figure, Positions, extract, mask_references
from site_builder.rules.prose_check.numbering import check_numbering, check_year

PROSE_FILES = (("explanation.md", "explanation"), ("overview.md", "overview"))
SCORE = re.compile(r"^[ \t]*[-*+][ \t]*([^：:\n]{2,40})[：:][ \t]*自评\s*$")


@dataclass
class Stated:
    """One figure as the tally lists it."""

    file: str
    line: int
    col: int
    figure: str
    status: str
    reason: str


@dataclass
class Tally:
    stated: int = 0
    agree: int = 0
    disagree: int = 0
    uncheckable: int = 0
    computed: int = 0
    figures: list[Stated] = field(default_factory=list)
    #: whether ``figures`` lists each figure (its place and reason); else only the counts are kept
    #: (the check's coverage finding needs no more)
    details: bool = True

    def add(self, stated: Stated) -> None:
        self.figures.append(stated)
        self.count(stated.status)

    def count(self, status: str) -> None:
        self.stated += 1
        if status == "agree":
            self.agree += 1
        elif status == "disagree":
            self.disagree += 1
        else:
            self.uncheckable += 1

    def counts(self) -> dict[str, int]:
        return {"stated": self.stated, "agree": self.agree, "disagree": self.disagree,
                "not_checkable": self.uncheckable, "computed": self.computed}


class _Emitter:
    def __init__(self, report: Report, file: str, table: str, locate: Positions | None, text: str = "") -> None:
        self.report, self.file, self.table, self.locate, self.text = report, file, table, locate, text
        self.findings: list[Finding] = []
        self.subjects: dict[str, int] = {}

    def place(self, offset: int) -> Place:
        if self.locate is None:
            return Place(self.file)
        line, col = self.locate.at(offset)
        return Place(self.file, line, col)

    def __call__(self, rule: str, figure: Figure, message: str, figures: tuple[str, ...],
                 related: tuple[Place, ...] = ()) -> None:
        place = self.place(figure.start)
        base = f"{self.table}:{_heading_at(self.text, figure.start, self.locate)}:{figure.shown}"
        seen = self.subjects.get(base, 0) + 1
        self.subjects[base] = seen
        subject = base if seen == 1 else f"{base}#{seen}"
        self.findings.append(Finding(rule, message, place, subject=subject, figures=figures, report=self.report.rel,
                                     table=self.table, related=related))


def _heading_at(text: str, offset: int, positions: Positions | None = None) -> str:
    """The innermost heading above an offset, as the stable part of a finding's subject."""
    if positions is None:
        return ""
    line = bisect.bisect_right(positions.starts, offset) - 1
    for index in range(line, -1, -1):  # headings are few; prose files have one every few lines
        start = positions.starts[index]
        if text.startswith("#", start):
            end = positions.starts[index + 1] - 1 if index + 1 < len(positions.starts) else len(text)
            return text[start:end].lstrip("# ").strip()
        if line - index > 2000:
            break
    return ""


def _reason(figure: Figure, default: str) -> str:
    if figure.status == "disagree":
        return f"[{figure.rule}] {figure.reason}".rstrip()
    return figure.reason or default


def analyse_text(report: Report, text: str, file: str, table: str, tally: Tally) -> list[Finding]:
    masked, computed = mask_references(text)
    tally.computed += computed
    figures = extract(masked)
    positions = Positions(text)
    emit = _Emitter(report, file, table, positions, masked)
    doc = outline(masked, figures)
    readings_of: dict[int, list[Reading]] = {}
    directions, parts = checks.Starts(checks.DIRECTION, masked), checks.Starts(checks.PARTS_OPEN, masked)
    for block in doc.blocks:
        readings = read_block(report, masked, block)
        readings_of[id(block)] = readings
        for reading in readings:
            _check_reading(report, reading, readings, block, doc, masked, emit)
        if directions.within(block.start, block.end):  # else check_direction finds no 决算高于预算 words
            checks.check_direction(report, block, readings, masked, emit, lambda offset: Figure(offset, offset, "", "", "word", None))
        if parts.within(block.start, block.end):  # else check_parts finds no 其中 words
            checks.check_parts(report, block, readings, masked, emit)
        _check_scores(report, block, readings, masked, emit, positions)
    checks.check_list_total(report, doc.blocks, readings_of, masked, emit)
    check_year(report.year, masked, figures, emit, positions)
    check_numbering(masked, emit, lambda offset, shown: Figure(offset, offset, shown, "", "number", None))
    for figure in figures:
        if not tally.details:
            tally.count(figure.status or "uncheckable")
            continue
        line, col = positions.at(figure.start)
        tally.add(Stated(file, line, col, figure.shown, figure.status or "uncheckable", _reason(figure, "its words name no table cell")))
    return emit.findings


def _check_reading(report: Report, reading: Reading, readings: list[Reading], block: Block, doc: Outline,
                   text: str, emit: _Emitter) -> None:
    figure = reading.figure
    if figure.value is None:
        if figure.kind in ("amount", "percent"):
            figure.mark("disagree", rule="amount.digits")
            emit("amount.digits", figure, f"情况说明中的数字 {figure.shown[:40]}… 位数超过任何表格可填写的金额"
                 f"（整数至多 {AMOUNT_INTEGER_DIGITS} 位、小数至多 {AMOUNT_DECIMALS} 位）", (figure.shown[:40],))
        else:
            figure.mark("uncheckable", "too many digits to be a table figure")
        return
    if reading.role in ("level", "budget", "approximate"):
        checks.check_amount(report, reading, emit)
    elif reading.role == "change":
        figure.mark("uncheckable", "a change against a figure the report does not state")
    elif reading.role == "share":
        first = doc.section_first_amount.get(block.heading_index)
        checks.check_share(report, reading, readings, first, block.kinds, emit)
    elif reading.role == "growth":
        checks.check_growth(report, reading, readings, text, emit)
    elif reading.role == "budget_rate":
        checks.check_budget_rate(report, reading, readings, emit)
    elif figure.kind == "percent":
        figure.mark("uncheckable", "a percentage whose base no table holds")
    elif figure.kind == "count":
        figure.mark("uncheckable", "counts (个/人/辆/批次) are not in the tables")


def _check_scores(report: Report, block: Block, readings: list[Reading], text: str, emit: _Emitter,
                  positions: Positions) -> None:
    for reading in readings:
        figure = reading.figure
        if figure.unit != "分" or figure.value is None:
            continue
        line_start, _ = positions.line_bounds(figure.start, text)
        match = SCORE.match(text[max(line_start, figure.start - 60):figure.start])
        if not match:
            continue
        found = forms.score_for(report.attachments, match.group(1))
        if found is None:
            figure.mark("uncheckable", "names no single self-evaluation form")
            continue
        attachment, total = found
        if abs(figure.value - total) <= figure.half_unit:
            figure.mark("agree", f"{attachment.slug} 总分")
            continue
        figure.mark("disagree", rule="narrative.attachment")
        emit("narrative.attachment", figure, f"情况说明写“{match.group(1)}：自评{figure.shown}”，但自评表 {attachment.slug} 总分为 {total}",
             (figure.shown, str(total)))


def _attachment_place(attachment: Attachment, name: str, figure: Figure, text: str) -> Place:
    """Where a figure of a text field is in the .yaml (its text as the loader read it)."""
    lines = attachment.source.split("\n")
    key = next((i for i, line in enumerate(lines) if line.startswith(f"{name}:")), None)
    if key is None:
        return Place(attachment.path)
    needle = text[max(0, figure.start - 6):figure.end]
    for i in range(key, min(len(lines), key + 40)):
        col = lines[i].find(needle)
        if col >= 0:
            return Place(attachment.path, i + 1, col + 1 + (figure.start - max(0, figure.start - 6)))
    return Place(attachment.path, key + 1, 1)


def analyse_attachments(report: Report, tally: Tally) -> list[Finding]:
    findings: list[Finding] = []
    for attachment in report.attachments:
        table = f"attachments/{attachment.slug}.yaml"
        for name, text, figures in forms.field_figures(attachment):
            emit = _Emitter(report, attachment.path, table, None, "")
            forms.check_attachment(forms.figures_form(report.attachments, attachment), text, figures, emit)
            for finding in emit.findings:
                finding.subject = f"{attachment.slug}:{name}:{finding.figures[0]}"
            by_shown = {f.shown: f for f in figures}
            for finding in emit.findings:
                stated = by_shown.get(finding.figures[0])
                if stated is not None:
                    finding.place = _attachment_place(attachment, name, stated, text)
            findings.extend(emit.findings)
            for figure in figures:
                if not tally.details:
                    tally.count(figure.status or "uncheckable")
                    continue
                default = ("a date in the form's own account" if figure.kind in ("year", "date")
                           else "its words name no figure of the form")
                tally.add(Stated(f"{table} {name}", 0, figure.start + 1, figure.shown, figure.status or "uncheckable",
                                 _reason(figure, default)))
    return findings


def analyse(report: Report, details: bool = True) -> tuple[list[Finding], Tally]:
    """The findings of the report's prose and its tally; ``details``: list every figure in the
    tally (else only its counts)."""
    tally = Tally(details=details)
    findings: list[Finding] = []
    for name, attribute in PROSE_FILES:
        text = getattr(report, attribute)
        if text:
            findings.extend(analyse_text(report, text, f"{report.folder}/{name}", name, tally))
    findings.extend(analyse_attachments(report, tally))
    return findings, tally
