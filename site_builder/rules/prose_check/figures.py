"""Figures stated in prose: amounts (万元/元), percentages, counts, years and dates, with their offsets.

Linear time on any input: a number is matched only from the first digit of a run (the look-behind
fails inside a run at once) and with possessive quantifiers, so a 100,000-digit run is read once.
Spans inside ``{{ … }}`` are computed figures: they are blanked out before matching and counted.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal

from site_builder.limits import AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS

FIGURE = re.compile(
    r"(?<![\d.,])(?P<num>\d++(?:,\d{3})*+(?:\.\d++)?+)(?![\d,.]\d)[ \t]*+"
    r"(?P<unit>万元|元|%|％|人次|批次|个(?!月)|人|辆|名|家|台（套）|台|项|次|条|分(?!之)|年度|年(?:\d{1,2}月\d{1,2}日)?)?"
)
UNIT_KIND = {"万元": "amount", "元": "amount", "%": "percent", "％": "percent"}
REF_OPEN, REF_CLOSE = "{{", "}}"
HALF_UNITS = tuple(Decimal(5) / Decimal(10) ** (places + 1) for places in range(30))


@dataclass
class Figure:
    start: int  # offset of the number in the text
    end: int  # offset after the unit
    text: str  # the number as printed
    unit: str
    kind: str  # amount | percent | count | year | date
    value: Decimal | None  # None: too many digits to be a table figure
    status: str = ""  # agree | disagree | uncheckable
    reason: str = ""  # why it could not be checked, or what it was checked against
    rule: str = ""

    @property
    def decimals(self) -> int:
        dot = self.text.find(".")  # the digits after the first '.', without splitting
        return len(self.text) - dot - 1 if dot >= 0 else 0

    @property
    def half_unit(self) -> Decimal:
        """Half of the last printed digit: the rounding the printed figure may carry."""
        return HALF_UNITS[min(self.decimals, len(HALF_UNITS) - 1)]

    @property
    def shown(self) -> str:
        return self.text + self.unit

    def mark(self, status: str, reason: str = "", rule: str = "") -> None:
        """Record a check result; a disagreement is never overwritten by a later agreement."""
        if self.status == "disagree" or (self.status == "agree" and status == "uncheckable"):
            return
        self.status, self.reason, self.rule = status, reason, rule or self.rule


def mask_references(text: str) -> tuple[str, int]:
    """The text with every ``{{ … }}`` span blanked (offsets kept) and the number of such spans."""
    parts: list[str] = []
    count = position = 0
    while True:
        start = text.find(REF_OPEN, position)
        if start < 0:
            break
        end = text.find(REF_CLOSE, start + 2)
        if end < 0:
            break
        parts.append(text[position:start])
        parts.append(" " * (end + 2 - start))
        position = end + 2
        count += 1
    parts.append(text[position:])
    return "".join(parts), count


def _value(number: str) -> Decimal | None:
    digits = number.replace(",", "")
    whole, _, decimals = digits.partition(".")
    if len(whole.lstrip("0")) > AMOUNT_INTEGER_DIGITS or len(decimals) > AMOUNT_DECIMALS:
        return None  # no table may hold it (amount.digits): never converted, so no Decimal context rounds it
    return Decimal(digits)


def extract(text: str) -> list[Figure]:
    """Every figure with a unit, in text order (``text`` already masked)."""
    figures = []
    for match in FIGURE.finditer(text):
        number, unit = match.groups()  # the groups "num" and "unit"
        if not unit:
            continue
        kind = UNIT_KIND.get(unit, "count")
        if unit.startswith("年"):
            if "," in number or "." in number or len(number) != 4:
                continue
            kind = "date" if len(unit) > 2 else "year"
        elif unit == "年度":
            if len(number) != 4:
                continue
            kind = "year"
        figures.append(Figure(match.start(1), match.end(), number, unit, kind, _value(number)))
    return figures


class Positions:
    """Offset → (line, column), columns counted in characters (correct after multi-byte text)."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def line_bounds(self, offset: int, text: str) -> tuple[int, int]:
        """Start and end offsets of the line holding ``offset`` (no scan of the text)."""
        line = bisect.bisect_right(self.starts, offset)
        end = self.starts[line] - 1 if line < len(self.starts) else len(text)
        return self.starts[line - 1], end

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1
