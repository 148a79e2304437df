"""Tidy rows of a report: one row per written figure, with the names printed around it.

A table cell the report wrote gives a row; a cell written blank (the model's ``None``) gives a
row with an empty amount (NULL in SQLite), so blank and ``0.00`` stay apart; a cell not written
at all gives no row. Names come from the table's grid (the template frame and the report's printed
row names), so the tidy files say what the page prints. Amounts are the Decimal's own text
(``format(value, "f")``): exact, never a float.

Attachments with figures (the performance self-evaluation forms and the other attachment kinds)
are tidied separately (``attachment_rows``): their figures are not table cells but fields of a
form, so they get their own columns (attachment, field path, row label, field).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import quote

from site_builder.model import Amount, Attachment, Report
from site_builder.render.grids import FigureLabel, Grid

FIGURE_COLUMNS = (
    "unit_slug", "unit_name", "region", "parent", "year", "table_id", "table_title", "section",
    "row_key", "row_code", "row_name", "column_id", "column_title", "amount", "amount_unit", "url",
)
ATTACHMENT_COLUMNS = (
    "unit_slug", "unit_name", "region", "parent", "year", "attachment", "kind", "title",
    "path", "row_label", "field", "amount", "amount_unit", "url",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_QUOTED_STARTS = (*FORMULA_STARTS, QUOTE)
BOM = "\ufeff"


def neutralised(text: str) -> str:
    """Text a spreadsheet would run as a formula (``=cmd|…``, ``+``, ``-``, ``@``, tab, CR) gets a
    leading ``'`` (OWASP's advice for CSV injection): Excel then shows it as text. Text that already
    starts with ``'`` gets one more, so ``restored`` gives back the exact text. Amounts are written
    as they are (a negative amount stays a number)."""
    return QUOTE + text if text.startswith(_QUOTED_STARTS) else text


def restored(text: str) -> str:
    """The text as published, from a neutralised CSV field."""
    return text[1:] if text.startswith(QUOTE) else text


def plain(amount: Amount | None) -> str:
    return "" if amount is None else format(amount.value, "f")


def report_url(report: Report, base_url: str = "") -> str:
    """The report page's URL: absolute when the site declares ``base_url``, else site-relative."""
    path = f"units/{quote(report.unit.slug)}/{report.year}/"
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _identity(report: Report) -> list[str]:
    unit = report.unit
    return [unit.slug, unit.name, unit.region, unit.parent, str(report.year)]


def table_rows(report: Report, grid: Grid, base_url: str = "") -> Iterator[list[str]]:
    """The tidy rows of one table, in the report's section and row order, columns as printed."""
    table = report.tables.get(grid.table_id)
    if table is None:
        return
    page = report_url(report, base_url)
    order = {key: index for index, key in enumerate(grid.labels)}
    identity = _identity(report)
    links: dict[str, str] = {}  # anchor -> the figure's URL (a row's figures share their anchor)
    for section, rows in table.sections.items():
        for row, cells in rows.items():
            prefix = f"{grid.table_id}/{section}/{row}/"
            for column in _printed_order(cells, prefix, order):
                label = grid.labels.get(prefix + column) or _NO_LABEL
                anchor = label.anchor or grid.anchor
                link = links.get(anchor)
                if link is None:
                    link = links[anchor] = f"{page}#{quote(anchor)}"
                yield [*identity, grid.table_id, grid.title, section, row, label.row_code, label.row_name,
                       column, label.column_title, plain(cells[column]), report.amount_unit, link]


_NO_LABEL = FigureLabel("", "", "", "")


def _printed_order(cells: dict[str, Amount | None], prefix: str, order: dict[str, int]) -> list[str]:
    """A row's columns in the order the page prints its figures (``prefix``: "table/section/row/");
    columns the page does not print come last, in the report's order."""
    if len(cells) < 2:
        return list(cells)
    return sorted(cells, key=lambda column: order.get(prefix + column, len(order)))


def attachment_rows(report: Report, base_url: str = "") -> Iterator[list[str]]:
    """One row per figure of each attachment (performance forms: funds, indicator points and scores…)."""
    page = report_url(report, base_url)
    identity = _identity(report)
    for attachment in report.attachments:
        for path, label, field, value in _figures(attachment.data):
            yield [*identity, attachment.slug, str(attachment.data.get("kind", "")), str(attachment.data.get("title", "")),
                   path, label, field, value, _unit_of(attachment, path, field), f"{page}attachments/{quote(attachment.slug)}/"]


NOT_MONEY = ("rate", "score", "points")  # fields of a form's funds rows that are a rate or points, not money


def _unit_of(attachment: Attachment, path: str, field: str) -> str:
    """The unit of a form's figure: the form's amount unit for money (funds rows, basic-data rows),
    the funds' ``rate_unit`` (percent/ratio) for 执行率, "" for points, scores and head counts."""
    funds = attachment.data.get("funds")
    if path.startswith("funds/rows/"):
        if field == "rate" and isinstance(funds, dict):
            return str(funds.get("rate_unit", ""))
        return "" if field in NOT_MONEY else str(attachment.data.get("amount_unit", ""))
    return str(attachment.data.get("amount_unit", "")) if path.startswith("rows/") else ""


def _figures(data: Any, path: str = "", label: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(path, row label, field, amount text) of every figure below ``data``; a figure's row label
    is the name or source printed on its row (the nearest ``name``/``source``/``level2`` text)."""
    if isinstance(data, dict):
        own = next((str(data[k]) for k in ("name", "source", "item", "level2", "level1") if isinstance(data.get(k), str)), label)
        for key, value in data.items():
            if isinstance(value, Amount):
                yield f"{path}{key}", own, str(key), plain(value)
            elif isinstance(value, Decimal):
                yield f"{path}{key}", own, str(key), format(value, "f")
            else:
                yield from _figures(value, f"{path}{key}/", own)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, Amount):
                yield f"{path}{index}", label, str(index), plain(item)
            else:
                yield from _figures(item, f"{path}{index}/", label)


def csv_bytes(header: Sequence[str], rows: Iterable[list[str]], with_header: bool = True) -> bytes:
    """UTF-8 with BOM and ``\\r\\n`` (as the table-shaped CSVs, for Excel); text fields neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(_neutralised_rows(rows, list(header).index("amount")))
    return (csv_header(header) if with_header else b"") + buffer.getvalue().encode("utf-8")


def _neutralised_rows(rows: Iterable[list[str]], amount_at: int) -> Iterator[list[str]]:
    """Each row with its text ``neutralised`` and its amount as it is."""
    safe = _Neutralised()
    for row in rows:
        amount = row[amount_at]
        row = [safe[value] for value in row]
        row[amount_at] = amount
        yield row


class _Neutralised(dict[str, str]):
    """``neutralised`` of each text, worked out once: a report's tidy rows have thousands of
    fields, most of them repeated on every row (unit, table, row names), and a look-up is faster."""

    def __missing__(self, text: str) -> str:
        self[text] = safe = neutralised(text)
        return safe


@cache
def csv_header(header: Sequence[str]) -> bytes:
    """The BOM and the header line of a tidy CSV."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(header)
    return (BOM + buffer.getvalue()).encode("utf-8")


def tidy_csv_name(grid: Grid) -> str:
    return f"{grid.table_id}.tidy.csv"


FIGURES_CSV = "figures.csv"
ATTACHMENTS_CSV = "attachment-figures.csv"
