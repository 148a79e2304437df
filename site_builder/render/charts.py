"""Charts as hand-written, server-rendered SVG (no JavaScript needed to see them).

Every chart is a set of horizontal bars with a label column on the left and a value column on the
right, so long Chinese names wrap instead of colliding and every bar carries its printed figure.
A blank figure (``None``) is never drawn as 0: its row has no bar, a dashed "空白" mark instead, and
the text alternative names it. Geometry is computed with ``Decimal`` and rounded to 0.1 px, and ids
come from the caller's ``chart_id``: the same input gives the same bytes. Why not a library:
docs/charts.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from markupsafe import Markup

from site_builder.model import Report
from site_builder.render.grids import Grid

# Colours, all on a white background (WCAG contrast checked in tests/test_charts.py).
BACKGROUND = "#ffffff"
TEXT = "#1a1a1a"  # labels and figures: 17.4:1
MUTED = "#4a4a4a"  # the blank mark: 8.9:1
BAR = "#0b4f8a"  # bars (graphics need 3:1): 8.6:1
AXIS = "#1a1a1a"
COLOUR_PAIRS = {"text": (TEXT, BACKGROUND), "muted": (MUTED, BACKGROUND), "bar": (BAR, BACKGROUND),
                "axis": (AXIS, BACKGROUND)}
FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'

BLANK = "空白"
SHARE_PLACES = Decimal("0.01")
SHARE_NOTE = "占比 = 金额 ÷ {total_label}，按 ROUND_HALF_UP 四舍五入保留两位小数；空白的项目不计算占比。"

WIDTH = 640
PAD = 8
FONT = 13
LINE = 18  # height of one text line
BAR_HEIGHT = 16
ROW_GAP = 8
MAX_LABEL_WIDTH = 220
MIN_BAR_AREA = 200
PX = Decimal("0.1")


@dataclass(frozen=True)
class ChartRow:
    """One row of the chart's data table: the printed label, the exact figure, its share (if any)."""

    label: str
    value: Decimal | None
    share: Decimal | None = None

    @property
    def value_text(self) -> str:
        return BLANK if self.value is None else amount_text(self.value)

    @property
    def share_text(self) -> str:
        return "" if self.share is None else f"{self.share:,}"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    unit_of_amount: str
    svg: Markup
    summary: str  # the text alternative: the chart's message in one sentence, from the figures
    columns: tuple[str, ...]  # headings of the data table
    rows: tuple[ChartRow, ...]
    has_shares: bool = False
    note: str = ""  # how a derived figure (share) was computed


def amount_text(value: Decimal) -> str:
    """Figures as the report tables print them (thousands separators, the published decimals)."""
    return f"{value:,}"


def share_of(part: Decimal | None, total: Decimal | None) -> Decimal | None:
    """part / total in per cent, ROUND_HALF_UP to 2 places; absent when an input is blank or total is 0."""
    if part is None or total is None or total == 0:
        return None
    return (part * 100 / total).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


# -- public API ---------------------------------------------------------------------------------
def year_series(title: str, unit_of_amount: str, points: list[tuple[int, Decimal | None]], *,
                chart_id: str | None = None, year_heading: str = "年度", year_suffix: str = "年") -> Chart:
    """Bars by year (one row per year, oldest first). Blank years are gaps marked 空白, never 0."""
    ordered = sorted(points, key=lambda point: point[0])
    rows = tuple(ChartRow(f"{year}{year_suffix}", value) for year, value in ordered)
    cid = safe_id(chart_id, title, rows)
    summary = year_series_summary(title, unit_of_amount, ordered)
    return Chart(cid, title, unit_of_amount, bars_svg(cid, title, summary, rows, shares=False), summary,
                 (year_heading, amount_heading(unit_of_amount)), rows)


