"""Classification codes: the standard lists and their schema, the codes every sample, fixture, bench
report and seed report prints, codes declared by a content folder (codes.yaml), and the one finding
per unknown code per report.

Expected names and codes come from the published documents (the seeds in /work/shared/seeds, the
sample reports' sources), never from the lists under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from site_builder import classification, loader, rules
from site_builder.classification import Status
from site_builder.render import grids
from site_builder.rules import codes as code_rules
from tests.conftest import REPORT_2023, MiniContent

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "site_builder" / "standards"
CONTENT = ROOT / "content"
MINI = ROOT / "tests" / "fixtures" / "mini"
SEEDS = Path("/work/shared/seeds")
SEED_PAIRS = ROOT / "tests" / "fixtures" / "seed-code-pairs.tsv"
I = f"{REPORT_2023}/tables/income.yaml"  # noqa: E741
E = f"{REPORT_2023}/tables/expenditure.yaml"
G = f"{REPORT_2023}/tables/general_budget_expenditure.yaml"
LISTS = ("function_codes.yaml", "economic_codes.yaml")


# -- the standard lists -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", LISTS)
def test_code_list_is_valid_against_its_schema(name: str) -> None:
    schema = json.loads((STANDARDS / "codes.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load((STANDARDS / name).read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


def test_schema_refuses_a_broken_list() -> None:
    schema = json.loads((STANDARDS / "codes.schema.json").read_text(encoding="utf-8"))
    bad = {"kind": "function", "levels": [3, 5, 7], "years": [2023],
           "codes": {"20101": {"name": "人大事务", "valid": "2023"}, "2010": "四位", "201": ""}}
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(bad)]
    assert len(messages) == 3, messages


@pytest.mark.parametrize("name", LISTS)
def test_code_list_is_sorted_unique_and_complete_upwards(name: str) -> None:
    text = (STANDARDS / name).read_text(encoding="utf-8")
    keys = re.findall(r'^  "(\d+)":', text, flags=re.M)  # yaml.safe_load would hide a repeated key
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys)
    data = yaml.safe_load(text)
    for code in keys:
        assert len(code) in data["levels"], code
        if len(code) > 3:
            assert code[:-2] in keys, f"{code} has no parent {code[:-2]}"


def test_code_lists_are_complete_classifications() -> None:
    """Counts a partial list could not reach: every 类 of the 收入支出决算总表, 款 and 项 well beyond
    the samples (the old lists had 94 function and 106 economic codes)."""
    function = classification.function_codes()
    by_length = {n: sum(1 for c in function.entries if len(c) == n) for n in (3, 5, 7)}
    assert by_length[3] >= 29 and by_length[5] >= 200 and by_length[7] >= 1000, by_length
    economic = classification.economic_codes()
    assert {c for c in economic.entries if len(c) == 3} == {"301", "302", "303", "307", "309", "310", "311", "312", "313", "399"}


def test_years_aliases_and_variants() -> None:
    book = classification.function_codes()
    assert book.years == (2023, 2024)
    # 21010 食品和药品监督管理事务 was abolished by the 2019 reform: known, but not valid in 2023/2024
    assert book.status("21010", 2023) is Status.NOT_VALID
    assert book.status("21010", 2021) is Status.KNOWN  # a year the list does not cover: lenient
    assert book.status("2999999", 2024) is Status.UNKNOWN
    # 207 was 文化体育与传媒支出 before 2019: an old name, accepted only where the list cannot tell
    assert not book.accepts_name("207", "文化体育与传媒支出", 2023)
    assert book.accepts_name("207", "文化体育与传媒支出", 2018)
    assert book.accepts_name("207", "文化旅游体育与传媒支出", 2024)
    economic = classification.economic_codes()
    assert economic.accepts_name("30303", "退职(役)费", 2023)  # seed 000 prints half-width brackets
    assert economic.accepts_name("30901", "房屋建筑物构建", 2023)  # a printed variant (seed 000)
    assert economic.status("39906", 2023) is Status.NOT_VALID


def test_old_names_stay_importable_from_standards() -> None:
    from site_builder import standards

    assert standards.codebook("function") is classification.function_codes()
    assert standards.economic_codes().name("30101") == "基本工资"
    assert isinstance(standards.function_codes(), standards.CodeBook)


# -- every code the repository's content prints is known, with its name ------------------------------
def _coded_rows(root: Path) -> Iterator[tuple[str, int, str, str, str]]:
    """(file, year, kind, code, printed name) of every code row of every report under ``root``."""
    site = loader.load(root).site
    assert site is not None
    for report in site.reports:
        for frame in report.template.tables:
            table = report.tables.get(frame.id)
            if table is None or frame.layout not in ("coded", "economic_detail"):
                continue
            for code in table.sections.get("rows", {}):
                if code.isdigit():
                    yield table.path, report.year, frame.codes, code, table.names.get(code, ("",))[0]


@pytest.mark.parametrize("root", [CONTENT, MINI], ids=["content", "mini"])
def test_every_code_of_the_samples_is_known_with_its_printed_name(root: Path) -> None:
    problems = []
    rows = list(_coded_rows(root))
    assert rows
    for path, year, kind, code, printed in rows:
        book = classification.codebook(kind)
        if book.status(code, year) is not Status.KNOWN:
            problems.append(f"{path}: {code} not known in {year}")
        elif printed and not book.accepts_name(code, printed, year):
            problems.append(f"{path}: {code} {printed!r} ≠ {book.name(code, year)}")
    assert problems == []


def test_every_code_the_bench_generator_writes_is_known(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate.generate(12, tmp_path / "bench", 7, force=True)
    site = loader.load(tmp_path / "bench").site
    assert site is not None and len(site.reports) >= 4
    findings = [f.line() for r in site.reports for f in code_rules.run(r)]
    assert findings == []


# -- the seeds: real published reports of other regions -------------------------------------------
PAIR = re.compile(r"(?<![\d.,])([23]\d{2}(?:\d{1,4})?)\t+([\u4e00-\u9fff][\u4e00-\u9fff（）()、“”]*)")
SEED_YEARS = {"000": 2023, "001": 2024, "003": 2020}

# Pairs the PDF extraction damaged, by seed and line range, with the reason. Each is still checked:
# a cut code must be the prefix of a code that has the printed name.
CUT_FUNCTION_CODES = {("001", range(130, 146)): "7-digit 项 codes printed as their 5-digit 款 (the last two digits lost)"}
CUT_ECONOMIC_CODES = {("001", range(275, 303)): "5-digit 款 codes cut to 4 digits (the last digit lost in the three-column table)"}
NOT_CODES = {("003", 76, "3075652"): "a telephone number (联系电话) before the label 填报日期, not a code"}


def extract_pairs(seed: str, text: str) -> list[tuple[str, int, str, str]]:
    """(seed, line, code, name) of every code printed before a name, once per line."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in PAIR.finditer(line):
            pairs.append((seed, number, match.group(1), match.group(2)))
    return pairs


