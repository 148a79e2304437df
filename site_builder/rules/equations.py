"""The arithmetic 勾稽关系 of ``standards/checks.yaml``: sums, row matches, limits, code hierarchies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from site_builder import standards
from site_builder.findings import Finding, Place
from site_builder.model import Amount, Report, Table

ZERO = Decimal(0)
BLANK = "（空白）"
_EMPTY: dict = {}


def fmt(value: Decimal) -> str:
    return f"{value:,}"


@dataclass(frozen=True, slots=True)
class Ref:
    table: str
    section: str
    row: str
    column: str = "amount"

    @staticmethod
    @cache
    def parse(text: str) -> Ref:
        table, rest = text.split(":", 1)
        parts = rest.split(".")
        return Ref(table, parts[0], parts[1] if len(parts) > 1 else "*", parts[2] if len(parts) > 2 else "amount")

    def key(self) -> str:
        return f"{self.table}/{self.section}/{self.row}/{self.column}"


@dataclass(frozen=True, slots=True)
class Term:
    ref: Ref
    amount: Amount | None

    @property
    def value(self) -> Decimal:
        return self.amount.value if self.amount else ZERO


def label(report: Report, ref: Ref, context: Ref | None = None) -> str:
    """Human name of a cell: 收入决算表 2080109 社会保险经办机构 财政拨款收入.

    Parts named next to a total (``context``) leave out what they share with it.
    """
    frame = report.template.table(ref.table)
    if frame is None:
        return ref.key()
    row = _row_name(report, frame, ref)
    column = ""
    if ref.column != "amount":
        columns = frame.columns if frame.layout != "two_sided" else next(s.columns for s in frame.sides if s.section == ref.section)
        column = next((c.title for c in columns if c.id == ref.column), ref.column)
        if frame.layout == "three_public":
            column = frame.raw[f"{ref.row}_heading"].replace("{year}", str(report.year)) + column
    if context is not None and context.table == ref.table:
        same_row = (context.section, context.row) == (ref.section, ref.row)
        return " ".join(x for x in ("" if same_row else row, column) if x) or row
    return " ".join(x for x in (frame.title, row, column) if x)


def _row_name(report: Report, frame: standards.TableFrame, ref: Ref) -> str:
    if ref.row == "total":
        return frame.label("total") or ref.row
    if ref.row.isdigit():
        name = report.codebook(frame.codes or "function").name(ref.row, report.year) or ""
        return f"{ref.row} {name}".strip()
    if frame.layout == "two_sided":
        side = next(s for s in frame.sides if s.section == ref.section)
        return next((r.name for r in side.rows if r.id == ref.row), ref.row)
    if frame.layout == "economic_detail":
        return next((t["name"] for t in frame.raw["totals"] if t["id"] == ref.row), ref.row)
    if frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == ref.section)
        return next((r["name"] for r in part["rows"] if r["id"] == ref.row), ref.row)
    return ""


class Evaluator:
    """Runs the data-defined checks on one report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.findings: list[Finding] = []
        self.involved: list[list[Place]] = []  # per finding: places of every figure involved
        self.skipped: dict[str, set[str]] = {}  # cross-table rule → the tables it needs that the report lacks

    # -- reading cells -------------------------------------------------------------------------
    def table(self, table_id: str) -> Table | None:
        return self.report.tables.get(table_id)

    def has(self, *refs: Ref) -> bool:
        return all(self.table(r.table) is not None for r in refs)

    def available(self, rule: str, *refs: Ref) -> bool:
        """Whether a check's tables are all present. A cross-table check that cannot run because the
        report declares a table it needs unpublished is remembered, to be reported (never skipped
        silently). A table missing without a declaration, or not loaded, is an error already, so the
        check fails anyway; checks on tables the template does not have do not apply."""
        if self.has(*refs):
            return True
        tables = {r.table for r in refs}
        unpublished = {t for t in tables if self.report.unpublished_reason("table", t) is not None}
        if len(tables) > 1 and unpublished:
            self.skipped.setdefault(rule, set()).update(unpublished)
        return False

    def amount(self, ref: Ref) -> Amount | None:
        table = self.report.tables.get(ref.table)
        if table is None:
            return None
        return table.sections.get(ref.section, _EMPTY).get(ref.row, _EMPTY).get(ref.column)

    def term(self, ref: Ref) -> Term:
        return Term(ref, self.amount(ref))

    def expand(self, ref: Ref) -> list[Ref]:
        if ref.row not in ("@classes", "*"):
            return [ref]
        table = self.table(ref.table)
        rows = table.sections.get(ref.section, {}) if table else {}
        keys = [k for k in rows if (ref.row == "*" or (len(k) == 3 and k.isdigit()))]
        return [Ref(ref.table, ref.section, k, ref.column) for k in keys]

    def rows(self, ref: Ref) -> dict[str, dict[str, Amount | None]]:
        """The rows of a reference's section (in document order), none when its table is missing."""
        table = self.table(ref.table)
        return table.sections.get(ref.section, _EMPTY) if table else _EMPTY

    def row_keys(self, table_id: str, section: str) -> list[str]:
        table = self.table(table_id)
        return list(table.sections.get(section, {})) if table else []

    # -- reporting -----------------------------------------------------------------------------
    def tolerance(self, parts: int) -> Decimal:
        return self.report.tolerance_per_part * max(parts, 1)

    def emit(self, rule: str, severity: str, message: str, subject: Ref, terms: list[Term], figures: tuple[str, ...]) -> None:
        places = [t.amount.place for t in terms if t.amount]
        anchor = places[0] if places else self._row_place(subject)
        self.findings.append(Finding(
            rule=rule, message=message, place=anchor, severity=severity, subject=f"{subject.table}:{subject.section}.{subject.row}.{subject.column}",
            figures=figures, related=tuple(p for p in places if p != anchor), report=self.report.rel, table=f"tables/{subject.table}.yaml",
            cells=tuple(t.ref.key() for t in terms),
        ))
        self.involved.append(places)

    def _row_place(self, ref: Ref) -> Place:
        table = self.table(ref.table)
        if table is None:
            return Place(self.report.report_path)
        return table.row_places.get((ref.section, ref.row), Place(table.path))

    # -- check kinds ---------------------------------------------------------------------------
    def compare(self, rule: str, total: Term, parts: list[Term], minus: list[Term], severity: str = "error") -> None:
        terms = [total, *parts, *minus]
        if all(t.amount is None for t in terms):
            return
        computed = sum((t.value for t in parts), ZERO) - sum((t.value for t in minus), ZERO)
        diff = total.value - computed
        if diff == 0:
            return
        counted = sum(1 for t in parts + minus if t.amount is not None)
        across = len({t.ref.table for t in terms}) > 1
        rounded = counted + (1 if across and total.amount is not None else 0)
        unit = self.report.amount_unit
        signed = [("+", t) for t in parts] + [("−", t) for t in minus]
        shown = [(s, t) for s, t in signed if t.amount is not None]
        left = f"{label(self.report, total.ref)} {fmt(total.value) if total.amount else BLANK}"
        if not shown:  # every part blank: say so, never "0" (blank is not zero)
            self._all_blank(rule, severity, total, parts, terms, left)
            return
        formula = " ".join(f"{s} {label(self.report, t.ref, total.ref)} {fmt(t.value)}" for s, t in shown).lstrip("+ ")
        if abs(diff) <= self.tolerance(rounded):
            within = (f"两表数字各自四舍五入（{rounded} 个数各差半分）的允许范围内" if across
                      else f" {counted} 项四舍五入的允许范围内")
            message = f"尾数误差：{left} 与 {formula} = {fmt(computed)} 相差 {fmt(diff)} {unit}，在{within}"
            severity = "warning"
        elif total.amount is None:  # no difference to state: blank is not zero
            message = f"{left} ≠ {formula} = {fmt(computed)}（前者为空白；空白不是 0）"
        else:
            message = f"{left} ≠ {formula} = {fmt(computed)}（相差 {fmt(diff)} {unit}）"
        self.emit(rule, severity, message, total.ref, terms, (fmt(total.value), fmt(computed)))

    def _all_blank(self, rule: str, severity: str, total: Term, parts: list[Term], terms: list[Term], left: str) -> None:
        names = "、".join(label(self.report, t.ref, total.ref) for t in parts[:4]) + ("等" if len(parts) > 4 else "")
        message = f"{left} ≠ {names}（{'各项均' if len(parts) > 1 else ''}为空白；空白不是 0）"
        self.emit(rule, severity, message, total.ref, terms, (fmt(total.value), fmt(ZERO)))

    def run_sum(self, check: dict) -> None:
        if "each_row" in check:
            base = Ref.parse(check["each_row"] + ".*")
            if not self.available(check["rule"], base):
                return
            rows = self.report.tables[base.table].sections.get(base.section, _EMPTY)
            columns = (check["total"], *check["parts"], *check.get("minus", []))
            parts_end = 1 + len(check["parts"])
            for row, cells in rows.items():
                amounts = [cells.get(c) for c in columns]
                if _balanced(amounts[0], amounts[1:parts_end], amounts[parts_end:]):
                    continue
                terms = [Term(Ref(base.table, base.section, row, c), a) for c, a in zip(columns, amounts, strict=True)]
                self.compare(check["rule"], terms[0], terms[1:parts_end], terms[parts_end:], check.get("severity", "error"))
            return
        plan = _sum_plan(check)
        if not (plan.tables <= self.report.tables.keys() or self.available(check["rule"], *plan.refs)):
            return
        total = plan.total
        parts = [r for p in plan.parts for r in self.expand(p)] if plan.expands else plan.parts
        minus = [r for p in plan.minus for r in self.expand(p)] if plan.expands else plan.minus
        if _balanced(self.amount(total), [self.amount(r) for r in parts], [self.amount(r) for r in minus]):
            return
        self.compare(check["rule"], self.term(total), [self.term(r) for r in parts], [self.term(r) for r in minus], check.get("severity", "error"))

    def run_match(self, check: dict) -> None:
        a, b = _column_ref(check["a"]), _column_ref(check["b"])
        if not self.available(check["rule"], a, b):
            return
        keys = dict.fromkeys(self.row_keys(a.table, a.section) + self.row_keys(b.table, b.section))
        for key in keys:
            if check.get("filter") == "classes" and not (len(key) == 3 and key.isdigit()):
                continue
            ref_a, ref_b = Ref(a.table, a.section, key, a.column), Ref(b.table, b.section, key, b.column)
            if _balanced(self.amount(ref_a), [self.amount(ref_b)], []):
                continue
            self.compare(check["rule"], self.term(ref_a), [self.term(ref_b)], [], check.get("severity", "error"))

    def run_limit(self, check: dict) -> None:
        severity = check.get("severity", "error")
        if "columns" in check:
            a, b = Ref.parse(check["a"]), Ref.parse(check["b"])
            if not self.available(check["rule"], a, b):
                return
            b_columns = check.get("b_columns", check["columns"])
            rows_a, rows_b = self.rows(a), self.rows(b)
            tolerance = self.tolerance(1)
            for key, cells_a in rows_a.items():
                cells_b = rows_b.get(key, _EMPTY)
                for col_a, col_b in zip(check["columns"], b_columns, strict=True):
                    amount_a = cells_a.get(col_a)
                    if amount_a is not None and _exceeds_one(amount_a, cells_b.get(col_b), tolerance):
                        self.limit(check["rule"], severity, [self.term(Ref(a.table, a.section, key, col_a))],
                                   self.term(Ref(b.table, b.section, key, col_b)))
            return
        a_refs = [Ref.parse(x) for x in check.get("a_sum", [check.get("a")]) if x]
        b = Ref.parse(check["b"])
        if not self.available(check["rule"], *a_refs, b):
            return
        if _exceeds([self.amount(r) for r in a_refs], self.amount(b), self.tolerance(len(a_refs))):
            self.limit(check["rule"], severity, [self.term(r) for r in a_refs], self.term(b))

    def limit(self, rule: str, severity: str, parts: list[Term], whole: Term) -> None:
        value = sum((t.value for t in parts), ZERO)
        if all(t.amount is None for t in parts) or value <= whole.value + self.tolerance(len(parts)):
            return
        names = " + ".join(f"{label(self.report, t.ref)} {fmt(t.value)}" for t in parts if t.amount)
        whole_text = f"{label(self.report, whole.ref, parts[0].ref)} {fmt(whole.value) if whole.amount else BLANK}"
        message = f"{names} 大于 {whole_text}（超出 {fmt(value - whole.value)} {self.report.amount_unit}）"
        self.emit(rule, severity, message, parts[0].ref, [*parts, whole], (fmt(value), fmt(whole.value)))

    def run_hierarchy(self, check: dict) -> None:
        table = self.table(check["table"])
        if table is None:
            return
        rows = table.sections.get("rows", {})
        with_total = check.get("total_row", "total") is not None
        for parent, children in _families(list(rows), with_total):
            parent_cells = rows[parent]
            columns = dict.fromkeys(parent_cells)  # in order of first appearance, the parent's first
            sums = _column_sums([rows[c] for c in children], columns)
            for column in columns:
                total_amount, added = parent_cells.get(column), sums.get(column)
                if added is None and total_amount is None:
                    continue  # every figure blank
                if (total_amount.value if total_amount is not None else ZERO) - (added if added is not None else ZERO) == 0:
                    continue  # balanced: ``_balanced``, with each column's children summed in one pass
                total = self.term(Ref(table.id, "rows", parent, column))
                parts = [self.term(Ref(table.id, "rows", c, column)) for c in children]
                self.compare(check["rule"], total, parts, [])


