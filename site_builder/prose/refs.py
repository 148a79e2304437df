"""Computed figures in prose: ``{{…}}`` references to table cells, parsed and resolved here.

One module for the checker (``rules/references.py``) and the renderer (``render/markdown.py``),
so a reference that checks clean is exactly the one that renders. The grammar (documented with
examples in ``docs/narrative.md``) is read by our own small parser; nothing in content runs::

    引用  = 数                       a cell:        {{支出决算表/合计/基本支出}}
          | 数 " 占 " 数             a share, P%:   {{支出决算表/合计/基本支出 占 支出决算表/合计/本年支出合计}}
          | 数 " 比 " 比较 " " 量    a comparison:  {{收入支出决算总表/收入/总计 比上年 幅度}}
    比较  = 数 | "上年"              "上年" alone: the same cell of the previous year
    数    = ["上年"] 表 "/" [侧 "/"] 行 ["/" 列]
    量    = 差额 | 幅度 | 增减 | 升降 | 大小 | 高低

The second figure of a share or comparison may leave out its table when it is the first one's.
Names come from the template frames (``standards``): a table by title, number (公开03表) or id;
a row by its printed name (without 一、 or （一）) or classification code; a column by its title.
"""

from __future__ import annotations

import difflib
import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache, lru_cache
from pathlib import Path

from site_builder import contentfs, loader, standards
from site_builder.findings import Finding, Place
from site_builder.model import Report, Table
from site_builder.standards import TableFrame, Template

SYNTAX, UNKNOWN, BLANK, PREVIOUS = "narrative.ref-syntax", "narrative.ref-unknown", "narrative.ref-blank", "narrative.ref-previous"
MEASURES = {"差额": "difference", "幅度": "rate", "增减": "change", "升降": "trend", "大小": "compare", "高低": "level"}
WORDS = {  # measure → words for (greater, smaller, equal)
    "change": ("增加", "减少", "持平"),
    "trend": ("增长", "下降", "持平"),
    "compare": ("大于", "小于", "等于"),
    "level": ("高于", "低于", "等于"),
}
PREVIOUS_WORD = "上年"
ATTACHMENT_TEXT_FIELDS = ("goal", "achieved", "analysis")  # attachment texts that may hold references
_SEPARATOR = re.compile(r"\s*[/／]\s*")
_SHARE = re.compile(r"^(.+?)\s+占\s+(.+)$")
_COMPARE = re.compile(r"^(.+?)\s+比\s*(.+?)\s+(\S+)$")
_CODE = re.compile(r"^\d{3,7}$")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
TEN_THOUSAND = Decimal(10000)


