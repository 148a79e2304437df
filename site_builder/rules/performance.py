"""Rules of the evaluation forms (DESIGN §3, attachments): the 项目支出绩效自评表 and the 部门整体支出绩效自评表
share these; the 基础数据表 and the 评价报告 have their own (``site_builder/rules/forms/``). What varies by
region (printed headers, score bands, required cells) is data in ``site_builder/standards/forms/``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Context, Decimal
from typing import Any

from site_builder.findings import Finding, Place
from site_builder.model import Amount, Attachment, Report
from site_builder.rules.equations import fmt
from site_builder.rules.forms import basic_data, department_report
from site_builder.rules.forms.spec import FormKind, form_kind

HUNDRED = Decimal(100)
SUM_COLUMNS = ("declared", "initial", "annual", "executed", "balance")
EVALUATION_FORMS = ("performance", "department_performance")


def _half_unit_of(decimals: int) -> Decimal:
    return Decimal(5) / (Decimal(10) ** (decimals + 1))


_HALF_UNITS = tuple(_half_unit_of(decimals) for decimals in range(30))  # worked out once, not per figure
_HALF_CENT = Decimal("0.005")


def half_unit(amount: Amount) -> Decimal:
    """Half a unit of the last printed digit: the rounding a printed figure may carry."""
    decimals = amount.decimals
    return _HALF_UNITS[decimals] if decimals < len(_HALF_UNITS) else _half_unit_of(decimals)


def precision(amount: Amount) -> Decimal:
    """How far a printed amount may be from the true one: fund figures are kept to the cent of
    万元 (0.01), so a figure printed as "13" is 13.00, not anything from 12.5 to 13.5."""
    return min(half_unit(amount), _HALF_CENT)


def grade_for(score: Decimal, template: str = "") -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (also below 0: a StopIteration here once ended a whole check)."""
    return form_kind("performance", template).grade_for(score)


_WIDE = Context(prec=100)  # amounts have ≤ 21 digits: no quotient or product shown here needs more


def rounded(value: Decimal, step: str) -> Decimal:
    """``value`` rounded to ``step`` for a message; never InvalidOperation (the default context has 28 digits)."""
    return value.quantize(Decimal(step), context=_WIDE)


