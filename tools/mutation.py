"""Mutation test of the checker: change every single amount of the sample reports by 1.00.

For each amount in ``tables/`` and ``attachments/`` of every report, the file is rewritten with
that one figure increased by 1 (same number of decimals), and ``check`` must then report an error
(not acknowledged) that names that file and line: as the finding's position ("pinpointed") or
among the figures the finding names ("named").

    python tools/mutation.py [CONTENT] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_builder.check import check  # noqa: E402
from site_builder.yamlsafe import parse  # noqa: E402


@dataclass
class Outcome:
    path: str
    line: int
    col: int
    original: str
    caught: bool
    pinpointed: bool
    named: bool


def amounts_of(path: Path) -> list[tuple[int, int, Decimal]]:
    doc = parse(path.read_text(encoding="utf-8"))
    found = []

    def walk(value: object, where: tuple) -> None:
        if isinstance(value, Decimal):
            line, col = doc.where(where)
            found.append((line, col, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*where, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*where, index))

    walk(doc.data, ())
    return found


def bumped(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    result = value + 1
    return format(result.quantize(value) if isinstance(exponent, int) and exponent < 0 else result, "f")


def mutate_line(text: str, line: int, col: int, value: Decimal) -> str:
    lines = text.split("\n")
    row = lines[line - 1]
    original = format(value, "f")
    start = col - 1
    assert row[start:start + len(original)] == original or row[start:].startswith(str(value)), (row, col, original)
    token_end = start
    while token_end < len(row) and (row[token_end].isdigit() or row[token_end] in ".-+"):
        token_end += 1
    lines[line - 1] = row[:start] + bumped(value) + row[token_end:]
    return "\n".join(lines)


def run(content: Path) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "content"
        shutil.copytree(content, copy)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            files = sorted(p for p in Path("content").rglob("*.yaml") if p.parent.name in ("tables", "attachments"))
            for path in files:
                original = path.read_text(encoding="utf-8")
                for line, col, value in amounts_of(path):
                    path.write_text(mutate_line(original, line, col, value), encoding="utf-8")
                    errors = check(Path("content")).errors
                    shown = str(path)
                    pinpointed = any(f.place.path == shown and f.place.line == line for f in errors)
                    named = pinpointed or any(p.path == shown and p.line == line for f in errors for p in f.related)
                    outcomes.append(Outcome(shown, line, col, format(value, "f"), bool(errors), pinpointed, named))
                path.write_text(original, encoding="utf-8")
        finally:
            os.chdir(cwd)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("content", nargs="?", default="content", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcomes = run(args.content.resolve())
    total = len(outcomes)
    caught = sum(o.caught for o in outcomes)
    named = sum(o.named for o in outcomes)
    pinpointed = sum(o.pinpointed for o in outcomes)
    if args.json:
        print(json.dumps([o.__dict__ for o in outcomes], ensure_ascii=False, indent=1))
    print(f"amounts mutated: {total}; check exits 1: {caught} ({caught / total:.1%}); "
          f"finding names the file and line: {named} ({named / total:.1%}); "
          f"finding positioned at it: {pinpointed} ({pinpointed / total:.1%})", file=sys.stderr)
    for o in outcomes:
        if not o.named:
            print(f"  not named: {o.path}:{o.line}:{o.col} {o.original}{'' if o.caught else ' (not caught at all)'}", file=sys.stderr)
    return 0 if named == total else 1


if __name__ == "__main__":
    sys.exit(main())
