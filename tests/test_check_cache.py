"""The findings cache of ``check``: a cached check prints exactly what an uncached one prints."""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder import check as check_module
from site_builder.check import check
from site_builder.check_cache import MAGIC, VERSION, cache_file
from site_builder.findings import format_json, format_text
from tests.conftest import MiniContent, run_cli

R2023, R2024 = "demo-center/2023", "demo-center/2024"
GROWTH = "\n收入总计比上年{{收入支出决算总表/收入/总计 比上年 幅度}}。\n"  # 2024 reads a 2023 figure


def outputs(cache: Path | None) -> tuple[str, str, int]:
    result = check(Path("mini"), keep_reports=False, cache=cache)
    return format_text(result.findings), format_json(result.findings), result.reports_checked


def same_with_and_without_cache(cache: Path) -> tuple[str, str, int]:
    uncached = outputs(None)
    assert outputs(cache) == uncached
    return uncached


def reports(mini: MiniContent) -> list[Path]:
    return sorted(p for p in mini.path("demo-center").iterdir() if p.is_dir())


def change_a_figure(mini: MiniContent, rng: random.Random) -> None:
    """One amount of one table of one report, anywhere, becomes another."""
    table = rng.choice(sorted(rng.choice(reports(mini)).glob("tables/*.yaml")))
    text = table.read_text(encoding="utf-8")
    amounts = list(re.finditer(r"\d+\.\d\d", text))
    if amounts:
        hit = rng.choice(amounts)
        text = f"{text[:hit.start()]}{rng.randint(0, 300000)}.{rng.randint(0, 99):02d}{text[hit.end():]}"
        table.write_text(text, encoding="utf-8")


def add_a_report(mini: MiniContent, rng: random.Random) -> None:
    shutil.copytree(rng.choice(reports(mini)), mini.path(f"demo-center/{rng.randint(2019, 2027)}"), dirs_exist_ok=True)


def remove_a_report(mini: MiniContent, rng: random.Random) -> None:
    if len(reports(mini)) > 1:
        shutil.rmtree(rng.choice(reports(mini)))


def edit_the_glossary(mini: MiniContent, rng: random.Random) -> None:
    mini.write("glossary.yaml", mini.read("glossary.yaml") + rng.choice(["\n", "terms: []\n", "  - x\n"]))


def edit_site_yaml(mini: MiniContent, rng: random.Random) -> None:
    mini.write("site.yaml", mini.read("site.yaml") + rng.choice(["\n", "unknown_key: 1\n"]))


def edit_the_previous_year(mini: MiniContent, rng: random.Random) -> None:
    """Blank (or fill again) the 总计 a next year's growth rate reads."""
    path = rng.choice(reports(mini)) / "tables" / "income_expenditure_summary.yaml"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        blank = "  grand_total:\n" in text
        path.write_text(text.replace("  grand_total:\n", "  grand_total: 233.00\n") if blank
                        else text.replace("  grand_total: 233.00", "  grand_total:"), encoding="utf-8")


EDITS: list[Callable[[MiniContent, random.Random], None]] = [
    change_a_figure, add_a_report, remove_a_report, edit_the_glossary, edit_site_yaml, edit_the_previous_year]