@dataclass(frozen=True, slots=True)
class _SumPlan:
    """The references of a sum of ``checks.yaml``, parsed once per process (they are data)."""

    total: Ref
    parts: tuple[Ref, ...]  # as written: ``@classes`` and ``*`` rows not yet expanded
    minus: tuple[Ref, ...]
    refs: tuple[Ref, ...]  # total, parts and minus: the tables the check needs
    expands: bool  # whether a part or minus names rows (``@classes``, ``*``) to expand per report
    tables: frozenset[str]  # the tables of ``refs``: when the report has them all, the check runs


_SUM_PLANS: dict[int, tuple[dict, _SumPlan]] = {}  # id(check) -> (check, its plan); the check kept alive


def _sum_plan(check: dict) -> _SumPlan:
    """The plan of a sum (not ``each_row``) of ``checks.yaml``, made at its first use in this process."""
    known = _SUM_PLANS.get(id(check))
    if known is not None and known[0] is check:
        return known[1]
    total = Ref.parse(check["total"])
    parts = tuple(Ref.parse(p) for p in check["parts"])
    minus = tuple(Ref.parse(p) for p in check.get("minus", ()))
    refs = (total, *parts, *minus)
    plan = _SumPlan(total, parts, minus, refs, any(r.row in ("@classes", "*") for r in (*parts, *minus)),
                    frozenset(r.table for r in refs))
    _SUM_PLANS[id(check)] = (check, plan)
    return plan