def _seed_pairs() -> list[tuple[str, int, str, str]]:
    rows = SEED_PAIRS.read_text(encoding="utf-8").splitlines()
    return [(s, int(n), c, name) for s, n, c, name in (row.split("\t") for row in rows if row and not row.startswith("#"))]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed reports are not on this machine")
def test_seed_pairs_snapshot_is_what_the_seeds_print() -> None:
    fresh = []
    for path in sorted(SEEDS.glob("*.txt")):
        fresh += extract_pairs(path.name[:3], path.read_text(encoding="utf-8"))
    assert fresh == _seed_pairs()


def _damage(seed: str, line: int, code: str) -> str:
    for (s, lines), reason in {**CUT_FUNCTION_CODES, **CUT_ECONOMIC_CODES}.items():
        if s == seed and line in lines:
            return reason
    return NOT_CODES.get((seed, line, code), "")


def test_every_seed_code_is_known_with_its_printed_name() -> None:
    pairs = _seed_pairs()
    assert len(pairs) > 200
    unknown, repaired = [], 0
    for seed, line, code, name in pairs:
        year = SEED_YEARS[seed]
        if (seed, line, code) in NOT_CODES:
            continue
        book = classification.codebook("economic" if code.startswith("3") else "function")
        if book.status(code, year) is Status.KNOWN and book.accepts_name(code, name, year):
            continue
        if _damage(seed, line, code):
            # the printed digits begin the real code, and a code beginning so has the printed name
            candidates = [c for c in book.entries if c.startswith(code) and book.accepts_name(c, name, year)]
            if not candidates:
                unknown.append(f"seed {seed}:{line} {code} {name} (damaged: {_damage(seed, line, code)}) cannot be repaired")
            repaired += 1
        else:
            unknown.append(f"seed {seed}:{line} {code} {name} (year {year}; list: {book.name(code, year)})")
    assert unknown == []
    # counted in the seed: 001 lines 130, 132-134, 139, 140, 144, 145 print a 项 name beside its 款 code (8);
    # lines 275-302 print 78 economic pairs, all but 310, 303 and 399 with a 4-digit code (75)
    assert repaired == 8 + 75


