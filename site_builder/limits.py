"""Limits on content, one place for all (documented in docs/security.md).

A file or value above a limit is a finding naming the limit; nothing is truncated silently.
"""

from __future__ import annotations

MIB = 1024 * 1024

YAML_FILE_BYTES = 8 * MIB  # site.yaml, glossary.yaml, unit.yaml, report.yaml, tables/*, attachments/*
MARKDOWN_FILE_BYTES = 1 * MIB  # overview.md, explanation.md
THEME_FILE_BYTES = 2 * MIB  # a template or asset under CONTENT/_theme/
YAML_DEPTH = 20  # nesting levels of mappings and lists in one YAML file
TABLE_ROWS = 50_000  # rows in one section of one table
AMOUNT_INTEGER_DIGITS = 15  # 999 999 999 999 999: more than any budget, in 元 or 万元
AMOUNT_DECIMALS = 6  # 万元 figures have 2 (at most 4 or 6 when converted); 6 leaves room
TEXT_CHARS = 2_000  # a one-line text field (name, title, parent, region…) in a YAML file
LONG_TEXT_CHARS = 200_000  # a multi-line text field (description, definition, reason…)

# Arithmetic on amounts is exact within these limits: the sum of 50,000 rows of 15+6 digits needs
# at most 26 significant digits, below the 28 of Python's default decimal context.


def format_size(limit: int) -> str:
    """8388608 → '8 MiB' (limits are whole MiB)."""
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"
