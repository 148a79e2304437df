"""What each figure in a block is: its role (level, budget, change, approximate; share, growth, budget
rate) read from the words right before it, and the label (table cell) it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from site_builder.model import Report
from site_builder.rules.prose_check.document import Block, clause_before
from site_builder.rules.prose_check.figures import Figure
from site_builder.rules.prose_check.labels import (
    Resolved,
    book,
    economic_label,
    function_label,
    label_cells,
    resolve_cells,
)

# clauses repeat across reports (the same words before different figures): what a clause says is
# worked out once per process, for this many distinct clauses at most
_MEMO = 1 << 16

YEARS = re.compile(r"\d{4}年度?|本年度?|上年度?")
CHANGE_END = re.compile(r"(?:多出|多支出|少支出|增加|减少|多|少|增长|下降|节约|超支)(?:了|额为|额|为|均为|约)?\s*$")
INCREASE = re.compile(r"多出|多支出|增加|多|增长|超支")
BUDGET_END = re.compile(r"(?:年初|全年)?预算(?:数|下达|安排)?(?:为|是|共)?\s*$")
APPROXIMATE_END = re.compile(r"(?:约|约为|大约|近|超过|逾)\s*$")
BARE = re.compile(r"^[\s\d.、*-]*(?:支出)?(?:决算|预算|年初预算|全年预算)?(?:数|支出|金额)?(?:为|是|共|均为)?\s*$")
SHARE_END = re.compile(r"占(?:比)?(?P<base>[^占，。；]{0,40}?)(?:的)?(?:比重|比例)?(?:为|是)?\s*$|在(?P<inbase>[^，。；]{1,40}?)中占(?:比)?\s*$")
GROWTH_END = re.compile(r"(?:增长|下降|增幅|降幅|上升|减少|增加|降低)(?:率)?(?:均)?(?:为|是|了)?\s*$")
BUDGET_RATE_END = re.compile(r"(?:完成|达到)(?:了)?(?:年初|全年)?预算的\s*$|预算完成率(?:为|是)?\s*$|执行率(?:约|为|是)?\s*$")


@dataclass
class Reading:
    figure: Figure
    role: str  # level | budget | change | approximate | share | growth | budget_rate | other
    clause: str
    labels: list[Resolved]
    label_note: str = ""  # why no label resolved
    share_base: str = ""
    index: int = 0  # its place in its block's readings: the checks look back from here


def _strip_years(clause: str) -> str:
    return YEARS.sub("", clause)


def role_of(figure: Figure, clause: str, text: str) -> str:
    return _role(figure.kind, clause, text[figure.end:figure.end + 1])


@lru_cache(maxsize=_MEMO)
def _role(kind: str, clause: str, after: str) -> str:
    """The role of a figure of ``kind`` after ``clause``, ``after``: the character after it."""
    bare = _strip_years(clause)
    if kind == "amount":
        if APPROXIMATE_END.search(bare) or after in ("余", "多"):
            return "approximate"
        if CHANGE_END.search(bare):
            return "change"
        if BUDGET_END.search(bare):
            return "budget"
        return "level"
    if kind == "percent":
        if SHARE_END.search(clause):
            return "share"
        if BUDGET_RATE_END.search(bare):
            return "budget_rate"
        if GROWTH_END.search(bare):
            return "growth"
        return "other"
    return kind


def find_labels(report: Report, clause: str, kinds: tuple[str, ...], budget: bool) -> tuple[list[Resolved], str]:
    """Every label in the clause, resolved to its cells in this section's context."""
    named, notes = _labels_named(clause, kinds, budget)
    return [resolve_cells(report, name, refs) for name, refs in named], notes


@lru_cache(maxsize=_MEMO)
def _labels_named(clause: str, kinds: tuple[str, ...], budget: bool) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], str]:
    """The labels of the clause as ``(name, cell refs)`` in order, and the notes of the labels that
    name no cell here: words and data only, the same for every report (``find_labels`` resolves
    the cells in the report)."""
    lb = book()
    found: list[tuple[str, tuple[str, ...]]] = []
    if not clause.strip():
        return (), ""
    allowed = next((lb.section_tables[k] for k in reversed(kinds) if k in lb.section_tables), None)
    notes = []
    if lb.phrases is not None:
        for match in lb.phrases.finditer(clause):
            label = lb.labels[match.group(0)]
            refs = label_cells(label, kinds, budget)
            if not refs:
                notes.append(f"{label.phrase}：预算数不在表中" if budget else f"{label.phrase}：no cell")
                continue
            if allowed is not None and any(r.split("/", 1)[0] not in allowed for r in refs):
                notes.append(f"{label.phrase} here names no cell of this section's table")
                continue
            found.append((label.phrase, refs))
    if not found and not budget:
        classified = function_label(clause, kinds) if ("类" in clause or "款" in clause or "项" in clause) else None
        if classified is not None and (allowed is None or classified[1].split("/", 1)[0] in allowed):
            found.append((classified[0], (classified[1],)))
        elif any(k in lb.economic_sections for k in kinds):
            economic = economic_label(clause.rstrip("为是共：: "))
            if economic is not None:
                found.append((economic[0], (economic[1],)))
    return tuple(found), "; ".join(notes)


def _subject(report: Report, text: str, block: Block, reading: Reading) -> None:
    """"…（项）：年初预算A元，决算B元": the sentence's subject carries over to a bare 决算/预算 figure."""
    figure = reading.figure
    sentence = block.sentence_start(figure.start)
    head = text[max(sentence, figure.start - 120):figure.start - len(reading.clause)]
    found, _ = find_labels(report, head, block.kinds, False)
    if not found:
        return
    subject = found[-1]
    if reading.role == "level":
        reading.labels = [subject]
        return
    label = book().labels.get(subject.name)
    if label is not None and label.budget:
        reading.labels = [resolve_cells(report, subject.name, label.budget)]
    else:
        reading.label_note = "年初预算 figures are not in the tables"


def read_block(report: Report, text: str, block: Block) -> list[Reading]:
    readings: list[Reading] = []
    previous_end = block.start
    for figure in block.figures:
        clause = clause_before(text, figure, previous_end, block.clause_marks)
        role = role_of(figure, clause, text)
        reading = Reading(figure, role, clause, [], index=len(readings))
        if role in ("level", "budget", "change"):
            reading.labels, reading.label_note = find_labels(report, clause, block.kinds, role == "budget")
            if not reading.labels and not reading.label_note and role != "change" and BARE.match(_strip_years(clause)):
                _subject(report, text, block, reading)
        if role == "share":
            match = SHARE_END.search(clause)
            reading.share_base = ((match.group("base") or match.group("inbase") or "") if match else "").strip()
        if figure.kind in ("amount", "percent"):
            previous_end = figure.end
        readings.append(reading)
    return readings


def to_report_unit(figure: Figure, unit: str) -> tuple[Decimal, Decimal] | None:
    """The stated amount in the report's unit, with the rounding its printed precision allows."""
    if figure.value is None:
        return None
    value, half = figure.value, figure.half_unit
    if figure.unit == unit:
        return value, half
    if figure.unit == "元" and unit == "万元":
        return value / 10000, half / 10000
    if figure.unit == "万元" and unit == "元":
        return value * 10000, half * 10000
    return None
