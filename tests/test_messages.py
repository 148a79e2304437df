"""Messages that misled (issue 9): each case failed before its fix.

The edits are made to a private copy of the mini fixture (tests/conftest.py); places are found in the
edited text by searching it, not taken from the code under test.
"""

from __future__ import annotations

from tests.conftest import REPORT_2023, MiniContent, place_of

SUMMARY = f"{REPORT_2023}/tables/income_expenditure_summary.yaml"
EXPENDITURE = f"{REPORT_2023}/tables/expenditure.yaml"
INCOME = f"{REPORT_2023}/tables/income.yaml"
THREE_PUBLIC = f"{REPORT_2023}/tables/three_public.yaml"
EXPLANATION = f"{REPORT_2023}/explanation.md"


# -- a mistyped row key is reported at its own line ------------------------------------------------
def test_mistyped_row_key_of_a_fixed_section_is_placed_at_the_key(mini: MiniContent) -> None:
    mini.replace(SUMMARY, "  superior:", "  superiour:")  # the 4th row of section income
    findings = [f for f in mini.check() if f.rule == "schema"]
    assert [place_of(f) for f in findings] == [mini.place(SUMMARY, "superiour:", "|superiour")]
    assert "unknown row 'superiour' in income" in findings[0].message
    assert "superior" in findings[0].message.split("allowed:")[1]


def test_mistyped_code_row_is_placed_at_the_key(mini: MiniContent) -> None:
    mini.replace(EXPENDITURE, '"2080109":', '"208O109":')  # letter O for zero, 5th row of the table
    findings = [f for f in mini.check() if f.rule == "schema"]
    assert [place_of(f) for f in findings] == [mini.place(EXPENDITURE, '"208O109"', '|"208O109"')]
    assert "a classification code of 3, 5 or 7 digits" in findings[0].message


# -- printed headers, not internal column ids ------------------------------------------------------
def test_unknown_column_lists_the_printed_headers(mini: MiniContent) -> None:
    # 其中：教育收费 (business_tuition) is a column of the Ningxia 收入决算表, not of the Shanxi one
    text = mini.read(INCOME)
    row = next(line for line in text.splitlines() if line.startswith('  "2080101":'))
    mini.replace(INCOME, row, row.replace("{", "{business_tuition: 1.00, ", 1))
    # the report's own template schema refuses it first (a schema finding at the key)
    findings = [f for f in mini.check() if f.rule == "schema" and "business_tuition" in f.message]
    assert len(findings) == 1
    # the headers of 公开02表 as the Shanxi template prints them
    assert "fiscal 财政拨款收入" in findings[0].message
    assert "other 其他收入" in findings[0].message


# -- a blank cell is 空白, not "0" ---------------------------------------------------------------
def test_blank_parts_are_called_blank_not_zero(mini: MiniContent) -> None:
    # 2080101 行政运行: total 100.00 = basic 100.00; the clerk leaves 基本支出 blank
    mini.replace(EXPENDITURE, '"2080101": {total: 100.00, basic: 100.00}', '"2080101": {total: 100.00, basic: }')
    findings = [f for f in mini.check() if f.rule == "expenditure.row-total"]
    assert len(findings) == 1
    message = findings[0].message
    assert "空白" in message
    assert " 0 " not in f"{message} " and "= 0" not in message
    assert message.startswith("支出决算表 2080101 行政运行 本年支出合计 100.00 ≠ 基本支出、项目支出")


def test_blank_cell_of_another_table_is_called_blank(mini: MiniContent) -> None:
    # 支出决算表 leaves the 208 class's 本年支出合计 blank while the summary prints 196.00
    mini.replace(EXPENDITURE, '"208": {total: 196.00,', '"208": {total: ,')
    findings = [f for f in mini.check() if f.rule == "cross.expenditure-class"]
    assert len(findings) == 1
    assert findings[0].message == "收入支出决算总表 208 社会保障和就业支出 196.00 ≠ 支出决算表 208 社会保障和就业支出 本年支出合计（为空白；空白不是 0）"


def test_blank_total_states_no_difference(mini: MiniContent) -> None:
    # the summary's 208 class is blank while 支出决算表 prints 196.00: no "相差 -196.00" (blank is not 0)
    mini.replace(SUMMARY, '"208": 196.00', '"208":')
    findings = [f for f in mini.check() if f.rule == "cross.expenditure-class"]
    assert len(findings) == 1
    assert findings[0].message.startswith("收入支出决算总表 208 社会保障和就业支出 （空白） ≠ 支出决算表 208")
    assert "相差" not in findings[0].message and "空白不是 0" in findings[0].message


# -- the fix suggested for a table without figures -------------------------------------------------
def _empty_three_public(mini: MiniContent) -> None:
    mini.write(THREE_PUBLIC, "# 公开09表 财政拨款“三公”经费支出决算表（万元）\nrows:\n  budget: {}\n  final: {}\n")


def test_empty_table_the_prose_quotes_figures_for_is_not_told_to_say_no_figures(mini: MiniContent) -> None:
    _empty_three_public(mini)
    mini.write(EXPLANATION, mini.read(EXPLANATION) + "\n## 三、“三公”经费财政拨款支出决算情况说明\n\n"
               "2023年度“三公”经费财政拨款支出决算为20.00万元，其中公务接待费3.00万元。\n")
    findings = [f for f in mini.check() if f.rule == "table.empty-without-note"]
    assert len(findings) == 1
    assert "本单位本年度无此项收支" not in findings[0].message
    assert "情况说明 states figures" in findings[0].message


def test_empty_table_the_prose_does_not_mention_is_told_to_add_the_note(mini: MiniContent) -> None:
    _empty_three_public(mini)
    findings = [f for f in mini.check() if f.rule == "table.empty-without-note"]
    assert len(findings) == 1
    assert "本单位本年度无此项收支" in findings[0].message
