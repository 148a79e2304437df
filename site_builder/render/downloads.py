"""Downloads: each table as CSV (UTF-8 with BOM for Excel), each report as JSON. Figures stay exact decimals."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from site_builder.findings import Finding
from site_builder.model import Amount, Report
from site_builder.render.grids import Grid


def csv_name(grid: Grid) -> str:
    return f"{grid.table_id}.csv"


def grid_matrix(grid: Grid) -> list[list[str]]:
    """The grid as a rectangle of strings: spans expanded, figures as plain decimals, blanks empty."""
    rows = grid.head + grid.body
    matrix: list[list[str | None]] = [[None] * grid.columns for _ in rows]
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while c < grid.columns and matrix[r][c] is not None:
                c += 1
            text = cell.value if cell.kind == "amount" else cell.text
            if cell.rowspan == 1 and cell.colspan == 1:  # most cells: no span to lay out
                if c < grid.columns:
                    matrix[r][c] = text
                c += 1
                continue
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if r + dr < len(rows) and c + dc < grid.columns:
                        matrix[r + dr][c + dc] = text if (dr, dc) == (0, 0) else ""
            c += cell.colspan
    return [[v or "" for v in row] for row in matrix]


def grid_csv(grid: Grid) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(grid_matrix(grid))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, Amount):
        return format(value.value, "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def report_data(report: Report, findings: list[Finding], history: Sequence[Any] = ()) -> dict[str, Any]:
    tables = {}
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        tables[frame.id] = {
            "number": frame.number,
            "title": frame.title,
            "sections": _plain(table.sections) if table else {},
            "empty_note": table.empty_note if table else "",
        }
    return {
        "unit": {"slug": report.unit.slug, "name": report.unit.name, "code": report.unit.code, "parent": report.unit.parent,
                 "region": report.unit.region, "level": report.unit.level},
        "year": report.year,
        "title": report.title,
        "template": report.template.id,
        "amount_unit": report.amount_unit,
        "note": "amounts are exact decimals written as strings; a missing or null cell is blank, \"0.00\" is an explicit zero",
        "tables": tables,
        "attachments": [{"slug": a.slug, **_plain(a.data)} for a in report.attachments],
        "findings": [
            {"rule": f.rule, "severity": f.severity, "message": f.message, "acknowledged": f.acknowledged or None}
            for f in findings if f.severity != "info"
        ],
        "prose_check": _prose_check(findings),
        "published": report.published or None,
        "corrections": [entry.as_data() for entry in history],  # newest first; figures null where git could not tell
    }


def _prose_check(findings: list[Finding]) -> dict[str, Any]:
    """Figures stated in the prose: how many agree with the tables, disagree, cannot be checked, are computed."""
    coverage = next((f for f in findings if f.rule == "narrative.coverage"), None)
    return {
        "counts": dict(coverage.counts) if coverage else {},
        "inconsistencies": [
            {"rule": f.rule, "file": f.table, "line": f.place.line, "col": f.place.col, "message": f.message,
             "figures": list(f.figures), "acknowledged": f.acknowledged or None}
            for f in findings if f.rule.startswith("narrative.") and f.severity != "info"
        ],
    }


def report_json(report: Report, findings: list[Finding], history: Sequence[Any] = ()) -> bytes:
    return compact_json(report_data(report, findings, history)) + b"\n"


def compact_json(data: Any) -> bytes:
    """``json.dumps(data, ensure_ascii=False, separators=(",", ":"))`` in UTF-8, made by orjson
    (the same bytes for text, whole numbers, lists, dicts, booleans and null; content has no
    floats: numbers are Decimal, written as text). What orjson refuses (a whole number beyond 64
    bits, a key that is not text, text that is not valid Unicode) is left to the json module."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
