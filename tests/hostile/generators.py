"""Generators of big inputs for the hostile corpus (Python here, never content: cases name them).

Each takes the target path inside the case's content copy and keyword arguments from the case.
"""

from __future__ import annotations

import re
from pathlib import Path


def pad_file(target: Path, size: int, line: str = "# padding", over: int = 1) -> None:
    """Append ``line`` until the file is ``size + over`` bytes or more (a comment keeps it valid)."""
    data = target.read_bytes() if target.exists() else b""
    chunk = (line + "\n").encode("utf-8")
    missing = max(0, size + over - len(data))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data + chunk * (missing // len(chunk) + 1))


def code_rows(target: Path, rows: int, section: str = "rows", first: int = 2080101, column: str = "basic") -> None:
    """A code table whose section has ``rows`` distinct 7-digit code rows (plus the total row)."""
    cells = f"{{total: 1.00, {column}: 1.00}}"
    lines = [f"{section}:", f"  total: {cells}"]
    lines += [f'  "{first + i}": {cells}' for i in range(rows)]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def nesting(target: Path, depth: int, style: str = "block", key: str = "rows") -> None:
    """``key`` holding ``depth`` levels of nested mappings (block) or lists (flow)."""
    if style == "flow":
        text = f"{key}: " + "[" * depth + "]" * depth + "\n"
    else:
        lines = [f"{key}:"]
        lines += [" " * (i + 1) + f"k{i}:" for i in range(depth)]
        lines[-1] += " 1"
        text = "\n".join(lines) + "\n"
    target.write_text(text, encoding="utf-8")


def long_value(target: Path, key: str, chars: int, char: str = "字") -> None:
    """Replace the value of the first top-level ``key:`` of a YAML file by ``chars`` repetitions of ``char``."""
    text = target.read_text(encoding="utf-8")
    pattern = re.compile(rf"(?m)^{re.escape(key)}:.*$")
    if not pattern.search(text):
        raise ValueError(f"no top-level {key}: in {target}")
    value = char * chars
    target.write_text(pattern.sub(lambda _m: f"{key}: {value}", text, count=1), encoding="utf-8")


def prose_paragraph(target: Path, repeat: str, times: int, before: str = "", after: str = "") -> None:
    """Append a paragraph ``before + repeat * times + after`` to a Markdown file."""
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\n\n" + before + repeat * times + after + "\n")


def glossary_terms(target: Path, count: int) -> None:
    """A glossary of ``count`` distinct terms (a big but valid file)."""
    lines = ["terms:"]
    for i in range(count):
        lines += [f"  - term: 术语{i}", f"    definition: 第{i}个术语的定义。"]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