def _balanced(total: Amount | None, parts: list[Amount | None], minus: list[Amount | None]) -> bool:
    """Whether ``compare`` would find nothing: every figure blank, or the sums equal exactly. Most
    equations hold, and this answers without building the terms and labels of a finding."""
    blank = total is None
    added = ZERO
    for amount in parts:
        if amount is not None:
            added += amount.value
            blank = False
    taken = ZERO
    for amount in minus:
        if amount is not None:
            taken += amount.value
            blank = False
    if blank:
        return True
    # a blank figure adds nothing (the sums are exact: at most 21 digits each, in 28)
    return (total.value if total is not None else ZERO) - (added - taken) == 0


def _exceeds(parts: list[Amount | None], whole: Amount | None, tolerance: Decimal) -> bool:
    """Whether ``limit`` would find the parts larger than the whole (the same arithmetic)."""
    value = sum((a.value if a is not None else ZERO for a in parts), ZERO)
    if all(a is None for a in parts):
        return False
    return not value <= (whole.value if whole is not None else ZERO) + tolerance


def _exceeds_one(part: Amount, whole: Amount | None, tolerance: Decimal) -> bool:
    """``_exceeds([part], whole, tolerance)`` of a written part, without the sums of a list."""
    return not part.value <= (whole.value if whole is not None else ZERO) + tolerance


