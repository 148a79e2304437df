"""A build split across machines (issue 12, parts.py): parts built in separate folders and combined
give the site a single build gives, byte for byte; a part that is corrupt, foreign or hostile is
not used (its reports are rendered again) or refused, never published as it is."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import check_cache, parts
from site_builder.cli import main
from site_builder.shards import SHARD_REPORTS_VARIABLE
from tests.test_incremental import assert_same_site

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``content/`` (16 generated reports and the samples), two parts built with 3
    reports per search shard, their combination and a fresh build of the same content."""
    folder = tmp_path_factory.mktemp("parts")
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--reports", "16", "--out",
                    str(folder / "content"), "--seed", "3"], check=True, capture_output=True)
    for unit in (REPO / "content").iterdir():
        if unit.is_dir():
            shutil.copytree(unit, folder / "content" / unit.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv(SHARD_REPORTS_VARIABLE, "3")
        for number in (1, 2):
            assert main(["build", "content", "--part", f"{number}/2", "--out", f"part{number}"]) == 0
        assert main(["build", "content", "--out", "fresh", "--no-cache"]) == 0
    return folder


def combine(folder: Path, capsys: pytest.CaptureFixture[str], *args: str, shard_reports: str = "3") -> tuple[int, str]:
    """``site-builder combine`` run in ``folder``: exit code and what it printed on stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv(SHARD_REPORTS_VARIABLE, shard_reports)
        capsys.readouterr()
        code = main(["combine", *args, "--content", "content", "--no-cache"])
    return code, capsys.readouterr().err


def reused_from_parts(err: str) -> tuple[int, int, int]:
    """(reports, shards, reports rendered here) as combine prints them."""
    found = re.search(r"reused from the parts: (\d+) reports, (\d+) search shards; rendered here: (\d+)", err)
    assert found, err
    return int(found[1]), int(found[2]), int(found[3])


def reports_in(folder: Path) -> int:
    return len(list((folder / "content").glob("*/[0-9][0-9][0-9][0-9]")))


def test_two_parts_combine_into_the_site_a_single_build_writes(sharded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = combine(sharded, capsys, "part1", "part2", "--out", "site")
    assert code == 0, err
    assert_same_site(sharded / "site", sharded / "fresh")
    reports, shards_reused, rendered_here = reused_from_parts(err)
    assert (reports, rendered_here) == (reports_in(sharded), 0)
    bundles = [p.name for p in (sharded / "fresh" / "pagefind").iterdir() if p.is_dir() and p.name not in ("cells", "directory")]
    site_shards = [name for name in bundles if name == "site" or name.startswith("site-")]
    assert shards_reused == len(bundles) - len(site_shards) > 2  # every report shard was indexed in a part, none again
    assert f"search index: {len(site_shards)} shards" in err  # only the site-wide shards (site, unit pages)


def test_a_part_holds_whole_shards_and_only_its_reports_files(sharded: Path) -> None:
    one, two = (json_of(sharded / f"part{n}") for n in (1, 2))
    assert set(one["reports"]).isdisjoint(two["reports"])
    assert len(one["reports"]) + len(two["reports"]) == reports_in(sharded)
    assert set(one["shards"]).isdisjoint(two["shards"]) and one["shards"] and two["shards"]
    for part in (sharded / "part1", sharded / "part2"):
        top = {p.name for p in (part / "site").iterdir()}
        assert top == {"units", "pagefind"}  # no home page, no site-wide file
        assert not (part / "site" / "index.html").exists()


def json_of(part: Path) -> dict:
    data = check_cache.read_sealed(part / parts.MANIFEST, parts.MAGIC, parts.VERSION)
    assert isinstance(data, dict)
    return data


def test_a_corrupt_file_in_a_part_is_not_used(sharded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "part1"
    shutil.copytree(sharded / "part1", broken)
    data = json_of(broken)
    folder, entry = sorted(data["reports"].items())[0]
    csv = next(path for path in entry["files"] if path.endswith(".csv"))
    target = broken / "site" / csv
    target.write_bytes(target.read_bytes().replace(b"0", b"9", 1))  # same size, another figure
    bundle_file = next((broken / "site" / "pagefind").glob("*/*.pf_meta"))
    bundle_file.write_bytes(bundle_file.read_bytes() + b"x")
    shutil.copytree(sharded / "content", tmp_path / "content")
    shutil.copytree(sharded / "part2", tmp_path / "part2")
    code, err = combine(tmp_path, capsys, "part1", "part2", "--out", "site")
    assert code == 0, err
    assert_same_site(tmp_path / "site", sharded / "fresh")
    reports, shards_reused, rendered_here = reused_from_parts(err)
    assert rendered_here == 1 and reports == reports_in(sharded) - 1
    assert shards_reused == len(json_of(sharded / "part1")["shards"]) + len(json_of(sharded / "part2")["shards"]) - 1


def test_a_part_cannot_write_outside_its_reports_folders(sharded: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A manifest (resealed, as anyone can) that names the home page or a path out of the site for
    a report: the report is rendered here instead, and the home page is the site's own."""
    hostile = tmp_path / "part1"
    shutil.copytree(sharded / "part1", hostile)
    data = json_of(hostile)
    names = sorted(data["reports"])
    (hostile / "site" / "index.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    digest = parts.files_with_digests(hostile / "site")
    data["reports"][names[0]]["files"]["index.html"] = dict(digest)["index.html"]
    data["reports"][names[1]]["files"]["../../escaped.html"] = data["reports"][names[1]]["summary_file"]
    data["reports"][names[2]]["summary_file"] = "../../" + "0" * 58
    assert check_cache.write_sealed(hostile / parts.MANIFEST, parts.MAGIC, parts.VERSION, data)
    shutil.copytree(sharded / "content", tmp_path / "content")
    code, err = combine(tmp_path, capsys, "part1", str(sharded / "part2"), "--out", "site")
    assert code == 0, err
    assert_same_site(tmp_path / "site", sharded / "fresh")
    assert reused_from_parts(err)[2] == 3
    assert not (tmp_path / "escaped.html").exists()


def test_parts_of_other_settings_or_no_parts_are_refused(sharded: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = combine(sharded, capsys, "part1", "part2", "--out", str(tmp_path / "site"), shard_reports="4")
    assert code == 2 and "part1: built by another version of site-builder, or with other search shard settings" in err
    (tmp_path / "empty").mkdir()
    code, err = combine(sharded, capsys, str(tmp_path / "empty"), "--out", str(tmp_path / "site"))
    assert code == 2 and "not a part folder" in err
    code, err = combine(sharded, capsys, "part1", "part2", "--out", "part2")
    assert code == 2 and "part folder" in err
    assert not (tmp_path / "site").exists()
    json_of(sharded / "part2")  # untouched


def test_part_numbers_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for wrong in ("3/2", "0/2", "1", "a/b", "1/0"):
        assert main(["build", str(REPO / "content"), "--part", wrong, "--out", str(tmp_path / "p")]) == 2
        assert "--part must be K/N" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_a_single_index_site_combines_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The samples (one search index of every page): parts take every other report, combine indexes."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SHARD_REPORTS_VARIABLE, raising=False)
    for number in (1, 2):
        assert main(["build", "content", "--part", f"{number}/2", "--out", f"part{number}"]) == 0
    assert not list((tmp_path / "part1" / "site" / "pagefind").glob("*/pagefind-entry.json"))
    assert main(["build", "content", "--out", "fresh", "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["combine", "part1", "part2", "--content", "content", "--out", "site"]) == 0
    err = capsys.readouterr().err
    assert reused_from_parts(err) == (reports_in(tmp_path), 0, 0)
    assert_same_site(tmp_path / "site", tmp_path / "fresh")


def test_a_part_with_errors_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    table = sorted((tmp_path / "content").glob("*/[0-9]*/tables/*.yaml"))[0]
    table.write_text("rows: [\n", encoding="utf-8")  # not YAML
    codes = [main(["build", "content", "--part", f"{n}/2", "--out", f"part{n}"]) for n in (1, 2)]
    assert 1 in codes and "build refused" in capsys.readouterr().err
    assert not (tmp_path / f"part{codes.index(1) + 1}").exists()


def test_shards_are_dealt_evenly_and_each_to_one_part() -> None:
    from collections import Counter

    sizes = Counter({"2021-0": 430, "2022-0": 500, "2022-1": 195, "2023-0": 500, "2023-1": 267, "2024-0": 500,
                     "2024-1": 185, "2025-0": 423, "site": 0})  # a 3,000-report portal's shards
    for count in (1, 2, 3, 4, 12):
        dealt = parts.balanced(sizes, count)
        assert len(dealt) == count and sorted(s for part in dealt for s in part) == sorted(sizes)
        totals = [sum(sizes[s] for s in part) for part in dealt]
        assert max(totals) - min(totals) <= max(sizes.values())
        assert parts.balanced(sizes, count) == dealt
    assert sorted(sum(sizes[s] for s in part) for part in parts.balanced(sizes, 2)) == [1462, 1538]


def test_a_combined_site_is_the_next_builds_previous_build(sharded: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``combine`` remembers the reports it took from the parts, so the next build into the same
    output re-renders only what changed since."""
    shutil.copytree(sharded / "content", tmp_path / "content")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        patch.setenv(SHARD_REPORTS_VARIABLE, "3")
        cache = ["--cache", str(tmp_path / "cache")]
        capsys.readouterr()
        assert main(["combine", str(sharded / "part1"), str(sharded / "part2"), "--content", "content",
                     "--out", "site", *cache]) == 0
        edited = next(p for p in sorted((tmp_path / "content").glob("*/[0-9][0-9][0-9][0-9]/explanation.md"))
                      if not (p.parent.parent / str(int(p.parent.name) + 1)).exists())  # no next year reads it
        edited.write_text(edited.read_text(encoding="utf-8") + "\n本单位无其他需要说明的事项。\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["build", "content", "--out", "site", *cache]) == 0
        err = capsys.readouterr().err
        assert f"reused from the previous build: {reports_in(tmp_path) - 1} reports" in err, err
        assert main(["build", "content", "--out", "fresh", "--no-cache"]) == 0
    assert_same_site(tmp_path / "site", tmp_path / "fresh")
