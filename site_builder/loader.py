"""Load stage: a content folder → typed model, plus the findings of reading it.

Each file is parsed with positions (``yamlsafe``), validated against its JSON Schema, and only
then turned into model objects. A file that fails gives findings and is left out of the model, so
later stages never see half-read data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from site_builder import classification, contentfs, limits, scaffold, standards
from site_builder.contentfs import display_path
from site_builder.findings import Finding, Place, place_at
from site_builder.model import (
    Acknowledgement,
    Amount,
    Attachment,
    Correction,
    PreviousYearFigures,
    Report,
    Site,
    Table,
    Term,
    Unit,
    Unpublished,
    amount_at,
)
from site_builder.schemagen import NOT_BLANK, SCHEMA_DIR, table_schema_name
from site_builder.yamlsafe import Document, YamlProblem, parse

YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: int("２０２３") == 2023 would shadow the real 2023
UNIT_FOLDER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # unit folders, attachment names: URLs with nothing to escape
_ROOT_FILES = ("site.yaml", "glossary.yaml", "codes.yaml")
_UNIT_FILES = ("unit.yaml",)
_REPORT_FILES = ("report.yaml", "overview.md", "explanation.md", "glossary.yaml")


class ContentError(Exception):
    """The content folder itself is unusable (missing, not a folder): a usage problem, exit 2."""


@dataclass
class Loaded:
    site: Site | None
    findings: list[Finding] = field(default_factory=list)


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
    schema = dict(_codes_first(_schema(kind)), **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(schema)


def _codes_first(schema: Any) -> Any:
    """The schema with each ``anyOf: [{enum: names}, {pattern: codes}]`` (the row keys of a coded
    section) tried code pattern first: most keys are codes, and each alternative that fails costs
    the compiled validator an exception. ``anyOf`` is valid when any alternative is, in any order,
    and this validator only says valid or not (``jsonschema`` explains a failure, with the schema
    as written)."""
    if isinstance(schema, list):
        return [_codes_first(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _codes_first(value) for key, value in schema.items()}
    alternatives = result.get("anyOf")
    if (isinstance(alternatives, list) and len(alternatives) == 2
            and [list(a) for a in alternatives] == [["enum"], ["pattern"]]):
        result["anyOf"] = [alternatives[1], alternatives[0]]
    return result


class _Reader:
    """Reads the files of one content folder through ``contentfs``, collecting findings."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int, str, str]] = set()

    def problem(self, path: str, line: int, col: int, rule: str, message: str, severity: str = "error") -> None:
        key = (path, line, col, rule, message)
        if key not in self._seen:  # a link met by a listing and again by a read is one finding
            self._seen.add(key)
            self.findings.append(Finding(rule, message, Place(path, line, col), severity=severity))

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            place = finding.place
            self.problem(place.path, place.line, place.col, finding.rule, finding.message, finding.severity)

    def listing(self, folder: Path, opened: contentfs.Folder | None = None) -> list[contentfs.Entry]:
        """The entries of ``folder``; ``opened``: that folder held open (``contentfs.Folder``), or None."""
        entries, findings = opened.list_dir() if opened is not None else contentfs.list_dir(self.root, folder)
        self.add(findings)
        return entries

    def yaml_file(self, path: Path, kind: str, required: bool = True,
                  folder: contentfs.Folder | None = None) -> tuple[Document | None, str]:
        """``folder``: the folder of ``path`` held open, or None (then read by path)."""
        shown = display_path(path)
        text, findings = self.read_text(path, limits.YAML_FILE_BYTES, required, folder)
        self.add(findings)
        if text is None:
            return None, shown
        try:
            doc = parse(text)
        except YamlProblem as problem:
            self.problem(shown, problem.line, problem.col, problem.rule, problem.message)
            return None, shown
        if doc.data is None:
            doc.data = {}
        doc.text = text
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

    def text_file(self, path: Path, required: bool = True, folder: contentfs.Folder | None = None) -> str:
        text, findings = self.read_text(path, limits.MARKDOWN_FILE_BYTES, required, folder)
        self.add(findings)
        return text or ""

    def read_text(self, path: Path, limit: int, required: bool,
                  folder: contentfs.Folder | None) -> tuple[str | None, list[Finding]]:
        if folder is not None:  # the folder of ``path``
            return folder.read_text(path.name, limit, required, path)
        return contentfs.read_text(self.root, path, limit, required)

    def amounts_ok(self, doc: Document, shown: str) -> bool:
        """Every number has at most 15 integer digits and 6 decimals (exact sums, no huge figures)."""
        if doc.amounts_bounded or _amounts_within_limits(doc.data):  # the common case, without a path per number
            return True
        ok = True
        for path, value in _numbers(doc.data, ()):
            problem = _amount_problem(value)
            if problem:
                self.problem(shown, *doc.where(path), "amount.digits", problem)
                ok = False
        return ok


