"""The typed content model. Every amount remembers its file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from site_builder.classification import NO_DECLARED, CodeBook, DeclaredCodes, report_codebook
from site_builder.findings import Place
from site_builder.standards import Template


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    place: Place

    @property
    def decimals(self) -> int:
        exponent = self.value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0


_new_object = object.__new__
_set_value, _set_place = (Amount.__dict__[name].__set__ for name in ("value", "place"))
_set_path, _set_line, _set_col = (Place.__dict__[name].__set__ for name in ("path", "line", "col"))


def amount_at(value: Decimal, path: str, line: int, col: int) -> Amount:
    """``Amount(value, Place(path, line, col))``, the same objects, made without the frozen
    dataclasses' ``__init__`` (``place_at``): the loader makes hundreds per report."""
    place = _new_object(Place)
    _set_path(place, path)
    _set_line(place, line)
    _set_col(place, col)
    amount = _new_object(Amount)
    _set_value(amount, value)
    _set_place(amount, place)
    return amount


Cells = dict[str, Amount | None]  # column id -> amount; None = written but blank


@dataclass
class Table:
    id: str
    path: str
    sections: dict[str, dict[str, Cells]]  # section -> row key (in document order) -> cells
    row_places: dict[tuple[str, str], Place] = field(default_factory=dict)
    names: dict[str, tuple[str, Place]] = field(default_factory=dict)  # code -> printed name
    empty_note: str = ""

    def cell(self, section: str, row: str, column: str = "amount") -> Amount | None:
        return self.sections.get(section, {}).get(row, {}).get(column)

    def has_figures(self) -> bool:
        return any(a is not None for rows in self.sections.values() for cells in rows.values() for a in cells.values())


@dataclass
class Term:
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    source: str = "site"  # site | report


@dataclass
class Unit:
    slug: str
    name: str
    parent: str
    region: str
    level: str
    code: str = ""
    description: str = ""
    path: str = ""  # its unit.yaml inside the content folder: the same whichever the current folder


@dataclass
class Acknowledgement:
    rule: str
    at: str
    subject: str
    figures: tuple[str, ...]
    reason: str
    place: Place
    used: bool = False


@dataclass
class Attachment:
    slug: str
    path: str
    data: dict[str, Any]  # schema-valid attachment data, numbers as Amount
    source: str = ""  # the file's text as loaded, to place findings in its text fields


@dataclass(frozen=True)
class Unpublished:
    """A part of the standard disclosure that the report declares it did not publish (report.yaml ``unpublished:``)."""

    kind: str  # "table" | "part"
    id: str  # table id (income, government_fund, …) or part (overview, explanation, attachments)
    reason: str
    place: Place


@dataclass
class PreviousYearFigures:
    """Previous-year figures a report declares (report.yaml ``previous_year:``), with where they come from."""

    source: str
    amount_unit: str
    figures: list[tuple[str, Amount, Place]]  # (cell name as in a reference, amount, place of the name)


@dataclass(frozen=True)
class Correction:
    """One entry of a report's correction history (更正记录): report.yaml ``corrections:``."""

    date: str  # YYYY-MM-DD
    what: str
    why: str
    place: Place


@dataclass
class Report:
    unit: Unit
    year: int
    folder: str  # display path of the report folder
    rel: str  # "<unit>/<year>", used in URLs and subjects
    template: Template
    amount_unit: str
    title: str
    source: str
    report_path: str
    acknowledgements: list[Acknowledgement]
    tables: dict[str, Table]
    attachments: list[Attachment]
    overview: str
    explanation: str
    glossary: list[Term]
    previous_year: PreviousYearFigures | None = None
    declared_codes: DeclaredCodes = NO_DECLARED  # codes.yaml of the content root, for this year
    unpublished: list[Unpublished] = field(default_factory=list)
    published: str = ""  # YYYY-MM-DD, report.yaml ``published:``
    published_place: Place | None = None
    corrections: list[Correction] = field(default_factory=list)

    def codebook(self, kind: str) -> CodeBook:
        """The classification codes of ``kind`` for this report: the package's list and the
        codes the content folder declares for the report's year."""
        return report_codebook(kind, self.declared_codes)

    def unpublished_reason(self, kind: str, ident: str) -> str | None:
        """The declared reason when this table or part was not published, else None."""
        return next((u.reason for u in self.unpublished if u.kind == kind and u.id == ident), None)

    @property
    def tolerance_per_part(self) -> Decimal:
        """万元 figures are rounded from 元: each rounded part may be off by half a cent of 万元."""
        return _HALF_CENT_OF_WAN if self.amount_unit == "万元" else _NO_TOLERANCE


_HALF_CENT_OF_WAN, _NO_TOLERANCE = Decimal("0.005"), Decimal(0)  # made once: read for every figure checked


@dataclass
class Site:
    title: str
    description: str
    glossary: list[Term]
    units: list[Unit]
    reports: list[Report]
    settings: dict[str, Any] = field(default_factory=dict)
