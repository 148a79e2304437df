"""Broken input through the command line: one clear finding ``path:line:col: error [rule] …`` each.

Every case edits the mini fixture (see tests/conftest.py) and runs
``python -m site_builder check mini`` from the folder that holds the copy, so paths are printed
relative to the current directory as the contract says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from site_builder import schemagen
from tests.conftest import REPORT_2023, MiniContent, run_cli

S = f"{REPORT_2023}/tables/income_expenditure_summary.yaml"
I = f"{REPORT_2023}/tables/income.yaml"  # noqa: E741
T = f"{REPORT_2023}/tables/three_public.yaml"
REPORT = f"{REPORT_2023}/report.yaml"
UNIT = "demo-center/unit.yaml"
FINDING = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|acknowledged) "
                     r"\[(?P<rule>[a-z0-9.-]+)\] (?P<message>.+)$")


@dataclass(frozen=True)
class Broken:
    name: str
    change: Callable[[MiniContent], None]
    rule: str
    file: str  # relative to the content folder
    line: str = ""  # text on the expected line ("" = 1:1)
    value: str = ""  # where on that line the column points
    words: tuple[str, ...] = ()  # the message must say these


def replace(file: str, old: str, new: str) -> Callable[[MiniContent], None]:
    return lambda mini: mini.replace(file, old, new)


def remove(file: str) -> Callable[[MiniContent], None]:
    return lambda mini: mini.remove(file)


def gbk(file: str) -> Callable[[MiniContent], None]:
    def change(mini: MiniContent) -> None:
        mini.path(file).write_bytes(mini.read(file).encode("gbk"))

    return change


CASES = [
    # a key without its colon: the parser notices only on the next line; the finding names the line to fix
    Broken("missing-colon", replace(S, "  other: 10.00", "  other 10.00"), "yaml.syntax", S, "other 10.00", "other",
           ("':'",)),
    Broken("missing-colon-at-end", replace(S, "  closing: 12.00\n  grand_total: 233.00\n", "  closing: 12.00\n  grand_total: 233.00\n  note\n"),
           "yaml.syntax", S, "  note", "note"),
    Broken("unclosed-flow-mapping", replace(I, '"208": {total: 195.00, fiscal: 185.00, other: 10.00}',
                                            '"208": {total: 195.00, fiscal: 185.00, other: 10.00'),
           "yaml.syntax", I, '"208"', "{"),
    Broken("unclosed-quote", replace(I, '"221": {total: 27.00', '"221: {total: 27.00'), "yaml.syntax", I, '"221:', '"221:'),
    Broken("bad-indent", replace(S, "  other: 10.00", "   other: 10.00"), "yaml.syntax", S, "   other: 10.00", ":"),
    Broken("thousands-separator", replace(S, "  general_budget: 195.00", "  general_budget: 13,708.28"), "schema", S,
           "general_budget", "13,708.28", ("13,708.28", "plain decimal")),
    Broken("quoted-amount", replace(S, "  general_budget: 195.00", '  general_budget: "13708.28"'), "schema", S,
           "general_budget", '"13708.28"', ("13708.28", "plain decimal")),
    Broken("quoted-amount-in-row", replace(I, '"221": {total: 27.00', '"221": {total: "27.00"'), "schema", I,
           '"221"', '"27.00"', ("27.00",)),
    Broken("unknown-key", replace(REPORT, "amount_unit: 万元\n", "amount_unit: 万元\nremarks: 原文\n"), "schema", REPORT,
           "remarks", "remarks", ("remarks",)),
    Broken("unknown-key-unit", replace(UNIT, "level: 市级\n", "level: 市级\nphone: \"0356\"\n"), "schema", UNIT,
           "phone", "phone", ("phone",)),
    Broken("missing-key", replace(REPORT, "amount_unit: 万元\n", ""), "schema", REPORT, words=("amount_unit",)),
    Broken("unknown-unit", replace(REPORT, "amount_unit: 万元", "amount_unit: 千元"), "schema", REPORT,
           "amount_unit", "千元", ("千元",)),
    Broken("tab-indent", replace(T, "  budget:", "\tbudget:"), "yaml.tab", T, "budget:", "\t", ("tab",)),
    Broken("tab-after-spaces", replace(T, "  final:", "  \tfinal:"), "yaml.tab", T, "final:", "\t", ("tab",)),
    Broken("missing-table", remove(f"{REPORT_2023}/tables/state_capital.yaml"), "report.missing-table", REPORT,
           words=("state_capital.yaml",)),
    Broken("duplicate-key", replace(S, "  other: 10.00", "  other: 10.00\n  other: 1.00"), "yaml.duplicate-key", S,
           "other: 1.00", "other", ("other",)),
    # an alias repeats the anchored value: the finding points at the anchor, the value to write out
    Broken("alias", lambda mini: (mini.replace(S, "  grand_total: 233.00\nexpenditure:", "  grand_total: &sum 233.00\nexpenditure:"),
                                  mini.replace(S, "  grand_total: 233.00\n", "  grand_total: *sum\n")),
           "yaml.alias", S, "&sum", "&sum"),
    Broken("merge-key", replace(T, "rows:\n", "rows:\n  <<: {}\n"), "yaml.alias", T, "<<", "<<", ("<<",)),
    Broken("python-tag", replace(S, "  other: 10.00", "  other: !!python/object/apply:os.system [\"true\"]"), "yaml.tag", S,
           "other", "!!python", ("python",)),
    Broken("custom-tag", replace(S, "  other: 10.00", "  other: !include other.yaml"), "yaml.tag", S, "other", "!include"),
    Broken("non-utf8-table", gbk(T), "content.encoding", T, words=("UTF-8",)),
    Broken("non-utf8-unit", gbk(UNIT), "content.encoding", UNIT, words=("UTF-8",)),
    Broken("non-utf8-markdown", gbk(f"{REPORT_2023}/overview.md"), "content.encoding", f"{REPORT_2023}/overview.md",
           words=("UTF-8",)),
]


def parse_lines(stdout: str) -> list[dict[str, str]]:
    found = []
    for line in stdout.splitlines():
        match = FINDING.match(line)
        assert match, f"not a finding line: {line!r}"
        found.append(match.groupdict())
    return found


@pytest.mark.parametrize("broken", CASES, ids=[c.name for c in CASES])
def test_broken_input_gives_one_clear_finding(mini: MiniContent, broken: Broken) -> None:
    broken.change(mini)
    run = mini.cli("check", "mini")
    assert "Traceback" not in run.stderr
    assert run.returncode == 1, run.stdout + run.stderr
    (finding,) = parse_lines(run.stdout)
    line, col = mini.position(broken.file, broken.line, broken.value)
    assert (finding["path"], int(finding["line"]), int(finding["col"]), finding["severity"], finding["rule"]) == (
        mini.shown(broken.file), line, col, "error", broken.rule), run.stdout
    for word in broken.words:
        assert word in finding["message"]
    assert "1 errors" in run.stderr  # the summary line agrees


def test_missing_content_folder_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "check", "no-such-folder")
    assert run.returncode == 2
    assert run.stdout == ""
    assert "no-such-folder" in run.stderr and "Traceback" not in run.stderr


def test_content_path_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "content.yaml").write_text("title: x\n", encoding="utf-8")
    run = run_cli(tmp_path, "check", "content.yaml")
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_clean_mini_exits_0_with_no_output(mini: MiniContent) -> None:
    run = mini.cli("check", "mini")
    assert (run.returncode, run.stdout) == (0, "")
    assert "2 reports checked: 0 errors, 0 warnings, 0 acknowledged" in run.stderr
    json_run = mini.cli("check", "mini", "--format", "json")
    entries = json.loads(json_run.stdout)
    assert json_run.returncode == 0 and [e for e in entries if e["severity"] != "info"] == []
    # one info entry per report: the counts of the figures its prose states (issue 8)
    assert [(e["rule"], e["counts"]["disagree"]) for e in entries] == [("narrative.coverage", 0)] * 2


def test_json_output_has_the_same_findings(mini: MiniContent) -> None:
    # an error in a table, a rounding warning and an acknowledged finding in the attachment
    mini.replace(f"{REPORT_2023}/tables/related_info.yaml", "{total: 10.00", "{total: 11.00")
    mini.replace(T, "vehicle_purchase: 12.00", "vehicle_purchase: 12.01")
    mini.replace(f"{REPORT_2023}/attachments/window-service.yaml", "grade: 优", "grade: 良")
    mini.replace(REPORT, "acknowledged: []\n", """acknowledged:
  - rule: perf.grade
    at: attachments/window-service.yaml
    subject: window-service:grade
    figures: ["良", "95"]
    reason: 原表如此。
