"""Rules of the 项目支出绩效自评表 (DESIGN §3, performance attachments)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Context, Decimal
from typing import Any

from site_builder.findings import Finding, Place
from site_builder.model import Amount, Attachment, Report
from site_builder.rules.equations import fmt

HUNDRED = Decimal(100)
GRADES = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差"))


def half_unit(amount: Amount) -> Decimal:
    """Half a unit of the last printed digit: the rounding a printed figure may carry."""
    return Decimal(5) / (Decimal(10) ** (amount.decimals + 1))


def precision(amount: Amount) -> Decimal:
    """How far a printed amount may be from the true one: fund figures are kept to the cent of
    万元 (0.01), so a figure printed as "13" is 13.00, not anything from 12.5 to 13.5."""
    return min(half_unit(amount), Decimal("0.005"))


def grade_for(score: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (also below 0: a StopIteration here once ended a whole check)."""
    return next((grade for floor, grade in GRADES if score >= floor), "差")


_WIDE = Context(prec=100)  # amounts have ≤ 21 digits: no quotient or product shown here needs more


def rounded(value: Decimal, step: str) -> Decimal:
    """``value`` rounded to ``step`` for a message; never InvalidOperation (the default context has 28 digits)."""
    return value.quantize(Decimal(step), context=_WIDE)