class Problem(Exception):
    """A reference that cannot be shown: rule id and a message for the clerk."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


# -- finding the spans ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    start: int  # offset of "{{" in the text
    end: int  # offset after "}}" (or the end of the line when unclosed)
    inside: str
    closed: bool


def spans(text: str) -> Iterator[Span]:
    """Every ``{{…}}`` of a text; a reference stays on one line."""
    position = 0
    while (start := text.find("{{", position)) != -1:
        line_end = text.find("\n", start)
        line_end = len(text) if line_end == -1 else line_end
        close = text.find("}}", start + 2, line_end)
        if close == -1:
            yield Span(start, line_end, text[start + 2:line_end], False)
            position = line_end
            continue
        yield Span(start, close + 2, text[start + 2:close], True)
        position = close + 2


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, so 中文 counts one per character)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- parsing the inside --------------------------------------------------------------------------

@dataclass(frozen=True)
class Operand:
    parts: tuple[str, ...]
    previous: bool = False


@dataclass(frozen=True)
class Expression:
    kind: str  # cell | share | difference | rate | change | trend | compare | level
    first: Operand
    second: Operand | None = None


def parse(inside: str) -> Expression:
    """The expression of a reference's inside; raises Problem. The same inside is written in many
    reports (a portal's reports share their sentences): it is parsed once per process."""
    parsed = _parse_once(inside)
    if isinstance(parsed, Expression):
        return parsed
    raise Problem(*parsed)  # a new exception each time: a raised one would carry its old traceback


@lru_cache(maxsize=4096)
def _parse_once(inside: str) -> Expression | tuple[str, str]:
    """``_parse(inside)``, or the rule and message of its Problem."""
    try:
        return _parse(inside)
    except Problem as problem:
        return problem.rule, problem.message


def _parse(inside: str) -> Expression:
    text = inside.strip()
    if not text:
        raise Problem(SYNTAX, "空的引用 {{}}：请写明 表/行/列，例如 {{支出决算表/合计/基本支出}}")
    if "{{" in text:
        raise Problem(SYNTAX, "引用里又出现了 {{：每个引用都要用 }} 结束")
    if share := _SHARE.match(text):
        return Expression("share", _operand(share.group(1)), _operand(share.group(2)))
    if comparison := _COMPARE.match(text):
        first_text, second_text, measure = comparison.groups()
        if measure not in MEASURES:
            raise Problem(SYNTAX, f"比较的最后一词「{measure}」不认识：应为 {'、'.join(MEASURES)} 之一")
        first = _operand(first_text)
        if second_text == PREVIOUS_WORD:
            if first.previous:
                raise Problem(SYNTAX, "「上年…比上年」没有意义：比上年的应是本年的数")
            second = Operand(first.parts, previous=True)
        else:
            second = _operand(second_text)
        return Expression(MEASURES[measure], first, second)
    if re.search(r"\s(占|比)", text) or text.endswith(tuple(MEASURES)):
        raise Problem(SYNTAX, "占比写成「A 占 B」，比较写成「A 比 B 差额」或「A 比上年 幅度」（词的前后要有空格），"
                              f"比较的最后一词为 {'、'.join(MEASURES)} 之一")
    return Expression("cell", _operand(text))


def _operand(text: str) -> Operand:
    text = text.strip()
    previous = text.startswith(PREVIOUS_WORD) and len(text) > len(PREVIOUS_WORD)
    if previous:
        text = text[len(PREVIOUS_WORD):].strip()
    parts = tuple(_SEPARATOR.split(text))
    if any(not p for p in parts):
        raise Problem(SYNTAX, f"「{text}」中有空的名称：表、行、列之间用一个 / 分隔")
    if any(re.search(r"\s", p) for p in parts):
        raise Problem(SYNTAX, f"「{text}」的名称里有空格：名称之间用 / 分隔，「占」「比」前后才用空格")
    if len(parts) > 4:
        raise Problem(SYNTAX, f"「{text}」分了 {len(parts)} 段：最多是 表/侧/行/列 四段")
    return Operand(parts, previous)


# -- names of one template -------------------------------------------------------------------------

@dataclass(frozen=True)
class CellRef:
    frame: TableFrame
    section: str
    row: str
    column: str
    previous: bool = False
    label: str = field(default="", compare=False)  # as the clerk wrote it, with the table

    @property
    def key(self) -> str:
        return f"{self.frame.id}/{self.section}/{self.row}/{self.column}"

    @property
    def source_key(self) -> str:
        """The key, marked when the figure is the previous year's (not a cell of this page)."""
        return f"previous:{self.key}" if self.previous else self.key

    @property
    def counts(self) -> bool:
        """Quantities (辆, 台) rather than money: shown without the amount unit."""
        if self.frame.layout != "related_info":
            return False
        return bool(next(p for p in self.frame.raw["parts"] if p["section"] == self.section).get("counts"))


@cache
def _tables_by_name(template_id: str) -> dict[str, TableFrame]:
    template = standards.templates()[template_id]
    return {name: frame for frame in template.tables for name in standards.table_names(frame)}


@dataclass(frozen=True)
class _FrameNames:
    sections: dict[str, str]
    rows: dict[str, dict[str, str]]  # section → name → row id
    columns: dict[str, dict[str, str]]  # section → name → column id


@cache
def _frame_names(template_id: str, table_id: str) -> _FrameNames:
    frame = standards.templates()[template_id].table(table_id)
    assert frame is not None
    return _FrameNames(
        standards.section_names(frame),
        {s: standards.fixed_row_names(frame, s) for s in frame.sections},
        {s: standards.column_names(frame, s) for s in frame.sections},
    )


def _nearest(word: str, candidates: list[str]) -> str:
    unique = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(word, unique, n=3, cutoff=0.3)
    shown = close or unique[:6]
    return "、".join(shown) + ("" if close or len(unique) <= 6 else " …")


def _code_names(report: Report, frame: TableFrame, table: Table | None, section: str) -> dict[str, list[str]]:
    """Printed, standard or declared name → codes, for the codes the report's table has."""
    if table is None or frame.codes == "":
        return {}
    book = report.codebook(frame.codes)
    names: dict[str, list[str]] = {}
    for code in table.sections.get(section, {}):
        if not _CODE.match(code):
            continue
        for name in {table.names.get(code, ("",))[0], book.name(code) or ""} - {""}:
            names.setdefault(standards.plain_name(name), []).append(code)
    return names


class Resolver:
    """Names → cells of one report's template, values from its tables and the previous year's."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.template: Template = report.template
        self._previous: PreviousYear | None = None
        self._cache: dict[str, Figure | Problem] = {}
        _remember(report)

    @property
    def previous(self) -> PreviousYear:
        if self._previous is None:
            self._previous = PreviousYear(self)
        return self._previous

    # names
    def cell(self, operand: Operand, base: TableFrame | None = None) -> CellRef:
        parts = operand.parts
        tables = _tables_by_name(self.template.id)
        frame = tables.get(standards.plain_name(parts[0])) or tables.get(parts[0])
        if frame is not None:
            parts = parts[1:]
        elif base is not None:
            frame = base
        else:
            titles = [f.title for f in self.template.tables]
            raise Problem(UNKNOWN, f"没有名为「{parts[0]}」的表（{self.template.label}）；最接近的：{_nearest(parts[0], titles)}")
        if not parts:
            raise Problem(SYNTAX, f"「{'/'.join(operand.parts)}」只写了表名：请接着写 /行名（需要时再 /列名）")
        if len(parts) > 3:
            raise Problem(SYNTAX, f"「{'/'.join(operand.parts)}」段数太多：表名之后最多是 侧/行/列")
        section, row_part, column_part = self._split(frame, parts)
        section, row = self._row(frame, section, row_part)
        column = self._column(frame, section, column_part)
        label = "/".join((frame.title, *parts))
        return CellRef(frame, section, row, column, operand.previous, label)

    def _split(self, frame: TableFrame, parts: tuple[str, ...]) -> tuple[str | None, str, str | None]:
        sides = _frame_names(self.template.id, frame.id).sections
        if len(parts) == 3:
            side = sides.get(standards.plain_name(parts[0]))
            if side is None:
                raise Problem(UNKNOWN, f"{frame.title}没有「{parts[0]}」这一部分；可写：{'、'.join(sides) or '（本表只有一部分，去掉这一段）'}")
            return side, parts[1], parts[2]
        if len(parts) == 2 and standards.plain_name(parts[0]) in sides:
            return sides[standards.plain_name(parts[0])], parts[1], None
        if len(parts) == 2:
            return None, parts[0], parts[1]
        return None, parts[0], None

    def _row(self, frame: TableFrame, section: str | None, part: str) -> tuple[str, str]:
        table = self.report.tables.get(frame.id)
        name = standards.plain_name(part)
        found: list[tuple[str, str]] = []
        candidates: list[str] = []
        for s in (section,) if section else frame.sections:
            fixed = _frame_names(self.template.id, frame.id).rows[s]
            codes = _code_names(self.report, frame, table, s) if frame.codes and name not in fixed else {}
            candidates += [*fixed, *codes]
            if name in fixed:
                found.append((s, fixed[name]))
            elif part in fixed.values() or (frame.codes and _CODE.match(part) and table and part in table.sections.get(s, {})):
                found.append((s, part))
            elif name in codes:
                found.extend((s, code) for code in codes[name])
        if not found and frame.codes and _CODE.match(part):
            present = [code for code in (table.sections.get("rows", {}) if table else {}) if _CODE.match(code)]
            raise Problem(UNKNOWN, f"{frame.number}{frame.title}中没有科目 {part} 这一行（本报告此表的科目：{_nearest(part, present)}）")
        if not found:
            raise Problem(UNKNOWN, f"{frame.number}{frame.title}中没有「{part}」这一行；最接近的：{_nearest(name, candidates)}")
        if len({s for s, _ in found}) > 1:
            sides = {v: k for k, v in standards.section_names(frame).items()}
            options = "、".join(f"{frame.title}/{sides[s]}/{part}" for s, _ in found)
            raise Problem(UNKNOWN, f"「{part}」在{frame.title}的几部分都有，请写明是哪一部分：{options}")
        if len(found) > 1:
            raise Problem(UNKNOWN, f"{frame.title}中「{part}」不止一行，请用科目编码：{'、'.join(r for _, r in found)}")
        return found[0]

    def _column(self, frame: TableFrame, section: str, part: str | None) -> str:
        columns = _frame_names(self.template.id, frame.id).columns[section]
        ids = frame.section_columns(section)
        if part is None:
            if len(ids) == 1:
                return ids[0]
            titles = "、".join(dict.fromkeys(n for n in columns))
            raise Problem(UNKNOWN, f"{frame.title}有多列，请在行名后写明列名：{titles}")
        column = columns.get(standards.plain_name(part))
        if column is None:
            raise Problem(UNKNOWN, f"{frame.title}中没有「{part}」这一列；最接近的：{_nearest(standards.plain_name(part), list(columns))}")
        return column

    # values
    def value(self, ref: CellRef) -> tuple[Decimal, int]:
        """The figure (in this report's unit) and its decimals; blank is a Problem, never zero."""
        if ref.previous:
            return self.previous.value(ref)
        table = self.report.tables.get(ref.frame.id)
        amount = table.cell(ref.section, ref.row, ref.column) if table else None
        if amount is None:
            where = f"{ref.frame.number}{ref.frame.title}未能读入" if table is None else f"「{ref.label}」这一格是空白（空白不是0）"
            raise Problem(BLANK, f"{where}，无法显示这个数")
        return amount.value, amount.decimals

    def evaluate(self, inside: str) -> Figure:
        """The figure a reference shows; raises Problem (cached, so checking and rendering agree)."""
        known = self._cache.get(inside)
        if known is None:
            try:
                with localcontext(prec=60):  # exact for any amount a table can hold
                    known = self._evaluate(parse(inside))
            except Problem as problem:
                known = problem
            except ArithmeticError:
                known = Problem(BLANK, "数值超出可以计算的范围，无法显示")
            self._cache[inside] = known
        if isinstance(known, Problem):
            raise known
        return known

    def _evaluate(self, expression: Expression) -> Figure:
        first = self.cell(expression.first)
        a, decimals = self.value(first)
        unit = "" if first.counts else self.report.amount_unit
        if expression.kind == "cell":
            return Figure(_amount_text(a, decimals), unit, "" if first.previous else first.key, (first.source_key,))
        assert expression.second is not None
        second = self.cell(expression.second, base=first.frame)
        b, b_decimals = self.value(second)
        keys = (first.source_key, second.source_key)
        shown = max(decimals, 0 if second.previous else b_decimals)
        if expression.kind == "difference":
            return Figure(_amount_text(abs(a - b), shown), unit, "", keys)
        if expression.kind in ("share", "rate"):
            if b == 0:
                what = "占比" if expression.kind == "share" else "增减幅度"
                raise Problem(BLANK, f"比较的基数为0，{what}无法计算")
            ratio = a / b if expression.kind == "share" else abs(a - b) / b
            return Figure(_percent_text(ratio), "%", "", keys)
        greater, smaller, equal = WORDS[expression.kind]
        return Figure(greater if a > b else smaller if a < b else equal, "", "", keys)


@dataclass(frozen=True)
class Figure:
    text: str  # the number (thousands separators, the cell's decimals) or the direction word
    unit: str  # 万元 / 元 / % / "" (counts, words)
    link: str = ""  # key of the cell on this page the figure is, for the link
    cells: tuple[str, ...] = field(default_factory=tuple)  # keys of every cell it is computed from


def _amount_text(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):,}"


def _percent_text(ratio: Decimal) -> str:
    return f"{(ratio * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)}"


def _convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    if from_unit == to_unit:
        return value
    return value * TEN_THOUSAND if from_unit == "万元" else value / TEN_THOUSAND


# -- previous year ---------------------------------------------------------------------------------

# Reports resolved in this process, newest last: checking runs a unit's years in order, so the
# previous year's tables are usually still here and need not be read again.
_RECENT: OrderedDict[str, tuple[int, str, dict[str, Table]]] = OrderedDict()  # folder → (when, unit, tables)
RECENT_REPORTS = 16
SETTLED_NS = 2_000_000_000


def _remember(report: Report) -> None:
    _RECENT[report.folder] = (time.time_ns(), report.amount_unit, report.tables)
    _RECENT.move_to_end(report.folder)
    while len(_RECENT) > RECENT_REPORTS:
        _RECENT.popitem(last=False)


def _stamp(*files: Path) -> tuple[int, ...]:
    """Modification times, without following links (links are refused when the files are read)."""
    return tuple(_mtime(f) for f in files)


def _mtime(file: Path) -> int:
    """``os.lstat(file).st_mtime_ns``, 0 where ``os.path.lexists`` is false (one lstat, not two)."""
    try:
        return os.lstat(file).st_mtime_ns
    except (OSError, ValueError):
        return 0


@lru_cache(maxsize=256)
def _portal_table(folder: str, table_id: str, stamp: tuple[int, ...]) -> tuple[str, Table | None] | None:
    """One table of a previous-year report in the content (only the tables references need are read)."""
    return loader.load_table(Path(folder), table_id)


class PreviousYear:
    """Previous-year figures: the unit's own previous report in the content, else the figures its
    report.yaml declares under ``previous_year:`` (with their source)."""

    def __init__(self, resolver: Resolver) -> None:
        report = resolver.report
        self.report = report
        self.folder = Path(report.folder).parent / str(report.year - 1)
        self._report_yaml, self._tables = self.folder / "report.yaml", self.folder / "tables"
        content_root = self.folder.parent.parent
        self.in_portal = contentfs.kind(content_root, self._report_yaml) is contentfs.Kind.FILE
        self.declared: dict[str, tuple[Decimal, int]] = {}
        self.problems: list[Finding] = []
        declared = report.previous_year
        for name, amount, place in declared.figures if declared else ():
            try:
                ref = resolver.cell(_operand(name))
            except Problem as problem:
                self.problems.append(Finding(problem.rule, f"上年数「{name}」：{problem.message}", place,
                                             subject=f"previous_year:{name}", report=report.rel, table="report.yaml"))
                continue
            value = _convert(amount.value, declared.amount_unit if declared else report.amount_unit, report.amount_unit)
            self.declared[ref.key] = (value, amount.decimals)

    def value(self, ref: CellRef) -> tuple[Decimal, int]:
        portal = self._portal_table(ref.frame.id)
        if portal is not None:
            unit, table = portal
            amount = table.cell(ref.section, ref.row, ref.column)
            if amount is None:
                raise Problem(BLANK, f"{self.report.year - 1}年度报告中「{ref.label}」这一格是空白（空白不是0），无法比较")
            return _convert(amount.value, unit, self.report.amount_unit), amount.decimals
        if ref.key in self.declared:
            return self.declared[ref.key]
        portal = (f"本单位{self.report.year - 1}年度报告的{ref.frame.title}未能读入" if self.in_portal
                  else f"内容中没有本单位{self.report.year - 1}年度的报告")
        raise Problem(PREVIOUS, f"没有「{ref.label}」的上年数：{portal}，report.yaml 的 previous_year.figures "
                                "也没有列出这一格；请在那里写明它的上年数和出处（source）")

    def _portal_table(self, table_id: str) -> tuple[str, Table] | None:
        if not self.in_portal:
            return None
        stamp = _stamp(self._report_yaml, self._tables / f"{table_id}.yaml")
        recent = _RECENT.get(str(self.folder))
        # reused only when its files are older than it by more than a file-time tick could hide
        if recent is not None and table_id in recent[2] and max(stamp) < recent[0] - SETTLED_NS:
            return recent[1], recent[2][table_id]
        loaded = _portal_table(str(self.folder), table_id, stamp)
        if loaded is None or loaded[1] is None:
            return None
        return loaded[0], loaded[1]


# -- checking texts --------------------------------------------------------------------------------

def check_text(resolver: Resolver, text: str, path: str, table: str,
               place_of: dict[int, Place] | None = None) -> list[Finding]:
    """Findings for every reference of a text, at the line and column of its ``{{``."""
    findings: list[Finding] = []
    for span in spans(text):
        if place_of is not None and span.start in place_of:
            place = place_of[span.start]
        else:
            place = Place(path, *line_col(text, span.start))
        try:
            if not span.closed:
                raise Problem(SYNTAX, "引用没有用 }} 结束（一个引用要写在同一行里）")
            resolver.evaluate(span.inside)
        except Problem as problem:
            findings.append(Finding(problem.rule, f"{{{{{span.inside.strip()}}}}}：{problem.message}", place,
                                    subject=f"{table}:{span.inside.strip()}", figures=(span.inside.strip(),),
                                    report=resolver.report.rel, table=table))
    return findings
