"""Figures in the 情况说明 against each other: a stated share (占 P%) must follow from its amounts.

A share written right after an amount — "基本支出834.73万元，占6.05%" — is that amount's part of
the first amount of the same section (the section's total: "支出合计13,804.91万元，其中：…").
Shares of a named base ("占本年支出合计的99.30%") are not checked here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from site_builder.findings import Finding, Place
from site_builder.model import Report

AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(万元|元)"
FIRST_AMOUNT = re.compile(AMOUNT)
SHARE = re.compile(AMOUNT + r"\s*[，,]\s*占(?:比)?\s*(\d+(?:\.\d+)?)\s*%")
HEADING = re.compile(r"^#{1,6}\s", re.M)


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _half_unit(text: str) -> Decimal:
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return Decimal(5) / Decimal(10) ** (decimals + 1)


def _sections(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each part between headings."""
    starts = [0, *(m.start() for m in HEADING.finditer(text)), len(text)]
    return [(a, text[a:b]) for a, b in zip(starts, starts[1:], strict=False) if b > a]


def run(report: Report) -> list[Finding]:
    text = report.explanation
    path = f"{report.folder}/explanation.md"
    findings = []
    for offset, section in _sections(text):
        base_match = FIRST_AMOUNT.search(section)
        if base_match is None:
            continue
        base, base_unit = _decimal(base_match.group(1)), base_match.group(2)
        for share in SHARE.finditer(section, base_match.end()):
            amount_text, unit, percent_text = share.groups()
            if unit != base_unit or base == 0:
                continue
            amount, percent = _decimal(amount_text), _decimal(percent_text)
            computed = amount / base * 100
            slack = _half_unit(percent_text) + computed * (_half_unit(amount_text) / max(amount, Decimal("0.01"))
                                                           + _half_unit(base_match.group(1)) / base)
            if abs(computed - percent) <= slack:
                continue
            position = offset + share.start(3)
            line = text.count("\n", 0, position) + 1
            col = position - (text.rfind("\n", 0, position) + 1) + 1
            shown = f"{computed.quantize(Decimal('0.01'))}%"
            findings.append(Finding(
                "narrative.share",
                f"情况说明：{amount_text}{unit} 占 {percent_text}%，但按本节合计 {base_match.group(1)}{base_unit} 计算为 {shown}",
                Place(path, line, col), subject=f"explanation:{amount_text}/{base_match.group(1)}",
                figures=(f"{percent_text}%", shown), report=report.rel, table="explanation.md",
            ))
    return findings
