"""Compare one report as of two revisions in the terms of the domain: figures, rows, tables,
findings, acknowledgements, prose sentences and self-evaluation fields."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from site_builder import standards
from site_builder.diffing.load import Loaded
from site_builder.findings import Finding
from site_builder.model import Amount, Report, Table
from site_builder.rules import equations

Value = Decimal | None  # None: blank (written but empty, or not written)


@dataclass(frozen=True)
class FigureChange:
    table: str  # printed title
    row: str  # code + standard name, or the frame's row name
    column: str  # printed column title ("" for a single-column table)
    old: Value
    new: Value
    key: str  # table/section/row/column

    @property
    def difference(self) -> Decimal | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class RowChange:
    table: str
    row: str
    added: bool
    figures: tuple[tuple[str, Decimal], ...]  # (column title, amount) of the row's figures


@dataclass(frozen=True)
class FindingChange:
    status: str  # introduced | resolved | standing
    severity: str  # error | warning | acknowledged
    rule: str
    message: str
    place: str


@dataclass(frozen=True)
class AckChange:
    added: bool
    rule: str
    subject: str
    figures: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SentenceChange:
    file: str
    old: str  # "" when the sentence was added
    new: str  # "" when the sentence was removed
    figures_old: tuple[str, ...]  # figures of the old sentence that the new one no longer has
    figures_new: tuple[str, ...]  # figures of the new sentence that the old one did not have


@dataclass(frozen=True)
class FieldChange:
    attachment: str
    field: str
    old: str
    new: str


@dataclass
class ReportDiff:
    rel: str
    status: str  # changed | added | removed | renamed
    title: str = ""
    amount_unit: str = ""
    renamed_from: str = ""
    size: tuple[int, int] = (0, 0)  # tables with figures, figures: of an added or removed report
    loaded: bool = True  # False for a report moved with its files unchanged: neither loaded nor checked
    figures: list[FigureChange] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    findings: list[FindingChange] = field(default_factory=list)
    acknowledgements: list[AckChange] = field(default_factory=list)
    sentences: list[SentenceChange] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    corrections: list[tuple[str, str, str]] = field(default_factory=list)  # (date, what, why) entries added

    @property
    def is_empty(self) -> bool:
        """Nothing to tell: a report compared only because the previous year's folder changed."""
        return (self.status == "changed" and not (self.figures or self.rows or self.tables_added or self.tables_removed
                                                   or self.acknowledgements or self.sentences or self.fields or self.corrections)
                and all(f.status == "standing" for f in self.findings))

    def count(self, status: str, severity: str) -> int:
        return sum(1 for f in self.findings if f.status == status and f.severity == severity)

    @property
    def introduces_errors(self) -> bool:
        return self.count("introduced", "error") > 0

    def summary(self) -> str:
        """One line: "3 figures changed in 2 tables; totals consistent; 1 acknowledgement removed"."""
        parts: list[str] = []
        if self.status in ("added", "removed"):
            word = "new report" if self.status == "added" else "report removed"
            parts.append(f"{word}: {_n(self.size[0], 'table')} with {_n(self.size[1], 'figure')}")
        elif self.status == "renamed":
            parts.append(f"moved from {self.renamed_from}" + ("" if self.loaded else " with its files unchanged"))
        if self.figures:
            tables = len({f.table for f in self.figures})
            parts.append(f"{_n(len(self.figures), 'figure')} changed in {_n(tables, 'table')}")
        for added, word in ((True, "added"), (False, "removed")):
            rows = sum(1 for r in self.rows if r.added == added)
            if rows:
                parts.append(f"{_n(rows, 'row')} {word}")
        if self.tables_added:
            parts.append(f"{_n(len(self.tables_added), 'table')} added")
        if self.tables_removed:
            parts.append(f"{_n(len(self.tables_removed), 'table')} removed")
        if self.sentences:
            parts.append(f"{_n(len(self.sentences), 'sentence')} of prose changed")
        if self.fields:
            parts.append(f"{_n(len(self.fields), 'self-evaluation field')} changed")
        if self.status != "removed" and self.loaded:
            parts.append(self._consistency())
        resolved = self.count("resolved", "error") + self.count("resolved", "warning")
        if resolved and self.status != "removed":
            parts.append(f"{_n(resolved, 'finding')} resolved")
        if self.corrections:
            parts.append(f"{len(self.corrections)} correction entr{'y' if len(self.corrections) == 1 else 'ies'} added")
        for added, word in ((True, "added"), (False, "removed")):
            acks = sum(1 for a in self.acknowledgements if a.added == added)
            if acks:
                parts.append(f"{_n(acks, 'acknowledgement')} {word}")
        return "; ".join(parts)

    def _consistency(self) -> str:
        introduced, standing = self.count("introduced", "error"), self.count("standing", "error")
        warnings = self.count("introduced", "warning")
        text = (f"{_n(introduced, 'error')} introduced" if introduced
                else f"no new errors ({standing} standing)" if standing else "totals consistent")
        return text + (f"; {_n(warnings, 'warning')} introduced" if warnings else "")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- the comparison ------------------------------------------------------------------------------------