def test_random_edits_cached_equals_uncached(mini: MiniContent, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    mini.write(f"{R2024}/explanation.md", mini.read(f"{R2024}/explanation.md") + GROWTH)
    same_with_and_without_cache(cache)
    rng = random.Random(12)
    for _ in range(3):
        for edit in rng.sample(EDITS, len(EDITS)):
            edit(mini, rng)
            same_with_and_without_cache(cache)


def test_a_previous_year_edit_reaches_the_next_report_through_the_cache(mini: MiniContent, tmp_path: Path) -> None:
    """Only 2023 changes, but 2024's finding (a blank previous-year figure) must appear, cached or not."""
    cache = tmp_path / "cache"
    mini.write(f"{R2024}/explanation.md", mini.read(f"{R2024}/explanation.md") + GROWTH)
    assert "narrative.ref-blank" not in same_with_and_without_cache(cache)[0]
    mini.replace(f"{R2023}/tables/income_expenditure_summary.yaml", "  grand_total: 233.00", "  grand_total:", count=2)
    text = same_with_and_without_cache(cache)[0]
    assert f"mini/{R2024}/explanation.md" in text and "[narrative.ref-blank]" in text


def test_unchanged_reports_are_not_checked_again(mini: MiniContent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = outputs(cache)
    checked: list[str] = []
    real = check_module._findings_only

    def counting(job: tuple[object, Path]) -> tuple[bool, list[object]]:
        checked.append(job[1].name)
        return real(job)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "_findings_only", counting)
    assert outputs(cache) == first and checked == []
    mini.write(f"{R2024}/overview.md", mini.read(f"{R2024}/overview.md") + "\n")
    outputs(cache)
    assert checked == ["2024"]
    mini.write(f"{R2023}/overview.md", mini.read(f"{R2023}/overview.md") + "\n")
    outputs(cache)
    assert checked == ["2024", "2023", "2024"]  # 2024 reads 2023 (its previous year)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: b"\x00\xff garbage",
    lambda data: data.replace(b'"rule', b'"RULE', 1),  # body changed, digest not
    lambda data: b"",
], ids=["truncated", "garbage", "tampered", "empty"])
def test_a_damaged_cache_is_ignored_and_rewritten(mini: MiniContent, tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    cache = tmp_path / "cache"
    expected = outputs(cache)
    path = cache_file(cache, Path("mini"))
    good = path.read_bytes()
    path.write_bytes(damage(good))
    assert outputs(cache) == expected
    assert path.read_bytes().startswith(f"{MAGIC} {VERSION} ".encode())


def test_well_formed_but_wrong_entries_are_not_trusted(mini: MiniContent, tmp_path: Path) -> None:
    """A cache file with a valid digest whose entries have the wrong shape: each is checked again."""
    import hashlib
    import json

    cache = tmp_path / "cache"
    expected = outputs(cache)
    path = cache_file(cache, Path("mini"))
    data = json.loads(path.read_bytes().partition(b"\n")[2])
    for entry in data["entries"].values():
        entry[2] = [["rule", 1, ["x", "1", 1]]]  # not a finding
    body = json.dumps(data).encode()
    path.write_bytes(f"{MAGIC} {VERSION} {hashlib.sha256(body).hexdigest()}\n".encode() + body)
    assert outputs(cache) == expected


def test_a_foreign_cache_file_is_ignored(mini: MiniContent, tmp_path: Path) -> None:
    """The cache of another content folder, put in this folder's place, is not used."""
    cache = tmp_path / "cache"
    shutil.copytree(mini.root, tmp_path / "other")
    mini.replace(f"{R2024}/tables/income.yaml", "210000.75", "210000.76")
    outputs(cache)
    expected = outputs(None)
    check(Path("other"), keep_reports=False, cache=cache)
    shutil.copy(cache_file(cache, Path("other")), cache_file(cache, Path("mini")))
    assert outputs(cache) == expected


def test_cli_cached_output_is_byte_identical(mini: MiniContent, tmp_path: Path) -> None:
    mini.replace(f"{R2024}/tables/income.yaml", "210000.75", "210000.76")  # an error, so exit 1
    for output_format in ("text", "json"):
        uncached = mini.cli("check", "mini", "--format", output_format, "--no-cache")
        assert uncached.returncode == 1
        for _ in range(2):  # a cold, then a warm cache
            cached = mini.cli("check", "mini", "--format", output_format, "--cache", "cache")
            assert (cached.returncode, cached.stdout, cached.stderr) == (uncached.returncode, uncached.stdout, uncached.stderr)
    assert list((tmp_path / "cache").glob("check-*.cache")) and not list((tmp_path / "cache").glob(".*tmp"))


def test_no_cache_writes_nothing_and_the_default_follows_xdg(mini: MiniContent, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mini.cli("check", "mini", "--no-cache").returncode == 0
    assert not (tmp_path / "xdg").exists()
    assert mini.cli("check", "mini").returncode == 0
    assert len(list((tmp_path / "xdg" / "site-builder").glob("check-*.cache"))) == 1
    assert not list(mini.root.rglob("*.cache"))  # never inside the content folder


def test_an_unwritable_cache_folder_only_costs_time(mini: MiniContent, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    done = run_cli(tmp_path, "check", "mini", "--cache", "a-file/cache")
    assert (done.returncode, done.stdout) == (0, "") and "Traceback" not in done.stderr


def test_cache_and_no_cache_together_is_a_usage_error(mini: MiniContent) -> None:
    done = mini.cli("check", "mini", "--cache", "c", "--no-cache")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_a_record_written_line_by_line_reads_back_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site record of a large build is written and read a line per file (``write_sealed_lines``),
    in batches of any size."""
    from site_builder import check_cache

    mapping = {f"units/u{i}/2024/tables/t{i % 7}.csv": [i, i * 1000, None if i % 5 else "x"] for i in range(50)}
    mapping["中文/名称.html"] = None
    mapping['a "quoted"\nname'] = [1]
    record = tmp_path / "site"
    files = []
    for chunk in (1, 70, 500, 1 << 20):  # bytes: a line per chunk, several lines, all in one
        monkeypatch.setattr(check_cache, "SEALED_CHUNK", chunk)
        assert check_cache.write_sealed_lines(record, MAGIC, VERSION, "key", iter(mapping.items()))
        assert check_cache.read_sealed_lines(record, MAGIC, VERSION) == ("key", mapping)
        files.append(record.read_bytes())
    assert len(set(files)) == 1
    assert check_cache.write_sealed_lines(record, MAGIC, VERSION, "key", iter([]))
    assert check_cache.read_sealed_lines(record, MAGIC, VERSION) == ("key", {})


@pytest.mark.parametrize("damage", [
    lambda data: data[:-1],  # truncated
    lambda data: data.replace(b"units/u3", b"units/u4", 1),  # changed, digest kept
    lambda data: data.replace(b" 2 ", b" 1 ", 1),  # another version
    lambda data: b"",
])
def test_a_damaged_line_record_is_not_read(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    from site_builder import check_cache

    record = tmp_path / "site"
    assert check_cache.write_sealed_lines(record, MAGIC, "2", "key", iter({f"units/u{i}": [i] for i in range(9)}.items()))
    record.write_bytes(damage(record.read_bytes()))
    assert check_cache.read_sealed_lines(record, MAGIC, "2") is None


def test_a_record_whose_lines_are_not_pairs_is_not_read(tmp_path: Path) -> None:
    """Sealed as ours but not of this shape (a whole-document record of an earlier version, a line
    that is not a [name, value] pair): not trusted."""
    import hashlib

    from site_builder import check_cache

    record = tmp_path / "site"
    for body in (b'["key",{"a":[1]}]', b'"key"\n["a",1,2]\n', b'"key"\n[1,1]\n', b'"key"\n["a",1]'):
        record.write_bytes(f"{MAGIC} {VERSION} {hashlib.sha256(body).hexdigest()}\n".encode() + body)
        assert check_cache.read_sealed_lines(record, MAGIC, VERSION) is None
    body = b'"key"\n["a",1]\n'
    record.write_bytes(f"{MAGIC} {VERSION} {hashlib.sha256(body).hexdigest()}\n".encode() + body)
    assert check_cache.read_sealed_lines(record, MAGIC, VERSION) == ("key", {"a": 1})


def test_a_record_that_is_not_json_writes_nothing(tmp_path: Path) -> None:
    from site_builder import check_cache

    target = tmp_path / "site"
    assert check_cache.write_sealed_lines(target, MAGIC, VERSION, "key", iter([("a", 1)]))
    before = target.read_bytes()
    assert not check_cache.write_sealed_lines(target, MAGIC, VERSION, "key", iter([("a", 1), ("\udcff", 2)]))
    assert target.read_bytes() == before  # the earlier file stays; no temporary file is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
