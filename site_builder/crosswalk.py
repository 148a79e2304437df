"""The code crosswalk (issue 11): which classification code of one year continues which of another.

Data: ``standards/crosswalk.yaml`` (schema ``crosswalk.schema.json``). A 1 → 1 renumbering and an
n → 1 merge make the old rows continue as the new code; a 1 → n split keeps the old row apart and
names its successors (its figures cannot be divided between them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from site_builder.standards import STANDARDS_DIR
from site_builder.summaries import read_standards_file

CROSSWALK_PATH = STANDARDS_DIR / "crosswalk.yaml"
CROSSWALK_SCHEMA = STANDARDS_DIR / "crosswalk.schema.json"


class CrosswalkError(ValueError):
    """The crosswalk file does not match its schema or contradicts itself."""


@dataclass(frozen=True)
class Change:
    kind: str
    old: tuple[str, ...]
    until: int  # last year the old codes are used
    new: tuple[str, ...]
    since: int  # first year the new codes are used
    note: str

    @property
    def is_split(self) -> bool:
        return len(self.new) > 1


@dataclass(frozen=True)
class Followed:
    """Where a code of a year is followed to: the code its row continues as, and the code it had."""

    code: str
    was: str  # the code printed that year ("" when it is the same)
    split: Change | None = None  # the old code was split later: the row stays apart


class Crosswalk:
    def __init__(self, changes: tuple[Change, ...]) -> None:
        self.changes = changes
        self._by_old: dict[tuple[str, str], Change] = {}
        for change in changes:
            for code in change.old:
                if (change.kind, code) in self._by_old:
                    raise CrosswalkError(f"code {code} ({change.kind}) is continued by more than one entry")
                self._by_old[(change.kind, code)] = change

    def follow(self, kind: str, code: str, year: int) -> Followed:
        """The code that ``code`` as printed in ``year`` continues as (through every later change)."""
        current, at, split = code, year, None
        for _ in range(len(self.changes) + 1):  # a chain is at most as long as the list
            change = self._by_old.get((kind, current))
            if change is None or at > change.until:
                break
            if change.is_split:
                split = change
                break
            current, at = change.new[0], change.since
        return Followed(current, code if current != code else "", split)


def read_crosswalk(path: Path = CROSSWALK_PATH) -> Crosswalk:
    data, problem = read_standards_file(path, CROSSWALK_SCHEMA)
    if problem:
        raise CrosswalkError(problem)
    changes = []
    for index, entry in enumerate(data["entries"]):
        old, new = entry["from"], entry["to"]
        if new["since"] <= old["until"]:
            raise CrosswalkError(f"{path.name}: entries/{index}: to.since {new['since']} must come after from.until {old['until']}")
        if len(old["codes"]) > 1 and len(new["codes"]) > 1:
            raise CrosswalkError(f"{path.name}: entries/{index}: n → n is not a crosswalk entry; write it as merges and splits")
        changes.append(Change(entry["kind"], tuple(old["codes"]), old["until"], tuple(new["codes"]), new["since"], entry["note"]))
    return Crosswalk(tuple(changes))


@cache
def crosswalk() -> Crosswalk:
    return read_crosswalk()
