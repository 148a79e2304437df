"""The checks of figures read from prose: amounts against their cells, shares, growth, 完成预算 rates,
direction words and parts against their whole. Each marks the figures it decides (agree/disagree)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from decimal import Decimal

from site_builder.model import Report
from site_builder.prose.refs import CellRef, Problem, Resolver
from site_builder.rules.prose_check.context import INCREASE, Reading, find_labels, to_report_unit
from site_builder.rules.prose_check.document import Block
from site_builder.rules.prose_check.figures import Figure

Report_ = Callable[..., None]  # (rule, figure, message, figures, related=(cell places))
HUNDRED = Decimal(100)
SENTENCE_STOP = re.compile("[。；;]")
RATE_UP = re.compile(r"增长|增幅|上升|增加")
RATE_DOWN = re.compile(r"下降|降幅|降低|减少")
DIRECTION = re.compile(r"决算(?:数)?(?:均|都|也)?(高于|低于|大于|小于|等于|超过|少于)(?:年初)?预算")
PARTS_OPEN = re.compile(r"其中|主要有|主要包括|包括|全部为|全部是")


class Starts:
    """Where the matches of a pattern start in a text, found in one pass over the whole text.

    For the patterns here (words, never a line break, no anchors or look-arounds) a block of whole
    lines holds a match of its own text exactly when a match of the whole text starts inside it,
    so the blocks without one are known without slicing and searching each.
    """

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.offsets = [match.start() for match in pattern.finditer(text)]

    def within(self, start: int, end: int) -> bool:
        index = bisect_left(self.offsets, start)
        return index < len(self.offsets) and self.offsets[index] < end


def fmt(value: Decimal, places: int = 2) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):,}"


def rounding(report: Report) -> Decimal:
    return report.tolerance_per_part


def check_amount(report: Report, reading: Reading, emit: Report_) -> None:
    figure = reading.figure
    if not reading.labels:
        figure.mark("uncheckable", reading.label_note or _no_label(reading))
        return
    stated = to_report_unit(figure, report.amount_unit)
    if stated is None:
        figure.mark("uncheckable", "too many digits to be a table figure")
        return
    for label in reading.labels:
        if label.value is None:
            figure.mark("uncheckable", f"{label.name}: {label.why_not}")
            continue
        value, half = stated
        exact = figure.unit == report.amount_unit and figure.decimals == -min(0, int(label.value.as_tuple().exponent))
        if abs(value - label.value) <= (0 if exact else half + rounding(report)):
            figure.mark("agree", f"{label.name} = {label.value}")
            continue
        cell = f"{label.value:,} {report.amount_unit}"
        if figure.unit != report.amount_unit and figure.value is not None and abs(figure.value - label.value) <= figure.half_unit + rounding(report):
            figure.mark("disagree", rule="narrative.unit")
            emit("narrative.unit", figure, f"情况说明写“{label.name}{figure.shown}”，表中 {label.name} 为 {cell}：数字相同而单位不同"
                 f"（本报告金额单位为{report.amount_unit}）", (figure.shown, cell), label.places)
            continue
        figure.mark("disagree", rule="narrative.amount")
        emit("narrative.amount", figure, f"情况说明写“{label.name}{figure.shown}”，但表中 {label.name} 为 {cell}",
             (figure.shown, cell), label.places)


def _no_label(reading: Reading) -> str:
    if reading.role == "approximate":
        return "an approximate figure (约/余)"
    if reading.role == "budget":
        return "年初预算 figures are not in the tables"
    if reading.role == "change":
        return "a change against a figure the report does not state"
    return "its words name no table cell"


def _tolerance(percent: Figure, computed: Decimal, parts: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Rounding of the printed percentage plus what the rounding of each amount can move it by."""
    spread = sum((half / abs(value) for value, half in parts if value), Decimal(0))
    return percent.half_unit + abs(computed) * spread


