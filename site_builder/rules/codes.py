"""Classification codes in the code tables: known codes, standard names, 类/款/项 structure."""

from __future__ import annotations

from site_builder import standards
from site_builder.findings import Finding
from site_builder.model import Report

CODE_LENGTHS = {"function": (3, 5, 7), "economic": (3, 5)}


def run(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for frame in report.template.tables:
        table = report.tables.get(frame.id)
        if table is None or frame.layout not in ("coded", "economic_detail"):
            continue
        book = standards.codebook(frame.codes)
        rows = table.sections.get("rows", {})
        codes = [k for k in rows if k.isdigit()]
        present = set(codes)
        for code in codes:
            place = table.row_places[("rows", code)]

            def add(rule: str, message: str, code: str = code, place=place) -> None:  # noqa: ANN001
                findings.append(Finding(rule, message, place, subject=f"{frame.id}:rows.{code}", figures=(code,),
                                        report=report.rel, table=f"tables/{frame.id}.yaml", cells=(f"{frame.id}/rows/{code}/",)))

            if len(code) not in CODE_LENGTHS[frame.codes]:
                add("code.length", f"{frame.title}: code {code} has {len(code)} digits; "
                    f"{'类/款/项 codes have 3, 5 or 7' if frame.codes == 'function' else '类/款 codes have 3 or 5'}")
                continue
            if book.name(code) is None:
                add("code.unknown", f"{frame.title}: {code} is not a known {'function' if frame.codes == 'function' else 'economic'} "
                    "classification code (add it to the standards data if it is new)")
            parent = code[:-2]
            if len(code) > 3 and parent not in present:
                level = "款" if len(parent) == 5 else "类"
                add("code.hierarchy", f"{frame.title}: {code} {book.name(code) or ''} has no {level} row {parent} above it")
            if code in table.names:
                printed, name_place = table.names[code]
                if not book.accepts_name(code, printed):
                    findings.append(Finding("code.name-mismatch",
                                            f"{frame.title}: name {printed!r} does not match code {code} ({book.name(code)})",
                                            name_place, subject=f"{frame.id}:rows.{code}", figures=(printed,),
                                            report=report.rel, table=f"tables/{frame.id}.yaml"))
        if frame.layout == "coded" and codes and "total" not in rows:
            findings.append(Finding("table.missing-total", f"{frame.title}: the 合计 row (total) is missing",
                                    table.row_places[("rows", codes[0])], subject=f"{frame.id}:rows.total",
                                    report=report.rel, table=f"tables/{frame.id}.yaml"))
    return findings