_AMOUNT_BOUND = Decimal(10) ** limits.AMOUNT_INTEGER_DIGITS


def _amounts_within_limits(data: Any) -> bool:
    """True when no number of ``data`` has a problem (``_amount_problem``): |x| < 10^15 is at most
    15 integer digits, an exponent of -6 or more at most 6 decimals."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, Decimal):
            if not (-_AMOUNT_BOUND < value < _AMOUNT_BOUND) or value.as_tuple().exponent < -limits.AMOUNT_DECIMALS:
                return False
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return True


def _numbers(data: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Decimal]]:
    """Every Decimal in ``data`` with its path, without recursion (nesting is bounded anyway)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Decimal):
            yield where, value
        elif isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in enumerate(value))


def _amount_problem(value: Decimal) -> str:
    digits, exponent = value.as_tuple()[1:]
    assert isinstance(exponent, int)  # parsed from plain decimal text: never NaN or infinity
    integer_digits = max(len(digits) + exponent, 0) if any(digits) else 0
    decimals = max(-exponent, 0)
    if integer_digits > limits.AMOUNT_INTEGER_DIGITS or decimals > limits.AMOUNT_DECIMALS:
        return (f"amount {value} has {integer_digits} integer digits and {decimals} decimals; at most "
                f"{limits.AMOUNT_INTEGER_DIGITS} integer digits and {limits.AMOUNT_DECIMALS} decimals are accepted")
    return ""


def _describe(error: jsonschema.ValidationError, doc: Document) -> tuple[int, int, str]:
    path = tuple(error.absolute_path)
    where = _cut("/".join(map(str, path))) or "top level"
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else ""
        line, col = doc.where((*path, key, "__key__"))
        properties = error.schema.get("properties", {})
        shown = (f"{k} {properties[k]['title']}" if isinstance(properties[k], dict) and "title" in properties[k] else k
                 for k in sorted(allowed))
        return line, col, f"unknown key {_short(key)} in {where}; allowed: {', '.join(shown)}"
    if error.validator == "propertyNames" or "propertyNames" in error.relative_schema_path:
        return _unknown_row(error, doc, path, where)
    line, col = doc.where(path)
    if error.validator == "required":
        return line, col, f"{where}: {error.message.replace('is a required property', 'is required but missing')}"
    if error.validator == "type" and "number" in error.validator_value:
        return line, col, f"{where}: expected an amount written as a plain decimal (e.g. 13708.28), found {_short(error.instance)}"
    if error.validator == "enum":
        return line, col, f"{where}: {_short(error.instance)} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern" and error.validator_value == NOT_BLANK:
        return line, col, f"{where}: is blank (only spaces); write the text"
    if error.validator == "pattern":
        return line, col, f"{where}: {_short(error.instance)} is not allowed here; expected {error.schema.get('description', error.validator_value)}"
    if error.validator == "maxLength":
        return line, col, f"{where}: text of {len(error.instance):,} characters is longer than the limit of {error.validator_value:,}"
    if error.validator == "minimum":
        return line, col, f"{where}: {error.instance} is negative; it must be at least {error.validator_value}"
    return line, col, f"{where}: {_cut(error.message, 300)}"