def _amount(report: Report, figure: Figure) -> tuple[Decimal, Decimal] | None:
    stated = to_report_unit(figure, report.amount_unit)
    if stated is None:
        return None
    return stated[0], stated[1] + rounding(report)


def check_share(report: Report, reading: Reading, block_readings: list[Reading], first_amount: Figure | None,
                kinds: tuple[str, ...], emit: Report_) -> None:
    figure = reading.figure
    part = _previous(block_readings, reading, ("level", "budget"), same_sentence=False)
    if part is None or figure.value is None:
        figure.mark("uncheckable", "a share with no amount before it")
        return
    part_amount = _amount(report, part.figure)
    if reading.share_base:
        labels, _ = find_labels(report, reading.share_base, kinds, False)
        known = [label for label in labels if label.value is not None]
        if not known:
            figure.mark("uncheckable", f"its base {reading.share_base} names no table cell")
            return
        base_value, base_half, base_name = known[0].value, rounding(report), known[0].name
    else:
        if first_amount is None or first_amount is part.figure:
            figure.mark("uncheckable", "a share with no section total before it")
            return
        base = _amount(report, first_amount)
        if base is None:
            figure.mark("uncheckable", "its base has too many digits")
            return
        base_value, base_half, base_name = base[0], base[1], f"本节合计 {first_amount.shown}"
    if part_amount is None or not base_value:
        figure.mark("uncheckable", "its base is 0")
        return
    assert base_value is not None
    computed = part_amount[0] / base_value * HUNDRED
    slack = _tolerance(figure, computed, [part_amount, (base_value, base_half)])
    if abs(computed - figure.value) <= slack:
        figure.mark("agree", f"{part.figure.shown} / {base_name}")
        return
    figure.mark("disagree", rule="narrative.share")
    shown = f"{fmt(computed)}%"
    emit("narrative.share", figure, f"情况说明：{part.figure.shown} 占 {figure.shown}，但按 {base_name}（{fmt(base_value)}）计算为 {shown}",
         (figure.shown, shown))


def _latest(readings: list[Reading], role: str) -> list[Reading | None]:
    """``result[i]``: the last amount with ``role`` among ``readings[:i]`` (one pass, so each lookup is O(1))."""
    result: list[Reading | None] = [None]
    for reading in readings:
        is_match = reading.role == role and reading.figure.kind == "amount"
        result.append(reading if is_match else result[-1])
    return result


def _previous(readings: list[Reading], reading: Reading, roles: tuple[str, ...], same_sentence: bool = False,
              before: Reading | None = None) -> Reading | None:
    limit = (before if before is not None else reading).index
    for position in range(limit - 1, -1, -1):  # no list.index, no slice copy: linear in the text
        candidate = readings[position]
        if candidate.role in roles and candidate.figure.kind == "amount":
            return candidate
    return None


