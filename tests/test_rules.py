"""One passing and one failing case for every rule id the checker can emit.

Passing: the mini fixture (tests/fixtures/mini) gives no finding of any rule. Failing: a minimal
edit of the mini fixture makes the rule fire with its severity, at the file, line and column of the
figure that is off. Where the 勾稽关系 tie one figure to several equations, no single edit can
break just one of them; such cases list the other rules the same edit necessarily breaks
(``also``), worked out by hand from the fixture's figures.

Figures of the mini fixture (万元 unless noted) are in the fixture files; the comments below give
the arithmetic each edit breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from site_builder import loader, standards
from site_builder.findings import Finding
from site_builder.model import Amount
from tests.conftest import MINI, REPORT_2023, REPORT_2024, MiniContent, place_of

PACKAGE = Path(__file__).resolve().parents[1] / "site_builder"

S = "tables/income_expenditure_summary.yaml"
I = "tables/income.yaml"  # noqa: E741
E = "tables/expenditure.yaml"
F = "tables/fiscal_summary.yaml"
G = "tables/general_budget_expenditure.yaml"
B = "tables/basic_expenditure_detail.yaml"
GF = "tables/government_fund.yaml"
SC = "tables/state_capital.yaml"
T = "tables/three_public.yaml"
R = "tables/related_info.yaml"
A = "attachments/window-service.yaml"


# -- edits ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replace:
    file: str  # relative to the report folder
    old: str
    new: str
    count: int = 1

    def apply(self, mini: MiniContent, report: str) -> None:
        mini.replace(f"{report}/{self.file}", self.old, self.new, self.count)


@dataclass(frozen=True)
class Remove:
    file: str

    def apply(self, mini: MiniContent, report: str) -> None:
        mini.remove(f"{report}/{self.file}")


@dataclass(frozen=True)
class Copy:
    source: str  # relative to the content folder
    file: str

    def apply(self, mini: MiniContent, report: str) -> None:
        mini.write(f"{report}/{self.file}", mini.read(self.source))


@dataclass(frozen=True)
class WriteBytes:
    file: str
    data: bytes

    def apply(self, mini: MiniContent, report: str) -> None:
        mini.path(f"{report}/{self.file}").write_bytes(self.data)


@dataclass(frozen=True)
class ReplaceByDirectory:
    file: str

    def apply(self, mini: MiniContent, report: str) -> None:
        path = mini.path(f"{report}/{self.file}")
        path.unlink()
        path.mkdir()


Edit = Replace | Remove | Copy | WriteBytes | ReplaceByDirectory


@dataclass(frozen=True)
class At:
    """Where the finding must point: a file of the report, the line holding ``line``, the column of ``value``."""

    file: str
    line: str = ""  # "" = line 1, column 1 (a finding about the whole file)
    value: str = ""
    after: str = ""


@dataclass(frozen=True)
class Case:
    rule: str
    edits: tuple[Edit, ...]
    at: At
    severity: str = "error"
    also: frozenset[str] = frozenset()  # other rules the same edit necessarily breaks
    count: int = 1  # findings of `rule`
    report: str = REPORT_2023
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.rule}{'-' + self.name if self.name else ''}"


def case(rule: str, *edits: Edit, at: At, also: tuple[str, ...] = (), **options: object) -> Case:
    return Case(rule, edits, at, also=frozenset(also), **options)  # type: ignore[arg-type]


CASES = [
    # ---- 收入支出决算总表 ----------------------------------------------------------------------
    # 本年收入合计 222.00 ≠ 195 + 12 + 5 + 0 + 11 = 223; the income table's 合计 其他收入 10.00 ≠ 11.00
    case("summary.income-total", Replace(S, "  other: 10.00", "  other: 11.00"),
         at=At(S, "other: 11.00", "11.00"), also=("cross.income-other",)),
    # 收入总计 233.00 ≠ 222.00 + 12.00
    case("summary.income-grand-total", Replace(S, "  opening: 11.00", "  opening: 12.00"),
         at=At(S, "grand_total: 233.00", "233.00")),
    # 本年支出合计 221.00 ≠ 196 + 26; 支出决算表 221 is 25.00
    case("summary.expenditure-total", Replace(S, '"221": 25.00', '"221": 26.00'),
         at=At(S, '"221"', "26.00"), also=("cross.expenditure-class",)),
    # 支出总计 233.00 ≠ 221.00 + 13.00
    case("summary.expenditure-grand-total", Replace(S, "  closing: 12.00", "  closing: 13.00"),
         at=At(S, "grand_total: 233.00", "233.00", after="expenditure:")),
    # 收入总计 234.00 = 222 + 12, but 支出总计 233.00
    case("summary.balance", Replace(S, "  opening: 11.00\n  grand_total: 233.00", "  opening: 12.00\n  grand_total: 234.00"),
         at=At(S, "grand_total: 233.00", "233.00", after="expenditure:"), also=("narrative.amount",)),
    # ---- 财政拨款收入支出决算总表 --------------------------------------------------------------
    # 本年收入合计 213.00 ≠ 195 + 12 + 5; 总计 223.00 ≠ 213 + 11
    case("fiscal.income-total", Replace(F, "  total_income: 212.00", "  total_income: 213.00"),
         at=At(F, "total_income", "213.00"), also=("fiscal.income-grand-total",)),
    # 年初 12.00 ≠ 8 + 2 + 1; 总计 223.00 ≠ 212 + 12
    case("fiscal.opening-total", Replace(F, "  opening: 11.00", "  opening: 12.00"),
         at=At(F, "opening: 12.00", "12.00"), also=("fiscal.income-grand-total",)),
    # 收入总计 224.00 ≠ 212 + 11 and ≠ 支出总计 223.00
    case("fiscal.income-grand-total", Replace(F, "  grand_total: 223.00", "  grand_total: 224.00"),
         at=At(F, "grand_total: 224.00", "224.00"), also=("fiscal.balance",)),
    case("fiscal.balance", Replace(F, "  grand_total: 223.00", "  grand_total: 224.00"),
         at=At(F, "grand_total: 224.00", "224.00"), also=("fiscal.income-grand-total",)),
    # 本年支出合计 215.00 ≠ 190 + 26; row 221: 26.00 ≠ 20 + 5
    case("fiscal.expenditure-total", Replace(F, '"221": {total: 25.00', '"221": {total: 26.00'),
         at=At(F, '"221"', "26.00"), also=("fiscal.row-total",)),
    # 总计 223.00 ≠ 215 + 9; row 年末: 9.00 ≠ 3 + 4 + 1
    case("fiscal.expenditure-grand-total", Replace(F, "closing: {total: 8.00", "closing: {total: 9.00"),
         at=At(F, "closing: {total", "9.00"), also=("fiscal.row-total",)),
    # row 总计: 223.00 ≠ 204 + 14 + 6 (the column figures of 总计 take part in no other equation)
    case("fiscal.row-total", Replace(F, "general_budget: 203.00", "general_budget: 204.00"),
         at=At(F, "grand_total: {total", "223.00")),
    # 一般公共预算 195.00 ≠ 200 + 3 − 9; 年初 11.00 ≠ 9 + 2 + 1
    case("fiscal.general-budget-balance", Replace(F, "opening_general_budget: 8.00", "opening_general_budget: 9.00"),
         at=At(F, "opening_general_budget", "9.00"), also=("fiscal.opening-total",)),
    case("fiscal.government-fund-balance", Replace(F, "opening_government_fund: 2.00", "opening_government_fund: 3.00"),
         at=At(F, "opening_government_fund", "3.00"), also=("fiscal.opening-total",)),
    case("fiscal.state-capital-balance", Replace(F, "opening_state_capital: 1.00", "opening_state_capital: 2.00"),
         at=At(F, "opening_state_capital", "2.00"), also=("fiscal.opening-total",)),
    # ---- 基本支出明细表 ------------------------------------------------------------------------
    # 301 = 121 = 81 + 40 still adds up, but 人员经费合计 130.00 ≠ 121 + 10
    case("basic.personnel-total", Replace(B, '"301": 120.00', '"301": 121.00'), Replace(B, '"30101": 80.00', '"30101": 81.00'),
         at=At(B, "personnel_total", "130.00")),
    # 302 = 31 = 21 + 2 + 3 + 5, but 公用经费合计 40.00 ≠ 31 + 10
    case("basic.public-total", Replace(B, '"302": 30.00', '"302": 31.00'), Replace(B, '"30201": 20.00', '"30201": 21.00'),
         at=At(B, "public_total", "40.00")),
    # 302 30.00 ≠ 21 + 2 + 3 + 5
    case("basic.hierarchy", Replace(B, '"30201": 20.00', '"30201": 21.00'), at=At(B, '"302"', "30.00")),
    # ---- “三公”经费 ---------------------------------------------------------------------------
    case("three-public.total", Replace(T, "budget: {total: 25.00", "budget: {total: 26.00"), at=At(T, "budget:", "26.00")),
    # 预算数 车辆小计 18.00 ≠ 12.50 + 6.00
    case("three-public.vehicles", Replace(T, "vehicle_purchase: 12.00", "vehicle_purchase: 12.50"),
         at=At(T, "budget:", "vehicles: |18.00")),
    # 决算数 因公出国 1.00 < 基本支出 30212 2.00 (合计 19 = 1 + 15 + 3 still adds up)
    case("three-public.abroad-below-basic", Replace(T, "final: {total: 20.00, abroad: 2.00", "final: {total: 19.00, abroad: 1.00"),
         at=At(B, '"30212"', "2.00"), severity="warning"),
    case("three-public.reception-below-basic", Replace(T, "final: {total: 20.00", "final: {total: 19.00"),
         Replace(T, "reception: 3.00}", "reception: 2.00}"), at=At(B, '"30217"', "3.00"), severity="warning"),
    case("three-public.operation-below-basic",
         Replace(T, "final: {total: 20.00, abroad: 2.00, vehicles: 15.00, vehicle_purchase: 10.00, vehicle_operation: 5.00",
                 "final: {total: 19.00, abroad: 2.00, vehicles: 14.00, vehicle_purchase: 10.00, vehicle_operation: 4.00"),
         at=At(B, '"30231"', "5.00"), severity="warning"),
    case("three-public.purchase-below-basic",
         Replace(T, "final: {total: 20.00, abroad: 2.00, vehicles: 15.00, vehicle_purchase: 10.00",
                 "final: {total: 19.00, abroad: 2.00, vehicles: 14.00, vehicle_purchase: 9.00"),
         at=At(B, '"31013"', "10.00"), severity="warning"),
    # ---- 相关信息统计表 ------------------------------------------------------------------------
    case("related.procurement-total", Replace(R, "{total: 10.00", "{total: 11.00"), at=At(R, "procurement", "11.00")),
    # 车辆数合计 2 ≠ 1 + 2
    case("related.vehicles-total", Replace(R, "  other: 1\n", "  other: 2\n"), at=At(R, "vehicles_total", "vehicles_total: |2")),
    # 机关运行经费 41.00 > 公用经费合计 40.00
    case("related.running-costs-within-public", Replace(R, "civil_service_managed: 35.00", "civil_service_managed: 41.00"),
         at=At(R, "civil_service_managed", "41.00"), severity="warning"),
    # ---- row sums of the code tables (the changed figure also breaks its column's 款 = Σ 项) ----------
    case("income.row-total", Replace(I, '"2080109": {total: 95.00', '"2080109": {total: 96.00'),
         at=At(I, '"2080109"', "96.00"), also=("income.hierarchy",)),
    case("expenditure.row-total", Replace(E, '"2080109": {total: 96.00', '"2080109": {total: 97.00'),
         at=At(E, '"2080109"', "97.00"), also=("expenditure.hierarchy",)),
    case("general-budget.row-total", Replace(G, '"2080109": {total: 80.00', '"2080109": {total: 81.00'),
         at=At(G, '"2080109"', "81.00"), also=("general-budget.hierarchy",)),
    # 2080109: 本年支出 10.00 ≠ 9.00; 20801 项目支出 10.00 ≠ 9.00: both point at the 9.00
    case("government-fund.row-total",
         Replace(GF, '"2080109": {opening: 2.00, income: 12.00, total: 10.00, project: 10.00',
                 '"2080109": {opening: 2.00, income: 12.00, total: 10.00, project: 9.00'),
         at=At(GF, '"2080109"', "project: |9.00"), also=("government-fund.hierarchy",)),
    # every row: 年末 5.00 ≠ 2 + 12 − 10 (the column still adds up)
    case("government-fund.balance", Replace(GF, "closing: 4.00}", "closing: 5.00}", count=4),
         at=At(GF, "total: {opening", "closing: |5.00"), count=4),
    # every row: 合计 5.00 ≠ 项目 4.00 (the column still adds up)
    case("state-capital.row-total", Replace(SC, "project: 5.00}", "project: 4.00}", count=4),
         at=At(SC, "total: {total", "5.00"), count=4),
    # ---- 类 = Σ 款, 款 = Σ 项: a 款 row off in two columns breaks 4 equations, all blamed on it ----
    case("income.hierarchy", Replace(I, '"20801": {total: 195.00, fiscal: 185.00', '"20801": {total: 196.00, fiscal: 186.00'),
         at=At(I, '"20801"', "196.00"), count=4),
    case("expenditure.hierarchy", Replace(E, '"20801": {total: 196.00, basic: 156.00', '"20801": {total: 197.00, basic: 157.00'),
         at=At(E, '"20801"', "197.00"), count=4),
    case("general-budget.hierarchy", Replace(G, '"20801": {total: 180.00, basic: 150.00', '"20801": {total: 181.00, basic: 151.00'),
         at=At(G, '"20801"', "181.00"), count=4),
    case("government-fund.hierarchy",
         Replace(GF, '"20801": {opening: 2.00, income: 12.00, total: 10.00, project: 10.00, closing: 4.00}',
                 '"20801": {opening: 3.00, income: 12.00, total: 10.00, project: 10.00, closing: 5.00}'),
         at=At(GF, '"20801"', "opening: |3.00"), count=4),
    case("state-capital.hierarchy", Replace(SC, '"22102": {total: 5.00, project: 5.00}', '"22102": {total: 6.00, project: 6.00}'),
         at=At(SC, '"22102"', "6.00"), count=4),
    # ---- across tables -----------------------------------------------------------------------
    # 收入决算表 合计 222.00 ≠ 总表 本年收入合计 223.00 (总计 233 = 223 + 10 still adds up)
    case("cross.income-total", Replace(S, "  total_income: 222.00", "  total_income: 223.00"),
         Replace(S, "  opening: 11.00", "  opening: 10.00"), at=At(S, "total_income", "223.00"), also=("summary.income-total",)),
    # 收入决算表 财政拨款收入 212.00 ≠ 196 + 12 + 5; 财政拨款总表 195.00 ≠ 196.00
    case("cross.income-fiscal", Replace(S, "  general_budget: 195.00", "  general_budget: 196.00"),
         at=At(S, "general_budget", "196.00"), also=("summary.income-total", "cross.fiscal-income")),
    # a figure where the income table has a blank cell
    case("cross.income-superior", Replace(S, "  superior:\n", "  superior: 1.00\n"),
         at=At(S, "superior", "1.00"), also=("summary.income-total",)),
    case("cross.income-business", Replace(S, "  business: 0.00", "  business: 1.00"),
         at=At(S, "business", "1.00"), also=("summary.income-total",)),
    case("cross.income-operating", Replace(S, "  other: 10.00", "  operating: 1.00\n  other: 10.00"),
         at=At(S, "operating", "1.00"), also=("summary.income-total",)),
    case("cross.income-affiliated", Replace(S, "  other: 10.00", "  affiliated: 1.00\n  other: 10.00"),
         at=At(S, "affiliated", "1.00"), also=("summary.income-total",)),
    case("cross.income-other", Replace(S, "  other: 10.00", "  other: 11.00"),
         at=At(S, "other: 11.00", "11.00"), also=("summary.income-total",)),
    # 支出决算表 合计 221.00 ≠ 总表 本年支出合计 222.00 (总计 233 = 222 + 11 still adds up)
    case("cross.expenditure-total", Replace(S, "  total_expenditure: 221.00", "  total_expenditure: 222.00"),
         Replace(S, "  closing: 12.00", "  closing: 11.00"), at=At(S, "total_expenditure", "222.00"),
         also=("summary.expenditure-total",)),
    # 197 + 24 = 221 still adds up, but neither class matches the 支出决算表
    case("cross.expenditure-class", Replace(S, '"208": 196.00', '"208": 197.00'), Replace(S, '"221": 25.00', '"221": 24.00'),
         at=At(S, '"208"', "197.00"), count=2),
    case("cross.fiscal-income", Replace(F, "  general_budget: 195.00", "  general_budget: 196.00"),
         at=At(F, "general_budget: 196.00", "196.00"), also=("fiscal.income-total", "fiscal.general-budget-balance")),
    case("cross.fiscal-government-fund-income", Replace(F, "  government_fund: 12.00", "  government_fund: 13.00"),
         at=At(F, "government_fund: 13.00", "13.00"), also=("fiscal.income-total", "fiscal.government-fund-balance")),
    case("cross.fiscal-state-capital-income", Replace(F, "  state_capital: 5.00\n", "  state_capital: 6.00\n"),
         at=At(F, "state_capital: 6.00", "6.00"), also=("fiscal.income-total", "fiscal.state-capital-balance")),
    case("cross.fiscal-general-budget", Replace(G, "total: {total: 200.00", "total: {total: 201.00"),
         at=At(G, "total: {total", "201.00"), also=("general-budget.row-total", "general-budget.hierarchy")),
    case("cross.fiscal-government-fund",
         Replace(F, "government_fund: 10.00, state_capital: 5.00}", "government_fund: 11.00, state_capital: 5.00}"),
         at=At(F, "total_expenditure", "government_fund: |11.00"), also=("fiscal.row-total", "fiscal.government-fund-balance")),
    case("cross.fiscal-state-capital",
         Replace(F, "government_fund: 10.00, state_capital: 5.00}", "government_fund: 10.00, state_capital: 6.00}"),
         at=At(F, "total_expenditure", "state_capital: |6.00"), also=("fiscal.row-total", "fiscal.state-capital-balance")),
    # 明细表 is consistent in itself (301 = 121 = 81 + 40; 人员 131 = 121 + 10) but 131 + 40 ≠ 基本支出 170.00
    case("cross.basic-detail", Replace(B, '"301": 120.00', '"301": 121.00'), Replace(B, '"30101": 80.00', '"30101": 81.00'),
         Replace(B, "personnel_total: 130.00", "personnel_total: 131.00"), at=At(G, "total: {total", "basic: |170.00")),
    # rows and 本年支出合计 still add up (191 = 181 + 10, 24 = 19 + 5, 215 = 191 + 24)
    case("cross.fiscal-general-budget-class",
         Replace(F, '"208": {total: 190.00, general_budget: 180.00', '"208": {total: 191.00, general_budget: 181.00'),
         Replace(F, '"221": {total: 25.00, general_budget: 20.00', '"221": {total: 24.00, general_budget: 19.00'),
         at=At(F, '"208"', "general_budget: |181.00"), count=2),
    case("cross.fiscal-government-fund-class",
         Replace(F, "general_budget: 180.00, government_fund: 10.00}", "general_budget: 180.00, government_fund: 11.00}"),
         at=At(F, '"208"', "government_fund: |11.00"), also=("fiscal.row-total",)),
    case("cross.fiscal-state-capital-class",
         Replace(F, "general_budget: 20.00, state_capital: 5.00}", "general_budget: 20.00, state_capital: 6.00}"),
         at=At(F, '"221"', "state_capital: |6.00"), also=("fiscal.row-total",)),
    # 一般公共预算 2080101 101.00 > 支出决算表 100.00 (total and basic); 20801 = 101 + 79 still adds up
    case("cross.fiscal-within-all",
         Replace(G, '"2080101": {total: 100.00, basic: 100.00}', '"2080101": {total: 101.00, basic: 101.00}'),
         Replace(G, '"2080109": {total: 80.00, basic: 50.00', '"2080109": {total: 79.00, basic: 49.00'),
         at=At(G, '"2080101"', "101.00"), count=2),
    # 合计 本年收入合计 211.00 < 财政拨款收入 212.00
    case("cross.fiscal-income-within-all", Replace(I, "total: {total: 222.00", "total: {total: 211.00"),
         at=At(I, "total: {total", "211.00"), also=("income.row-total", "income.hierarchy", "cross.income-total", "narrative.amount")),
    # 元 report: 其中教育收费 60000.00 > 事业收入 50000.00 in every row that has it
    case("income.tuition-within-business", Replace(I, "business_tuition: 20000.00", "business_tuition: 60000.00", count=4),
         at=At(I, "total: {total", "business_tuition: |60000.00"), count=4, report=REPORT_2024),
    # ---- classification codes ----------------------------------------------------------------
    # an economic code has 3 or 5 digits (3010101 = 80.00 keeps 30101 = Σ its children)
    case("code.length", Replace(B, '  "30102": 40.00', '  "3010101": 80.00\n  "30102": 40.00'),
         at=At(B, '"3010101"', '"3010101"')),
    case("code.unknown", Replace(I, '  "2080109":', '  "2080188": {}\n  "2080109":'), at=At(I, '"2080188"', '"2080188"')),
    case("code.hierarchy", Replace(I, '  "221":', '  "2080501": {}\n  "221":'), at=At(I, '"2080501"', '"2080501"')),
    case("code.name-mismatch", Replace(I, '"2080109": {total: 95.00', '"2080109": {name: 社保经办, total: 95.00'),
         at=At(I, '"2080109"', "社保经办")),
    # the 合计 row deleted: reported at the first code row; the 财政拨款总表 now has nothing to match
    case("table.missing-total", Replace(SC, "  total: {total: 5.00, project: 5.00}\n", ""),
         at=At(SC, '"221"', '"221"'), also=("cross.fiscal-state-capital",)),
    case("table.missing-total", Replace(GF, "rows: {}", 'rows:\n  "208": {}'), at=At(GF, '"208"', '"208"'),
         report=REPORT_2024, name="code-rows-only"),
    case("table.empty-without-note", Replace(GF, "empty_note: 本单位本年度无政府性基金预算财政拨款收支，故本表无数据。\n", ""),
         at=At(GF), report=REPORT_2024),
    # ---- 项目支出绩效自评表 ---------------------------------------------------------------------
    # 财政资金 执行率 91.00 ≠ 36 ÷ 40 = 90% (its 得分 9.10 follows the printed rate, so only the rate is off)
    case("perf.execution-rate", Replace(A, "      rate: 90.00\n      score: 9.00\ngoal:", "      rate: 91.00\n      score: 9.10\ngoal:"),
         at=At(A, "rate: 91.00", "91.00")),
    # 资金总额 年初预算数 40.00 ≠ 财政资金 41.00
    case("perf.funds-sources", Replace(A, "    - source: 财政资金\n      initial: 40.00", "    - source: 财政资金\n      initial: 41.00"),
         at=At(A, "initial: 40.00", "40.00")),
    # both rows: 结余 5.00 ≠ 40.00 − 36.00 (the sources still add up)
    case("perf.balance", Replace(A, "balance: 4.00", "balance: 5.00", count=2), at=At(A, "balance: 5.00", "5.00"), count=2),
    # 资金得分 10.00 ≠ 10 × 90% (总分 96 = 86 + 10 still adds up)
    case("perf.funds-score", Replace(A, "      score: 9.00\n    - source: 财政资金", "      score: 10.00\n    - source: 财政资金"),
         Replace(A, "total_score: 95", "total_score: 96"), at=At(A, "score: 10.00", "10.00")),
    # 得分 16 > 分值 15 (总分 97 = 88 + 9 still adds up)
    # 情况说明: 212.00 of 222.00 is 95.50%, not 96.50%
    case("narrative.share", Replace("explanation.md", "占95.50%", "占96.50%"), at=At("explanation.md", "占96.50%", "96.50")),
    # computed figures ({{…}}, rules/references.py), reported at the {{
    case("narrative.ref-syntax", Replace("explanation.md", "收入总计233.00万元", "收入总计{{收入支出决算总表/收入/总计 比上年 多少}}"),
         at=At("explanation.md", "收入总计{{", "{{")),
    case("narrative.ref-unknown", Replace("explanation.md", "收入总计233.00万元", "收入总计{{收入支出决算总表/收入/总数}}"),
         at=At("explanation.md", "收入总计{{", "{{")),
    case("narrative.ref-blank", Replace("explanation.md", "收入总计233.00万元", "收入总计{{收入支出决算总表/收入/上级补助收入}}"),
         at=At("explanation.md", "收入总计{{", "{{")),
    case("narrative.ref-previous", Replace("explanation.md", "收入总计233.00万元", "收入总计{{收入支出决算总表/收入/总计 比上年 幅度}}"),
         at=At("explanation.md", "收入总计{{", "{{")),
    case("perf.score-over-points", Replace(A, "            score: 14", "            score: 16"),
         Replace(A, "total_score: 95", "total_score: 97"), at=At(A, "score: 16", "16")),
    # 分值 95 + 10 = 105 although every group states its own points correctly
    case("perf.points-total", Replace(A, "    points: 50\n", "    points: 55\n"),
         Replace(A, "        points: 20\n        items:", "        points: 25\n        items:"),
         Replace(A, "            points: 20\n", "            points: 25\n"),
         at=At(A, "points: 25", "25", after="窗口人员人数")),
    # 数量指标（25分） over one indicator of 20 points
    case("perf.group-points", Replace(A, "        points: 20\n        items:", "        points: 25\n        items:"),
         at=At(A, "points: 25", "25")),
    case("perf.total-score", Replace(A, "total_score: 95", "total_score: 94"), at=At(A, "total_score", "94")),
    # 良 for 95 points; reported at the score the grade contradicts
    case("perf.grade", Replace(A, "grade: 优", "grade: 良"), at=At(A, "total_score", "95")),
    # 数量指标 states a subtotal 得分 of 19 over its one indicator scored 20
    case("perf.group-score", Replace(A, "        points: 20\n        items:", "        points: 20\n        score: 19\n        items:"),
         at=At(A, "score: 19", "19")),
    # the form leaves out its 总分 (the shanxi-2023 form prints one): a warning about the whole form
    case("perf.missing-total", Replace(A, "total_score: 95\n", ""), Replace(A, "grade: 优\n", ""),
         at=At(A), severity="warning"),
    # the form leaves out its 等级; reported at the 总分 it would follow from
    case("perf.missing-grade", Replace(A, "grade: 优\n", ""), at=At(A, "total_score", "95"), severity="warning"),
    # ---- reading the content -----------------------------------------------------------------
    case("report.missing-table", Remove(T), at=At("report.yaml")),
    case("report.unknown-table", Copy(f"{REPORT_2023}/{R}", R), at=At(R), report=REPORT_2024),
    # business_tuition is a column of the ningxia-2024 收入决算表 only: the shanxi-2023 table schema refuses it
    case("schema",
         Replace(I, '"2080109": {total: 95.00, fiscal: 85.00, other: 10.00}', '"2080109": {total: 95.00, fiscal: 85.00, other: 10.00, business_tuition: 0.00}'),
         at=At(I, '"2080109"', "business_tuition"), name="column-of-another-template"),
    case("content.missing-file", Remove("overview.md"), at=At("overview.md")),
    case("content.encoding", WriteBytes(T, "rows:\n  budget: {total: 25.00}  # 预算数\n".encode("gbk")), at=At(T)),
    case("content.not-a-file", ReplaceByDirectory(T), at=At(T)),
    case("content.not-a-file", ReplaceByDirectory("overview.md"), at=At("overview.md"), name="markdown"),
    case("content.unknown-file", WriteBytes("attachments/extra.yml", b"kind: performance\n"), at=At("attachments/extra.yml")),
    case("content.unknown-file", WriteBytes("notes.txt", b"draft\n"), at=At("notes.txt"), severity="warning", name="stray"),
    case("content.too-large", WriteBytes("overview.md", b"x" * (1024 * 1024 + 1)), at=At("overview.md")),
    case("yaml.key", Replace(E, '  "2080101": {total: 100.00', "  yes: {total: 100.00"), at=At(E, "yes:", "yes")),
    case("yaml.depth", Replace(S, "  other: 10.00", "  other: " + "[" * 21 + "1" + "]" * 21),
         at=At(S, "other: [", "other: " + "[" * 18 + "|[")),  # levels: the file, its section, then 19 lists
    case("amount.digits", Replace(S, "  other: 10.00", "  other: 10.0000001"), at=At(S, "other: 10.0000001", "10.0000001")),
    case("glossary.duplicate-term", WriteBytes("glossary.yaml", "terms:\n  - term: 甲\n    definition: 一。\n"
                                                                 "  - term: 乙\n    definition: 二。\n    aliases: [甲]\n".encode()),
         at=At("glossary.yaml", "aliases: [甲]", "甲")),
    case("schema", Replace(S, "  other: 10.00", '  other: "10.00"'), at=At(S, "other", '"10.00"')),
    case("schema", Replace(I, '"2080109": {total: 95.00', '"2080109": {totl: 95.00'), at=At(I, '"2080109"', "totl"),
         name="unknown-column-id"),
    case("content.missing-file", Remove("report.yaml"), at=At("report.yaml"), name="report-yaml"),
    case("yaml.syntax", Replace(S, "  other: 10.00", "  other 10.00"), at=At(S, "other 10.00", "other")),
    case("yaml.tab", Replace(T, "  budget:", "\tbudget:"), at=At(T, "budget:")),
    case("yaml.duplicate-key", Replace(S, "  other: 10.00", "  other: 10.00\n  other: 1.00"), at=At(S, "other: 1.00", "other")),
    case("yaml.alias", Replace(S, "  grand_total: 233.00\nexpenditure:", "  grand_total: &total 233.00\nexpenditure:"),
         Replace(S, "  grand_total: 233.00\n", "  grand_total: *total\n"), at=At(S, "&total", "&total")),
    case("yaml.alias", Replace(T, "rows:\n", "rows:\n  <<: {}\n"), at=At(T, "<<", "<<"), name="merge-key"),
    case("yaml.tag", Replace(S, "  other: 10.00", "  other: !!python/name:os.system 10.00"), at=At(S, "other", "!!python")),
]


def rule_ids_in_sources() -> set[str]:
    """Every rule id the checker can emit: checks.yaml plus the ids written in the Python modules."""
    ids = {c["rule"] for kind in standards.checks().values() for c in kind}
    sources = [PACKAGE / "check.py", PACKAGE / "contentfs.py", PACKAGE / "loader.py", PACKAGE / "yamlsafe.py",
               *sorted((PACKAGE / "rules").rglob("*.py"))]
    literal = re.compile(r"""["']((?:[a-z]+)\.[a-z][a-z0-9-]*)["']""")
    for source in sources:
        for found in literal.findall(source.read_text(encoding="utf-8")):
            if found.rsplit(".", 1)[1] not in {"yaml", "md", "json", "py"}:
                ids.add(found)
    return ids | {"schema"}


ALL_RULES = sorted(rule_ids_in_sources())
# Rules with their own tests below (they need more than an edit of the content folder).
TESTED_SEPARATELY = {"ack.unmatched", "ack.figures-changed", "table.unknown-row"}
# Rules about the content folder itself (links, FIFOs, names, paths outside it, row limits): tests/test_content_safety.py
TESTED_SEPARATELY |= {"content.symlink", "content.unreadable", "content.unknown-folder", "content.folder-name",
                      "table.too-many-rows"}
# Template files and what the layout cannot show: tests/test_templates.py. table.unknown-column is now refused by
# the report's own template schema first (the loader's check stays as a guard).
TESTED_SEPARATELY |= {"template.schema", "template.invalid", "template.unreadable", "template.duplicate-id",
                      "report.template-invalid", "table.code-not-in-layout", "table.unknown-column"}
# Classification codes by year and codes declared in codes.yaml: tests/test_codes.py
TESTED_SEPARATELY |= {"code.not-valid", "codes.declared-conflict", "codes.declared-known", "codes.declared-parent"}
# The prose checks have a passing and a failing real-world sentence each in tests/test_narrative.py.
# The 基础数据表 and the 评价报告 are attachments the mini fixture does not have: tests/test_forms.py.
TESTED_SEPARATELY |= {"basic.control-rate", "basic.parts", "perf.report-form"}
TESTED_SEPARATELY |= {"narrative.coverage", "narrative.amount", "narrative.unit", "narrative.growth", "narrative.budget-rate",
                      "narrative.direction", "narrative.parts", "narrative.year", "narrative.numbering", "narrative.attachment"}
# Partial reports, skipped cross-table checks and scaffold placeholders: tests/test_partial.py
TESTED_SEPARATELY |= {"report.unpublished", "report.unpublished-invalid", "checks.skipped", "content.placeholder"}
# 更正记录 needs git history (commits dated before and after publication): tests/test_corrections.py
TESTED_SEPARATELY |= {"report.correction-missing", "report.correction-unchecked"}


def apply(mini: MiniContent, test_case: Case) -> None:
    for edit in test_case.edits:
        edit.apply(mini, test_case.report)


# -- the mini fixture is clean -------------------------------------------------------------------
def test_mini_fixture_gives_no_finding_at_all() -> None:
    from site_builder.check import check

    result = check(MINI)
    assert [f.line() for f in result.findings if f.severity != "info"] == []  # info: the prose coverage counts
    assert result.site is not None
    assert [r.rel for r in result.site.reports] == [REPORT_2023, REPORT_2024]
    assert set(result.site.reports[0].tables) == set(result.site.reports[0].template.table_ids)
    assert len(result.site.reports[0].attachments) == 1


@pytest.fixture(scope="module")
def baseline_rules() -> set[str]:
    from site_builder.check import check

    return {f.rule for f in check(MINI).findings if f.severity != "info"}


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rule_passes_on_mini(rule: str, baseline_rules: set[str]) -> None:
    assert rule not in baseline_rules


def test_rule_ids_are_found_in_the_sources() -> None:
    # the scan must find the ids of every module, or the coverage test below proves nothing
    for expected in ("summary.balance", "code.unknown", "table.empty-without-note", "perf.grade", "ack.unmatched",
                     "report.missing-table", "content.missing-file", "yaml.tab", "yaml.syntax"):
        assert expected in ALL_RULES
    assert not {r for r in ALL_RULES if r.endswith((".yaml", ".md"))}


def test_every_rule_has_a_failing_case() -> None:
    covered = {c.rule for c in CASES} | TESTED_SEPARATELY
    assert set(ALL_RULES) - covered == set()


# -- each rule fires -----------------------------------------------------------------------------
@pytest.mark.parametrize("test_case", CASES, ids=[c.id for c in CASES])
def test_rule_fires(mini: MiniContent, test_case: Case) -> None:
    apply(mini, test_case)
    findings = mini.check()
    fired = [f for f in findings if f.rule == test_case.rule]
    assert {f.rule for f in findings} == {test_case.rule} | test_case.also, [f.line() for f in findings]
    assert len(fired) == test_case.count, [f.line() for f in fired]
    assert {f.severity for f in fired} == {test_case.severity}
    at = test_case.at
    expected = mini.place(f"{test_case.report}/{at.file}", at.line, at.value, at.after)
    assert expected in [place_of(f) for f in fired], [f.line() for f in fired]
    for finding in fired:
        assert finding.message.strip()
        assert finding.line().startswith(f"{finding.place}: {test_case.severity} [{test_case.rule}] ")
        if finding.report:  # findings of the rules carry their report (load findings do not)
            assert finding.report == test_case.report
    # warnings never fail the check; errors always do
    assert bool(mini.result().errors) == any(f.severity == "error" for f in findings)


def test_unknown_row_of_a_template_variant(mini: MiniContent, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row the schema allows (another variant has it) but the report's template does not print."""
    raw = yaml.safe_load((PACKAGE / "standards/templates/shanxi-2023.yaml").read_text(encoding="utf-8"))
    raw["function_classes"].remove("221")  # a variant without 住房保障支出
    variant = standards._build_template(raw)
    templates = {**standards.templates(), "shanxi-2023": variant}
    monkeypatch.setattr(standards, "templates", lambda: templates)
    findings = mini.check()
    # both two-sided tables list the class; each table is then left out, so no sum rule runs on them
    assert [(f.rule, f.severity) for f in findings] == [("table.unknown-row", "error")] * 2, [f.line() for f in findings]
    assert sorted(place_of(f) for f in findings) == [mini.place(f"{REPORT_2023}/{F}", '"221"', '"221"'),
                                                     mini.place(f"{REPORT_2023}/{S}", '"221"', '"221"')]
    assert all("'221'" in f.message for f in findings)


# -- messages name both sides with their figures --------------------------------------------------
def test_sum_message_names_both_sides_and_figures(mini: MiniContent) -> None:
    findings = mini.edit_and_check(f"{REPORT_2023}/{T}", "vehicle_purchase: 12.00", "vehicle_purchase: 12.50")
    (finding,) = findings
    for figure in ("18.00", "12.50", "6.00", "18.50"):
        assert figure in finding.message
    assert finding.figures == ("18.00", "18.50")


# -- rounding tolerance ----------------------------------------------------------------------------
# A total may differ from the sum of its n rounded parts by 0.005 × n in a 万元 report, by nothing in 元.
@pytest.mark.parametrize(("report", "edits", "rule", "severity"), [
    # 预算数 车辆小计 18.00 vs 12.01 + 6.00 (2 parts): 0.01 is within 2 × 0.005
    (REPORT_2023, [(T, "vehicle_purchase: 12.00", "vehicle_purchase: 12.01")], "three-public.vehicles", "warning"),
    (REPORT_2023, [(T, "vehicle_purchase: 12.00", "vehicle_purchase: 12.02")], "three-public.vehicles", "error"),
    (REPORT_2023, [(T, "vehicle_purchase: 12.00", "vehicle_purchase: 11.99")], "three-public.vehicles", "warning"),
    # 人员经费合计 130.00 vs 120.00 + 10.01 (2 parts)
    (REPORT_2023, [(B, '"303": 10.00', '"303": 10.01'), (B, '"30302": 10.00', '"30302": 10.01')], "basic.personnel-total", "warning"),
    (REPORT_2023, [(B, '"303": 10.00', '"303": 10.02'), (B, '"30302": 10.00', '"30302": 10.02')], "basic.personnel-total", "error"),
    # 预算数 合计 vs 3 parts: 0.015 allowed
    (REPORT_2023, [(T, "budget: {total: 25.00", "budget: {total: 25.01")], "three-public.total", "warning"),
    (REPORT_2023, [(T, "budget: {total: 25.00", "budget: {total: 25.02")], "three-public.total", "error"),
    # the same 0.01 in the 元 report: 人员经费合计 120000.50 vs 100000.50 + 20000.01
    (REPORT_2024, [(B, '"303": 20000.00', '"303": 20000.01'), (B, '"30302": 20000.00', '"30302": 20000.01')],
     "basic.personnel-total", "error"),
], ids=["wan-2-parts-0.01", "wan-2-parts-0.02", "wan-2-parts-minus-0.01", "wan-personnel-0.01", "wan-personnel-0.02",
        "wan-3-parts-0.01", "wan-3-parts-0.02", "yuan-2-parts-0.01"])
def test_rounding_tolerance(mini: MiniContent, report: str, edits: list[tuple[str, str, str]], rule: str, severity: str) -> None:
    for file, old, new in edits:
        mini.replace(f"{report}/{file}", old, new)
    findings = mini.check()
    assert [(f.rule, f.severity) for f in findings] == [(rule, severity)], [f.line() for f in findings]
    assert (mini.result().errors == []) == (severity == "warning")
    if severity == "warning":
        assert "尾数误差" in findings[0].message


# -- blank and zero are different facts --------------------------------------------------------------
def test_loader_keeps_blank_zero_and_digits() -> None:
    loaded = loader.load(MINI)
    assert loaded.findings == [] and loaded.site is not None
    report = loaded.site.reports[0]
    income = report.tables["income_expenditure_summary"].sections["income"]
    assert "superior" in income and income["superior"] == {"amount": None}  # written blank
    assert "affiliated" not in income  # not written at all
    zero = income["business"]["amount"]
    assert isinstance(zero, Amount) and zero.value == 0 and str(zero.value) == "0.00" and zero.decimals == 2
    total = income["total_income"]["amount"]
    assert isinstance(total, Amount) and type(total.value) is Decimal and str(total.value) == "222.00"
    assert (total.place.line, total.place.col) == (9, 17)
    assert total.place.path.endswith("demo-center/2023/tables/income_expenditure_summary.yaml")
    rows = report.tables["expenditure"].sections["rows"]
    assert set(rows["2080101"]) == {"total", "basic"}  # no project figure: not a 0.00
    assert report.tables["expenditure"].cell("rows", "2080101", "project") is None
    assets = report.tables["related_info"].sections["assets"]
    assert str(assets["equipment_over_1m"]["amount"].value) == "0"
    assert str(assets["vehicles_total"]["amount"].value) == "2"
    form = report.attachments[0].data
    assert str(form["funds"]["rows"][0]["rate"].value) == "90.00"
    assert str(form["indicators"][0]["groups"][0]["items"][0]["score"].value) == "20"
    # the 元 report: every figure keeps its two decimals
    yuan = loaded.site.reports[1]
    assert yuan.amount_unit == "元" and yuan.tolerance_per_part == 0
    assert str(yuan.tables["income"].cell("rows", "total", "business_tuition").value) == "20000.00"
    assert yuan.tables["government_fund"].sections["rows"] == {}


def test_blank_cell_is_not_read_as_zero(check_edited: Callable[[str, str, str], list[Finding]]) -> None:
    # the income table's blank 上级补助收入 does not make 0.00 in the summary a mismatch, but a figure does
    assert check_edited(f"{REPORT_2023}/{S}", "  superior:\n", "  superior: 0.00\n") == []
    findings = check_edited(f"{REPORT_2023}/{S}", "  superior: 0.00\n", "  superior: 0.01\n")
    assert {f.rule for f in findings} == {"summary.income-total", "cross.income-superior"}


# -- acknowledged findings (原文如此) -----------------------------------------------------------------
GRADE_ACK = """acknowledged:
  - rule: perf.grade
    at: attachments/window-service.yaml
    subject: window-service:grade
    figures: ["良", "95"]
    reason: 原表等级如此。
"""
CLOSING_ACK = """acknowledged:
  - rule: summary.expenditure-grand-total
    at: tables/income_expenditure_summary.yaml
    subject: income_expenditure_summary:expenditure.grand_total.amount
    figures: ["233.00", "234.00"]
    reason: 原表总计如此。
"""


def acknowledge(mini: MiniContent, block: str) -> None:
    mini.replace(f"{REPORT_2023}/report.yaml", "acknowledged: []\n", block)


def ack_place(mini: MiniContent, rule: str) -> tuple[str, int, int]:
    return mini.place(f"{REPORT_2023}/report.yaml", f"- rule: {rule}", "rule:")


@pytest.mark.parametrize(("block", "file", "old", "new", "rule"), [
    (GRADE_ACK, A, "grade: 优", "grade: 良", "perf.grade"),
    (CLOSING_ACK, S, "  closing: 12.00", "  closing: 13.00", "summary.expenditure-grand-total"),
], ids=["perf.grade", "summary.expenditure-grand-total"])
def test_acknowledged_finding_passes(mini: MiniContent, block: str, file: str, old: str, new: str, rule: str) -> None:
    mini.replace(f"{REPORT_2023}/{file}", old, new)
    assert [f.rule for f in mini.result().errors] == [rule]  # without the acknowledgement: an error
    acknowledge(mini, block)
    result = mini.result()
    assert result.errors == []
    (finding,) = [f for f in result.findings if f.severity != "info"]
    assert finding.rule == rule and finding.severity == "error" and finding.acknowledged.startswith("原表")
    assert " acknowledged [" in finding.line()
    run = mini.cli("check", "mini")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"acknowledged [{rule}]" in run.stdout


def test_acknowledgement_whose_figures_changed(mini: MiniContent) -> None:
    acknowledge(mini, CLOSING_ACK)
    mini.replace(f"{REPORT_2023}/{S}", "  closing: 12.00", "  closing: 14.00")  # now 233.00 vs 235.00
    findings = mini.check()
    assert sorted((f.rule, f.severity, bool(f.acknowledged)) for f in findings) == [
        ("ack.figures-changed", "error", False), ("summary.expenditure-grand-total", "error", False)]
    changed = next(f for f in findings if f.rule == "ack.figures-changed")
    assert place_of(changed) == ack_place(mini, "summary.expenditure-grand-total")
    assert "235.00" in changed.message and "234.00" in changed.message
    assert mini.cli("check", "mini").returncode == 1


def test_acknowledgement_that_matches_nothing(mini: MiniContent) -> None:
    acknowledge(mini, GRADE_ACK)  # the grade is 优 as it should be: nothing to acknowledge
    findings = mini.check()
    assert [(f.rule, f.severity) for f in findings] == [("ack.unmatched", "error")]
    assert place_of(findings[0]) == ack_place(mini, "perf.grade")
    assert mini.result().errors == findings


def test_acknowledgement_with_wrong_subject_matches_nothing(mini: MiniContent) -> None:
    mini.replace(f"{REPORT_2023}/{A}", "grade: 优", "grade: 良")
    acknowledge(mini, GRADE_ACK.replace("window-service:grade", "window-service:total_score"))
    assert sorted(f.rule for f in mini.result().errors) == ["ack.unmatched", "perf.grade"]


def test_acknowledging_one_finding_does_not_hide_another(mini: MiniContent) -> None:
    mini.replace(f"{REPORT_2023}/{A}", "grade: 优", "grade: 良")
    mini.replace(f"{REPORT_2023}/{S}", "  closing: 12.00", "  closing: 13.00")
    acknowledge(mini, GRADE_ACK)
    result = mini.result()
    assert [f.rule for f in result.errors] == ["summary.expenditure-grand-total"]
    assert [f.rule for f in result.findings if f.acknowledged] == ["perf.grade"]


def test_acknowledging_one_row_does_not_hide_the_same_rule_elsewhere(mini: MiniContent) -> None:
    # 预算数 and 决算数 合计 both off: one rule, two subjects
    mini.replace(f"{REPORT_2023}/{T}", "budget: {total: 25.00", "budget: {total: 26.00")
    mini.replace(f"{REPORT_2023}/{T}", "final: {total: 20.00", "final: {total: 21.00")
    acknowledge(mini, """acknowledged:
  - rule: three-public.total
    at: tables/three_public.yaml
    subject: three_public:rows.budget.total
    figures: ["26.00", "25.00"]
    reason: 原表预算数合计如此。
""")
    result = mini.result()
    (error,) = result.errors
    assert error.rule == "three-public.total" and error.subject == "three_public:rows.final.total"
    assert place_of(error) == mini.place(f"{REPORT_2023}/{T}", "final:", "21.00")
    assert [f.subject for f in result.findings if f.acknowledged] == ["three_public:rows.budget.total"]