def _column_sums(rows: list[dict[str, Amount | None]], columns: dict[str, None]) -> dict[str, Decimal]:
    """The sum of each column's written figures over ``rows`` (a column with none written has no
    sum: blank is not zero), in row order; each column not yet in ``columns`` is added to it."""
    sums: dict[str, Decimal] = {}
    for cells in rows:
        for column, amount in cells.items():
            if amount is not None:
                sums[column] = sums.get(column, ZERO) + amount.value
        columns.update(dict.fromkeys(cells))
    return sums


def _column_ref(text: str) -> Ref:
    """"table:section.column" → a reference to that column of every row."""
    table, rest = text.split(":", 1)
    section, column = rest.split(".")
    return Ref(table, section, "*", column)


def _families(keys: list[str], with_total: bool) -> Iterator[tuple[str, list[str]]]:
    """Parent row → its direct children among the rows present: 合计 → 类, 类 → 款, 款 → 项.

    A direct child is two digits longer than its parent and starts with it, i.e. ``child[:-2]`` is
    the parent: one pass over the rows (linear; scanning all rows per parent took 37 s for 20,000).
    """
    present = set(keys)
    if with_total and "total" in present:
        classes = [k for k in keys if len(k) == 3]
        if classes:
            yield "total", classes
    children: dict[str, list[str]] = {}
    for key in keys:
        if len(key) > 2:
            children.setdefault(key[:-2], []).append(key)
    for parent in keys:
        if parent.isdigit() and parent in children:
            yield parent, children[parent]