class _Form:
    def __init__(self, report: Report, attachment: Attachment) -> None:
        self.report = report
        self.attachment = attachment
        self.data = attachment.data
        self.spec: FormKind = form_kind(self.data["kind"], report.template.id)
        self.at = f"attachments/{attachment.slug}.yaml"
        self.findings: list[Finding] = []

    @property
    def name(self) -> str:
        """What the form is about, as printed: the project, or the department (else the form's title)."""
        return str(self.data.get(self.spec.subject) or self.data["title"])

    def add(self, rule: str, message: str, place: Place | None, subject: str, figures: tuple[str, ...],
            involved: list[Amount | None] = (), severity: str = "error") -> None:
        """Record a finding; ``involved`` are the other figures it names (listed as related places)."""
        anchor = place or Place(self.attachment.path)
        related = tuple(dict.fromkeys(a.place for a in involved if a is not None and a.place != anchor))
        self.findings.append(Finding(
            rule, f"{self.name}：{message}", anchor, severity=severity, subject=subject,
            figures=figures, related=related, report=self.report.rel, table=self.at,
        ))

    # -- the funds block ------------------------------------------------------------------------
    @property
    def funds(self) -> dict[str, Any]:
        return self.data["funds"]

    def total_row(self) -> dict[str, Any] | None:
        """The 资金总额 row: the first row, unless the form prints none (``total_row: false``)."""
        return self.funds["rows"][0] if self.funds.get("total_row", True) else None

    def source_rows(self) -> list[dict[str, Any]]:
        rows = self.funds["rows"]
        return rows[1:] if self.total_row() is not None else list(rows)

    def breakdowns(self) -> dict[str, list[dict[str, Any]]]:
        """Source rows by the breakdown they belong to (按收入性质, 按支出性质 …); "" = not named."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in self.source_rows():
            groups.setdefault(str(row.get("breakdown") or ""), []).append(row)
        return groups

    def funds_points(self) -> Amount | None:
        return self.funds.get("points")

    def funds_score(self) -> Amount | None:
        total = self.total_row()
        return total.get("score") if total is not None and self.funds_points() is not None else None

    def check_rates(self) -> None:
        scale = HUNDRED if self.funds["rate_unit"] == "percent" else Decimal(1)
        h = self.spec.header
        for index, row in enumerate(self.funds["rows"]):
            rate, annual, executed = row.get("rate"), row.get("annual"), row.get("executed")
            if rate is None or annual is None or executed is None or annual.value == 0:
                continue
            ratio = executed.value / annual.value
            slack = ratio * (precision(executed) / max(executed.value, Decimal("0.01")) + precision(annual) / annual.value)
            if abs(rate.value - ratio * scale) > half_unit(rate) + slack * scale:
                shown = f"{fmt(rounded(ratio * scale, '0.0001'))}{'%' if scale == HUNDRED else ''}"
                self.add("perf.execution-rate",
                         f"{row['source']} {h('rate')} {fmt(rate.value)} ≠ {h('executed')} {fmt(executed.value)} ÷ {h('annual')} {fmt(annual.value)} = {shown}",
                         rate.place, f"{self.attachment.slug}:funds.{index}.rate", (fmt(rate.value), shown), [annual, executed])

    def check_sources(self) -> None:
        """Each breakdown's source rows add up to the total row, column by column; without a total row,
        two breakdowns (by income nature, by expenditure nature) add up to the same. Blank is not 0: a
        column is compared only where every figure it needs is printed."""
        total = self.total_row()
        groups = self.breakdowns()
        if total is not None:
            for breakdown, rows in groups.items():
                self._compare_sum(total, rows, breakdown)
        elif len(groups) >= 2:
            (first, first_rows), *others = groups.items()
            for breakdown, rows in others:
                self._compare_sums(first, first_rows, breakdown, rows)

    def _compare_sum(self, total: dict[str, Any], rows: list[dict[str, Any]], breakdown: str) -> None:
        h = self.spec.header
        for column in SUM_COLUMNS:
            shown = total.get(column)
            parts = [r.get(column) for r in rows]
            if shown is None or not parts or any(p is None for p in parts):
                continue
            computed = sum((p.value for p in parts), Decimal(0))
            if abs(shown.value - computed) > precision(shown) + sum((precision(p) for p in parts), Decimal(0)):
                terms = " + ".join(f"{r['source']} {fmt(p.value)}" for r, p in zip(rows, parts, strict=True))
                label = f"{breakdown}各资金来源" if breakdown else "各资金来源"
                self.add("perf.funds-sources",
                         f"{total['source']} {h(column)} {fmt(shown.value)} ≠ {label}合计 {terms} = {fmt(computed)}{self._no_total_hint(total)}",
                         shown.place, f"{self.attachment.slug}:funds.{column}" + (f".{breakdown}" if breakdown else ""),
                         (fmt(shown.value), fmt(computed)), list(parts))

    @staticmethod
    def _no_total_hint(total: dict[str, Any]) -> str:
        """A first row whose label names no total (总额, 合计) may be a form without a total row."""
        if any(word in str(total["source"]) for word in ("总", "合计")):
            return ""
        return "（若原表没有合计行，请在 funds 下写 total_row: false）"

    def _compare_sums(self, first: str, first_rows: list[dict[str, Any]], other: str, rows: list[dict[str, Any]]) -> None:
        h = self.spec.header
        for column in SUM_COLUMNS:
            left, right = [r.get(column) for r in first_rows], [r.get(column) for r in rows]
            if any(a is None for a in left + right):
                continue
            a, b = sum((x.value for x in left), Decimal(0)), sum((x.value for x in right), Decimal(0))
            if abs(a - b) > sum((precision(x) for x in left + right), Decimal(0)):
                self.add("perf.funds-sources",
                         f"{h(column)}：{first or '资金来源'}合计 {fmt(a)} ≠ {other}合计 {fmt(b)}",
                         right[0].place, f"{self.attachment.slug}:funds.{column}.{other}", (fmt(a), fmt(b)), list(left + right))

    def check_balance(self) -> None:
        """资金结（转）余 = 全年预算数 − 全年执行数."""
        h = self.spec.header
        for index, row in enumerate(self.funds["rows"]):
            balance, annual, executed = row.get("balance"), row.get("annual"), row.get("executed")
            if balance is None or annual is None or executed is None:
                continue
            expected = annual.value - executed.value
            if abs(balance.value - expected) > precision(balance) + precision(annual) + precision(executed):
                self.add("perf.balance",
                         f"{row['source']} {h('balance')} {fmt(balance.value)} ≠ {h('annual')} {fmt(annual.value)} − {h('executed')} {fmt(executed.value)} = {fmt(expected)}",
                         balance.place, f"{self.attachment.slug}:funds.{index}.balance", (fmt(balance.value), fmt(expected)),
                         [annual, executed])

    def check_funds_score(self) -> None:
        """Each funds row's 得分 = 分值 × 执行率, capped at the 分值 (the first row's subject keeps its old name).
        A form that gives the funds no 分值 has nothing to check here."""
        points_amount = self.funds_points()
        if points_amount is None:
            return
        points = points_amount.value
        scale = HUNDRED if self.funds["rate_unit"] == "percent" else Decimal(1)
        for index, row in enumerate(self.funds["rows"]):
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
                         f"{row['source']} 资金{self.spec.header('score')} {fmt(score.value)} ≠ 分值 {fmt(points)} × {self.spec.header('rate')} = {shown}（封顶 {fmt(points)}）",
                         score.place, subject, (fmt(score.value), shown),
                         [rate, points_amount, row.get("annual"), row.get("executed")])

    # -- indicators and scores ------------------------------------------------------------------
    def tree(self) -> list[dict[str, Any]]:
        """The indicators that carry the points: the 评分表 where the form prints one."""
        return self.data.get("scoring") or self.data["indicators"]

    def tree_key(self) -> str:
        return "scoring" if self.data.get("scoring") else "indicators"

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for i, level1 in enumerate(self.tree()):
            for j, group in enumerate(level1["groups"]):
                for k, item in enumerate(group["items"]):
                    yield f"{self.tree_key()}.{i}.{j}.{k}", item

    def check_items(self) -> None:
        for subject, item in self.items():
            score, points = item.get("score"), item.get("points")
            if score is not None and points is not None and score.value > points.value:
                self.add("perf.score-over-points", f"指标“{item['name']}”得分 {fmt(score.value)} 大于其分值 {fmt(points.value)}",
                         score.place, f"{self.attachment.slug}:{subject}", (fmt(score.value), fmt(points.value)), [points])

    def check_points_total(self) -> None:
        """Σ 分值 of the indicators (+ the funds 分值, where the funds have one) = 100; indicators printed
        without points leave nothing to add up."""
        items = [item for _, item in self.items()]
        if any(item.get("points") is None for item in items):
            return
        points = sum((item["points"].value for item in items), Decimal(0))
        funds_amount = self.funds_points()
        funds = funds_amount.value if funds_amount is not None else Decimal(0)
        if points + funds != HUNDRED:
            first = items[0]["points"]
            shown = f"指标分值合计 {fmt(points)} + 资金分值 {fmt(funds)} = {fmt(points + funds)}" if funds_amount is not None \
                else f"指标分值合计 {fmt(points)}"
            self.add("perf.points-total", f"{shown}，应为 100",
                     first.place, f"{self.attachment.slug}:indicators.points", (fmt(points), fmt(funds)),
                     [item["points"] for item in items] + [funds_amount])

    def check_group_points(self) -> None:
        for i, level1 in enumerate(self.tree()):
            items = [it for g in level1["groups"] for it in g["items"]]
            self._group(level1, items, level1["level1"], f"{self.tree_key()}.{i}")
            for j, group in enumerate(level1["groups"]):
                self._group(group, group["items"], group["level2"], f"{self.tree_key()}.{i}.{j}")

    def _group(self, group: dict[str, Any], items: list[dict[str, Any]], name: str, subject: str) -> None:
        subject = subject.replace("scoring.", "indicators.", 1) if subject.startswith("indicators") else subject
        self._group_sum(group, items, name, subject, "points", "perf.group-points", "分")
        self._group_sum(group, items, name, subject, "score", "perf.group-score", "分得分")

    def _group_sum(self, group: dict[str, Any], items: list[dict[str, Any]], name: str, subject: str,
                   key: str, rule: str, word: str) -> None:
        """A group's stated 分值 (or subtotal 得分) = Σ its indicators', where every one of them is printed."""
        stated = group.get(key)
        figures = [it.get(key) for it in items]
        if stated is None or any(f is None for f in figures):
            return
        total = sum((f.value for f in figures), Decimal(0))
        if total != stated.value:
            what = "分值" if key == "points" else "得分"
            self.add(rule, f"“{name}”标明 {fmt(stated.value)} {word}，其下指标{what}合计 {fmt(total)}",
                     stated.place, f"{self.attachment.slug}:{subject}.{key}", (fmt(stated.value), fmt(total)), list(figures))

    def check_total(self) -> None:
        total = self.data.get("total_score")
        if total is None:
            if "total_score" in self.spec.required:
                self.add("perf.missing-total", f"表中没有总分（{self.spec.title}应填总分）；无法核对各项得分之和与等级",
                         Place(self.attachment.path, 1, 1), f"{self.attachment.slug}:total_score", (), severity="warning")
            return
        scores = sum((item["score"].value for _, item in self.items() if item.get("score") is not None), Decimal(0))
        funds = self.funds_score()
        computed = scores + (funds.value if funds else 0)
        if abs(total.value - computed) > half_unit(total):
            # a blank 资金得分 is named as blank, never as "0"
            funds_part = f" + 资金得分 {fmt(funds.value)}" if funds else (" + 资金得分（空白）" if self.funds_points() is not None else "")
            self.add("perf.total-score",
                     f"总分 {fmt(total.value)} ≠ 指标得分合计 {fmt(scores)}{funds_part} = {fmt(computed)}",
                     total.place, f"{self.attachment.slug}:total_score", (fmt(total.value), fmt(computed)),
                     [item.get("score") for _, item in self.items()] + [funds])
        self.check_grade(total)

    def check_grade(self, total: Amount) -> None:
        grade = self.data.get("grade")
        if grade is None:
            if "grade" in self.spec.required:
                self.add("perf.missing-grade", f"表中没有等级（总分 {fmt(total.value)} 对应“{self.spec.grade_for(total.value)}”）",
                         total.place, f"{self.attachment.slug}:grade", (fmt(total.value),), severity="warning")
            return
        expected = self.spec.grade_for(total.value)
        if grade != expected:
            bands = "，".join(f"{g}≥{fmt(floor)}" for floor, g in self.spec.grade_bands[:-1])
            lowest = self.spec.grade_bands[-1][1]
            self.add("perf.grade", f"等级“{grade}”与总分 {fmt(total.value)} 不符（应为“{expected}”：{bands}，{lowest}<{fmt(self.spec.grade_bands[-2][0])}）",
                     total.place, f"{self.attachment.slug}:grade", (grade, fmt(total.value)))


def check_form(report: Report, attachment: Attachment) -> list[Finding]:
    form = _Form(report, attachment)
    form.check_rates()
    form.check_sources()
    form.check_balance()
    form.check_funds_score()
    form.check_items()
    form.check_points_total()
    form.check_group_points()
    form.check_total()
    return form.findings


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for attachment in report.attachments:
        kind = attachment.data.get("kind")
        if kind in EVALUATION_FORMS:
            findings.extend(check_form(report, attachment))
        elif kind == "basic_data":
            findings.extend(basic_data.check(report, attachment))
        elif kind == "department_report":
            findings.extend(department_report.check(report, attachment))
    return findings
