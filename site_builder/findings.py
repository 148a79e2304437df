"""Findings: what `check` reports, one per line as ``path:line:col: severity [rule] message``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Place:
    """A position in a content file (path relative to the current directory, 1-based)."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


_new_object = object.__new__
_set_path, _set_line, _set_col = (Place.__dict__[name].__set__ for name in ("path", "line", "col"))


def place_at(path: str, line: int, col: int) -> Place:
    """``Place(path, line, col)``, the same object, made without the frozen dataclass's ``__init__``
    (three ``object.__setattr__`` calls through a global): the loader makes hundreds per report."""
    place = _new_object(Place)
    _set_path(place, path)
    _set_line(place, line)
    _set_col(place, col)
    return place


@dataclass
class Finding:
    rule: str
    message: str
    place: Place
    severity: str = "error"  # error | warning | info (a per-report note such as narrative.coverage, never a problem)
    subject: str = ""  # stable name of what the finding is about, used by acknowledgements
    figures: tuple[str, ...] = ()  # the published figures the finding states
    related: tuple[Place, ...] = ()  # the other figures involved
    acknowledged: str = ""  # reason, when the report acknowledges this finding (原文如此)
    report: str = ""  # report folder the finding belongs to, if any
    table: str = ""  # table id or attachment file the finding concerns
    cells: tuple[str, ...] = field(default_factory=tuple)  # "table/section/row/column" keys involved
    counts: dict[str, int] = field(default_factory=dict)  # info entries: figures stated, checked, … per report

    @property
    def is_error(self) -> bool:
        return self.severity == "error" and not self.acknowledged

    def line(self) -> str:
        severity = "acknowledged" if self.acknowledged else self.severity
        text = f"{self.place}: {severity} [{self.rule}] {self.message}"
        if self.acknowledged:
            text += f"（已说明：{self.acknowledged}）"
        return text

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"], data["line"], data["col"] = self.place.path, self.place.line, self.place.col
        del data["place"]
        data["related"] = [str(p) for p in self.related]
        data["figures"] = list(self.figures)
        data["cells"] = list(self.cells)
        if not self.counts:
            del data["counts"]
        return data


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.place.path, finding.place.line, finding.place.col, finding.rule)


def format_text(findings: list[Finding]) -> str:
    """One line per finding; info entries (coverage counts) are left to the summary line."""
    return "".join(f.line() + "\n" for f in sorted(findings, key=sort_key) if f.severity != "info")


def printed_by_build(findings: list[Finding]) -> list[Finding]:
    """The findings a build carries to its end: all but the info entries, which it never prints
    (each report page shows its own coverage note). At 10,000 reports the coverage notes alone
    were 9 MB of the build's main process."""
    return [finding for finding in findings if finding.severity != "info"]


def prose_summary(findings: list[Finding]) -> str:
    """The prose figures of all reports in one phrase, for the summary line of ``check``."""
    totals: dict[str, int] = {}
    for finding in findings:
        if finding.rule == "narrative.coverage":
            for key, value in finding.counts.items():
                totals[key] = totals.get(key, 0) + value
    if not totals:
        return ""
    return (f"; prose figures: {totals.get('stated', 0)} stated, {totals.get('agree', 0)} agree, "
            f"{totals.get('disagree', 0)} disagree, {totals.get('not_checkable', 0)} not checkable, "
            f"{totals.get('computed', 0)} computed")


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_json() for f in sorted(findings, key=sort_key)], ensure_ascii=False, indent=2) + "\n"
