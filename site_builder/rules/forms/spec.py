"""The form kinds of ``site_builder/standards/forms/*.yaml`` (validated against ``form.schema.json``):
printed headers, row labels, score bands and the cells each region's standard requires."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from site_builder.yamlsafe import load_package_file

FORMS_DIR = Path(__file__).resolve().parents[2] / "standards" / "forms"


@dataclass(frozen=True)
class FormKind:
    kind: str
    title: str
    subject: str
    funds_columns: dict[str, str] = field(default_factory=dict)
    grade_bands: tuple[tuple[Decimal, str], ...] = ()
    required: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def grade_for(self, score: Decimal) -> str:
        """The band's grade (below the lowest floor, the lowest grade: a score below 0 is still 差)."""
        return next((grade for floor, grade in self.grade_bands if score >= floor), self.grade_bands[-1][1])

    def bands_text(self) -> str:
        return "，".join(f"{grade}≥{floor}" for floor, grade in self.grade_bands if floor > 0)

    def header(self, column: str) -> str:
        return self.funds_columns.get(column, column)


class FormSpecError(ValueError):
    """A standards/forms file that does not match its schema (a packaging mistake, reported by file)."""


@cache
def _raw() -> dict[str, dict[str, Any]]:
    schema = json.loads((FORMS_DIR / "form.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    result: dict[str, dict[str, Any]] = {}
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        data = load_package_file(path.read_text(encoding="utf-8"))
        errors = list(validator.iter_errors(data))
        if errors:
            where = "/".join(map(str, errors[0].absolute_path)) or "top level"
            raise FormSpecError(f"{path.name}: {where}: {errors[0].message}")
        result[data["kind"]] = data
    return result


def kinds() -> list[str]:
    return sorted(_raw())


def raw(kind: str) -> dict[str, Any]:
    return _raw()[kind]


@cache
def form_kind(kind: str, template: str = "") -> FormKind:
    """The form kind as the report's template (region and year) prints it."""
    data = dict(_raw()[kind])
    data.update(data.get("variants", {}).get(template, {}))
    columns = dict(data.get("funds_columns", {}))
    return FormKind(
        kind=kind, title=data["title"], subject=data["subject"], funds_columns=columns,
        grade_bands=tuple((Decimal(str(b["floor"])), b["grade"]) for b in data.get("grade_bands", ())),
        required=tuple(data.get("required", ())), columns=dict(data.get("columns", {})),
        staff=dict(data.get("staff", {})), rows=dict(data.get("rows", {})),
    )


def all_grades() -> list[str]:
    grades: dict[str, None] = {}
    for data in _raw().values():
        for bands in [data.get("grade_bands", [])] + [v.get("grade_bands", []) for v in data.get("variants", {}).values()]:
            grades.update((b["grade"], None) for b in bands)
    return list(grades)


def page_labels(kind: str, template: str, year: int) -> dict[str, Any]:
    """What the attachment page prints around the figures: the form's title, the funds headers, and
    for the 基础数据表 the row labels and the year columns' headers."""
    if kind not in _raw():
        return {"title": "", "funds": {}, "rows": {}, "columns": {}, "staff": {}}
    spec = form_kind(kind, template)

    def dated(label: str) -> str:
        return label.format(year=year, previous=year - 1)

    return {
        "title": spec.title, "funds": dict(spec.funds_columns),
        "rows": {key: row["label"] for key, row in spec.rows.items()},
        "columns": {key: dated(label) for key, label in spec.columns.items()},
        "staff": {key: dated(label) for key, label in spec.staff.items()},
    }
