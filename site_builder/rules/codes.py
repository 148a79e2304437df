"""Classification codes in the code tables: known codes, standard names, 类/款/项 structure."""

from __future__ import annotations

from site_builder import standards
from site_builder.findings import Finding, Place
from site_builder.model import Report, Table
from site_builder.standards import TableFrame

CODE_LENGTHS = {"function": (3, 5, 7), "economic": (3, 5)}


def _finding(report: Report, frame: TableFrame, code: str, rule: str, message: str, place: Place,
             figure: str | None = None) -> Finding:
    return Finding(rule, message, place, subject=f"{frame.id}:rows.{code}", figures=(figure or code,),
                   report=report.rel, table=f"tables/{frame.id}.yaml", cells=(f"{frame.id}/rows/{code}/",))


def _check_code(report: Report, frame: TableFrame, table: Table, code: str, present: set[str]) -> list[Finding]:
    book = standards.codebook(frame.codes)
    place = table.row_places[("rows", code)]
    kind = "function" if frame.codes == "function" else "economic"
    if len(code) not in CODE_LENGTHS[frame.codes]:
        lengths = "3, 5 or 7" if kind == "function" else "3 or 5"
        return [_finding(report, frame, code, "code.length",
                         f"{frame.title}: code {code} has {len(code)} digits; {kind} codes have {lengths}", place)]
    found = []
    if book.name(code) is None:
        found.append(_finding(report, frame, code, "code.unknown",
                              f"{frame.title}: {code} is not a known {kind} classification code "
                              "(add it to the standards data if it is new)", place))
    parent = code[:-2]
    if len(code) > 3 and parent not in present:
        level = "款" if len(parent) == 5 else "类"
        found.append(_finding(report, frame, code, "code.hierarchy",
                              f"{frame.title}: {code} {book.name(code) or ''} has no {level} row {parent} above it", place))
    if code in table.names:
        printed, name_place = table.names[code]
        if not book.accepts_name(code, printed):
            found.append(_finding(report, frame, code, "code.name-mismatch",
                                  f"{frame.title}: name {printed!r} does not match code {code} ({book.name(code)})",
                                  name_place, printed))
    return found


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None or frame.layout not in ("coded", "economic_detail"):
            continue
        rows = table.sections.get("rows", {})
        codes = [k for k in rows if k.isdigit()]
        present = set(codes)  # once per table: building it per code made the check quadratic
        for code in codes:
            findings.extend(_check_code(report, frame, table, code, present))
        if frame.layout == "coded" and codes and "total" not in rows:
            findings.append(_finding(report, frame, "total", "table.missing-total",
                                     f"{frame.title}: the 合计 row (total) is missing", table.row_places[("rows", codes[0])]))
    return findings