def _unknown_row(error: jsonschema.ValidationError, doc: Document, path: tuple[Any, ...], where: str) -> tuple[int, int, str]:
    """A row key the section does not allow, placed at the key itself (the error's path is its section)."""
    key = error.instance
    line, col = doc.where((*path, key, "__key__"))
    names = error.schema.get("enum") or next((s["enum"] for s in error.schema.get("anyOf", ()) if "enum" in s), None)
    coded = "anyOf" in error.schema
    allowed = f"; allowed: {', '.join(map(str, names))}" if names else ""
    if coded:
        allowed += " or a classification code of 3, 5 or 7 digits"
    return line, col, f"unknown row {_short(key)} in {where}{allowed}"


def _cut(text: str, limit: int = 80) -> str:
    """Text quoted in a message, cut so that a huge value cannot flood the findings (and CI logs)."""
    return text if len(text) <= limit else f"{text[:limit]}…（{len(text):,} characters）"


def _short(value: Any) -> str:
    return _cut(repr(value))


def _located(doc: Document, shown: str) -> Any:
    """``_locate(doc.data, doc, (), shown)``; in place when the reader noted where every number
    is (``Document.numbers``: the document is the loader's alone), without walking the data."""
    if doc.numbers is None:
        return _locate(doc.data, doc, (), shown)
    for container, key, (line, col) in doc.numbers:
        container[key] = amount_at(container[key], shown, line, col)  # type: ignore[index, call-overload]
    doc.numbers = None  # placed once
    return doc.data


def _locate(value: Any, doc: Document, path: tuple[Any, ...], shown: str) -> Any:
    """Replace every Decimal in ``value`` by an Amount that knows its place."""
    if isinstance(value, Decimal):
        position = doc.marks.get(path) or doc.where(path)  # every value has its mark: where() is the fallback
        return amount_at(value, shown, position[0], position[1])
    # texts, nulls and true/false are kept as they are, without a call and a path each
    if isinstance(value, dict):
        return {k: _locate_item(v, doc, (*path, k), shown) if isinstance(v, _LOCATED) else v for k, v in value.items()}
    if isinstance(value, list):
        return [_locate_item(v, doc, (*path, i), shown) if isinstance(v, _LOCATED) else v for i, v in enumerate(value)]
    return value


def _locate_item(value: Any, doc: Document, path: tuple[Any, ...], shown: str) -> Any:
    """``_locate`` of a value inside a mapping or list, its checks in the order of how common they are."""
    if type(value) is Decimal:
        position = doc.marks.get(path) or doc.where(path)
        return amount_at(value, shown, position[0], position[1])
    if type(value) is dict:
        return {k: _locate_item(v, doc, (*path, k), shown) if isinstance(v, _LOCATED) else v for k, v in value.items()}
    return _locate(value, doc, path, shown)


_LOCATED = (Decimal, dict, list)  # the values _locate changes or looks into


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
    reader = _Reader(root)
    with _opened(contentfs.Folder.open(root, root)) as folder:
        entries = reader.listing(root, folder)
        _stray_files(reader, entries, known=_ROOT_FILES, warn=False)
        for entry in entries:
            if entry.is_dir and entry.name.startswith("_"):
                _refuse_links_below(reader, entry.path)  # _theme/: read by the build, checked here
        site_doc, _ = reader.yaml_file(root / "site.yaml", "site", folder=folder)
        glossary = _terms(reader, root / "glossary.yaml", "site", required=False, folder=folder)
        declared_codes(reader, root, folder)  # its findings, once; every report reads it again, quietly
        units, jobs = _units(reader, entries, folder)
    settings = site_doc.data if site_doc else {}
    site = Site(
        title=settings.get("title", "部门决算公开"),
        description=settings.get("description", ""),
        glossary=glossary,
        units=units,
        reports=[],
        settings=settings,
    )
    return Plan(site, jobs, reader.findings)


@contextmanager
def _opened(folder: contentfs.Folder | None) -> Iterator[contentfs.Folder | None]:
    """``folder`` (None or held open), closed at the end."""
    try:
        yield folder
    finally:
        if folder is not None:
            folder.close()


