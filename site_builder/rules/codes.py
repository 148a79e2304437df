"""Classification codes in the code tables: known codes, valid in the report's year, standard
names, 类/款/项 structure.

A code is looked up in the report's code book: the package's lists (``standards/*_codes.yaml``)
and the codes the content folder declares in ``codes.yaml`` for the report's year. A code that is
unknown, or known but not valid in the report's year, is ONE finding per report, however many
tables print it (at its first row; the other rows are related places).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from site_builder.classification import KIND_LABEL, LEVELS, CodeBook, Status
from site_builder.findings import Finding, Place
from site_builder.model import Report, Table
from site_builder.standards import TableFrame

CODES_FILE = "codes.yaml"


@dataclass
class _Uses:
    """Every row of a report that prints one unresolved code."""

    kind: str
    code: str
    status: Status
    frames: list[TableFrame] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    printed: str = ""  # the first printed name met


def _finding(report: Report, frame: TableFrame, code: str, rule: str, message: str, place: Place,
             figure: str | None = None) -> Finding:
    return Finding(rule, message, place, subject=f"{frame.id}:rows.{code}", figures=(figure or code,),
                   report=report.rel, table=f"tables/{frame.id}.yaml", cells=(f"{frame.id}/rows/{code}/",))


def _length_problem(report: Report, frame: TableFrame, code: str, place: Place) -> Finding | None:
    lengths = LEVELS[frame.codes]
    if len(code) in lengths:
        return None
    shown = ", ".join(map(str, lengths[:-1])) + f" or {lengths[-1]}"
    return _finding(report, frame, code, "code.length",
                    f"{frame.title}: code {code} has {len(code)} digits; {frame.codes} codes have {shown}", place)


def _name_problem(report: Report, frame: TableFrame, table: Table, code: str, book: CodeBook) -> Finding | None:
    if code not in table.names:
        return None
    printed, place = table.names[code]
    if book.accepts_name(code, printed, report.year):
        return None
    standard = book.name(code, report.year)
    old_years = book.old_name_years(code, printed)
    if old_years is not None:
        when = f" (its name in {'、'.join(map(str, sorted(old_years)))})" if old_years else " (renamed before the years the list covers)"
        message = f"{frame.title}: name {printed!r} is an old name of code {code}{when}; in {report.year} it is {standard}"
    else:
        message = f"{frame.title}: name {printed!r} does not match code {code} ({standard})"
    return _finding(report, frame, code, "code.name-mismatch", message, place, printed)


def _hierarchy_problem(report: Report, frame: TableFrame, code: str, book: CodeBook, present: set[str],
                       place: Place) -> Finding | None:
    parent = code[:-2]
    if len(code) <= 3 or parent in present:
        return None
    level = "款" if len(parent) == 5 else "类"
    return _finding(report, frame, code, "code.hierarchy",
                    f"{frame.title}: {code} {book.name(code, report.year) or ''} has no {level} row {parent} above it", place)


def _declare_hint(report: Report, uses: _Uses) -> str:
    name = uses.printed or "（标准名称）"
    return (f"declare it in {CODES_FILE} at the content root (beside site.yaml): "
            f"{uses.kind}: {{\"{uses.code}\": {{name: {name}, years: [{report.year}]}}}}")


def _covered(book: CodeBook) -> str:
    return "、".join(map(str, book.years))


def _unresolved_finding(report: Report, uses: _Uses, book: CodeBook) -> Finding:
    label = KIND_LABEL[uses.kind]
    printed = f" {uses.printed!r}" if uses.printed else " (no name printed)"
    tables = "、".join(dict.fromkeys(f.title for f in uses.frames))
    if uses.status is Status.UNKNOWN:
        rule = "code.unknown"
        what = (f"{label} code {uses.code}{printed} of the {report.year} report is not in the package's list "
                f"(which covers {_covered(book)}) and not declared in {CODES_FILE} (rows in {tables}); "
                "if it is a standard code of your province")
    else:
        rule = "code.not-valid"
        what = (f"{label} code {uses.code}{printed} of the {report.year} report is {book.name(uses.code)} in the package's "
                f"list, but not a code of the {report.year} list: abolished or not yet introduced (rows in {tables}); "
                f"use the {report.year} code, or if your province still uses it")
    message = f"{what}, {_declare_hint(report, uses)}"
    first = uses.frames[0]
    return Finding(rule, message, uses.places[0], subject=f"code:{uses.kind}.{uses.code}",
                   figures=(uses.code,), related=tuple(uses.places[1:]), report=report.rel,
                   table=f"tables/{first.id}.yaml", cells=tuple(f"{f.id}/rows/{uses.code}/" for f in uses.frames))


def _check_table(report: Report, frame: TableFrame, table: Table, unresolved: dict[tuple[str, str], _Uses]) -> list[Finding]:
    book = report.codebook(frame.codes)
    rows = table.sections.get("rows", {})
    codes = [k for k in rows if k.isdigit()]
    present = set(codes)  # once per table: building it per code made the check quadratic
    found: list[Finding] = []
    for code in codes:
        place = table.row_places[("rows", code)]
        length = _length_problem(report, frame, code, place)
        if length:
            found.append(length)
            continue
        status = book.status(code, report.year)
        if status is not Status.KNOWN:
            uses = unresolved.setdefault((frame.codes, code), _Uses(frame.codes, code, status))
            uses.frames.append(frame)
            uses.places.append(place)
            uses.printed = uses.printed or table.names.get(code, ("",))[0]
        hierarchy = _hierarchy_problem(report, frame, code, book, present, place)
        name = _name_problem(report, frame, table, code, book) if status is not Status.UNKNOWN else None
        found.extend(f for f in (hierarchy, name) if f)
    if frame.layout == "coded" and codes and "total" not in rows:
        found.append(_finding(report, frame, "total", "table.missing-total",
                              f"{frame.title}: the 合计 row (total) is missing", table.row_places[("rows", codes[0])]))
    return found


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    unresolved: dict[tuple[str, str], _Uses] = {}
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None or frame.layout not in ("coded", "economic_detail"):
            continue
        findings.extend(_check_table(report, frame, table, unresolved))
    findings.extend(_unresolved_finding(report, uses, report.codebook(uses.kind)) for uses in unresolved.values())
    return findings
