"""Validation of template files (``standards/templates/*.yaml``): the JSON Schema, then the
cross-field rules a schema cannot express (unique ids, referenced columns exist, known codes,
行次 present on every row when the table prints a 行次 column).

Every problem is a ``file:line:col`` finding (rule ``template.schema`` or ``template.invalid``),
so a bad template never stops a run with a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from site_builder.findings import Finding, Place
from site_builder.yamlsafe import Document, YamlProblem, parse

SCHEMA_PATH = Path(__file__).parent / "standards" / "template.schema.json"
YamlPath = tuple[str | int, ...]


def _is_integer(checker: Any, instance: Any) -> bool:
    """YAML numbers are read as Decimal (never float); a whole Decimal is a JSON integer."""
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, Decimal) and instance == instance.to_integral_value())


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)
    return cls(schema)


def validate_text(text: str, shown: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The template's data (numbers as int) and its findings; data is None when it cannot be used."""
    try:
        doc = parse(text)
    except YamlProblem as problem:
        return None, [Finding(problem.rule, problem.message, Place(shown, problem.line, problem.col))]
    findings = [_schema_finding(error, doc, shown) for error in _schema_errors(doc.data)]
    if findings:
        return None, findings
    data = _plain(doc.data)
    findings = [Finding("template.invalid", message, Place(shown, *doc.where(path))) for path, message in _cross_checks(data)]
    return data, findings


def _schema_errors(data: Any) -> list[jsonschema.ValidationError]:
    errors = list(_validator().iter_errors(data))
    return sorted(_leaves(errors), key=lambda e: list(map(str, e.absolute_path)))


