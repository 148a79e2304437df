"""The two sides of a diff: which reports each revision holds, and loading + checking the changed ones.

A report is compared only when its signature differs between the sides: the git tree id of its
folder, of the unit's previous-year folder (figures of the previous year enter its checks) and the
blob id of ``unit.yaml``. Unchanged reports are never written out, loaded or checked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from site_builder import check, loader
from site_builder.contentfs import display_path
from site_builder.diffing.gitrepo import WORKTREE, Repository, TreeEntry
from site_builder.findings import Finding, Place
from site_builder.model import Report, Unit

Signature = tuple[str, str, str]


@dataclass
class Loaded:
    """One report as loaded and checked on one side (``report`` None when it could not be read)."""

    rel: str
    report: Report | None
    findings: list[Finding]


@dataclass
class Side:
    """The content folder as of one revision."""

    repo: Repository
    revision: str  # a commit id, or WORKTREE
    label: str  # as given on the command line
    content: Path  # the content folder on the command line (where findings are shown)
    entries: list[TreeEntry] = field(default_factory=list)
    _materialised: Path | None = None

    @classmethod
    def read(cls, repo: Repository, revision: str, label: str, content: Path) -> Side:
        tree = repo.tree_of(revision)
        return cls(repo, revision, label, content, repo.list_tree(tree))

    # -- what the revision holds --------------------------------------------------------------------
    def trees(self) -> dict[str, str]:
        return {e.path: e.oid for e in self.entries if e.kind == "tree"}

    def blobs(self) -> dict[str, str]:
        return {e.path: e.oid for e in self.entries if e.kind != "tree"}

    def reports(self) -> dict[str, Signature]:
        """``unit/year`` → signature, for every report folder of the revision."""
        trees, blobs = self.trees(), self.blobs()
        found: dict[str, Signature] = {}
        for path, oid in trees.items():
            unit, _, year = path.partition("/")
            if not year or "/" in year or not loader.YEAR.fullmatch(year) or not loader.UNIT_FOLDER.fullmatch(unit):
                continue
            previous = trees.get(f"{unit}/{int(year) - 1}", "")
            found[path] = (oid, previous, blobs.get(f"{unit}/unit.yaml", ""))
        return found

    def unit_yaml(self, unit: str) -> str:
        return self.blobs().get(f"{unit}/unit.yaml", "")

    # -- loading ------------------------------------------------------------------------------------
    def root(self, units: set[str]) -> Path:
        """A folder holding this side's content for ``units``: the content folder itself for the
        working tree, else the units' files written out from git (once)."""
        if self.revision == WORKTREE:
            return self.content
        if self._materialised is None:
            self._materialised = self.repo.scratch() / f"side-{self.revision[:12]}-{id(self)}"
            self._materialised.mkdir()
            wanted = [e for e in self.entries if e.path.split("/", 1)[0] in units]
            self.repo.write_files(wanted, self._materialised)
        return self._materialised

    def load(self, rels: list[str]) -> dict[str, Loaded]:
        """Load and check the reports ``rels`` (``unit/year``) with the normal loader and checker."""
        root = self.root({rel.split("/", 1)[0] for rel in rels})
        units: dict[str, tuple[Unit | None, list[Finding]]] = {}
        result: dict[str, Loaded] = {}
        jobs: list[tuple[Unit, Path]] = []
        for rel in rels:
            unit_slug, year = rel.split("/", 1)
            if unit_slug not in units:
                units[unit_slug] = _load_unit(root, root / unit_slug)
            unit, unit_findings = units[unit_slug]
            if unit is None:
                result[rel] = Loaded(rel, None, self._shown(root, unit_findings))
            else:
                jobs.append((unit, root / unit_slug / year))
        # the checker's own job runner: worker processes when there are many changed reports
        for (unit, year_dir), (report, findings) in zip(jobs, check.run_jobs(check.load_and_check, jobs), strict=True):
            rel = f"{unit.slug}/{year_dir.name}"
            result[rel] = Loaded(rel, report, self._shown(root, units[unit.slug][1] + findings))
        return result

    def _shown(self, root: Path, findings: list[Finding]) -> list[Finding]:
        """Findings placed as in the content folder on the command line, not in the temporary copy."""
        if root == self.content:
            return findings
        old, new = display_path(root), display_path(self.content)
        return [_relocated(f, old, new) for f in findings]


def _relocated(finding: Finding, old: str, new: str) -> Finding:
    def move(place: Place) -> Place:
        if place.path == old or place.path.startswith(old + "/"):
            return Place(new + place.path[len(old):], place.line, place.col)
        return place

    return dataclasses.replace(finding, place=move(finding.place), related=tuple(move(p) for p in finding.related))


def _load_unit(root: Path, unit_dir: Path) -> tuple[Unit | None, list[Finding]]:
    reader = loader._Reader(root)  # the loader's own reader: contentfs, schema, the same findings
    unit = loader._unit(reader, unit_dir)
    return unit, reader.findings