def _units(reader: _Reader, entries: list[contentfs.Entry],
           root: contentfs.Folder | None) -> tuple[list[Unit], list[tuple[Unit, Path]]]:
    """The units of the content root's folders, and their report folders still to load."""
    units: list[Unit] = []
    jobs: list[tuple[Unit, Path]] = []
    for entry in entries:
        if not entry.is_dir or entry.name.startswith((".", "_")):
            continue
        if not UNIT_FOLDER.fullmatch(entry.name):
            reader.problem(display_path(entry.path), 1, 1, "content.folder-name",
                           f"unit folder name {entry.name!r} is not allowed: it becomes the unit's web address, so use only "
                           "a-z, 0-9, '-' and '_' (starting with a letter or digit, at most 64 characters)")
            continue
        with _opened(root.sub(entry.name) if root is not None else None) as folder:
            unit_entries = reader.listing(entry.path, folder)
            unit = _unit(reader, entry.path, folder)
        if unit is None:
            continue
        units.append(unit)
        jobs.extend((unit, year_dir) for year_dir in _year_folders(reader, unit_entries))
    return units, jobs


def _year_folders(reader: _Reader, entries: list[contentfs.Entry]) -> list[Path]:
    """The report folders of a unit; any other folder is a finding (unless hidden: ``.x``, ``_x``)."""
    _stray_files(reader, entries, known=_UNIT_FILES, warn=True)
    years = []
    for entry in entries:
        if not entry.is_dir or entry.name.startswith((".", "_")):
            continue
        if YEAR.fullmatch(entry.name):
            years.append(entry.path)
        else:
            reader.problem(display_path(entry.path), 1, 1, "content.unknown-folder",
                           f"folder {entry.name!r} is not a report year (four ASCII digits such as 2023) and is not read; "
                           "rename it, or start its name with '_' to keep it aside")
    return years


def _stray_files(reader: _Reader, entries: list[contentfs.Entry], known: tuple[str, ...], warn: bool) -> None:
    """Files of a folder that are not read: a near miss of a known file is an error, others a warning.

    A near miss is a name with the extension spelt otherwise (``report.yml``, ``overview.MD``) or
    any ``.yml``/``.YAML`` file. With ``warn`` false (the content root) other files are allowed
    silently: a README or licence beside the content is normal.
    """
    known_stems = {name.rsplit(".", 1)[0] for name in known}
    for entry in entries:
        if entry.is_dir or entry.name.startswith(".") or entry.name in known:
            continue
        stem = entry.name.rpartition(".")[0]
        near_miss = _yaml_variant(entry.name) or (stem.lower() in known_stems and bool(stem))
        if near_miss:
            wanted = next((k for k in known if k.rsplit(".", 1)[0] == stem.lower()), "")
            hint = f"; did you mean {wanted}?" if wanted else "; content YAML files end in .yaml"
            reader.problem(display_path(entry.path), 1, 1, "content.unknown-file", f"file {entry.name!r} is not read{hint}")
        elif warn:
            reader.problem(display_path(entry.path), 1, 1, "content.unknown-file",
                           f"file {entry.name!r} is not part of the content format and is not read", "warning")


def _yaml_variant(name: str) -> bool:
    """``x.yml``, ``x.YAML``, ``x.Yaml``: YAML the tool would not read (only ``.yaml`` is)."""
    suffix = name.rpartition(".")[2]
    return "." in name and suffix.lower() in ("yaml", "yml") and suffix != "yaml"


def _refuse_links_below(reader: _Reader, folder: Path) -> None:
    """Report links, special files and files over the theme limit anywhere below ``folder``, so
    ``check`` refuses what the build would (nothing is read here)."""
    pending = [folder]
    while pending:
        current = pending.pop()
        for entry in reader.listing(current):
            if entry.is_dir:
                pending.append(entry.path)
            elif entry.path.lstat().st_size > limits.THEME_FILE_BYTES:
                reader.problem(display_path(entry.path), 1, 1, "content.too-large",
                               f"file is larger than the {limits.format_size(limits.THEME_FILE_BYTES)} limit; it is not read")


def load_report(unit: Unit, year_dir: Path) -> tuple[Report | None, list[Finding]]:
    """Load one report folder on its own: an independent unit of work.

    ``year_dir`` is ``<content root>/<unit>/<year>`` as listed by ``plan``; the content root is
    two levels up.
    """
    reader = _Reader(year_dir.parent.parent)
    report = _report(reader, unit, year_dir)
    if report is not None:
        report.declared_codes = declared_codes(_Reader(reader.root), reader.root).for_year(report.year)
    return report, reader.findings


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