# -- codes declared by the content folder ---------------------------------------------------------
def _use_code_in_three_tables(mini: MiniContent, code: str = "2080188", name: str = "") -> None:
    """An empty row of ``code`` under 20801 in the 收入/支出/一般公共预算支出 tables of the 2023 report."""
    named = f"{{name: {name}}}" if name else "{}"
    for rel in (I, E, G):
        mini.replace(rel, '  "2080109":', f'  "{code}": {named}\n  "2080109":')


def test_an_undeclared_code_is_one_finding_per_report(mini: MiniContent) -> None:
    # regression: each table repeated code.unknown (three findings here); now one, at its first row
    _use_code_in_three_tables(mini, name="劳动能力鉴定中心")
    findings = mini.check()
    assert [f.rule for f in findings] == ["code.unknown"], [f.line() for f in findings]
    finding = findings[0]
    assert (finding.place.path, finding.place.line) == mini.place(I, '"2080188"')[:2]
    assert {(p.path, p.line) for p in finding.related} == {mini.place(E, '"2080188"')[:2], mini.place(G, '"2080188"')[:2]}
    for words in ("2080188", "'劳动能力鉴定中心'", "2023", "codes.yaml", '"2080188": {name: 劳动能力鉴定中心, years: [2023]}'):
        assert words in finding.message


def test_a_code_declared_in_codes_yaml_passes_and_names_the_rows(mini: MiniContent) -> None:
    _use_code_in_three_tables(mini)
    mini.write("codes.yaml", 'function:\n  "2080188": {name: 劳动能力鉴定中心, years: [2023], source: 某省2023年政府收支分类科目}\n')
    assert [f.line() for f in mini.check()] == []
    site = loader.load(mini.root).site
    assert site is not None
    report = next(r for r in site.reports if r.year == 2023)
    assert report.codebook("function").name("2080188") == "劳动能力鉴定中心"
    grid = grids.build_grid(report, report.template.table("income"))
    assert "劳动能力鉴定中心" in [c.text for row in grid.body for c in row]  # no printed name: the declared one


def test_a_code_declared_for_another_year_is_still_unknown(mini: MiniContent) -> None:
    _use_code_in_three_tables(mini)
    mini.write("codes.yaml", 'function:\n  "2080188": {name: 劳动能力鉴定中心, years: [2024]}\n')
    assert [f.rule for f in mini.check()] == ["code.unknown"]


def test_a_declared_code_is_checked_for_its_name(mini: MiniContent) -> None:
    _use_code_in_three_tables(mini, name="鉴定中心")
    mini.write("codes.yaml", 'function:\n  "2080188": {name: 劳动能力鉴定中心, years: [2023]}\n')
    assert [f.rule for f in mini.check()] == ["code.name-mismatch"] * 3  # one per printed name


