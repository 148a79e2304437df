"""The classification codes (政府收支分类科目) with the years they are valid for.

Two standard lists ship with the package (``standards/function_codes.yaml``: 支出功能分类 类/款/项;
``standards/economic_codes.yaml``: 部门预算支出经济分类 类/款), each covering some years. A content
folder may declare more codes in its ``codes.yaml`` (read by the loader); a report's code book is
the standard list with the declared codes laid over it.

A report of a year the standard list does not cover is checked leniently: every code of the list
is known, every name it ever had is accepted, and nothing is "not valid" (we do not know).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from site_builder.yamlsafe import load_package_file

STANDARDS_DIR = Path(__file__).parent / "standards"
KINDS = ("function", "economic")
LEVELS = {"function": (3, 5, 7), "economic": (3, 5)}
KIND_LABEL = {"function": "支出功能分类", "economic": "支出经济分类"}
LEVEL_LABEL = {3: "类", 5: "款", 7: "项"}


@dataclass(frozen=True)
class CodeEntry:
    """One code: its name, the years it is valid for (None: every year of its list), its old names
    with their years, and other printed wordings accepted in every year."""

    code: str
    name: str
    valid: frozenset[int] | None = None
    aliases: tuple[tuple[str, frozenset[int]], ...] = ()
    variants: tuple[str, ...] = ()
    declared_at: str = ""  # "codes.yaml:12" for a code declared by the content folder

    def valid_in(self, year: int) -> bool:
        return self.valid is None or year in self.valid

    def name_in(self, year: int) -> str:
        """The name the list gives the code in ``year``: an old name where it still applies."""
        return next((alias for alias, years in self.aliases if year in years), self.name)

    def all_names(self) -> tuple[str, ...]:
        return (self.name, *(alias for alias, _ in self.aliases), *self.variants)


class Status(Enum):
    KNOWN = "known"
    NOT_VALID = "not-valid"  # a code of the list, but not in this year (abolished, or not yet)
    UNKNOWN = "unknown"


class CodeBook:
    """Codes of one kind → entries; years the standard list covers."""

    def __init__(self, kind: str, years: tuple[int, ...], entries: dict[str, CodeEntry]) -> None:
        self.kind = kind
        self.years = years
        self.entries = entries
        # code → name and code → other accepted names, for callers that predate years
        self.names = {code: entry.name for code, entry in entries.items()}
        self.aliases = {code: names[1:] for code, entry in entries.items() if len(names := entry.all_names()) > 1}

    def covers(self, year: int | None) -> bool:
        return year is not None and year in self.years

    def entry(self, code: str) -> CodeEntry | None:
        return self.entries.get(code)

    def status(self, code: str, year: int | None) -> Status:
        entry = self.entries.get(code)
        if entry is None:
            return Status.UNKNOWN
        if entry.declared_at or not self.covers(year) or entry.valid_in(year or 0):
            return Status.KNOWN
        return Status.NOT_VALID

    def name(self, code: str, year: int | None = None) -> str | None:
        entry = self.entries.get(code)
        if entry is None:
            return None
        return entry.name_in(year) if year is not None else entry.name

    def accepted_names(self, code: str, year: int | None = None) -> tuple[str, ...]:
        entry = self.entries.get(code)
        if entry is None:
            return ()
        if entry.declared_at or not self.covers(year):
            return entry.all_names()
        return (entry.name_in(year or 0), *entry.variants)

    def accepts_name(self, code: str, name: str, year: int | None = None) -> bool:
        """Whether ``name`` is the code's name (for ``year``), ignoring spaces and the width of
        brackets: 退职(役)费 as printed is 退职（役）费."""
        wanted = same_name(name)
        return any(same_name(accepted) == wanted for accepted in self.accepted_names(code, year))

    def old_name_years(self, code: str, name: str) -> frozenset[int] | None:
        """The years ``name`` was the code's name, when it is one of its old names."""
        entry = self.entries.get(code)
        return next((years for alias, years in entry.aliases if alias == name), None) if entry else None

    def with_declared(self, declared: Iterable[CodeEntry]) -> CodeBook:
        extra = {entry.code: _declared_over(self.entries.get(entry.code), entry) for entry in declared}
        return self if not extra else CodeBook(self.kind, self.years, {**self.entries, **extra})


def _declared_over(standard: CodeEntry | None, declared: CodeEntry) -> CodeEntry:
    """A declared code; where it redeclares a standard code under another name, the declared name
    is used and the standard names stay accepted (codes.declared-conflict says so)."""
    if standard is None:
        return declared
    others = tuple(n for n in standard.all_names() if same_name(n) != same_name(declared.name))
    return replace(declared, variants=(*declared.variants, *others))


_WIDE_BRACKETS = str.maketrans("()", "（）")


def same_name(name: str) -> str:
    """A name as compared: no spaces, full-width brackets."""
    return "".join(name.split()).translate(_WIDE_BRACKETS)


# -- the standard lists -------------------------------------------------------------------------


def _years(value: Any) -> frozenset[int]:
    return frozenset(int(y) for y in value)


def _entry(code: str, value: str | dict[str, Any]) -> CodeEntry:
    if isinstance(value, str):
        return CodeEntry(code, value)
    valid = _years(value["valid"]) if "valid" in value else None
    aliases = tuple((name, _years(years)) for name, years in (value.get("aliases") or {}).items())
    return CodeEntry(code, value["name"], valid, aliases, tuple(value.get("variants") or ()))


def read_list(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = load_package_file(handle)
    return data


@cache
def standard(kind: str) -> CodeBook:
    """The package's list of ``kind`` (function | economic)."""
    data = read_list(STANDARDS_DIR / f"{kind}_codes.yaml")
    entries = {str(code): _entry(str(code), value) for code, value in data["codes"].items()}
    return CodeBook(kind, tuple(data["years"]), entries)


def function_codes() -> CodeBook:
    return standard("function")


def economic_codes() -> CodeBook:
    return standard("economic")


def codebook(kind: str) -> CodeBook:
    return standard("economic" if kind == "economic" else "function")


# -- codes declared by a content folder ---------------------------------------------------------


@dataclass(frozen=True)
class DeclaredCodes:
    """The codes a content folder declares in its codes.yaml (small: travels with each report)."""

    path: str = ""  # display path of codes.yaml ("" when the folder has none)
    function: tuple[CodeEntry, ...] = ()
    economic: tuple[CodeEntry, ...] = ()

    def of(self, kind: str) -> tuple[CodeEntry, ...]:
        return self.economic if kind == "economic" else self.function

    def for_year(self, year: int) -> DeclaredCodes:
        """Only the codes declared for ``year``."""
        pick = lambda entries: tuple(e for e in entries if e.valid is None or year in e.valid)  # noqa: E731
        return DeclaredCodes(self.path, pick(self.function), pick(self.economic))


NO_DECLARED = DeclaredCodes()


@lru_cache(maxsize=64)
def report_codebook(kind: str, declared: DeclaredCodes) -> CodeBook:
    """The standard list of ``kind`` with the declared codes laid over it (cached: many reports of
    a folder share one declaration)."""
    return codebook(kind).with_declared(declared.of(kind))