def _terms(reader: _Reader, path: Path, source: str, required: bool,
           folder: contentfs.Folder | None = None) -> list[Term]:
    doc, shown = reader.yaml_file(path, "glossary", required=required, folder=folder)
    if doc is None:
        return []
    terms: list[Term] = []
    defined: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(doc.data.get("terms", [])):
        names = [(("terms", index, "term"), item["term"])]
        names += [(("terms", index, "aliases", i), alias) for i, alias in enumerate(item.get("aliases", ()))]
        duplicate = False
        for path, name in names:
            first = defined.setdefault(name.strip(), doc.where(path))
            if first != doc.where(path):
                reader.problem(shown, *doc.where(path), "glossary.duplicate-term",
                               f"{name!r} is already defined at line {first[0]}; each term or alias is defined once per glossary")
                duplicate = True
        if not duplicate:
            terms.append(Term(item["term"], item["definition"], tuple(item.get("aliases", ())), source))
    return terms


def _unit(reader: _Reader, unit_dir: Path, folder: contentfs.Folder | None = None) -> Unit | None:
    doc, shown = reader.yaml_file(unit_dir / "unit.yaml", "unit", folder=folder)
    if doc is None:
        return None
    d = doc.data
    for key, placeholder in scaffold.UNIT_PLACEHOLDERS.items():
        if str(d.get(key, "")).strip() == placeholder:
            reader.problem(shown, *doc.where((key,)), "content.placeholder",
                           f"{key}: 「{placeholder}」 is the placeholder written by site-builder new; write the unit's real {key}")
    return Unit(unit_dir.name, d["name"], d["parent"], d["region"], d["level"], d.get("code", ""), d.get("description", ""),
                f"{unit_dir.name}/unit.yaml")


def _report(reader: _Reader, unit: Unit, year_dir: Path) -> Report | None:
    """The report of ``year_dir``, read through the folder held open (``contentfs.Folder``)."""
    with _opened(contentfs.Folder.open(reader.root, year_dir)) as folder:
        return _report_in(reader, unit, year_dir, folder)


def _report_in(reader: _Reader, unit: Unit, year_dir: Path, folder: contentfs.Folder | None) -> Report | None:
    entries = reader.listing(year_dir, folder)
    _stray_files(reader, [e for e in entries if not e.is_dir], known=_REPORT_FILES, warn=True)
    doc, shown = reader.yaml_file(year_dir / "report.yaml", "report", folder=folder)
    if doc is None:
        return None
    data = doc.data
    template = standards.templates().get(data["template"])
    if template is None:  # its file has findings of its own (template.*): the report cannot be read
        reader.problem(shown, *doc.where(("template",)), "report.template-invalid",
                       f"template {data['template']!r} cannot be used: its template file has errors (see the template.* findings)")
        return None
    unpublished = _unpublished(reader, doc, shown, template)
    declared = {(u.kind, u.id): u for u in unpublished}
    with _opened(folder.sub("tables") if folder is not None else None) as tables_folder:
        tables = _tables(reader, year_dir, template, shown, {i for k, i in declared if k == "table"}, tables_folder)
    with _opened(folder.sub("attachments") if folder is not None else None) as attachments_folder:
        attachments = _attachments(reader, year_dir, attachments_folder)
    texts = {part: reader.text_file(year_dir / f"{part}.md", required=("part", part) not in declared, folder=folder)
             for part in ("overview", "explanation")}
    _published_anyway(reader, declared, texts, attachments)
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
        overview=texts["overview"],
        explanation=texts["explanation"],
        glossary=_terms(reader, year_dir / "glossary.yaml", "report", required=False, folder=folder),
        previous_year=_previous_year(doc, shown, data["amount_unit"]),
        unpublished=unpublished,
        published=data.get("published") or "",
        published_place=Place(shown, *doc.where(("published",))) if data.get("published") else None,
        corrections=[Correction(c["date"], c["what"], c["why"], Place(shown, *doc.where(("corrections", i))))
                     for i, c in enumerate(data.get("corrections") or [])],
    )