def composition(title: str, unit_of_amount: str, parts: list[tuple[str, Decimal | None]], total: Decimal | None, *,
                total_label: str, name_heading: str, chart_id: str | None = None) -> Chart:
    """The parts of a total as horizontal bars labelled with their figures and shares (not a pie).

    ``total`` is the published total (not the sum of the parts): shares are of what the report says
    the whole is, and a total row closes the data table."""
    part_rows = tuple(ChartRow(name, value, share_of(value, total)) for name, value in parts)
    rows = (*part_rows, ChartRow(total_label, total, share_of(total, total)))
    cid = safe_id(chart_id, title, rows)
    summary = composition_summary(title, unit_of_amount, part_rows, total, total_label)
    return Chart(cid, title, unit_of_amount, bars_svg(cid, title, summary, part_rows, shares=True), summary,
                 (name_heading, amount_heading(unit_of_amount), "占比（%）"), rows, has_shares=True,
                 note=SHARE_NOTE.format(total_label=total_label))


YUAN_PER_UNIT = {"元": Decimal(1), "万元": Decimal(10000)}


def in_unit(value: Decimal | None, unit: str, target: str) -> Decimal | None:
    """A figure converted exactly between 元 and 万元 (1 万元 = 10000 元), so that the years of a series
    published in different units can share one chart. Blank stays blank."""
    if value is None:
        return None
    return value * YUAN_PER_UNIT[unit] / YUAN_PER_UNIT[target]


def amount_heading(unit_of_amount: str) -> str:
    return f"金额（{unit_of_amount}）"


def safe_id(chart_id: str | None, title: str, rows: tuple[ChartRow, ...]) -> str:
    """An id usable in HTML and SVG: the caller's (reduced to [a-z0-9-]) or one derived from the content."""
    if chart_id:
        cleaned = re.sub(r"[^a-z0-9-]+", "-", chart_id.lower()).strip("-")
        if cleaned:
            return cleaned if cleaned[0].isalpha() else "chart-" + cleaned
    digest = hashlib.sha256(repr((title, rows)).encode("utf-8")).hexdigest()[:10]
    return f"chart-{digest}"


# -- text alternatives --------------------------------------------------------------------------
def figure(value: Decimal, unit: str) -> str:
    return f"{amount_text(value)} {unit}"


def years_text(years: list[int]) -> str:
    return "、".join(str(year) for year in years) + " 年"


def year_series_summary(title: str, unit: str, points: list[tuple[int, Decimal | None]]) -> str:
    known = [(year, value) for year, value in points if value is not None]
    blank_years = [year for year, value in points if value is None]
    blank_clause = f"{years_text(blank_years)}空白（未填报，不按 0 计）" if blank_years else ""
    if not known:
        span = f"{points[0][0]}–{points[-1][0]} 年" if len(points) > 1 else f"{points[0][0]} 年" if points else ""
        return f"{title}：{span}均为空白，没有可以比较的数字。" if span else f"{title}：没有数字。"
    clauses = [change_clause(known, unit)]
    if len(known) >= 3:
        top_year, top_value = max(known, key=lambda point: point[1])  # earliest year wins a tie
        clauses.append(f"{top_year} 年最高（{figure(top_value, unit)}）")
    if blank_clause:
        clauses.append(blank_clause)
    return f"{title}：" + "；".join(clauses) + "。"


def change_clause(known: list[tuple[int, Decimal]], unit: str) -> str:
    (first_year, first), (last_year, last) = known[0], known[-1]
    if len(known) == 1:
        return f"{first_year} 年为 {figure(first, unit)}"
    span = f"{first_year}–{last_year} 年"
    if last == first:
        return f"{span}持平，均为 {figure(first, unit)}"
    verb = "增至" if last > first else "降至"
    difference = last - first
    change = f"{'增加' if difference > 0 else '减少'} {figure(abs(difference), unit)}"
    rate = share_of(abs(difference), first) if first > 0 else None  # a rate against 0 or a negative base says nothing
    if rate is not None:
        change += f"，{'增长' if difference > 0 else '下降'} {rate}%"
    return f"{span}由 {figure(first, unit)}{verb} {figure(last, unit)}（{change}）"


