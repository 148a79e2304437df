"""The output's record of its files (stamps.SiteStamps): the same statuses as ``os.lstat`` gives,
written and read back a line per folder, and a tampered record refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from site_builder import check_cache
from site_builder.stamps import FilesOf, SiteStamps, walk_record_lines


def tree(root: Path) -> None:
    for path, text in {"index.html": "home", "units/a/2024/index.html": "a", "units/a/2024/t.csv": "1,2",
                       "units/a/index.html": "unit a", "units/b/2024/index.html": "b", "pagefind/x/y.pf": "z"}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    (root / "units" / "a" / "link.html").symlink_to(root / "index.html")
    (root / "empty").mkdir()


def by_lstat(root: Path) -> dict[str, list[int] | None]:
    """Every entry that is not a folder, by an independent walk."""
    found: dict[str, list[int] | None] = {}
    for folder, folders, files in os.walk(root):
        for name in files + [d for d in folders if os.path.islink(os.path.join(folder, d))]:
            status = os.lstat(os.path.join(folder, name))
            path = Path(folder, name).relative_to(root).as_posix()
            found[path] = [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino] \
                if stat.S_ISREG(status.st_mode) else None
    return found


def test_a_walk_gives_every_file_with_its_status(tmp_path: Path) -> None:
    tree(tmp_path)
    walked = SiteStamps.walk(tmp_path)
    expected = by_lstat(tmp_path)
    assert dict(walked.items()) == expected
    assert walked == expected and len(walked) == len(expected) == 7
    assert walked["units/a/link.html"] is None and not walked.all_regular()
    assert "units/a/2024/t.csv" in walked and "units/a/2024" not in walked and "empty" not in walked
    assert walked.get("units/c/index.html") is None
    with pytest.raises(KeyError):
        walked["nowhere.html"]
    assert dict(walked.items_below("units/a/")) == {p: s for p, s in expected.items() if p.startswith("units/a/")}


def test_the_record_reads_back_as_written(tmp_path: Path) -> None:
    tree(tmp_path / "site")
    record = tmp_path / "record"
    assert check_cache.write_sealed_lines(record, "magic", "1", "key", walk_record_lines(tmp_path / "site"))
    key, lines = check_cache.read_sealed_lines(record, "magic", "1")  # type: ignore[misc]
    assert key == "key" and len(lines) == 5  # one line per folder holding files
    assert SiteStamps.from_record(lines) == SiteStamps.walk(tmp_path / "site") == by_lstat(tmp_path / "site")
    walked = SiteStamps.walk(tmp_path / "site")
    assert SiteStamps.from_record(dict(walked.record_lines())) == walked


@pytest.mark.parametrize("tamper", ["a name that is a path", "names unsorted", "a status missing", "not base64",
                                    "a folder without its slash", "a name twice", "a folder outside", "a name up"])
def test_a_tampered_record_is_no_record(tmp_path: Path, tamper: str) -> None:
    tree(tmp_path)
    lines = dict(SiteStamps.walk(tmp_path).record_lines())
    names, packed = lines["units/a/2024/"]
    if tamper == "a name that is a path":
        lines["units/a/2024/"] = [["../../x", "t.csv"], packed]
    elif tamper == "names unsorted":
        lines["units/a/2024/"] = [list(reversed(names)), packed]
    elif tamper == "a status missing":
        lines["units/a/2024/"] = [names, packed[:-12]]
    elif tamper == "not base64":
        lines["units/a/2024/"] = [names, "*" + packed[1:]]
    elif tamper == "a folder without its slash":
        lines["units/a/2024"] = lines.pop("units/a/2024/")
    elif tamper == "a folder outside":
        lines["units/../../"] = lines.pop("units/a/2024/")
    elif tamper == "a name up":
        lines["units/a/2024/"] = [sorted([*names[1:], ".."]), packed]
    else:
        lines["units/a/2024/"] = [[names[0], names[0]], packed]
    assert SiteStamps.from_record(lines) is None


def test_updated_changes_only_the_folders_it_touches(tmp_path: Path) -> None:
    tree(tmp_path)
    walked = SiteStamps.walk(tmp_path)
    new = walked.updated(["units/b/2024/index.html", "units/a/2024/t.csv"], {"units/a/2024/u.csv": [1, 2, 3, 4],
                                                                             "index.html": [5, 6, 7, 8]})
    expected = by_lstat(tmp_path)
    del expected["units/b/2024/index.html"], expected["units/a/2024/t.csv"]
    expected.update({"units/a/2024/u.csv": [1, 2, 3, 4], "index.html": [5, 6, 7, 8]})
    assert new == expected and dict(walked.items()) == by_lstat(tmp_path)  # the old one is unchanged
    assert "units/b/2024/index.html" not in new and len(new) == len(expected)
    assert new._folders["pagefind/x/"] is walked._folders["pagefind/x/"]  # shared, not copied
    assert "units/b/2024/" not in new._folders  # a folder left without files


def test_a_set_of_the_files_holds_what_a_set_of_their_paths_would(tmp_path: Path) -> None:
    tree(tmp_path)
    walked = SiteStamps.walk(tmp_path)
    carried, expected = FilesOf(walked), set()
    for path in ["units/a/2024/t.csv", "index.html", "units/a/2024/index.html", "index.html", "pagefind/x/y.pf"]:
        carried.add(path)
        expected.add(path)
    carried.discard("units/a/2024/index.html")
    expected.discard("units/a/2024/index.html")
    carried.discard("units/a/2024/index.html")  # twice: nothing
    carried.difference_update(["pagefind/x/y.pf", "units/b/nowhere.html"])
    expected.discard("pagefind/x/y.pf")
    assert set(carried) == expected and len(carried) == len(expected) == 2
    assert "index.html" in carried and "units/a/2024/index.html" not in carried and "units/b/nowhere.html" not in carried
    assert set(carried.others()) == set(walked) - expected
    with pytest.raises(ValueError, match="not a file of the output"):
        carried.add("units/c/new.html")


def test_a_set_of_the_files_of_a_large_folder(tmp_path: Path) -> None:
    """Positions past the first machine word of a folder's bits (the search directory has 4,096 files)."""
    for number in range(300):
        (tmp_path / f"{number:04d}.pf").write_bytes(b"")
    carried = FilesOf(SiteStamps.walk(tmp_path))
    chosen = {f"{number:04d}.pf" for number in (0, 63, 64, 65, 128, 299)}
    carried.update(chosen)
    assert set(carried) == chosen and len(set(carried.others())) == 294