def check_growth(report: Report, reading: Reading, readings: list[Reading], text: str, emit: Report_) -> None:
    figure = reading.figure
    change = _previous(readings, reading, ("change",))
    if change is None and figure.value is not None:
        check_growth_against_previous_year(report, reading, readings, text, emit)
        return
    if change is None or figure.value is None:
        figure.mark("uncheckable", "the previous-year figure is not stated")
        return
    known = [label.value for label in change.labels if label.value is not None]
    current_value: Decimal | None = None
    current_half = rounding(report)
    current_shown = ""
    if known and len(set(known)) == 1:
        current_value, current_shown = known[0], f"{change.labels[0].name} {known[0]:,}"
    else:
        level = _previous(readings, change, ("level",))
        if level is not None and (stated := _amount(report, level.figure)) is not None:
            current_value, current_half, current_shown = stated[0], stated[1], level.figure.shown
    delta = _amount(report, change.figure)
    if current_value is None or delta is None:
        figure.mark("uncheckable", "the current figure of the comparison is not stated")
        change.figure.mark("uncheckable", "the current figure of the comparison is not stated")
        return
    increase = bool(INCREASE.search(change.clause[-6:]))
    rate_word_up = bool(RATE_UP.search(reading.clause))
    if increase != rate_word_up and delta[0]:
        figure.mark("disagree", rule="narrative.direction")
        emit("narrative.direction", figure, f"情况说明：变动额写作“{change.clause.strip()}{change.figure.shown}”，变动率却写作"
             f"“{reading.clause.strip()}{figure.shown}”：方向相反", (change.figure.shown, figure.shown))
        return
    previous = current_value - delta[0] if increase else current_value + delta[0]
    if previous <= 0:
        figure.mark("uncheckable", "the previous-year figure it implies is not positive")
        return
    computed = delta[0] / previous * HUNDRED
    slack = _tolerance(figure, computed, [delta, (previous, current_half + delta[1])])
    if abs(computed - figure.value) <= slack:
        figure.mark("agree", f"{change.figure.shown} / ({current_shown} ∓ {change.figure.shown})")
        change.figure.mark("uncheckable", f"a change amount: only its rate {figure.shown} is checked, to the rate's precision")
        return
    digits = max(figure.decimals, 2)
    shown = f"{fmt(computed, digits)}%"
    figure.mark("disagree", rule="narrative.growth")
    change.figure.mark("uncheckable", f"a change amount: only its rate {figure.shown} is checked, to the rate's precision")
    emit("narrative.growth", figure, f"情况说明：{current_shown} 比上年{'增加' if increase else '减少'} {change.figure.shown}，"
         f"上年应为 {fmt(previous)}，变动率应为 {shown}，而不是 {figure.shown}", (figure.shown, shown))


def check_growth_against_previous_year(report: Report, reading: Reading, readings: list[Reading], text: str,
                                       emit: Report_) -> None:
    """"X万元，比上年增长P%" with no change amount stated: P% against the previous year's figure of
    the cell X's label names (the unit's previous-year report in the content, or report.yaml's
    ``previous_year:``). Only where X is the one amount of its sentence before the rate, so the rate
    cannot belong to another figure ("总计A，其中B，增长P%" is not decided)."""
    figure = reading.figure
    level = _previous(readings, reading, ("level",))
    between = readings[level.index + 1:reading.index] if level is not None else []
    earlier = next((r for r in reversed(readings[:level.index]) if r.figure.kind == "amount"), None) if level else None
    shared = earlier is not None and level is not None and not SENTENCE_STOP.search(text, earlier.figure.end, level.figure.start)
    cells = level.labels[0].cells if level is not None and len(level.labels) == 1 else ()
    current = _amount(report, level.figure) if level is not None else None
    if level is None or len(cells) != 1 or current is None or shared or any(r.figure.kind == "amount" for r in between):
        figure.mark("uncheckable", "the previous-year figure is not stated")
        return
    up, down = bool(RATE_UP.search(reading.clause)), bool(RATE_DOWN.search(reading.clause))
    previous = previous_year_figure(report, cells[0], level.labels[0].name)
    if previous is None or up == down or previous[0] <= 0:
        figure.mark("uncheckable", "no previous-year figure for it (neither the unit's previous report nor previous_year:)"
                    if previous is None else "the rate's direction or base is unclear")
        return
    (before, before_half), (now, now_half) = previous, current
    computed = (now - before) / before * HUNDRED
    stated = figure.value if up else -figure.value
    assert stated is not None
    slack = figure.half_unit + HUNDRED * (now_half / before + now * before_half / (before * before))
    if abs(computed - stated) <= slack:
        figure.mark("agree", f"{level.figure.shown} / 上年 {fmt(before)}")
        return
    shown = f"{fmt(abs(computed), max(figure.decimals, 2))}%"
    word = "增长" if computed > 0 else "下降"
    figure.mark("disagree", rule="narrative.growth")
    emit("narrative.growth", figure, f"情况说明：{level.labels[0].name} {level.figure.shown}，上年为 {fmt(before)}，"
         f"应{word} {shown}，而不是{'增长' if up else '下降'} {figure.shown}", (figure.shown, f"{word}{shown}"))


