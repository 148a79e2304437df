"""A report's correction history (更正记录) with the figures each correction changed.

For each entry of ``corrections:`` (oldest first) the figures are those that differ between the
report as of the last commit dated on or before the previous entry (or the publication date) and
as of the last commit dated on or before the entry's own date (the report as published is the
last commit on or before ``published``, else the folder as first committed), compared by the diff engine. Where
git or the commits are not available the entries are shown alone (``figures`` None).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder.diffing.compare import FigureChange, compare
from site_builder.diffing.gitrepo import GitProblem, Repository
from site_builder.diffing.load import Side
from site_builder.model import Report


@dataclass(frozen=True)
class HistoryEntry:
    date: str
    what: str
    why: str
    figures: tuple[FigureChange, ...] | None  # None: not known (no git, or no commit before the entry)

    def as_data(self) -> dict[str, Any]:
        figures = None if self.figures is None else [
            {"table": f.table, "row": f.row, "column": f.column, "old": _text(f.old), "new": _text(f.new),
             "difference": _text(f.difference)} for f in self.figures]
        return {"date": self.date, "what": self.what, "why": self.why, "figures": figures}


def _text(value: object) -> str | None:
    return None if value is None else format(value, "f")


def correction_history(report: Report, content_root: Path) -> list[HistoryEntry]:
    """The report's corrections, newest first, each with its changed figures where git tells them."""
    entries = sorted(report.corrections, key=lambda c: c.date)
    figures: list[tuple[FigureChange, ...] | None] = [None] * len(entries)
    if entries and report.published:
        try:
            figures = _figures(report, content_root, [report.published] + [c.date for c in entries])
        except GitProblem:
            pass
    history = [HistoryEntry(c.date, c.what, c.why, f) for c, f in zip(entries, figures, strict=True)]
    return history[::-1]


def _figures(report: Report, content_root: Path, bounds: list[str]) -> list[tuple[FigureChange, ...] | None]:
    repo = Repository(content_root)
    try:
        folder = f"{repo.prefix}/{report.rel}" if repo.prefix else report.rel
        log = repo.git("log", "--format=%H %cs", "--", folder, what="read the report's history")
        commits = [line.split(" ", 1) for line in log.splitlines() if " " in line]  # newest first
        if not commits:
            return [None] * (len(bounds) - 1)
        # the report as published: the last commit on or before the publication date, else as first committed
        states = [next((commit for commit, date in commits if date <= bounds[0]), commits[-1][0])]
        states += [next((commit for commit, date in commits if date <= bound), "") for bound in bounds[1:]]
        result: list[tuple[FigureChange, ...] | None] = []
        for before, after in zip(states, states[1:], strict=False):
            result.append(_changed(repo, report, content_root, before, after) if before and after else None)
        return result
    finally:
        repo.close()


def _changed(repo: Repository, report: Report, content_root: Path, before: str, after: str) -> tuple[FigureChange, ...]:
    if before == after:
        return ()
    old = Side.read(repo, before, before, content_root).load([report.rel])
    new = Side.read(repo, after, after, content_root).load([report.rel])
    return tuple(compare(report.rel, "changed", old[report.rel], new[report.rel]).figures)
