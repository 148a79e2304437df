"""Computed figures in prose (``{{…}}``): every reference must name a cell that can be shown.

Rule ids: ``narrative.ref-syntax`` (the reference cannot be read), ``narrative.ref-unknown`` (it
names no cell: the message lists the nearest valid names), ``narrative.ref-blank`` (the cell is
blank, or a share/rate has a zero base), ``narrative.ref-previous`` (a previous-year figure that
neither the portal nor report.yaml's ``previous_year:`` provides). Each is reported at the ``{{``.
"""

from __future__ import annotations

from site_builder.findings import Finding, Place
from site_builder.model import Report
from site_builder.prose.refs import ATTACHMENT_TEXT_FIELDS, Resolver, check_text, line_col, spans

RULE_IDS = ("narrative.ref-syntax", "narrative.ref-unknown", "narrative.ref-blank", "narrative.ref-previous")


def run(report: Report) -> list[Finding]:
    resolver = Resolver(report)
    findings: list[Finding] = []
    for name, text in (("overview.md", report.overview), ("explanation.md", report.explanation)):
        if "{{" in text:
            findings += check_text(resolver, text, f"{report.folder}/{name}", name)
    for attachment in report.attachments:
        for key in ATTACHMENT_TEXT_FIELDS:
            text = attachment.data.get(key)
            if isinstance(text, str) and "{{" in text:
                places = _places_in_file(attachment.path, attachment.source, text)
                findings += check_text(resolver, text, attachment.path, f"attachments/{attachment.slug}.yaml", places)
    if report.previous_year is not None:
        findings += resolver.previous.problems
    return findings


def _places_in_file(path: str, raw: str, text: str) -> dict[int, Place]:
    """Where each reference of a YAML text field is in the file's text ``raw`` (as the loader read
    it): the field's text may be folded or quoted, so each reference is looked up by its own
    characters, in order."""
    places: dict[int, Place] = {}
    position = 0
    for span in spans(text):
        found = raw.find(text[span.start:span.end], position)
        if found == -1:
            found = raw.find("{{", position)
        if found == -1:
            break
        places[span.start] = Place(path, *line_col(raw, found))
        position = found + 2
    return places