def compare(rel: str, status: str, old: Loaded | None, new: Loaded | None, renamed_from: str = "") -> ReportDiff:
    shown = (new or old)
    report = shown.report if shown else None
    diff = ReportDiff(rel, status, renamed_from=renamed_from, title=report.title if report else rel,
                      amount_unit=report.amount_unit if report else "")
    old_report = old.report if old else None
    new_report = new.report if new else None
    if old_report is not None and new_report is not None:
        _compare_tables(diff, old_report, new_report)
        _compare_prose(diff, old_report, new_report)
        _compare_attachments(diff, old_report, new_report)
        known = {(c.date, c.what, c.why) for c in old_report.corrections}
        diff.corrections = [(c.date, c.what, c.why) for c in new_report.corrections if (c.date, c.what, c.why) not in known]
    elif report is not None:
        diff.size = _size(report)
    if new is not None:  # what a removed report's findings were is no news
        diff.findings = _compare_findings(old.findings if old else [], new.findings)
    diff.acknowledgements = _compare_acks(old_report, new_report)
    return diff


def _size(report: Report) -> tuple[int, int]:
    tables = [t for t in report.tables.values() if t.has_figures()]
    figures = sum(1 for t in tables for rows in t.sections.values() for cells in rows.values() for a in cells.values() if a is not None)
    return len(tables), figures


def _compare_tables(diff: ReportDiff, old: Report, new: Report) -> None:
    for frame in new.template.tables:
        before, after = old.tables.get(frame.id), new.tables.get(frame.id)
        if before is None and after is None:
            continue
        if before is None or after is None:
            if (after or before).has_figures():  # type: ignore[union-attr]
                (diff.tables_added if before is None else diff.tables_removed).append(frame.title)
            continue
        _compare_table(diff, new, frame, before, after)


def _compare_table(diff: ReportDiff, report: Report, frame: standards.TableFrame, before: Table, after: Table) -> None:
    for section in frame.sections:
        old_rows, new_rows = before.sections.get(section, {}), after.sections.get(section, {})
        for row in _ordered(old_rows, new_rows):
            row_label = row_name(report, frame, section, row)
            if row not in old_rows or row not in new_rows:
                cells = new_rows.get(row) or old_rows.get(row) or {}
                figures = tuple((column_title(frame, section, row, c), a.value) for c, a in cells.items() if a is not None)
                diff.rows.append(RowChange(frame.title, row_label, row in new_rows, figures))
                continue
            for column in _ordered(old_rows[row], new_rows[row]):
                was, now = _value(old_rows[row].get(column)), _value(new_rows[row].get(column))
                if _same(was, now):
                    continue
                diff.figures.append(FigureChange(frame.title, row_label, column_title(frame, section, row, column), was, now,
                                                 f"{frame.id}/{section}/{row}/{column}"))


def _ordered(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Keys in the new document order, removed ones after."""
    return list(new) + [key for key in old if key not in new]


def _value(amount: Amount | None) -> Value:
    return amount.value if amount is not None else None


def _same(a: Value, b: Value) -> bool:
    """Equal figures; blank and 0.00 are not the same (blank is never zero)."""
    if a is None or b is None:
        return a is b
    return a == b


def row_name(report: Report, frame: standards.TableFrame, section: str, row: str) -> str:
    """The row's code and standard name (or the frame's printed name); in a table of several
    parts (相关信息统计表) the part's heading first, since 合计 alone names no row there."""
    name = equations._row_name(report, frame, equations.Ref(frame.id, section, row))
    if frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == section)
        return f"{part['heading']} {name}"
    return name


