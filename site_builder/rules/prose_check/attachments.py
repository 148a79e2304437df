"""Figures in the self-evaluation forms' text (goal, achieved, analysis) against their own form, and the
自评 scores quoted in 情况说明 against the forms they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from site_builder.findings import Place
from site_builder.model import Amount, Attachment
from site_builder.rules.prose_check.figures import Figure, extract, mask_references

TEXT_FIELDS = ("goal", "achieved", "analysis", "text")  # text: the 评价报告 (kind department_report)
BUDGET_WORDS = re.compile(r"(?:全年预算|年初预算|预算下达|预算安排|预算)(?:数)?(?:为|是|共)?\s*$")
EXECUTED_WORDS = re.compile(r"(?:实际执行|实际支出|执行|支出)(?:数)?(?:约|为|是|共)?\s*$")
RATE_WORDS = re.compile(r"执行率(?:约|为|是|达)?\s*$")
SCORE_WORDS = re.compile(r"(?:自评(?:得分)?|得分|总分)(?:为|是)?\s*$")
APPROX = re.compile(r"约\s*$")
CLAUSE_MARKS = re.compile(r"[，,。；;：:（(]")
FIELD_NAMES = {"declared": "申报数", "initial": "年初预算数", "annual": "全年预算数", "executed": "全年执行数",
               "total_score": "总分"}
Emit = Callable[..., None]


def _value(data: Any) -> Decimal | None:
    return data.value if isinstance(data, Amount) else None


def _funds(attachment: Attachment) -> dict[str, Amount]:
    """The total row's figures; a form that prints no total row (``total_row: false``) has none."""
    funds = attachment.data.get("funds") or {}
    rows = funds.get("rows") or []
    if not rows or funds.get("total_row") is False:
        return {}
    return {k: v for k, v in rows[0].items() if isinstance(v, Amount)}


def field_figures(attachment: Attachment) -> list[tuple[str, str, list[Figure]]]:
    result = []
    for name in TEXT_FIELDS:
        text = attachment.data.get(name)
        if isinstance(text, str):
            masked, _ = mask_references(text)
            result.append((name, text, extract(masked)))
    return result


def _close(stated: Figure, value: Decimal, approximate: bool) -> bool:
    assert stated.value is not None
    slack = stated.half_unit * (2 if approximate else 1)
    return abs(stated.value - value) <= slack


def check_attachment(attachment: Attachment, text: str, figures: list[Figure], emit: Emit) -> None:
    funds = _funds(attachment)
    budgets = {k: funds[k] for k in ("declared", "initial", "annual") if k in funds}
    executed_amount = funds.get("executed")
    executed = executed_amount.value if executed_amount else None
    unit = str(attachment.data.get("amount_unit", "万元"))
    previous = 0
    for figure in figures:
        clause = CLAUSE_MARKS.split(text[max(previous, figure.start - 40):figure.start])[-1]
        previous = figure.end if figure.kind in ("amount", "percent") else previous
        approximate = bool(APPROX.search(clause))
        if figure.value is None:
            figure.mark("uncheckable", "too many digits")
            continue
        if figure.kind == "amount" and figure.unit == unit and budgets and BUDGET_WORDS.search(clause):
            _against(figure, {k: a.value for k, a in budgets.items()}, approximate, "预算数", attachment, emit,
                     tuple(a.place for a in budgets.values()))
        elif figure.kind == "amount" and figure.unit == unit and executed_amount and EXECUTED_WORDS.search(clause):
            _against(figure, {"executed": executed_amount.value}, approximate, "全年执行数", attachment, emit,
                     (executed_amount.place,))
        elif figure.kind == "percent" and RATE_WORDS.search(clause) and executed_amount and executed is not None:
            rates = {f"执行数/{FIELD_NAMES[k]}": executed / a.value * 100 for k, a in budgets.items() if a.value}
            rate = funds.get("rate")
            if rate is not None:
                ratio = (attachment.data.get("funds") or {}).get("rate_unit") == "ratio"
                rates["表列执行率"] = rate.value * 100 if ratio else rate.value
            places = (executed_amount.place, *(a.place for a in budgets.values()), *((rate.place,) if rate else ()))
            _against(figure, rates, True, "执行率", attachment, emit, places, percent=True)
        elif figure.kind == "count" and figure.unit == "分" and SCORE_WORDS.search(clause):
            total_amount = attachment.data.get("total_score")
            if isinstance(total_amount, Amount):
                _against(figure, {"total_score": total_amount.value}, False, "总分", attachment, emit, (total_amount.place,))
            else:
                figure.mark("uncheckable", "the form has no 总分")
        else:
            figure.mark("uncheckable", "its words name no figure of the form")


def _against(figure: Figure, candidates: dict[str, Decimal], approximate: bool, what: str, attachment: Attachment,
             emit: Emit, related: tuple[Place, ...] = (), percent: bool = False) -> None:
    if not candidates:
        figure.mark("uncheckable", f"the form has no {what}")
        return
    if any(_close(figure, value, approximate) for value in candidates.values()):
        figure.mark("agree", what)
        return
    shown = "、".join(f"{FIELD_NAMES.get(key, key)} {(value.quantize(Decimal('0.01')) if percent else value).normalize():f}{'%' if percent else ''}"
                     for key, value in candidates.items())
    figure.mark("disagree", rule="narrative.attachment")
    emit("narrative.attachment", figure, f"自评表“{attachment.data.get('project') or attachment.data.get('department') or attachment.slug}”的说明写{what} {figure.shown}，"
         f"但表中为 {shown}", (figure.shown, shown), related)


def score_for(attachments: list[Attachment], subject: str) -> tuple[Attachment, Decimal] | None:
    """The form whose project the 情况说明 names (企业退休人员取暖费：自评98.97分)."""
    subject = subject.strip(" -*：:")
    if len(subject) < 4:
        return None
    found = [a for a in attachments if subject in str(a.data.get("project", "")) or str(a.data.get("project", "")) in subject]
    if len(found) != 1:
        return None
    total = _value(found[0].data.get("total_score"))
    return (found[0], total) if total is not None else None


def figures_form(attachments: list[Attachment], attachment: Attachment) -> Attachment:
    """The form whose figures a text field is read against: the form itself, or for a 部门整体支出绩效评价报告
    the 部门整体支出绩效自评表 it names (``form:``)."""
    if attachment.data.get("kind") != "department_report":
        return attachment
    slug = attachment.data.get("form")
    named = [a for a in attachments if a.slug == slug and a.data.get("kind") == "department_performance"]
    return named[0] if named else attachment
