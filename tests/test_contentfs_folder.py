"""``contentfs.Folder`` (a folder held open, read through ``dir_fd``) gives exactly what the path
functions give for every kind of entry, and ``display_path`` of an absolute path what ``relpath`` gives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from site_builder import contentfs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links and FIFOs need a POSIX system")

LIMIT = 64


def _content(base: Path) -> tuple[Path, Path]:
    """A content root with a report-like folder holding one entry of every kind."""
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("secret: 1\n", encoding="utf-8")
    root = base / "c"
    folder = root / "unit" / "2023"
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "expenditure.yaml").write_text("rows:\n  total: 1\n", encoding="utf-8")
    (folder / "report.yaml").write_text("template: shanxi-2023\n", encoding="utf-8")
    (folder / "bom.md").write_bytes(b"\xef\xbb\xbf# title\n")
    (folder / "latin1.md").write_bytes("caf\xe9\n".encode("latin-1"))
    (folder / "big.md").write_bytes(b"x" * (LIMIT + 1))
    (folder / "exact.md").write_bytes(b"y" * LIMIT)
    (folder / "empty.md").write_bytes(b"")
    (folder / "dir.md").mkdir()
    (folder / "link.yaml").symlink_to(outside / "secret.yaml")
    (folder / "dangling.yaml").symlink_to(base / "nothing")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "fifo.md")
    return root, folder


NAMES = ("report.yaml", "bom.md", "latin1.md", "big.md", "exact.md", "empty.md", "dir.md", "link.yaml",
         "dangling.yaml", "linked", "fifo.md", "missing.md", "tables", "a/b", "..", ".", "")


def test_folder_reads_as_the_path_functions(tmp_path: Path) -> None:
    root, folder = _content(tmp_path)
    opened = contentfs.Folder.open(root, folder)
    assert opened is not None
    with opened:
        assert opened.list_dir() == contentfs.list_dir(root, folder)
        for name in NAMES:
            path = folder / name
            for required in (True, False):
                assert opened.read_text(name, LIMIT, required) == contentfs.read_text(root, path, LIMIT, required), name
                assert opened.read_bytes(name, LIMIT, required) == contentfs.read_bytes(root, path, LIMIT, required), name
            assert opened.kind(name) == contentfs.kind(root, path), name
        tables = opened.sub("tables")
        assert tables is not None
        with tables:
            assert tables.list_dir() == contentfs.list_dir(root, folder / "tables")
            assert tables.read_text("expenditure.yaml", LIMIT) == contentfs.read_text(root, folder / "tables" / "expenditure.yaml", LIMIT)
        for name in ("linked", "fifo.md", "report.yaml", "missing", "..", "a/b"):
            assert opened.sub(name) is None, name  # not a listed folder: read by path, with its findings


def test_folder_is_not_opened_through_a_link(tmp_path: Path) -> None:
    root, folder = _content(tmp_path)
    (root / "alias").symlink_to(root / "unit", target_is_directory=True)
    assert contentfs.Folder.open(root, root / "alias" / "2023") is None
    assert contentfs.Folder.open(root, folder / "linked") is None
    assert contentfs.Folder.open(root, tmp_path / "outside") is None
    assert contentfs.Folder.open(root, folder / "missing") is None
    assert contentfs.Folder.open(root, folder / "report.yaml") is None


def test_display_path_of_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    paths = [tmp_path / "a" / "b" / "x.yaml", tmp_path / "a" / "x.yaml", tmp_path / "x.yaml", Path("/x.yaml"),
             Path(f"{tmp_path}//a/./b/x.yaml"), Path(f"{tmp_path}/a/../a/b/x.yaml")]
    texts = [str(p) for p in paths] + [f"{tmp_path}/a/b/", f"{tmp_path}/a/b/.", f"{tmp_path}/a/b/..",
                                       f"{tmp_path}//a/./b/x.yaml", f"{tmp_path}/a/../a/b/x.yaml", "//x.yaml"]
    for cwd in (tmp_path, inner, tmp_path / "a", Path("/")):
        monkeypatch.chdir(cwd)
        for text in texts:
            assert contentfs.display_path(text) == os.path.relpath(text), (cwd, text)
