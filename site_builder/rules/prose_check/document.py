"""The outline of a prose file: headings (with their section kinds), blocks (paragraphs and list
items) and sentences, and each figure's place in them. One pass over the text."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from site_builder.rules.prose_check.figures import Figure
from site_builder.rules.prose_check.labels import book

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*)$")
LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+][ \t]|\d{1,3}[.．、][ \t]?|（[一二三四五六七八九十]{1,3}）)")
SENTENCE_END = re.compile(r"[。；;！？!?]")
CLAUSE_END = "，,。；;：:！？!?\n"
_CLAUSE_MARK = re.compile("[" + re.escape(CLAUSE_END) + "]")
LOOKBACK = 80  # a label is printed right before its figure; never scan further back


@dataclass
class Block:
    start: int
    end: int
    kinds: tuple[str, ...]  # section kinds of the enclosing headings, outermost first
    heading: str  # the innermost heading's text
    heading_index: int  # which section (0 before the first heading)
    figures: list[Figure] = field(default_factory=list)
    sentence_starts: list[int] = field(default_factory=list)
    clause_marks: list[int] = field(default_factory=list)  # offsets of every clause mark of the text (shared)

    def sentence_start(self, offset: int) -> int:
        before = bisect_right(self.sentence_starts, offset)  # sentence_starts are in text order
        return self.sentence_starts[before - 1] if before else self.start


@dataclass
class Heading:
    start: int
    level: int
    text: str
    line: int


@dataclass
class Outline:
    text: str
    blocks: list[Block]
    headings: list[Heading]
    section_first_amount: dict[int, Figure] = field(default_factory=dict)


def outline(text: str, figures: list[Figure]) -> Outline:
    lb = book()
    blocks: list[Block] = []
    headings: list[Heading] = []
    chain: list[tuple[int, str, str]] = []  # (level, kind, text)
    current: Block | None = None
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        end = offset + len(line)
        heading = HEADING.match(line) if line[:1] == "#" else None  # a heading starts with '#'
        if heading:
            level, title = len(heading.group(1)), heading.group(2).strip()
            chain = [c for c in chain if c[0] < level] + [(level, lb.section_kind(title), title)]
            headings.append(Heading(offset, level, title, number))
            current = None
        elif not line or line.isspace():  # a blank line (``not line.strip()``, without a copy)
            current = None
        else:
            if current is None or LIST_ITEM.match(line):
                kinds = tuple(c[1] for c in chain if c[1])
                current = Block(offset, end, kinds, chain[-1][2] if chain else "", len(headings))
                blocks.append(current)
            current.end = end
        offset = end + 1
    _attach(blocks, figures)
    # the sentence ends of the whole text, found once: each block takes those inside it (the
    # pattern matches one character, so a match inside a block ends after its start, by its end)
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    clause_marks = [m.start() for m in _CLAUSE_MARK.finditer(text)]
    for block in blocks:
        block.sentence_starts = ends[bisect_right(ends, block.start):bisect_right(ends, block.end)]
        block.clause_marks = clause_marks
    result = Outline(text, blocks, headings)
    for block in blocks:
        for figure in block.figures:
            if figure.kind == "amount":
                result.section_first_amount.setdefault(block.heading_index, figure)
    return result


def _attach(blocks: list[Block], figures: list[Figure]) -> None:
    index = 0
    for figure in figures:
        while index < len(blocks) and blocks[index].end < figure.start:
            index += 1
        if index < len(blocks) and blocks[index].start <= figure.start:
            blocks[index].figures.append(figure)


def clause_before(text: str, figure: Figure, floor: int, marks: list[int] | None = None) -> str:
    """The words printed right before a figure: back to a clause mark, the previous figure or ``floor``.
    ``marks``: the offsets of every clause mark of ``text`` (``Block.clause_marks``), if known."""
    start = max(floor, figure.start - LOOKBACK)
    if marks is not None:  # the last mark before the figure, by bisection instead of a search
        last = bisect_left(marks, figure.start) - 1
        return text[marks[last] + 1 if last >= 0 and marks[last] >= start else start:figure.start]
    segment = text[start:figure.start]
    last = _CLAUSE_MARK.search(segment[::-1])  # the first mark of the reversed segment is the last one
    return segment[len(segment) - last.start():] if last else segment
