"""``site-builder diff``: the content as of two git revisions, compared report by report.

Stages as modules: ``gitrepo`` (git itself reads the revisions), ``load`` (which reports changed;
load and check only those), ``compare`` (figures, rows, findings, prose …), ``formats``
(text, Markdown, JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from site_builder.diffing.compare import ReportDiff, compare
from site_builder.diffing.gitrepo import WORKTREE, GitProblem, Repository
from site_builder.diffing.load import Side

__all__ = ["DiffResult", "GitProblem", "WORKTREE", "diff"]


@dataclass
class DiffResult:
    old_label: str
    new_label: str
    old_commit: str
    new_commit: str  # "" for the working tree
    reports: list[ReportDiff] = field(default_factory=list)
    units_added: list[str] = field(default_factory=list)
    units_removed: list[str] = field(default_factory=list)
    units_renamed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0  # reports whose files are the same on both sides: not loaded
    unchanged_checked: int = 0  # loaded because the previous year's folder changed, but nothing differs

    @property
    def introduces_errors(self) -> bool:
        return any(r.introduces_errors for r in self.reports)


def diff(content: Path, old_revision: str | None = None, new_revision: str | None = None) -> DiffResult:
    """Compare ``content`` as of two revisions (default: merge base with main → working tree)."""
    repo = Repository(content)
    try:
        old_commit = repo.commit(old_revision) if old_revision else repo.default_base()
        new_commit = WORKTREE if new_revision in (None, WORKTREE) else repo.commit(new_revision)  # type: ignore[arg-type]
        old = Side.read(repo, old_commit, old_revision or "merge base", content)
        new = Side.read(repo, new_commit, new_revision or WORKTREE, content)
        return _compare_sides(old, new)
    finally:
        repo.close()


def _compare_sides(old: Side, new: Side) -> DiffResult:
    result = DiffResult(old.label, new.label, old.revision, "" if new.revision == WORKTREE else new.revision)
    before, after = old.reports(), new.reports()
    changed = [rel for rel in after if rel in before and before[rel] != after[rel]]
    added = [rel for rel in after if rel not in before]
    removed = [rel for rel in before if rel not in after]
    renames = _renames(old, new, before, after, added, removed, result)
    moved_from = {new_rel: old_rel for old_rel, new_rel in renames}
    added = [rel for rel in added if rel not in moved_from]
    removed = [rel for rel in removed if rel not in set(moved_from.values())]
    changed_renames = [(o, n) for o, n in renames if before[o][0] != after[n][0] or before[o][2] != after[n][2]]
    old_loaded = old.load(changed + removed + [o for o, _ in changed_renames])
    new_loaded = new.load(changed + added + [n for _, n in changed_renames])
    for rel in sorted(changed + added + removed + list(moved_from)):
        if rel in moved_from:
            source = moved_from[rel]
            if (source, rel) in changed_renames:
                result.reports.append(compare(rel, "renamed", old_loaded[source], new_loaded[rel], source))
            else:
                result.reports.append(_ReportMoved(rel, source))
        elif rel in removed:
            result.reports.append(compare(rel, "removed", old_loaded[rel], None))
        else:
            result.reports.append(compare(rel, "changed" if rel in before else "added", old_loaded.get(rel), new_loaded[rel]))
    unchanged = [r.rel for r in result.reports if r.is_empty]
    result.reports = [r for r in result.reports if not r.is_empty]
    result.unchanged = sum(1 for rel in after if rel in before and before[rel] == after[rel])
    result.unchanged_checked = len(unchanged)
    return result


def _ReportMoved(rel: str, source: str) -> ReportDiff:  # noqa: N802 - reads as a constructor
    """A report whose files are the same under another unit folder: nothing to load or check."""
    return ReportDiff(rel, "renamed", title=rel, renamed_from=source, loaded=False)


def _renames(old: Side, new: Side, before: dict[str, tuple[str, str, str]], after: dict[str, tuple[str, str, str]],
             added: list[str], removed: list[str], result: DiffResult) -> list[tuple[str, str]]:
    """Units added, removed and renamed; report pairs (old, new) moved to another unit folder.

    A unit is renamed when a unit folder disappeared and another appeared holding one of its
    report folders unchanged (same tree id) or the same ``unit.yaml``; its reports then pair up by year.
    """
    old_units = {rel.split("/")[0] for rel in before} | _units_with_yaml(old)
    new_units = {rel.split("/")[0] for rel in after} | _units_with_yaml(new)
    gone, came = sorted(old_units - new_units), sorted(new_units - old_units)
    pairs: list[tuple[str, str]] = []
    for unit in gone:
        target = next((u for u in came if _same_unit(old, new, before, after, unit, u)), None)
        if target is None:
            continue
        came.remove(target)
        result.units_renamed.append((unit, target))
        years = {rel.split("/")[1] for rel in removed if rel.startswith(unit + "/")}
        pairs.extend((f"{unit}/{y}", f"{target}/{y}") for y in sorted(years) if f"{target}/{y}" in added)
    renamed_away = {u for u, _ in result.units_renamed}
    result.units_removed = [u for u in gone if u not in renamed_away]
    result.units_added = came
    return pairs


def _units_with_yaml(side: Side) -> set[str]:
    return {path.split("/")[0] for path in side.blobs() if path.count("/") == 1 and path.endswith("/unit.yaml")}


def _same_unit(old: Side, new: Side, before: dict[str, tuple[str, str, str]], after: dict[str, tuple[str, str, str]],
               unit: str, target: str) -> bool:
    if old.unit_yaml(unit) and old.unit_yaml(unit) == new.unit_yaml(target):
        return True
    trees = {before[rel][0] for rel in before if rel.startswith(unit + "/")}
    return any(after[rel][0] in trees for rel in after if rel.startswith(target + "/"))