class _Form:
    def __init__(self, report: Report, attachment: Attachment) -> None:
        self.report = report
        self.attachment = attachment
        self.data = attachment.data
        self.at = f"attachments/{attachment.slug}.yaml"
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str, place: Place | None, subject: str, figures: tuple[str, ...],
            involved: list[Amount | None] = ()) -> None:
        """Record a finding; ``involved`` are the other figures it names (listed as related places)."""
        anchor = place or Place(self.attachment.path)
        related = tuple(dict.fromkeys(a.place for a in involved if a is not None and a.place != anchor))
        self.findings.append(Finding(
            rule, f"{self.data['project']}：{message}", anchor, subject=subject,
            figures=figures, related=related, report=self.report.rel, table=self.at,
        ))

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for i, level1 in enumerate(self.data["indicators"]):
            for j, group in enumerate(level1["groups"]):
                for k, item in enumerate(group["items"]):
                    yield f"indicators.{i}.{j}.{k}", item

    def funds_score(self) -> Amount | None:
        return self.data["funds"]["rows"][0].get("score")

    def check_rates(self) -> None:
        funds = self.data["funds"]
        scale = HUNDRED if funds["rate_unit"] == "percent" else Decimal(1)
        for index, row in enumerate(funds["rows"]):
            rate, annual, executed = row.get("rate"), row.get("annual"), row.get("executed")
            if rate is None or annual is None or executed is None or annual.value == 0:
                continue
            ratio = executed.value / annual.value
            slack = ratio * (precision(executed) / max(executed.value, Decimal("0.01")) + precision(annual) / annual.value)
            if abs(rate.value - ratio * scale) > half_unit(rate) + slack * scale:
                shown = f"{fmt(rounded(ratio * scale, '0.0001'))}{'%' if scale == HUNDRED else ''}"
                self.add("perf.execution-rate",
                         f"{row['source']} 执行率 {fmt(rate.value)} ≠ 全年执行数 {fmt(executed.value)} ÷ 全年预算数 {fmt(annual.value)} = {shown}",
                         rate.place, f"{self.attachment.slug}:funds.{index}.rate", (fmt(rate.value), shown), [annual, executed])

    def check_sources(self) -> None:
        """The source rows (市县区财政资金, 其中：当年财政拨款 …) add up to the 资金总额 row, column by column."""
        rows = self.data["funds"]["rows"]
        if len(rows) < 2:
            return
        for column in ("declared", "initial", "annual", "executed", "balance"):
            total = rows[0].get(column)
            parts = [r[column] for r in rows[1:] if r.get(column) is not None]
            if not parts and total is None:
                continue
            computed = sum((p.value for p in parts), Decimal(0))
            shown = total.value if total else Decimal(0)
            if abs(shown - computed) > (precision(total) if total else 0) + sum((precision(p) for p in parts), Decimal(0)):
                place = total.place if total else parts[0].place
                self.add("perf.funds-sources",
                         f"{rows[0]['source']} {column} {fmt(shown)} ≠ 各资金来源合计 {fmt(computed)}",
                         place, f"{self.attachment.slug}:funds.{column}", (fmt(shown), fmt(computed)), parts)

    def check_balance(self) -> None:
        """资金结（转）余 = 全年预算数 − 全年执行数."""
        for index, row in enumerate(self.data["funds"]["rows"]):
            balance, annual, executed = row.get("balance"), row.get("annual"), row.get("executed")
            if balance is None or annual is None or executed is None:
                continue
            expected = annual.value - executed.value
            if abs(balance.value - expected) > precision(balance) + precision(annual) + precision(executed):
                self.add("perf.balance",
                         f"{row['source']} 资金结（转）余 {fmt(balance.value)} ≠ 全年预算数 {fmt(annual.value)} − 全年执行数 {fmt(executed.value)} = {fmt(expected)}",
                         balance.place, f"{self.attachment.slug}:funds.{index}.balance", (fmt(balance.value), fmt(expected)),
                         [annual, executed])

    def check_funds_score(self) -> None:
        """Each funds row's 得分 = 分值 × 执行率, capped at the 分值 (the first row's subject keeps its old name)."""
        funds = self.data["funds"]
        points = funds["points"].value
        scale = HUNDRED if funds["rate_unit"] == "percent" else Decimal(1)
        for index, row in enumerate(funds["rows"]):
            score, rate = row.get("score"), row.get("rate")
            if score is None:
                continue
            if rate is not None:
                fraction, slack = rate.value / scale, half_unit(rate) / scale * points
            elif row.get("annual") and row.get("executed") and row["annual"].value:
                fraction, slack = row["executed"].value / row["annual"].value, Decimal(0)
            else:
                continue
            expected = min(points, points * fraction)
            if abs(score.value - expected) > half_unit(score) + slack:
                shown = fmt(rounded(expected, "0.01"))
                subject = f"{self.attachment.slug}:funds.score" if index == 0 else f"{self.attachment.slug}:funds.{index}.score"
                self.add("perf.funds-score",
                         f"{row['source']} 资金得分 {fmt(score.value)} ≠ 分值 {fmt(points)} × 执行率 = {shown}（封顶 {fmt(points)}）",
                         score.place, subject, (fmt(score.value), shown),
                         [rate, funds["points"], row.get("annual"), row.get("executed")])

    def check_items(self) -> None:
        for subject, item in self.items():
            score, points = item.get("score"), item["points"]
            if score is not None and score.value > points.value:
                self.add("perf.score-over-points", f"指标“{item['name']}”得分 {fmt(score.value)} 大于其分值 {fmt(points.value)}",
                         score.place, f"{self.attachment.slug}:{subject}", (fmt(score.value), fmt(points.value)), [points])

    def check_points_total(self) -> None:
        points = sum((item["points"].value for _, item in self.items()), Decimal(0))
        funds = self.data["funds"]["points"].value
        if points + funds != HUNDRED:
            first = self.data["indicators"][0]["groups"][0]["items"][0]["points"]
            self.add("perf.points-total",
                     f"指标分值合计 {fmt(points)} + 资金分值 {fmt(funds)} = {fmt(points + funds)}，应为 100",
                     first.place, f"{self.attachment.slug}:indicators.points", (fmt(points), fmt(funds)),
                     [item["points"] for _, item in self.items()] + [self.data["funds"]["points"]])

    def check_group_points(self) -> None:
        for i, level1 in enumerate(self.data["indicators"]):
            self._group(level1, [it for g in level1["groups"] for it in g["items"]], level1["level1"], f"indicators.{i}")
            for j, group in enumerate(level1["groups"]):
                self._group(group, group["items"], group["level2"], f"indicators.{i}.{j}")

    def _group(self, group: dict[str, Any], items: list[dict[str, Any]], name: str, subject: str) -> None:
        stated = group.get("points")
        if stated is None:
            return
        total = sum((it["points"].value for it in items), Decimal(0))
        if total != stated.value:
            self.add("perf.group-points", f"“{name}”标明 {fmt(stated.value)} 分，其下指标分值合计 {fmt(total)}",
                     stated.place, f"{self.attachment.slug}:{subject}.points", (fmt(stated.value), fmt(total)),
                     [it["points"] for it in items])

    def check_total(self) -> None:
        total = self.data["total_score"]
        scores = sum((item["score"].value for _, item in self.items() if item.get("score") is not None), Decimal(0))
        funds = self.funds_score()
        computed = scores + (funds.value if funds else 0)
        if abs(total.value - computed) > half_unit(total):
            self.add("perf.total-score",
                     f"总分 {fmt(total.value)} ≠ 指标得分合计 {fmt(scores)} + 资金得分 {fmt(funds.value if funds else Decimal(0))} = {fmt(computed)}",
                     total.place, f"{self.attachment.slug}:total_score", (fmt(total.value), fmt(computed)),
                     [item.get("score") for _, item in self.items()] + [funds])
        grade = self.data.get("grade")
        if grade and grade != grade_for(total.value):
            self.add("perf.grade", f"等级“{grade}”与总分 {fmt(total.value)} 不符（应为“{grade_for(total.value)}”：优≥90，良≥80，中≥60，差<60）",
                     total.place, f"{self.attachment.slug}:grade", (grade, fmt(total.value)))


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for attachment in report.attachments:
        form = _Form(report, attachment)
        form.check_rates()
        form.check_sources()
        form.check_balance()
        form.check_funds_score()
        form.check_items()
        form.check_points_total()
        form.check_group_points()
        form.check_total()
        findings.extend(form.findings)
    return findings
