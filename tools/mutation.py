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

from site_builder import loader  # noqa: E402
from site_builder.check import check, check_report  # noqa: E402
from site_builder.rules.prose_check import analyse  # noqa: E402
from site_builder.rules.prose_check.figures import extract, mask_references  # noqa: E402
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


@dataclass
class ProseOutcome:
    path: str
    line: int
    col: int
    original: str
    mutated: str
    outcome: str  # caught | not checkable | within rounding


def mutated_figure(text: str) -> str:
    """The figure with its last digit changed (9 → 8, else +1): still a well-formed figure."""
    index = max(i for i, c in enumerate(text) if c.isdigit())
    digit = int(text[index])
    return text[:index] + str(digit - 1 if digit == 9 else digit + 1) + text[index + 1:]


def run_prose(content: Path) -> list[ProseOutcome]:
    """Change every literal figure of each sample's explanation.md, one at a time, and check the report.

    A mutation is caught when the report then has an error (a prose finding, or an acknowledgement that
    no longer matches); a figure the check counts as not checkable is reported as such."""
    outcomes: list[ProseOutcome] = []
    for report in loader.load(content).site.reports:
        original = report.explanation
        _, tally = analyse(report)
        status = {(s.line, s.col): s.status for s in tally.figures if s.file.endswith("explanation.md")}
        lines = [0]
        for i, c in enumerate(original):
            if c == "\n":
                lines.append(i + 1)
        for figure in extract(mask_references(original)[0]):
            number = original[figure.start:figure.start + len(figure.text)]
            changed = mutated_figure(number)
            report.explanation = original[:figure.start] + changed + original[figure.start + len(number):]
            try:
                errors = [f for f in check_report(report) if f.is_error]
            finally:
                report.explanation = original
            line = max(i for i, start in enumerate(lines) if start <= figure.start) + 1
            col = figure.start - lines[line - 1] + 1
            if errors:
                outcome = "caught"
            elif status.get((line, col)) == "uncheckable":
                outcome = "not checkable"
            else:
                outcome = "within rounding"  # the changed figure still rounds to what the tables give
            outcomes.append(ProseOutcome(f"{report.folder}/explanation.md", line, col, figure.shown,
                                         changed + figure.unit, outcome))
    return outcomes


def prose_summary(outcomes: list[ProseOutcome]) -> str:
    total = len(outcomes) or 1
    caught = sum(o.outcome == "caught" for o in outcomes)
    unchecked = sum(o.outcome == "not checkable" for o in outcomes)
    within = sum(o.outcome == "within rounding" for o in outcomes)
    return (f"prose figures mutated: {len(outcomes)}; caught by check: {caught} ({caught / total:.1%}); "
            f"counted as not checkable: {unchecked} ({unchecked / total:.1%}); checked but within the printed "
            f"rounding: {within} ({within / total:.1%})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("content", nargs="?", default="content", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--prose", action="store_true", help="mutate the literal figures of explanation.md instead")
    args = parser.parse_args()
    if args.prose:
        prose = run_prose(args.content.resolve())
        print(prose_summary(prose), file=sys.stderr)
        for o in prose:
            if o.outcome == "within rounding":
                print(f"  within rounding: {o.path}:{o.line}:{o.col} {o.original} → {o.mutated}", file=sys.stderr)
        return 0
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