def run(report: Report) -> list[Finding]:
    evaluator = Evaluator(report)
    data = standards.checks()
    for check in data["sums"]:
        evaluator.run_sum(check)
    for check in data["matches"]:
        evaluator.run_match(check)
    for check in data["limits"]:
        evaluator.run_limit(check)
    for check in data["hierarchies"]:
        evaluator.run_hierarchy(check)
    blame(evaluator.findings, evaluator.involved)
    return evaluator.findings + skipped_checks(report, evaluator.skipped)


SKIPPED = "checks.skipped"


def skipped_checks(report: Report, skipped: dict[str, set[str]]) -> list[Finding]:
    """One warning per report naming the cross-table checks that could not run, the tables they
    need that the report declares unpublished, and the declared reasons."""
    if not skipped:
        return []
    missing = [t for t in report.template.table_ids if any(t in tables for tables in skipped.values())]
    by_why: dict[str, list[str]] = {}
    for table_id in missing:
        frame = report.template.table(table_id)
        why = f"未公开：{report.unpublished_reason('table', table_id)}"
        by_why.setdefault(why, []).append(frame.name if frame else table_id)
    tables = "；".join(f"{'、'.join(names)}（{why}）" for why, names in by_why.items())
    declared = next(u.place for u in report.unpublished if u.kind == "table" and u.id in missing)
    return [Finding(
        SKIPPED, f"{len(skipped)} 项跨表勾稽关系未能核对：{'、'.join(skipped)}。所需的表不在本报告中：{tables}",
        declared, severity="warning", subject=f"{report.rel}:skipped",
        report=report.rel, table="report.yaml",
    )]


def blame(findings: list[Finding], involved: list[list[Place]]) -> None:
    """Point each failed equation at the figure most likely to be off.

    A single wrong figure breaks every equation it takes part in (its row, its column, the
    cross-table match). The figure shared by the most failed equations is the likely culprit; with
    no such evidence the finding stays on the equation's total.
    """
    counts: dict[Place, int] = {}
    for finding, places in zip(findings, involved, strict=True):
        if finding.severity == "error":
            for place in set(places):
                counts[place] = counts.get(place, 0) + 1
    for finding, places in zip(findings, involved, strict=True):
        if finding.severity != "error" or not places:
            continue
        best = max(places, key=lambda p: (counts.get(p, 0), p == places[0]))
        if counts.get(best, 0) > counts.get(places[0], 0):
            finding.related = tuple(p for p in places if p != best)
            finding.place = best