def composition_summary(title: str, unit: str, rows: tuple[ChartRow, ...], total: Decimal | None, total_label: str) -> str:
    known = [row for row in rows if row.value is not None]
    blank = [row.label for row in rows if row.value is None]
    clauses = [f"{total_label} {figure(total, unit)}" if total is not None else f"{total_label}空白，不计算占比"]
    if known:
        largest = max(known, key=lambda row: row.value)  # type: ignore[arg-type, return-value]
        share = f"，占 {largest.share}%" if largest.share is not None else ""
        clauses.append(f"共 {len(rows)} 项，{largest.label}最多（{figure(largest.value, unit)}{share}）")  # type: ignore[arg-type]
    if blank:
        clauses.append("、".join(blank) + "空白")
    return f"{title}：" + "；".join(clauses) + "。"


# -- drawing ------------------------------------------------------------------------------------
def text_width(text: str) -> Decimal:
    """Estimated width in px: CJK and full-width characters take 1 em, others about 0.6 em."""
    ems = sum(Decimal(1) if ord(ch) > 0x2E7F else Decimal("0.6") for ch in text)
    return ems * FONT


def wrap(text: str, width: Decimal) -> list[str]:
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and text_width(current + ch) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current] if current or not lines else lines


def px(value: Decimal) -> str:
    """A coordinate: rounded to 0.1 px, written without exponent or trailing zeros."""
    text = format(value.quantize(PX, rounding=ROUND_HALF_UP), "f")
    return text[:-2] if text.endswith(".0") else text


def value_label(row: ChartRow, shares: bool) -> str:
    if row.value is None:
        return BLANK
    return f"{row.value_text}（{row.share_text}%）" if shares and row.share is not None else row.value_text


def bars_svg(cid: str, title: str, summary: str, rows: tuple[ChartRow, ...], *, shares: bool) -> Markup:
    label_width = min(max((text_width(r.label) for r in rows), default=Decimal(0)), Decimal(MAX_LABEL_WIDTH))
    values = [value_label(r, shares) for r in rows]
    value_width = max((text_width(v) for v in values), default=Decimal(0))
    width = max(Decimal(WIDTH), 4 * PAD + label_width + value_width + MIN_BAR_AREA)
    bar_left = 2 * PAD + label_width
    bar_right = width - 2 * PAD - value_width
    figures = [r.value for r in rows if r.value is not None]
    low, high = min([Decimal(0), *figures]), max([Decimal(0), *figures])
    span = (high - low) or Decimal(1)

    def x_of(value: Decimal) -> Decimal:
        return bar_left + (bar_right - bar_left) * (value - low) / span

    zero = x_of(Decimal(0))
    parts: list[str] = []
    y = Decimal(PAD)
    for row, value_text in zip(rows, values, strict=True):
        lines = wrap(row.label, Decimal(MAX_LABEL_WIDTH))
        height = max(len(lines) * LINE, BAR_HEIGHT + 4)
        middle = y + Decimal(height) / 2
        parts.append(label_text(lines, PAD + label_width, middle))
        parts.append(bar_or_blank(cid, row.value, zero, x_of, middle, bar_right))
        parts.append(value_text_svg(value_text, width - PAD, middle, blank=row.value is None))
        y += height + ROW_GAP
    bottom = y - ROW_GAP + PAD
    axis = (f'<line class="chart-axis" x1="{px(zero)}" y1="{PAD // 2}" x2="{px(zero)}" y2="{px(bottom - PAD // 2)}" '
            f'stroke="{AXIS}" stroke-width="1"/>')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {px(width)} {px(bottom)}" '
            f'width="{px(width)}" height="{px(bottom)}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
            f'font-family="{escape(FONT_FAMILY)}" font-size="{FONT}" fill="{TEXT}">'
            f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(summary)}</desc>'
            f'{hatch_pattern(cid)}<rect class="chart-bg" width="100%" height="100%" fill="{BACKGROUND}"/>')
    return Markup(head + "".join(parts) + axis + "</svg>")