def test_an_abolished_code_is_its_own_finding(mini: MiniContent) -> None:
    mini.replace(I, '  "221":', '  "210": {}\n  "21010": {name: 食品和药品监督管理事务}\n  "221":')
    findings = mini.check()
    assert [f.rule for f in findings] == ["code.not-valid"], [f.line() for f in findings]
    assert "21010" in findings[0].message and "not a code of the 2023 list" in findings[0].message
    # a province that still uses it declares it for the year
    mini.write("codes.yaml", 'function:\n  "21010": {name: 食品和药品监督管理事务, years: [2023]}\n')
    assert [f.line() for f in mini.check()] == []


def test_an_old_name_is_named_as_such(mini: MiniContent) -> None:
    # 20805 was 行政事业单位离退休 before 2019; in 2023 it is 行政事业单位养老支出
    mini.replace(I, '  "221":', '  "20805": {name: 行政事业单位离退休}\n  "221":')
    findings = [f for f in mini.check() if f.rule == "code.name-mismatch"]
    assert len(findings) == 1 and "old name of code 20805" in findings[0].message


@pytest.mark.parametrize(("text", "rule", "severity", "where"), [
    # 2080109 is 社会保险经办机构 in the 2023 list: declaring it otherwise is a conflict
    ('function:\n  "2080109": {name: 社保中心, years: [2023]}\n', "codes.declared-conflict", "warning", (2, 3)),
    ('function:\n  "2080109": {name: 社会保险经办机构, years: [2023, 2024]}\n', "codes.declared-known", "warning", (2, 3)),
    # a 项 whose 款 21691 is known nowhere
    ('function:\n  "2169101": {name: 某项支出, years: [2024]}\n', "codes.declared-parent", "error", (2, 3)),
    ('economic:\n  "3020101": {name: 办公费, years: [2024]}\n', "schema", "error", (2, 3)),
    ('function:\n  "2080188": {name: 劳动能力鉴定中心}\n', "schema", "error", (2, 14)),
])
def test_bad_codes_yaml_entries_are_findings_at_their_line(mini: MiniContent, text: str, rule: str, severity: str,
                                                           where: tuple[int, int]) -> None:
    mini.write("codes.yaml", text)
    findings = mini.check()
    assert [(f.rule, f.severity) for f in findings] == [(rule, severity)], [f.line() for f in findings]
    assert (findings[0].place.path, findings[0].place.line) == ("mini/codes.yaml", where[0])


def test_codes_yaml_has_a_published_schema_and_may_hold_only_comments(mini: MiniContent) -> None:
    from site_builder import schemagen

    assert "codes" in schemagen.all_schemas()
    assert (schemagen.SCHEMA_DIR / "codes.schema.json").is_file()  # the build publishes every file there
    mini.write("codes.yaml", "# codes our reports use that the package lacks\nfunction: {}\n")
    assert [f.line() for f in mini.check()] == []
    mini.write("codes.yaml", "# nothing declared yet\n")
    assert [f.line() for f in mini.check()] == []


def test_codes_yaml_findings_are_reported_once(mini: MiniContent) -> None:
    mini.write("codes.yaml", 'function:\n  "2080109": {name: 社保中心, years: [2023, 2024]}\n')
    assert len(mini.check()) == 1  # two reports, one file: one finding


def test_codes_yaml_is_read_only_through_contentfs(mini: MiniContent, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text('function:\n  "2080188": {name: 劳动能力鉴定中心, years: [2023]}\n', encoding="utf-8")
    mini.path("codes.yaml").symlink_to(outside)
    _use_code_in_three_tables(mini)
    assert {f.rule for f in mini.check()} == {"content.symlink", "code.unknown"}


def test_declared_codes_travel_with_the_report_cheaply() -> None:
    import pickle

    declared = classification.DeclaredCodes("codes.yaml", (classification.CodeEntry("2080188", "x", frozenset({2023}), declared_at="codes.yaml:2"),))
    assert len(pickle.dumps(declared)) < 1000
    assert classification.report_codebook("function", declared) is classification.report_codebook("function", declared)
    assert classification.report_codebook("function", classification.NO_DECLARED) is classification.function_codes()


def test_rules_module_is_registered() -> None:
    assert code_rules in rules.RULE_MODULES