""")
    text = mini.cli("check", "mini")
    as_json = mini.cli("check", "mini", "--format", "json")
    assert text.returncode == as_json.returncode == 1
    lines = parse_lines(text.stdout)
    data = json.loads(as_json.stdout)
    assert isinstance(data, list)
    data = [d for d in data if d["severity"] != "info"]  # the per-report prose counts are not text lines
    assert len(data) == len(lines) == 3
    assert [(d["path"], d["line"], d["col"], "acknowledged" if d["acknowledged"] else d["severity"], d["rule"])
            for d in data] == [(x["path"], int(x["line"]), int(x["col"]), x["severity"], x["rule"]) for x in lines]
    for item, line in zip(data, lines, strict=True):
        assert line["message"].startswith(item["message"])
    assert sorted((d["rule"], d["severity"], bool(d["acknowledged"])) for d in data) == [
        ("perf.grade", "error", True), ("related.procurement-total", "error", False), ("three-public.vehicles", "warning", False)]
    ack = next(d for d in data if d["acknowledged"])
    assert (ack["subject"], ack["figures"], ack["acknowledged"]) == ("window-service:grade", ["良", "95"], "原表如此。")


def test_json_output_of_a_yaml_error(mini: MiniContent) -> None:
    mini.replace(S, "  other: 10.00", "  other: 10.00\n  other: 1.00")
    run = mini.cli("check", "mini", "--format", "json")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (item,) = [d for d in json.loads(run.stdout) if d["severity"] != "info"]
    line, col = mini.position(S, "other: 1.00", "other")
    assert (item["path"], item["line"], item["col"], item["severity"], item["rule"]) == (
        mini.shown(S), line, col, "error", "yaml.duplicate-key")


# -- the committed JSON Schemas ------------------------------------------------------------------
def test_committed_schemas_are_the_generated_ones() -> None:
    generated = schemagen.all_schemas()
    committed = {p.name.removesuffix(".schema.json"): p for p in schemagen.SCHEMA_DIR.glob("*.schema.json")}
    assert sorted(committed) == sorted(generated)
    for name, schema in generated.items():
        assert committed[name].read_text(encoding="utf-8") == schemagen.render(schema), (
            f"{name}.schema.json is stale: run python -m site_builder.schemagen")


def test_there_is_a_schema_for_every_file_kind() -> None:
    names = set(schemagen.all_schemas())
    assert {"site", "glossary", "unit", "report", "attachment"} <= names
    from site_builder import standards

    table_ids = {t for template in standards.templates().values() for t in template.table_ids}
    assert {f"table-{t}" for t in table_ids} <= names


@pytest.mark.parametrize("path", sorted(schemagen.SCHEMA_DIR.glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
