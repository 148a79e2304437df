"""Snapshots (site_builder/snapshot.py): the same digest for an untouched folder, a different one
for any change, including an edit that keeps the size and puts the modification time back; with
GNU find and with the Python walk."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder import snapshot
from site_builder.snapshot import Spec

Take = Callable[[list[Spec]], list[str | None]]
WAYS: dict[str, Take] = {"python": snapshot._take_all_in_threads}
if snapshot._gnu_find() is not None:
    WAYS["find"] = snapshot._take_all_with_find


def tree(base: Path) -> Path:
    root = base / "content"
    for unit in range(70):  # more than SPLIT_AT folders at the first level
        for year in (2023, 2024):
            folder = root / f"unit-{unit}" / str(year)
            folder.mkdir(parents=True)
            (folder / "report.yaml").write_text(f"title: 单位{unit} {year}\n", encoding="utf-8")
    (root / "site.yaml").write_text("title: 门户\n", encoding="utf-8")
    return root


def same_size_edit(path: Path) -> None:
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("单位", "部门"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns


CHANGES: dict[str, Callable[[Path], None]] = {
    "same size, time put back": lambda root: same_size_edit(root / "unit-3" / "2024" / "report.yaml"),
    "file added": lambda root: (root / "unit-69" / "2023" / "overview.md").write_text("x", encoding="utf-8"),
    "file removed": lambda root: (root / "unit-5" / "2023" / "report.yaml").unlink(),
    "permissions": lambda root: (root / "site.yaml").chmod(0o600),
    "renamed": lambda root: (root / "unit-7").rename(root / "unit-7b"),
    "link added": lambda root: (root / "unit-8" / "2024" / "tables").symlink_to("/etc"),
}


@pytest.mark.parametrize("way", sorted(WAYS))
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_changes_the_digest(tmp_path: Path, way: str, change: str) -> None:
    take = WAYS[way]
    root = tree(tmp_path)
    before = take([Spec(root)])[0]
    assert before is not None and take([Spec(root)])[0] == before
    time.sleep(0.01)  # past the file system's clock tick
    CHANGES[change](root)
    assert take([Spec(root)])[0] not in (before, None)


@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_folder_changed_just_now_has_no_settled_snapshot(tmp_path: Path, way: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    take = WAYS[way]
    root = tree(tmp_path)
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 1.0)
    time.sleep(2.2)  # RACY_SECONDS, plus up to one second that find's whole-second limit rounds down
    settled = take([Spec(root, settled=True), Spec(root)])
    assert settled[0] is not None and settled[1] is not None
    (root / "unit-40" / "2023" / "report.yaml").write_text("title: 改\n", encoding="utf-8")
    assert take([Spec(root, settled=True)]) == [None]
    assert take([Spec(root)])[0] is not None


@pytest.mark.parametrize("way", sorted(WAYS))
def test_skipped_entries_and_missing_folders(tmp_path: Path, way: str) -> None:
    take = WAYS[way]
    root = tree(tmp_path)
    before = take([Spec(root, frozenset({".git"}))])[0]
    (root / ".git").mkdir()
    os.utime(root, ns=(root.stat().st_atime_ns, root.stat().st_mtime_ns))  # the folder's own status still changed
    (root / ".git" / "index").write_text("x", encoding="utf-8")
    after = take([Spec(root, frozenset({".git"}))])[0]
    assert after is not None and after != before  # the root's change time moved, its .git entries are not read
    (root / ".git" / "index").write_text("y", encoding="utf-8")
    assert take([Spec(root, frozenset({".git"}))])[0] == after
    assert take([Spec(tmp_path / "missing")]) == [None]


LISTED = {"python": snapshot._take_all_in_threads}
if snapshot._gnu_find() is not None:
    LISTED["find"] = snapshot._take_all_with_find


@pytest.mark.parametrize("way", sorted(LISTED))
def test_the_listing_has_every_entry_and_marks_those_changed_just_now(tmp_path: Path, way: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path)
    expected = {p.relative_to(root).as_posix() for p in root.rglob("*")} | {"."}
    listings: list[snapshot.Listing | None] = []
    LISTED[way]([Spec(root)], listings)
    assert listings[0] is not None
    statuses = dict(listings[0].statuses())
    assert set(statuses) == expected and None not in statuses.values()
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 1.0)
    time.sleep(2.2)
    edited = root / "unit-40" / "2023" / "report.yaml"
    edited.write_text("title: 改\n", encoding="utf-8")
    listings = []
    LISTED[way]([Spec(root, settled=True)], listings)
    if way == "python":  # the Python walk gives up on a folder with a racy entry
        assert listings == [None]
        return
    assert listings[0] is not None
    racy = {rel for rel, status in listings[0].statuses() if status is None}
    assert racy == {"unit-40/2023/report.yaml"}


def site_tree(base: Path) -> Path:
    """A tree shaped like an output folder: few folders at the first level, walked from the second."""
    root = base / "site"
    for unit in range(5):
        for year in (2023, 2024):
            folder = root / "units" / f"unit-{unit}" / str(year)
            folder.mkdir(parents=True)
            (folder / "index.html").write_text(f"<p>{unit} {year}</p>", encoding="utf-8")
    (root / "pagefind" / "shard-0").mkdir(parents=True)
    (root / "pagefind" / "shard-0" / "index.pf").write_bytes(b"x" * 10)
    (root / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    return root


def rewrite(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "!", encoding="utf-8")


def rewritten(root: Path) -> list[str]:
    rewrite(root / "units/unit-2/2024/index.html")
    return ["units/unit-2/2024/index.html"]


def added(root: Path) -> list[str]:
    (root / "units/unit-4/2025").mkdir()
    (root / "units/unit-4/2025/index.html").write_text("新", encoding="utf-8")
    return ["units/unit-4/2025/index.html"]


def removed(root: Path) -> list[str]:
    (root / "units/unit-1/2023/index.html").unlink()
    return ["units/unit-1/2023/index.html"]


def new_folder(root: Path) -> list[str]:
    (root / "units/unit-9").mkdir()
    return ["units/unit-9"]


def at_the_top(root: Path) -> list[str]:
    rewrite(root / "index.html")
    return ["index.html"]


#: changes a build makes in its output, each returning the paths (relative to it) it touched
BUILD_CHANGES: dict[str, Callable[[Path], list[str]]] = {
    "rewritten": rewritten, "added": added, "removed": removed, "new folder": new_folder, "at the top": at_the_top}


@pytest.mark.parametrize("way", sorted(LISTED))
@pytest.mark.parametrize("shape", ["content", "site"])
@pytest.mark.parametrize("change", sorted(BUILD_CHANGES))
def test_a_snapshot_taken_again_after_a_build_is_the_one_a_walk_takes(tmp_path: Path, way: str, shape: str,
                                                                       change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if way == "python":  # take_again walks as the listing was walked
        monkeypatch.setattr(snapshot, "_gnu_find", lambda: None)
    root = tree(tmp_path) if shape == "content" else site_tree(tmp_path)
    if shape == "content":
        (root / "units/unit-2/2024").mkdir(parents=True)
        (root / "units/unit-2/2024/index.html").write_text("<p/>", encoding="utf-8")
        (root / "units/unit-1/2023").mkdir(parents=True)
        (root / "units/unit-1/2023/index.html").write_text("<p/>", encoding="utf-8")
        (root / "units/unit-4").mkdir(parents=True)
        (root / "index.html").write_text("<p/>", encoding="utf-8")
    listings: list[snapshot.Listing | None] = []
    LISTED[way]([Spec(root)], listings)
    assert listings[0] is not None
    time.sleep(0.01)
    touched = BUILD_CHANGES[change](root)
    walked = snapshot.take(root)
    assert walked is not None
    assert snapshot.take_again(Spec(root), listings[0], touched) == walked
    assert snapshot.take_again(Spec(root), listings[0], []) != walked or change in ("at the top", "new folder")


@pytest.mark.parametrize("way", sorted(LISTED))
def test_a_change_a_build_did_not_make_is_seen_by_the_next_walk(tmp_path: Path, way: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """take_again keeps what was seen of a folder nothing touched; a change made there meanwhile
    by someone else makes the next snapshot differ from the one taken again."""
    if way == "python":
        monkeypatch.setattr(snapshot, "_gnu_find", lambda: None)
    root = site_tree(tmp_path)
    listings: list[snapshot.Listing | None] = []
    LISTED[way]([Spec(root)], listings)
    assert listings[0] is not None
    time.sleep(0.01)
    rewrite(root / "units/unit-2/2024/index.html")  # the build's change
    same_size_edit_html(root / "units/unit-3/2023/index.html")  # someone else's, meanwhile
    again = snapshot.take_again(Spec(root), listings[0], ["units/unit-2/2024/index.html"])
    assert again is not None and snapshot.take(root) != again


def same_size_edit_html(path: Path) -> None:
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("2023", "2022"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_without_a_temporary_file_for_find_the_walk_runs_in_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """find writes into temporary files (``start_listed``); where none can be made (TMPDIR
    unwritable or full), the snapshot is taken by the Python walk, never refused with a traceback."""
    root = tree(tmp_path)
    expected = snapshot._take_all_in_threads([Spec(root)])

    def no_temporary_file(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot.tempfile, "TemporaryFile", no_temporary_file)
    assert snapshot.take_all([Spec(root)]) == expected
    (digest, listing), = [pending.result() for pending in snapshot.start_listed([Spec(root)])]
    assert digest == expected[0] and listing is not None


@pytest.mark.skipif(snapshot._gnu_find() is None, reason="GNU find")
@pytest.mark.parametrize("read_size", [5, 64, 1 << 22])
def test_find_records_hashed_as_they_are_read_give_the_listed_digest(tmp_path: Path, read_size: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path)
    monkeypatch.setattr(snapshot, "READ_SIZE", read_size)  # boundaries between folders across reads
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 1.0)
    time.sleep(2.2)
    for spec in (Spec(root), Spec(root, settled=True)):
        hashed = snapshot._take_all_with_find([spec])[0]
        assert hashed is not None and hashed == snapshot.take_listed([spec])[0][0]
    (root / "unit-40" / "2023" / "report.yaml").write_text("title: 改\n", encoding="utf-8")
    assert snapshot._take_all_with_find([Spec(root, settled=True)]) == [None] == snapshot.take_listed([Spec(root, settled=True)])[0]