def previous_year_figure(report: Report, cell: str, name: str) -> tuple[Decimal, Decimal] | None:
    """The previous year's value of a cell ("table/section/row/column") in the report's unit, with
    its rounding; None when neither the content nor ``previous_year:`` has it."""
    table_id, section, row, column = (cell.split("/") + ["", "", "", ""])[:4]
    frame = report.template.table(table_id)
    if frame is None:
        return None
    try:
        value, decimals = Resolver(report).previous.value(CellRef(frame, section, row, column, previous=True, label=name))
    except Problem:
        return None
    return value, Decimal(5).scaleb(-(decimals + 1)) + rounding(report)


def check_budget_rate(report: Report, reading: Reading, readings: list[Reading], emit: Report_) -> None:
    figure = reading.figure
    final = _previous(readings, reading, ("level",))
    budget = _previous(readings, reading, ("budget",))
    if figure.value is None or final is None or budget is None:
        figure.mark("uncheckable", "预算数 or 决算数 not stated next to it")
        return
    final_amount, budget_amount = _amount(report, final.figure), _amount(report, budget.figure)
    if final_amount is None or budget_amount is None or not budget_amount[0]:
        figure.mark("uncheckable", "预算数 is 0")
        return
    computed = final_amount[0] / budget_amount[0] * HUNDRED
    slack = _tolerance(figure, computed, [final_amount, budget_amount])
    if abs(computed - figure.value) <= slack:
        figure.mark("agree", f"{final.figure.shown} / {budget.figure.shown}")
        return
    shown = f"{fmt(computed, max(figure.decimals, 2))}%"
    figure.mark("disagree", rule="narrative.budget-rate")
    emit("narrative.budget-rate", figure, f"情况说明：决算 {final.figure.shown} / 预算 {budget.figure.shown} = {shown}，"
         f"而不是 {figure.shown}", (figure.shown, shown))


def check_direction(report: Report, block: Block, readings: list[Reading], text: str, emit: Report_,
                    place: Callable[[int], Figure]) -> None:
    segment = text[block.start:block.end]
    matches = list(DIRECTION.finditer(segment))
    if not matches:  # most blocks compare no 决算 with its 预算: nothing to look up
        return
    starts = [r.figure.start for r in readings]
    latest_level, latest_budget = _latest(readings, "level"), _latest(readings, "budget")
    for match in matches:
        before = bisect_left(starts, block.start + match.start())
        final, budget = latest_level[before], latest_budget[before]
        if final is None or budget is None:
            continue
        a, b = _amount(report, final.figure), _amount(report, budget.figure)
        if a is None or b is None:
            continue
        word = match.group(1)
        margin = a[1] + b[1]
        truth = "高于" if a[0] - b[0] > margin else "低于" if b[0] - a[0] > margin else "等于"
        said = {"大于": "高于", "超过": "高于", "小于": "低于", "少于": "低于"}.get(word, word)
        if said == truth or (truth == "等于" and abs(a[0] - b[0]) <= margin and said != "等于" and a[0] != b[0]):
            continue
        figure = place(block.start + match.start(1))
        emit("narrative.direction", figure, f"情况说明写“决算{word}预算”，但决算 {final.figure.shown}、预算 {budget.figure.shown}："
             f"决算{truth}预算", (word, truth))