def _leaves(errors: list[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """The errors that say what is wrong (an if/then or anyOf wrapper says only 'not valid')."""
    for error in errors:
        if error.context:
            yield from _leaves(list(error.context))
        else:
            yield error


def _schema_finding(error: jsonschema.ValidationError, doc: Document, shown: str) -> Finding:
    path = tuple(error.absolute_path)
    where = "/".join(map(str, path)) or "top level"
    if error.validator == "additionalProperties":
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        line, col = doc.where((*path, extra[0], "__key__") if extra else path)
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return Finding("template.schema", f"unknown key {extra[0] if extra else '?'!r} in {where}; allowed: {allowed}",
                       Place(shown, line, col))
    message = error.message.replace("is a required property", "is required but missing")
    if len(message) > 300:
        message = message[:300] + "…"
    return Finding("template.schema", f"{where}: {message}", Place(shown, *doc.where(path)))


def _plain(value: Any) -> Any:
    """Whole Decimals become int (行次, group indexes); the schema admits no other numbers."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- cross-field checks --------------------------------------------------------------------------

Problem = tuple[YamlPath, str]


def _cross_checks(data: dict[str, Any]) -> Iterator[Problem]:
    yield from _known_classes(data)
    yield from _duplicates([t["id"] for t in data["tables"]], ("tables",), "id", "table id")
    for index, table in enumerate(data["tables"]):
        at: YamlPath = ("tables", index)
        labels = {k: v for k, v in {**data["labels"], **table.get("labels", {})}.items() if v}
        yield from _columns_checks(table, at)
        layout = table["layout"]
        if layout == "two_sided":
            yield from _two_sided_checks(table, at, "line" in labels)
        elif layout == "economic_detail":
            yield from _economic_checks(table, at)
        elif layout == "related_info":
            yield from _related_checks(table, at, "line" in labels)


def _duplicates(ids: list[str], at: YamlPath, key: str, what: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            yield (*at, index, key), f"{what} {value!r} is used twice"
        seen.add(value)


def _known_classes(data: dict[str, Any]) -> Iterator[Problem]:
    from site_builder.standards import function_codes

    book = function_codes()
    for index, code in enumerate(data["function_classes"]):
        if not book.name(code):
            yield ("function_classes", index), f"function class {code} is not a known function classification 类 code"


def _columns_checks(table: dict[str, Any], at: YamlPath) -> Iterator[Problem]:
    ids = [c["id"] for c in table.get("columns", [])]
    yield from _duplicates(ids, (*at, "columns"), "id", "column id")
    grouped: list[str] = []
    for g, group in enumerate(table.get("column_groups", [])):
        for c, column in enumerate(group["columns"]):
            if column not in ids:
                yield (*at, "column_groups", g, "columns", c), f"column group {group['title']!r} names column {column!r}, which the table does not have"
        if group.get("subtotal") and group["subtotal"] not in group["columns"]:
            yield (*at, "column_groups", g, "subtotal"), f"subtotal {group['subtotal']!r} is not one of the group's columns"
        positions = sorted(ids.index(c) for c in group["columns"] if c in ids)
        if positions and positions != list(range(positions[0], positions[0] + len(positions))):
            yield (*at, "column_groups", g), f"the columns of group {group['title']!r} must stand next to each other"
        grouped.extend(group["columns"])
    yield from _duplicates(grouped, (*at, "column_groups"), "columns", "column in more than one group:")


def _two_sided_checks(table: dict[str, Any], at: YamlPath, numbered: bool) -> Iterator[Problem]:
    sides = table["sides"]
    yield from _duplicates([s["section"] for s in sides], (*at, "sides"), "section", "section")
    for s, side in enumerate(sides):
        where: YamlPath = (*at, "sides", s)
        yield from _duplicates([c["id"] for c in side["columns"]], (*where, "columns"), "id", "column id")
        items = side["rows"]
        yield from _duplicates([r["id"] for r in items if "id" in r], (*where, "rows"), "id", "row id")
        if sum(1 for r in items if r.get("classes")) > 1:
            yield (*where, "rows"), "the function classes are listed once per side"
        for r, row in enumerate(items):
            yield from _line_number(row, (*where, "rows", r), numbered)


def _line_number(row: dict[str, Any], at: YamlPath, numbered: bool) -> Iterator[Problem]:
    """With a 行次 column every row has its number; without, none has one."""
    key = "first_line" if row.get("classes") else "filler" if "filler" in row else "line"
    has = isinstance(row.get(key), list) if key == "filler" else key in row
    if numbered and not has:
        wanted = "[first, last] 行次" if key == "filler" else key
        yield at, f"the table prints 行次 (labels: line), so this row needs {wanted}"
    elif not numbered and has:
        yield at, f"the table prints no 行次 (no labels: line), so this row cannot have {key} numbers"


def _economic_checks(table: dict[str, Any], at: YamlPath) -> Iterator[Problem]:
    from site_builder.standards import economic_codes

    book = economic_codes()
    groups = table["groups"]
    flat = [(g, i, code) for g, codes in enumerate(groups) for i, code in enumerate(codes)]
    seen: set[str] = set()
    for g, i, code in flat:
        if code in seen:
            yield (*at, "groups", g, i), f"code {code} is listed twice"
        seen.add(code)
        if not book.name(code):
            yield (*at, "groups", g, i), f"code {code} is not a known economic classification code"
    for d, code in enumerate(table.get("dash_codes", [])):
        if code not in seen:
            yield (*at, "dash_codes", d), f"dash code {code} is not in any group"
    headings = table.get("headings", [])
    if headings and sum(h["groups"] for h in headings) != len(groups):
        yield (*at, "headings"), f"the headings span {sum(h['groups'] for h in headings)} groups; the table has {len(groups)}"
    yield from _duplicates([t["id"] for t in table["totals"]], (*at, "totals"), "id", "total id")
    for t, total in enumerate(table["totals"]):
        if total["under_group"] >= len(groups):
            yield (*at, "totals", t, "under_group"), f"under_group {total['under_group']} does not exist; groups are 0…{len(groups) - 1}"


def _related_checks(table: dict[str, Any], at: YamlPath, numbered: bool) -> Iterator[Problem]:
    yield from _duplicates([p["section"] for p in table["parts"]], (*at, "parts"), "section", "section")
    for p, part in enumerate(table["parts"]):
        yield from _duplicates([r["id"] for r in part["rows"]], (*at, "parts", p, "rows"), "id", "row id")
        for r, row in enumerate(part["rows"]):
            yield from _line_number(row, (*at, "parts", p, "rows", r), numbered)
