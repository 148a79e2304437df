"""No Python module names a title that a template prints (issue 9): table, column and row titles,
headings, notes' labels such as 项目/行次/栏次/合计 live in ``standards/templates/*.yaml`` only, so a
province that prints them otherwise is a data change.

The test reads every title out of the template files (and asserts that it found them, so it cannot
pass vacuously), then every string literal of every module under ``site_builder/`` (docstrings
left out: they explain, they print nothing). A literal that is a title, or contains a title of four
or more characters, fails the test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

PACKAGE = Path(__file__).parent.parent / "site_builder"
TEMPLATES = PACKAGE / "standards" / "templates"
TITLE_KEYS = {"title", "name", "heading", "value_title", "budget_heading", "final_heading", "column_group"}
LABEL_KEYS = {"item", "line", "lanci", "code", "total"}  # labels: name is covered by TITLE_KEYS
SHORTEST_INSIDE = 4  # shorter titles (合计, 小计, 收入) are found only as a whole literal

# Literals that contain a title's words without printing a template's title, each with the reason.
ALLOWED = {
    ("site_builder/prose/refs.py", "基本支出"): "an example reference in the message about an empty {{}}",
    ("site_builder/prose/refs.py", "支出决算表"): "the same example reference",
    ("site_builder/scaffold.py", "收入支出决算总表"): "an example previous_year figure name in a comment of report.yaml",
    ("site_builder/schemagen.py", "收入支出决算总表"): "an example in a schema description",
    ("site_builder/schemagen.py", "项目支出"): "the evaluation form's title 项目支出绩效自评表 (not a table)",
    ("site_builder/rules/prose_check/attachments.py", "预算数"): "a field of the evaluation forms, not of a table",
    ("site_builder/rules/prose_check/labels.py", "支出"): "the suffix of function class names in prose (…支出（类）)",
    ("site_builder/rules/performance.py", "合计"): "the word 'sum' in evaluation-form messages (各资金来源合计), not a row",
    ("site_builder/diffing/formats.py", "金额"): "the word 'amount' for a figure of a one-column row in diff output",
    ("site_builder/schemagen.py", "财政拨款收入"): "an example in a schema description (corrections: what)",
    ("site_builder/schemagen.py", "基本支出"): "an example breakdown of an evaluation form's funds in a schema description",
}


def _titles(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            inner = k if k != "labels" else "labels"
            if key == "labels" and isinstance(v, str):
                yield v
            else:
                yield from _titles(v, inner)
    elif isinstance(value, list):
        for item in value:
            yield from _titles(item, key)
    elif isinstance(value, str) and key in TITLE_KEYS:
        yield value.replace("{year}", "").strip()


def template_titles() -> set[str]:
    titles: set[str] = set()
    for path in TEMPLATES.glob("*.yaml"):
        titles.update(t for t in _titles(yaml.safe_load(path.read_text(encoding="utf-8"))) if t)
    return titles


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def string_literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def offending(titles: set[str]) -> list[str]:
    long_titles = [t for t in titles if len(t) >= SHORTEST_INSIDE]
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in string_literals(path):
            stripped = text.strip()
            hits = {stripped} if stripped in titles else {t for t in long_titles if t in text}
            module = str(path.relative_to(PACKAGE.parent))
            found.extend(f"{module}:{line}: {hit!r} in {text[:60]!r}" for hit in sorted(hits) if (module, hit) not in ALLOWED)
    return found


def test_titles_are_read_from_the_templates() -> None:
    titles = template_titles()
    # not vacuous: the titles the issue names are found in the YAML
    for title in ("收入决算表", "公务用车运行维护费", "因公出国（境）费", "行次", "栏次", "项目", "合计", "科目名称",
                  "一、一般公共预算财政拨款收入", "人员经费合计", "本年支出", "本年收入合计", "财政拨款“三公”经费"):
        assert title in titles, title
    assert len(titles) > 80


def test_the_check_finds_a_title_in_code(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Docstring naming 收入决算表 is fine."""\nLABEL = "行次"\nX = f"{1}公务用车运行维护费"\n', encoding="utf-8")
    assert [text for _, text in string_literals(module)] == ["行次", "公务用车运行维护费"]


def test_no_python_module_names_a_template_title() -> None:
    assert offending(template_titles()) == []