def baseline(middle: Decimal) -> str:
    """The y of a text line centred on ``middle`` (the baseline sits about 0.35 em below the centre)."""
    return px(middle + FONT * Decimal("0.35"))


def value_text_svg(text: str, right: Decimal, middle: Decimal, *, blank: bool) -> str:
    colour = f' fill="{MUTED}"' if blank else ""
    return f'<text x="{px(right)}" y="{baseline(middle)}" text-anchor="end"{colour}>{escape(text)}</text>'


def hatch_pattern(cid: str) -> str:
    """Negative bars are hatched as well as drawn leftwards, so the sign is not told by colour."""
    return (f'<defs><pattern id="{cid}-neg" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="6" height="6" fill="{BACKGROUND}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{BAR}" stroke-width="3"/>'
            f'</pattern></defs>')


def label_text(lines: list[str], right: Decimal, middle: Decimal) -> str:
    first = middle - Decimal(LINE) * (len(lines) - 1) / 2 + FONT * Decimal("0.35")
    spans = "".join(f'<tspan x="{px(right)}" y="{px(first + LINE * i)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text text-anchor="end">{spans}</text>'


def bar_or_blank(cid: str, value: Decimal | None, zero: Decimal, x_of: Callable[[Decimal], Decimal], middle: Decimal, bar_right: Decimal) -> str:
    top = px(middle - Decimal(BAR_HEIGHT) / 2)
    if value is None:
        mark_width = text_width(BLANK) + 8
        left = zero + 2 if zero + 2 + mark_width <= bar_right else zero - 2 - mark_width
        return (f'<g class="chart-blank"><rect x="{px(left)}" y="{top}" width="{px(mark_width)}" height="{BAR_HEIGHT}" '
                f'fill="none" stroke="{MUTED}" stroke-dasharray="3 2"/><text x="{px(left + mark_width / 2)}" '
                f'y="{baseline(middle)}" text-anchor="middle" fill="{MUTED}">{BLANK}</text></g>')
    end = x_of(value)
    left, right = min(zero, end), max(zero, end)
    fill = f"url(#{cid}-neg)" if value < 0 else BAR
    kind = "chart-bar chart-bar-negative" if value < 0 else "chart-bar"
    return (f'<rect class="{kind}" x="{px(left)}" y="{top}" width="{px(right - left)}" height="{BAR_HEIGHT}" '
            f'fill="{fill}" stroke="{BAR}" stroke-width="1"/>')


# -- the report page's chart --------------------------------------------------------------------
SPENDING_TABLE = "expenditure"  # the frame id of the 支出决算表 in every template (ids, not printed names)
CLASS_CODE_LENGTH = 3  # 功能分类 类 codes: 208, 210, 221 …


def report_spending_chart(report: Report, grids: list[Grid]) -> Chart | None:
    """The composition of the report's spending by 功能分类 类, from the spending table's first
    column (本年支出合计) and its total row; names as the page prints them. None when the table
    is missing, unpublished or has no 类 rows."""
    grid = next((g for g in grids if g.table_id == SPENDING_TABLE), None)
    table = report.tables.get(SPENDING_TABLE)
    if grid is None or table is None or report.unpublished_reason("table", SPENDING_TABLE) is not None:
        return None
    frame = next(f for f in report.template.tables if f.id == SPENDING_TABLE)
    if frame.layout != "coded" or not frame.columns:
        return None
    column = frame.columns[0]
    parts: list[tuple[str, Decimal | None]] = []
    for row in grid.body:
        code, name = row[0], row[1] if len(row) > 1 else row[0]
        if code.kind == "code" and len(code.text) == CLASS_CODE_LENGTH:
            amount = table.cell("rows", code.text, column.id)
            parts.append((name.text or code.text, amount.value if amount else None))
    if not parts:
        return None
    total = table.cell("rows", "total", column.id)
    title = f"{column.title}的构成（按功能分类科目 类）"
    return composition(title, report.amount_unit, parts, total.value if total else None,
                       total_label=frame.label("total"), name_heading=frame.label("name"), chart_id=f"chart-{SPENDING_TABLE}")