def column_title(frame: standards.TableFrame, section: str, row: str, column: str) -> str:
    if column == "amount":
        return ""
    columns = frame.columns if frame.layout != "two_sided" else next(s.columns for s in frame.sides if s.section == section)
    title = next((c.title for c in columns if c.id == column), column)
    if frame.layout == "three_public":
        title = str(frame.raw[f"{row}_heading"]).replace("{year}", "").removeprefix("年度") + title  # ningxia: {year}年度预算数
    return title


def _finding_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.table, finding.subject or finding.message)


def _severity(finding: Finding) -> str:
    return "acknowledged" if finding.acknowledged else finding.severity


def _compare_findings(old: list[Finding], new: list[Finding]) -> list[FindingChange]:
    """Introduced, resolved and standing findings; an error that became acknowledged (or the other
    way round) counts as resolved and introduced, since what fails the check changed."""
    before = {(_finding_key(f), _severity(f)): f for f in old if f.severity != "info"}
    after = {(_finding_key(f), _severity(f)): f for f in new if f.severity != "info"}
    changes = []
    for key, finding in after.items():
        status = "standing" if key in before else "introduced"
        changes.append(FindingChange(status, key[1], finding.rule, finding.message, str(finding.place)))
    for key, finding in before.items():
        if key not in after:
            changes.append(FindingChange("resolved", key[1], finding.rule, finding.message, str(finding.place)))
    return changes


def _compare_acks(old: Report | None, new: Report | None) -> list[AckChange]:
    def keyed(report: Report | None) -> dict[tuple[str, str, str, tuple[str, ...]], str]:
        return {(a.rule, a.at, a.subject, a.figures): a.reason for a in (report.acknowledgements if report else [])}

    before, after = keyed(old), keyed(new)
    changes = [AckChange(True, k[0], k[2], k[3], reason) for k, reason in after.items() if k not in before]
    changes += [AckChange(False, k[0], k[2], k[3], reason) for k, reason in before.items() if k not in after]
    return changes


# -- prose ------------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[。！？；])|\n+")
_FIGURE = re.compile(r"[0-9][0-9,，]*(?:\.[0-9]+)?%?")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def figures(sentence: str) -> list[str]:
    return _FIGURE.findall(sentence)


def _compare_prose(diff: ReportDiff, old: Report, new: Report) -> None:
    for name, before, after in (("overview.md", old.overview, new.overview), ("explanation.md", old.explanation, new.explanation)):
        if before != after:
            diff.sentences.extend(changed_sentences(name, sentences(before), sentences(after)))


def changed_sentences(name: str, before: list[str], after: list[str]) -> list[SentenceChange]:
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = before[a1:a2], after[b1:b2]
        for index in range(max(len(olds), len(news))):
            was = olds[index] if index < len(olds) else ""
            now = news[index] if index < len(news) else ""
            gone = Counter(figures(was)) - Counter(figures(now))
            came = Counter(figures(now)) - Counter(figures(was))
            changes.append(SentenceChange(name, was, now, tuple(gone.elements()), tuple(came.elements())))
    return changes


# -- self-evaluation forms ---------------------------------------------------------------------------------


def _compare_attachments(diff: ReportDiff, old: Report, new: Report) -> None:
    before = {a.slug: _leaves(a.data) for a in old.attachments}
    after = {a.slug: _leaves(a.data) for a in new.attachments}
    for slug in _ordered(before, after):
        if slug not in before or slug not in after:
            state = "(added)" if slug in after else "(removed)"
            diff.fields.append(FieldChange(slug, "", "" if slug in after else state, state if slug in after else ""))
            continue
        for path in _ordered(before[slug], after[slug]):
            was, now = before[slug].get(path, ""), after[slug].get(path, "")
            if was != now:
                diff.fields.append(FieldChange(slug, path, was, now))


def _leaves(data: Any, path: str = "") -> dict[str, str]:
    if isinstance(data, Amount):
        return {path: str(data.value)}
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in _leaves(value, f"{path}.{key}" if path else str(key)).items()}
    if isinstance(data, list):
        return {k: v for i, value in enumerate(data) for k, v in _leaves(value, f"{path}.{i}" if path else str(i)).items()}
    return {path: "" if data is None else str(data)}
