"""Load stage: a content folder → typed model, plus the findings of reading it.

Each file is parsed with positions (``yamlsafe``), validated against its JSON Schema, and only
then turned into model objects. A file that fails gives findings and is left out of the model, so
later stages never see half-read data.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from site_builder import standards
from site_builder.findings import Finding, Place
from site_builder.model import (
    Acknowledgement,
    Amount,
    Attachment,
    PreviousYearFigures,
    Report,
    Site,
    Table,
    Term,
    Unit,
)
from site_builder.schemagen import SCHEMA_DIR
from site_builder.yamlsafe import Document, YamlProblem, parse

YEAR = re.compile(r"^\d{4}$")


class ContentError(Exception):
    """The content folder itself is unusable (missing, not a folder): a usage problem, exit 2."""


@dataclass
class Loaded:
    site: Site | None
    findings: list[Finding] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Paths in findings are relative to the current directory, as compilers print them."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@cache
def _schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    """The reference validator (Draft 2020-12); used to explain a file that failed the fast check."""
    return jsonschema.Draft202012Validator(_schema(kind))


@cache
def _fast_validator(kind: str) -> Callable[[Any], Any]:
    """A compiled validator for the common case of a valid file (about 30× faster than jsonschema).

    fastjsonschema knows drafts up to 7; our schemas use only keywords whose meaning is the same in
    draft 7 and 2020-12 (a test checks both validators agree on the samples and the broken inputs).
    """
    schema = dict(_schema(kind), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(schema)


class _Reader:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def problem(self, path: str, line: int, col: int, rule: str, message: str) -> None:
        self.findings.append(Finding(rule, message, Place(path, line, col)))

    def yaml_file(self, path: Path, kind: str, required: bool = True) -> tuple[Document | None, str]:
        shown = display_path(path)
        if not path.exists():
            if required:
                self.problem(shown, 1, 1, "content.missing-file", f"required file {path.name} is missing")
            return None, shown
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(shown, 1, 1, "content.encoding", f"file is not UTF-8 text ({exc.reason})")
            return None, shown
        except OSError as exc:
            self.problem(shown, 1, 1, "content.unreadable", f"cannot read file: {exc.strerror}")
            return None, shown
        try:
            doc = parse(text)
        except YamlProblem as problem:
            self.problem(shown, problem.line, problem.col, problem.rule, problem.message)
            return None, shown
        if doc.data is None:
            doc.data = {}
        if not self.schema_ok(doc, kind, shown):
            return None, shown
        return doc, shown

    def schema_ok(self, doc: Document, kind: str, shown: str) -> bool:
        try:
            _fast_validator(kind)(doc.data)
            return True
        except fastjsonschema.JsonSchemaException:
            pass
        errors = sorted(_validator(kind).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            line, col, message = _describe(error, doc)
            self.problem(shown, line, col, "schema", message)
        return not errors

    def text_file(self, path: Path, required: bool = True) -> str:
        if not path.exists():
            if required:
                self.problem(display_path(path), 1, 1, "content.missing-file", f"required file {path.name} is missing")
            return ""
        try:
            return path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            self.problem(display_path(path), 1, 1, "content.encoding", f"cannot read file as UTF-8 text: {exc}")
            return ""


def _describe(error: jsonschema.ValidationError, doc: Document) -> tuple[int, int, str]:
    path = tuple(error.absolute_path)
    where = "/".join(map(str, path)) or "top level"
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else ""
        line, col = doc.where((*path, key, "__key__"))
        return line, col, f"unknown key {key!r} in {where}; allowed: {', '.join(sorted(allowed))}"
    if error.validator == "propertyNames":
        key = error.instance
        line, col = doc.where((*path, key, "__key__"))
        return line, col, f"unknown row {key!r} in {where}"
    line, col = doc.where(path)
    if error.validator == "required":
        return line, col, f"{where}: {error.message.replace('is a required property', 'is required but missing')}"
    if error.validator == "type" and "number" in error.validator_value:
        return line, col, f"{where}: expected an amount written as a plain decimal (e.g. 13708.28), found {error.instance!r}"
    if error.validator == "enum":
        return line, col, f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return line, col, f"{where}: {error.message}"


def _locate(value: Any, doc: Document, path: tuple[Any, ...], shown: str) -> Any:
    """Replace every Decimal in ``value`` by an Amount that knows its place."""
    if isinstance(value, Decimal):
        return Amount(value, Place(shown, *doc.where(path)))
    if isinstance(value, dict):
        return {k: _locate(v, doc, (*path, k), shown) for k, v in value.items()}
    if isinstance(value, list):
        return [_locate(v, doc, (*path, i), shown) for i, v in enumerate(value)]
    return value


@dataclass
class Plan:
    """The site-wide files read, and the report folders still to load (each independently)."""

    site: Site
    jobs: list[tuple[Unit, Path]]
    findings: list[Finding]


def plan(root: Path) -> Plan:
    """Read site.yaml, glossary.yaml and every unit.yaml; list the report folders."""
    if not root.exists():
        raise ContentError(f"content folder {display_path(root)} does not exist")
    if not root.is_dir():
        raise ContentError(f"{display_path(root)} is not a folder")
    reader = _Reader()
    site_doc, _ = reader.yaml_file(root / "site.yaml", "site")
    glossary = _terms(reader, root / "glossary.yaml", "site", required=False)
    units: list[Unit] = []
    jobs: list[tuple[Unit, Path]] = []
    for unit_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        unit = _unit(reader, unit_dir)
        if unit is None:
            continue
        units.append(unit)
        jobs.extend((unit, year_dir) for year_dir in sorted(p for p in unit_dir.iterdir() if p.is_dir() and YEAR.match(p.name)))
    settings = site_doc.data if site_doc else {}
    site = Site(
        root=display_path(root),
        title=settings.get("title", "部门决算公开"),
        description=settings.get("description", ""),
        glossary=glossary,
        units=units,
        reports=[],
        settings=settings,
    )
    return Plan(site, jobs, reader.findings)


def load_report(unit: Unit, year_dir: Path) -> tuple[Report | None, list[Finding]]:
    """Load one report folder on its own: an independent unit of work."""
    reader = _Reader()
    return _report(reader, unit, year_dir), reader.findings


def load(root: Path) -> Loaded:
    """Load a whole content folder in this process."""
    loaded = plan(root)
    findings = list(loaded.findings)
    for unit, year_dir in loaded.jobs:
        report, report_findings = load_report(unit, year_dir)
        findings.extend(report_findings)
        if report is not None:
            loaded.site.reports.append(report)
    return Loaded(loaded.site, findings)


def _terms(reader: _Reader, path: Path, source: str, required: bool) -> list[Term]:
    doc, _ = reader.yaml_file(path, "glossary", required=required)
    if doc is None:
        return []
    return [Term(t["term"], t["definition"], tuple(t.get("aliases", ())), source) for t in doc.data.get("terms", [])]


def _unit(reader: _Reader, unit_dir: Path) -> Unit | None:
    doc, shown = reader.yaml_file(unit_dir / "unit.yaml", "unit")
    if doc is None:
        return None
    d = doc.data
    return Unit(unit_dir.name, d["name"], d["parent"], d["region"], d["level"], d.get("code", ""), d.get("description", ""), shown)


def _report(reader: _Reader, unit: Unit, year_dir: Path) -> Report | None:
    doc, shown = reader.yaml_file(year_dir / "report.yaml", "report")
    if doc is None:
        return None
    data = doc.data
    template = standards.templates()[data["template"]]
    tables = _tables(reader, year_dir, template, shown)
    attachments = _attachments(reader, year_dir)
    acknowledgements = [
        Acknowledgement(a["rule"], a["at"], a["subject"], tuple(a["figures"]), a["reason"], Place(shown, *doc.where(("acknowledged", i))))
        for i, a in enumerate(data.get("acknowledged") or [])
    ]
    return Report(
        unit=unit,
        year=int(year_dir.name),
        folder=display_path(year_dir),
        rel=f"{unit.slug}/{year_dir.name}",
        template=template,
        amount_unit=data["amount_unit"],
        title=data.get("title") or f"{unit.name}{year_dir.name}年度部门决算",
        source=data.get("source", ""),
        report_path=shown,
        acknowledgements=acknowledgements,
        tables=tables,
        attachments=attachments,
        overview=reader.text_file(year_dir / "overview.md"),
        explanation=reader.text_file(year_dir / "explanation.md"),
        glossary=_terms(reader, year_dir / "glossary.yaml", "report", required=False),
        previous_year=_previous_year(doc, shown, data["amount_unit"]),
    )


def _previous_year(doc: Document, shown: str, amount_unit: str) -> PreviousYearFigures | None:
    """The ``previous_year:`` figures of report.yaml (schema-valid), each with the place of its name."""
    data = doc.data.get("previous_year")
    if not data:
        return None
    figures = [
        (name, Amount(value, Place(shown, *doc.where(("previous_year", "figures", name)))),
         Place(shown, *doc.where(("previous_year", "figures", name, "__key__"))))
        for name, value in (data.get("figures") or {}).items()
    ]
    return PreviousYearFigures(data["source"], data.get("amount_unit", amount_unit), figures)


def load_table(year_dir: Path, table_id: str) -> tuple[str, Table | None] | None:
    """The amount unit and one table of a report folder (for previous-year figures); None when the
    folder holds no readable report. Its own findings belong to its own check, so they are dropped."""
    reader = _Reader()
    doc, _ = reader.yaml_file(year_dir / "report.yaml", "report", required=False)
    if doc is None:
        return None
    frame = standards.templates()[doc.data["template"]].table(table_id)
    table_doc, shown = reader.yaml_file(year_dir / "tables" / f"{table_id}.yaml", f"table-{table_id}", required=False)
    table = _table(frame, table_doc, shown, reader) if frame and table_doc is not None else None
    return doc.data["amount_unit"], table


def _tables(reader: _Reader, year_dir: Path, template: standards.Template, report_shown: str) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    folder = year_dir / "tables"
    present = {p.stem: p for p in folder.glob("*.yaml")} if folder.is_dir() else {}
    for name, path in sorted(present.items()):
        if name not in template.table_ids:
            reader.problem(display_path(path), 1, 1, "report.unknown-table",
                           f"table {name!r} is not part of template {template.id} (tables: {', '.join(template.table_ids)})")
    for frame in template.tables:
        path = folder / f"{frame.id}.yaml"
        if frame.id not in present:
            reader.problem(report_shown, 1, 1, "report.missing-table",
                           f"{frame.number} {frame.title} is missing: expected {display_path(path)}")
            continue
        doc, shown = reader.yaml_file(path, f"table-{frame.id}")
        if doc is None:
            continue
        table = _table(frame, doc, shown, reader)
        if table is not None:
            tables[frame.id] = table
    return tables


def _table(frame: standards.TableFrame, doc: Document, shown: str, reader: _Reader) -> Table | None:
    table = Table(frame.id, shown, {}, empty_note=doc.data.get("empty_note") or "")
    ok = True
    for section in frame.sections:
        rows = doc.data.get(section) or {}
        columns = frame.section_columns(section)
        allowed_rows = frame.fixed_rows(section)
        parsed: dict[str, dict[str, Amount | None]] = {}
        for key, value in rows.items():
            place = Place(shown, *doc.where((section, key, "__key__")))
            table.row_places[(section, key)] = place
            if allowed_rows is not None and key not in allowed_rows:
                reader.problem(shown, place.line, place.col, "table.unknown-row", f"row {key!r} is not in {frame.number} {frame.title} of this template")
                ok = False
                continue
            if isinstance(value, dict):
                cells: dict[str, Amount | None] = {}
                for column, amount in value.items():
                    if column == "name":
                        table.names[key] = (amount, Place(shown, *doc.where((section, key, "name"))))
                        continue
                    if column not in columns:
                        line, col = doc.where((section, key, column, "__key__"))
                        reader.problem(shown, line, col, "table.unknown-column",
                                       f"column {column!r} is not in {frame.number} {frame.title} of this template (columns: {', '.join(columns)})")
                        ok = False
                        continue
                    cells[column] = _locate(amount, doc, (section, key, column), shown)
            elif columns == ("amount",):
                cells = {"amount": _locate(value, doc, (section, key), shown)}
            elif value is None:
                cells = {}
            else:
                reader.problem(shown, place.line, place.col, "schema",
                               f"row {key!r} needs a mapping of columns ({', '.join(columns)}), not a single amount")
                ok = False
                continue
            parsed[key] = cells
        table.sections[section] = parsed
    return table if ok else None


def _attachments(reader: _Reader, year_dir: Path) -> list[Attachment]:
    folder = year_dir / "attachments"
    result = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        doc, shown = reader.yaml_file(path, "attachment")
        if doc is not None:
            result.append(Attachment(path.stem, shown, _locate(doc.data, doc, (), shown)))
    return result