def _unpublished(reader: _Reader, doc: Document, shown: str, template: standards.Template) -> list[Unpublished]:
    """The ``unpublished:`` declarations of report.yaml; one naming a table the template lacks, or
    declared twice, is an error (and left out)."""
    result: list[Unpublished] = []
    for index, item in enumerate(doc.data.get("unpublished") or []):
        kind = "table" if "table" in item else "part"
        place = Place(shown, *doc.where(("unpublished", index, kind)))
        if kind == "table" and item["table"] not in template.table_ids:
            reader.problem(shown, place.line, place.col, "report.unpublished-invalid",
                           f"table {item['table']!r} is not part of template {template.id} (tables: {', '.join(template.table_ids)})")
            continue
        if any((u.kind, u.id) == (kind, item[kind]) for u in result):
            reader.problem(shown, place.line, place.col, "report.unpublished-invalid",
                           f"{kind} {item[kind]!r} is declared unpublished twice; declare it once")
            continue
        result.append(Unpublished(kind, item[kind], item["reason"].strip(), place))
    return result


def _published_anyway(reader: _Reader, declared: dict[tuple[str, str], Unpublished], texts: dict[str, str],
                      attachments: list[Attachment]) -> None:
    """A part declared unpublished that has content after all: the declaration or the content is wrong."""
    present = {part: bool(text.strip()) for part, text in texts.items()} | {"attachments": bool(attachments)}
    for part, has_content in present.items():
        item = declared.get(("part", part))
        if item is not None and has_content:
            reader.problem(item.place.path, item.place.line, item.place.col, "report.unpublished-invalid",
                           f"part {part!r} is declared unpublished but the report folder has it; remove the declaration or the content")


