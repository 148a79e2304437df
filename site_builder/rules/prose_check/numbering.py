"""The outline: the report year in headings and dates, and the numbering of sections and items."""

from __future__ import annotations

import re
from collections.abc import Callable

from site_builder.rules.prose_check.document import HEADING
from site_builder.rules.prose_check.figures import Figure, Positions

Emit = Callable[[str, Figure, str, tuple[str, ...]], None]
COMPARISON = re.compile(r"(?:与|比|较|同|对比|相比|上年|上一年|去年|以前年度|以前)[^，。；]{0,14}$")
AS_OF = re.compile(r"截至\s*$|截止\s*$|截止到\s*$")
NUMERALS = "一二三四五六七八九"
TOP = re.compile(r"^\s*([一二三四五六七八九十]{1,3})、")
SUB = re.compile(r"^\s*[（(]([一二三四五六七八九十]{1,3})[）)]")
ITEM = re.compile(r"^(?:\*\*)?(\d{1,3})[.．、]\s?")
# the lines check_numbering reads: a heading starts with '#', a numbered item with '**' or a digit
NUMBERED_LINE = re.compile(r"^[#*\d]", re.MULTILINE)
OPENING = re.compile(r"\s*(?:#+\s*|[-*+]\s*|\d{1,3}[.．、]\s*|（[一二三四五六七八九十]{1,3}）)*")


def chinese_number(text: str) -> int:
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (NUMERALS.index(ones) + 1 if ones else 0)
    return NUMERALS.index(text) + 1 if len(text) == 1 and text in NUMERALS else 0


def check_year(year: int, text: str, figures: list[Figure], emit: Emit, positions: Positions) -> None:
    """Each year or date: the report year agrees; a wrong year in a heading, an as-of date or the opening
    words of a paragraph is an error; a year in a comparison (与2023年度相比) is the previous year."""
    for figure in figures:
        if figure.kind not in ("year", "date") or figure.value is None:
            continue
        stated = int(figure.value)
        line_start, line_end = positions.line_bounds(figure.start, text)
        before = text[max(line_start, figure.start - 200):figure.start]
        heading = text.startswith("#", line_start) and HEADING.match(text[line_start:line_end])
        opening = OPENING.fullmatch(before) is not None
        checked_place = bool(heading) or bool(AS_OF.search(before)) or (opening and figure.unit == "年度")
        if not checked_place or (stated != year and COMPARISON.search(before[-20:])):
            figure.mark("uncheckable", "a year in running text (only headings, as-of dates and paragraph openings name the report year)")
            continue
        if stated == year:
            figure.mark("agree", "the report year", "narrative.year")
            continue
        if checked_place:
            where = "标题" if heading else "截至日期" if AS_OF.search(before) else "段首"
            figure.mark("disagree", rule="narrative.year")
            emit("narrative.year", figure, f"{year}年度报告的{where}写作 {figure.shown}：应为 {year} 年", (str(stated), str(year)))
            continue
        figure.mark("uncheckable", "a year other than the report's, not in a heading or an as-of date")


def check_numbering(text: str, emit: Emit, place: Callable[[int, str], Figure]) -> None:
    """一、二、三 at the top level, （一）（二） below each, and 1. 2. items below each heading: each number
    once and in order."""
    expected_top = 1
    expected_sub = 1
    expected_item = 1
    for start in NUMBERED_LINE.finditer(text):  # any other line neither is a heading nor matches ITEM
        offset = start.start()
        end = text.find("\n", offset)
        line = text[offset:end] if end >= 0 else text[offset:]
        heading = HEADING.match(line) if line[:1] == "#" else None  # a heading starts with '#'
        if heading:
            title = heading.group(2)
            top, sub = TOP.match(title), SUB.match(title)
            if top:
                expected_top = _step(chinese_number(top.group(1)), expected_top, "一、二、三", place(offset + line.index(top.group(1)), top.group(1) + "、"), emit)
                expected_sub = 1
            elif sub:
                expected_sub = _step(chinese_number(sub.group(1)), expected_sub, "（一）（二）", place(offset + line.index(sub.group(1)), f"（{sub.group(1)}）"), emit)
            expected_item = 1
        else:
            item = ITEM.match(line)
            if item:
                number = int(item.group(1))
                expected_item = _step(number, expected_item, "1. 2. 3.", place(offset + item.start(1), item.group(1) + "."), emit)


def _step(number: int, expected: int, style: str, figure: Figure, emit: Emit) -> int:
    if number == expected:
        return expected + 1
    if number < expected:
        message = f"序号 {figure.text} 重复（上一个已是 {expected - 1}，应为 {expected}）"
    else:
        message = f"序号 {figure.text} 跳号（应为 {expected}）"
    emit("narrative.numbering", figure, f"{style} 编号：{message}", (str(number), str(expected)))
    return number + 1