def check_parts(report: Report, block: Block, readings: list[Reading], text: str, emit: Report_) -> None:
    """"A，其中B、C": no part larger than its whole, and the parts not more than the whole together."""
    segment = text[block.start:block.end]
    matches = list(PARTS_OPEN.finditer(segment))
    if not matches:  # most blocks list no parts: nothing to look up
        return
    starts = [r.figure.start for r in readings]
    latest_level = _latest(readings, "level")
    stops = [block.start + m.start() for m in SENTENCE_STOP.finditer(segment)]
    opens = [block.start + m.start() for m in matches]
    for index, match in enumerate(matches):
        offset = opens[index]
        # the list of parts ends with its sentence, or where the next 其中 begins
        after = bisect_left(stops, offset)
        end = min(stops[after] if after < len(stops) else block.end, opens[index + 1] if index + 1 < len(opens) else block.end)
        whole = latest_level[bisect_left(starts, offset)]
        inside = readings[bisect_right(starts, offset):bisect_left(starts, end)]
        parts = [r for r in inside if r.figure.kind == "amount" and r.role == "level"
                 and r.figure.unit == (whole.figure.unit if whole else "")]
        if whole is None or not parts or whole.figure.start < block.sentence_start(offset) - 1 and "其中" not in match.group(0):
            continue
        whole_amount = _amount(report, whole.figure)
        amounts = [_amount(report, p.figure) for p in parts]
        if whole_amount is None or any(a is None for a in amounts):
            continue
        for part, amount in zip(parts, amounts, strict=True):
            assert amount is not None
            if amount[0] - whole_amount[0] > amount[1] + whole_amount[1]:
                part.figure.mark("disagree", rule="narrative.parts")
                emit("narrative.parts", part.figure, f"情况说明：其中一项 {part.figure.shown} 大于其总数 {whole.figure.shown}",
                     (part.figure.shown, whole.figure.shown))
                break
        else:
            total = sum((a[0] for a in amounts if a), Decimal(0))
            slack = sum((a[1] for a in amounts if a), Decimal(0)) + whole_amount[1]
            exact = match.group(0).startswith("全部")
            if total - whole_amount[0] > slack or (exact and abs(total - whole_amount[0]) > slack):
                emit("narrative.parts", parts[0].figure, f"情况说明：各项 {' + '.join(p.figure.shown for p in parts)} = "
                     f"{fmt(total)}，与总数 {whole.figure.shown} 不符", (whole.figure.shown, fmt(total)))




LIST_INTRO = re.compile(r"构成如下|由以下几项构成|包括以下")


def check_list_total(report: Report, blocks: list[Block], readings_of: dict[int, list[Reading]], text: str,
                     emit: Report_) -> None:
    """"…合计A，构成如下：" followed by list items: the items' first amounts add up to A."""
    intros = Starts(LIST_INTRO, text)
    if not intros.offsets:
        return
    for index, block in enumerate(blocks):
        if not intros.within(block.start, block.end):
            continue
        whole = next((r for r in reversed(readings_of[id(block)]) if r.role == "level"), None)
        items = []
        for following in blocks[index + 1:]:
            if following.heading_index != block.heading_index or not text[following.start:following.end].lstrip().startswith(("-", "*", "+")):
                break
            first = next((r for r in readings_of[id(following)] if r.figure.kind == "amount" and r.role == "level"), None)
            if first is not None:
                items.append(first)
        if whole is None or len(items) < 2:
            continue
        whole_amount = _amount(report, whole.figure)
        amounts = [_amount(report, r.figure) for r in items]
        if whole_amount is None or any(a is None for a in amounts) or any(r.figure.unit != whole.figure.unit for r in items):
            continue
        total = sum((a[0] for a in amounts if a), Decimal(0))
        slack = sum((a[1] for a in amounts if a), Decimal(0)) + whole_amount[1]
        if abs(total - whole_amount[0]) > slack:
            emit("narrative.parts", whole.figure, f"情况说明：{whole.figure.shown} 由 {len(items)} 项构成，各项合计 {fmt(total)}，"
                 f"相差 {fmt(total - whole_amount[0])}", (whole.figure.shown, fmt(total)))
