"""Rules of the 部门整体支出绩效评价基础数据表: 控制率 = 实际在职人数 ÷ 编制数, and each row that the standard
splits into parts (三公经费 = 公务用车 + 出国 + 公务接待 …, from ``standards/forms/basic_data.yaml``) equals
them, column by column. Blank is not 0: a sum is checked only where every figure of it is printed."""

from __future__ import annotations

from decimal import Decimal

from site_builder.findings import Finding, Place
from site_builder.model import Amount, Attachment, Report
from site_builder.rules.equations import fmt
from site_builder.rules.forms.spec import FormKind, form_kind


def half_unit(amount: Amount) -> Decimal:
    return Decimal(5) / (Decimal(10) ** (amount.decimals + 1))


def headers(spec: FormKind, year: int) -> dict[str, str]:
    """The printed headers of the three year columns and the staff cells, with the report's years."""
    labels = {**spec.columns, **{f"staff_{k}": v for k, v in spec.staff.items()}}
    return {k: v.format(year=year, previous=year - 1) for k, v in labels.items()}


def _finding(report: Report, attachment: Attachment, rule: str, message: str, place: Place, subject: str,
             figures: tuple[str, ...], involved: list[Amount]) -> Finding:
    name = attachment.data.get("department") or attachment.data["title"]
    related = tuple(dict.fromkeys(a.place for a in involved if a.place != place))
    return Finding(rule, f"{name}：{message}", place, subject=f"{attachment.slug}:{subject}", figures=figures,
                   related=related, report=report.rel, table=f"attachments/{attachment.slug}.yaml")


def check_control_rate(report: Report, attachment: Attachment, spec: FormKind) -> list[Finding]:
    staff = attachment.data.get("staff") or {}
    authorized, actual, rate = staff.get("authorized"), staff.get("actual"), staff.get("control_rate")
    if authorized is None or actual is None or rate is None or authorized.value == 0:
        return []
    expected = actual.value / authorized.value * 100
    if abs(rate.value - expected) <= half_unit(rate):
        return []
    h = headers(spec, report.year)
    shown = fmt(expected.quantize(Decimal("0.01")))
    return [_finding(report, attachment, "basic.control-rate",
                     f"{h['staff_control_rate']} {fmt(rate.value)}% ≠ {h['staff_actual']} {fmt(actual.value)} ÷ "
                     f"{h['staff_authorized']} {fmt(authorized.value)} = {shown}%",
                     rate.place, "staff.control_rate", (fmt(rate.value), shown), [authorized, actual])]


def check_parts(report: Report, attachment: Attachment, spec: FormKind) -> list[Finding]:
    rows = attachment.data.get("rows") or {}
    h = headers(spec, report.year)
    findings = []
    for row_id, row_spec in spec.rows.items():
        parts = row_spec.get("parts") or []
        whole = rows.get(row_id) or {}
        for column in spec.columns:
            stated = whole.get(column)
            figures = [(rows.get(p) or {}).get(column) for p in parts]
            if stated is None or not parts or any(f is None for f in figures):
                continue
            total = sum((f.value for f in figures), Decimal(0))
            slack = half_unit(stated) + sum((half_unit(f) for f in figures), Decimal(0)) if report.amount_unit == "万元" else Decimal(0)
            if abs(stated.value - total) <= slack:
                continue
            terms = " + ".join(f"{spec.rows[p]['label']} {fmt(f.value)}" for p, f in zip(parts, figures, strict=True))
            findings.append(_finding(report, attachment, "basic.parts",
                                     f"{row_spec['label']} {h[column]} {fmt(stated.value)} ≠ {terms} = {fmt(total)}",
                                     stated.place, f"rows.{row_id}.{column}", (fmt(stated.value), fmt(total)), figures))
    return findings


def check(report: Report, attachment: Attachment) -> list[Finding]:
    spec = form_kind("basic_data", report.template.id)
    return check_control_rate(report, attachment, spec) + check_parts(report, attachment, spec)
