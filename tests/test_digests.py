"""The compact record of every file a build writes (site_builder/digests.py)."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from site_builder.digests import FolderDigests, SiteDigests, TwiceWritten, compact, files_below, folder_of
from site_builder.output import MARKER, write_marker


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


REPORT = {
    "units/water/2024/index.html": sha("page"),
    "units/water/2024/income.csv": sha("income"),
    "units/water/2024/attachments/project-01/index.html": sha("form"),
}


def test_a_reports_files_are_kept_in_their_folder_with_the_same_digests() -> None:
    kept = compact(REPORT)
    assert isinstance(kept, FolderDigests)
    assert kept.folder == "units/water/2024/"
    assert dict(kept) == REPORT
    assert len(kept) == 3
    assert "units/water/2023/index.html" not in kept
    with pytest.raises(KeyError):
        kept["units/water/2024/missing.csv"]


def test_files_without_a_shared_folder_stay_as_they_are() -> None:
    scattered = {"index.html": sha("home"), "units/index.html": sha("list")}
    assert compact(scattered) is scattered
    assert folder_of({"units/a/x.html": "1", "units/b/y.html": "2"}) == "units/"


def test_pickled_from_a_worker_the_names_are_shared_between_reports() -> None:
    other = {path.replace("water", "roads"): digest for path, digest in REPORT.items()}
    first, second = (pickle.loads(pickle.dumps(compact(files))) for files in (REPORT, other))
    assert dict(first) == REPORT and dict(second) == other
    assert first._names is second._names


def test_the_site_holds_reports_and_other_files_and_counts_each_once() -> None:
    site = SiteDigests()
    site.add(compact(REPORT))
    site.add({"units/water/index.html": sha("unit page"), "index.html": sha("home")})
    site["pagefind/pagefind.js"] = sha("bundle")
    assert len(site) == 6
    assert sorted(site) == sorted([*REPORT, "units/water/index.html", "index.html", "pagefind/pagefind.js"])
    assert site["units/water/2024/income.csv"] == sha("income")
    assert site.get("units/water/2024/expenditure.csv") is None
    roads = {path.replace("water", "roads"): sha(path + " roads") for path in REPORT}
    site.add(compact(roads))
    for path in [*roads, *REPORT, *reversed(roads)]:  # the folder of the last path looked up changes
        assert site[path] == (roads | REPORT)[path]


@pytest.mark.parametrize("second", [
    {"units/water/2024/index.html": sha("a unit page written into the report's folder")},
    compact({"units/water/2024/index.html": sha("a second report"), "units/water/2024/x.csv": sha("x")}),
    compact({"units/water/2024/attachments/project-01/index.html": sha("nested"),
             "units/water/2024/attachments/project-01/form.csv": sha("form csv")}),
])
def test_a_path_written_twice_is_refused(second: dict[str, str]) -> None:
    site = SiteDigests()
    site.add(compact(REPORT))
    with pytest.raises(TwiceWritten):
        site.add(second)


def test_a_report_folder_after_site_files_inside_it_is_checked_file_by_file() -> None:
    site = SiteDigests()
    site.add({"units/water/2024/stray.html": sha("stray")})
    site.add(compact(REPORT))
    assert len(site) == 4 and site["units/water/2024/index.html"] == sha("page")
    with pytest.raises(TwiceWritten):
        site.add(compact({"units/water/2024/stray.html": sha("again"), "units/water/2024/y.csv": sha("y")}))


def test_the_marker_lists_every_file_in_sorted_order_walking_one_folder_at_a_time(tmp_path: Path) -> None:
    site = tmp_path / "site"
    names = ["a-c.html", "a/b.html", "a/c/d.csv", "a.b/x", "ab", "单位/2024/index.html", "单位-2/x", "z/y/x/w.txt"]
    for name in names:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(name, encoding="utf-8")
    (site / "linked").symlink_to(site / "a", target_is_directory=True)  # os.walk does not follow it
    known = {"ab": sha("recorded")}
    write_marker(site, known)
    lines = (site / MARKER).read_text(encoding="utf-8").splitlines()[1:]
    listed = [line.split("  ", 1)[1] for line in lines]
    assert listed == sorted(names)
    assert lines[listed.index("ab")].startswith(sha("recorded"))
    assert lines[listed.index("a/b.html")].startswith(hashlib.sha256(b"a/b.html").hexdigest())


def test_files_below_a_folder_are_hashed_by_their_site_paths_links_left_out(tmp_path: Path) -> None:
    for name in ["a.json", "b/c.json", "b/d/e.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name, encoding="utf-8")
    (tmp_path / "link.json").symlink_to(tmp_path / "a.json")
    digests = files_below("pagefind/cells/", str(tmp_path))
    assert dict(digests) == {f"pagefind/cells/{name}": sha(name) for name in ["a.json", "b/c.json", "b/d/e.json"]}
    assert len(files_below("pagefind/cells/", str(tmp_path / "missing"))) == 0