def _yaml_entries(reader: _Reader, folder: Path, opened: contentfs.Folder | None = None) -> dict[str, contentfs.Entry]:
    """``stem -> entry`` of the ``.yaml`` files of ``folder``; anything else there is an error."""
    found: dict[str, contentfs.Entry] = {}
    for entry in reader.listing(folder, opened):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir and entry.name.endswith(".yaml") and len(entry.name) > len(".yaml"):
            found[entry.name[: -len(".yaml")]] = entry
            continue
        if entry.is_dir and entry.name.endswith(".yaml"):
            reader.problem(display_path(entry.path), 1, 1, "content.not-a-file", f"{entry.name} is a folder where a file is expected")
            continue
        what = "folder" if entry.is_dir else "file"
        hint = "; content YAML files end in .yaml" if _yaml_variant(entry.name) else f"; only .yaml files are read in {folder.name}/"
        reader.problem(display_path(entry.path), 1, 1, "content.unknown-file", f"{what} {entry.name!r} is not read{hint}")
    return found


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
    folder holds no readable report. Its own findings belong to its own check, so they are dropped.
    It is read like any report folder: through contentfs, inside the content root two levels up."""
    reader = _Reader(year_dir.parent.parent)
    doc, _ = reader.yaml_file(year_dir / "report.yaml", "report", required=False)
    if doc is None:
        return None
    template = standards.templates().get(doc.data["template"])
    if template is None:
        return None
    frame = template.table(table_id)
    kind = table_schema_name(table_id, doc.data["template"]) if frame else f"table-{table_id}"
    table_doc, shown = reader.yaml_file(year_dir / "tables" / f"{table_id}.yaml", kind, required=False)
    table = _table(frame, table_doc, shown, reader) if frame and table_doc is not None else None
    return doc.data["amount_unit"], table


def _tables(reader: _Reader, year_dir: Path, template: standards.Template, report_shown: str,
            unpublished: set[str], opened: contentfs.Folder | None = None) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    folder = year_dir / "tables"
    present = _yaml_entries(reader, folder, opened)
    for name, entry in sorted(present.items()):
        if name not in template.table_ids:
            reader.problem(display_path(entry.path), 1, 1, "report.unknown-table",
                           f"table {name!r} is not part of template {template.id} (tables: {', '.join(template.table_ids)})")
    for frame in template.tables:
        path = folder / f"{frame.id}.yaml"
        if frame.id in unpublished:
            if frame.id in present:
                reader.problem(display_path(path), 1, 1, "report.unpublished-invalid",
                               f"{frame.name} is declared unpublished in report.yaml but this file exists; "
                               "remove the declaration or the file")
            continue
        if frame.id not in present:
            found = opened.kind(path.name) if opened is not None else contentfs.kind(reader.root, path)
            if found is contentfs.Kind.MISSING:
                reader.problem(report_shown, 1, 1, "report.missing-table",
                               f"{frame.name} is missing: expected {display_path(path)}; if the report did "
                               "not publish it, declare it in report.yaml under unpublished: with the reason")
            continue  # else: a link or special file, reported by the listing
        doc, shown = reader.yaml_file(path, table_schema_name(frame.id, template.id), folder=opened)
        if doc is None or not reader.amounts_ok(doc, shown):
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
        if len(rows) > limits.TABLE_ROWS:
            line, col = doc.where((section, "__key__"))
            reader.problem(shown, line, col, "table.too-many-rows",
                           f"section {section!r} has {len(rows):,} rows; at most {limits.TABLE_ROWS:,} are accepted")
            ok = False
            continue
        if not _section(frame, section, rows, doc, shown, reader, table):
            ok = False
    return table if ok else None


def _section(frame: standards.TableFrame, section: str, rows: dict[str, Any], doc: Document, shown: str,
             reader: _Reader, table: Table) -> bool:
    columns = frame.section_columns(section)
    known = frozenset(columns)  # looked up once per cell
    fixed = frame.fixed_rows(section)
    allowed_rows = frozenset(fixed) if fixed is not None else None
    parsed: dict[str, dict[str, Amount | None]] = {}
    ok = True
    marks = doc.written_marks
    row_places = table.row_places
    for key, value in rows.items():
        position = marks.get((section, key, "__key__")) or doc.where((section, key, "__key__"))
        place = place_at(shown, position[0], position[1])
        row_places[(section, key)] = place
        if allowed_rows is not None and key not in allowed_rows:
            reader.problem(shown, place.line, place.col, "table.unknown-row", f"row {_short(key)} is not in {frame.name} of this template")
            ok = False
            continue
        cells: dict[str, Amount | None]
        if isinstance(value, dict):
            read = doc.amount_columns(section, key)
            if read is not None and "name" not in value and known.issuperset(value):
                # a flat row of known columns (nearly every row): its amounts, placed in one go
                line, amount_columns = read
                cells = {}
                for (column, amount), col in zip(value.items(), amount_columns, strict=True):
                    cells[column] = amount_at(amount, shown, line, col)
                parsed[key] = cells
                continue
            cells = {}
            for column, amount in value.items():
                if column == "name":
                    table.names[key] = (amount, Place(shown, *doc.where((section, key, "name"))))
                    continue
                if column not in known:
                    line, col = doc.where((section, key, column, "__key__"))
                    reader.problem(shown, line, col, "table.unknown-column",
                                   f"column {_short(column)} is not in {frame.name} of this template "
                                   f"(columns: {_column_list(frame, section)})")
                    ok = False
                    continue
                path = (section, key, column)
                position = marks.get(path) if type(amount) is Decimal else None
                # an amount with its mark (nearly every cell): what _locate makes, without a call
                cells[column] = (amount_at(amount, shown, position[0], position[1]) if position
                                 else _locate(amount, doc, path, shown))
        elif columns == ("amount",):
            position = marks.get((section, key)) if type(value) is Decimal else None
            cells = {"amount": amount_at(value, shown, position[0], position[1]) if position
                     else _locate(value, doc, (section, key), shown)}
        elif value is None:
            cells = {}
        else:
            reader.problem(shown, place.line, place.col, "schema",
                           f"row {_short(key)} needs a mapping of columns ({_column_list(frame, section)}), not a single amount")
            ok = False
            continue
        parsed[key] = cells
    table.sections[section] = parsed
    return ok


def _column_list(frame: standards.TableFrame, section: str) -> str:
    """The columns a clerk may write, each with its printed header: ``basic 基本支出, project 项目支出``."""
    if frame.layout == "two_sided":
        columns = next(s.columns for s in frame.sides if s.section == section)
    else:
        columns = frame.columns if frame.layout in ("coded", "three_public") else ()
    titles = {c.id: c.title for c in columns}
    return ", ".join(f"{c} {titles[c]}" if titles.get(c) else c for c in frame.section_columns(section))


def _attachments(reader: _Reader, year_dir: Path, opened: contentfs.Folder | None = None) -> list[Attachment]:
    result = []
    for slug, entry in sorted(_yaml_entries(reader, year_dir / "attachments", opened).items()):
        path = entry.path
        if not UNIT_FOLDER.fullmatch(slug):  # the slug is the attachment page's web address, like a unit folder
            reader.problem(display_path(path), 1, 1, "content.unknown-file",
                           f"file {path.name!r} is not read: its name becomes a web address, so use only a-z, 0-9, '-' "
                           "and '_' before .yaml (starting with a letter or digit, at most 64 characters)")
            continue
        doc, shown = reader.yaml_file(path, "attachment", folder=opened)
        if doc is not None and reader.amounts_ok(doc, shown):
            result.append(Attachment(slug, shown, _located(doc, shown), doc.text))
    return result


# -- codes.yaml: classification codes declared by the portal -------------------------------------


def declared_codes(reader: _Reader, root: Path, folder: contentfs.Folder | None = None) -> classification.DeclaredCodes:
    """The codes ``root/codes.yaml`` declares (none when there is no such file), minus the entries
    that are findings: a code the package's list already has for one of the declared years, or a
    款/项 whose 类/款 is known nowhere."""
    doc, shown = reader.yaml_file(root / "codes.yaml", "codes", required=False, folder=folder)
    if doc is None:
        return classification.NO_DECLARED
    kept = {kind: tuple(_declared_entries(reader, doc, shown, kind)) for kind in classification.KINDS}
    return classification.DeclaredCodes(shown, kept["function"], kept["economic"])


def _declared_entries(reader: _Reader, doc: Document, shown: str, kind: str) -> Iterator[classification.CodeEntry]:
    book = classification.codebook(kind)
    declared = doc.data.get(kind) or {}
    for code, item in declared.items():
        line, col = doc.where((kind, code, "__key__"))
        years = frozenset(int(year) for year in item["years"])  # schema-checked whole numbers (Decimal)
        entry = classification.CodeEntry(code, item["name"].strip(), years, declared_at=f"{shown}:{line}")
        problem = _declared_problem(book, entry, declared)
        if problem:
            rule, severity, message = problem
            reader.problem(shown, line, col, rule, message, severity)
            if severity == "error":
                continue
        yield entry


def _declared_problem(book: classification.CodeBook, entry: classification.CodeEntry,
                      declared: dict[str, Any]) -> tuple[str, str, str] | None:
    """(rule, severity, message) for a declared code that clashes with the package's list."""
    label = classification.KIND_LABEL[book.kind]
    standard = book.entry(entry.code)
    clash = sorted(y for y in entry.valid or () if standard and book.covers(y) and standard.valid_in(y))
    if standard and clash:
        names = {book.name(entry.code, y) or "" for y in clash}
        if {classification.same_name(n) for n in names} == {classification.same_name(entry.name)}:
            return ("codes.declared-known", "warning",
                    f"{label} {entry.code} {entry.name} is already in the package's list for {_year_list(clash)}; "
                    "the declaration is not needed")
        # a warning, not an error: the package's lists are partly reconstructed, and a portal must be
        # able to correct a wrong standard name without editing the package
        return ("codes.declared-conflict", "warning",
                f"{label} {entry.code} is {'/'.join(sorted(names))} in the package's list for {_year_list(clash)}; "
                f"this portal declares it as {entry.name!r}, which is used instead: check the code and the name "
                "against the year's 政府收支分类科目 (and report the package's list if it is wrong)")
    parent = entry.code[:-2]
    if len(entry.code) > 3 and parent not in declared and book.entry(parent) is None:
        level = classification.LEVEL_LABEL[len(parent)]
        return ("codes.declared-parent", "error",
                f"{label} {entry.code} {entry.name}: its {level} {parent} is neither in the package's list nor "
                "declared here; declare it too")
    return None


def _year_list(years: list[int]) -> str:
    return "、".join(str(y) for y in years)
