"""The build cache's file of a year's bulk rows (``build_cache.SealedRows``, ``RowsReader``): read
line by line in any order, and worth nothing when it is truncated, corrupt or of another key."""

from __future__ import annotations

from pathlib import Path

from site_builder.build_cache import RowsReader, SealedRows

LINES = {"units/a/2024/": b'["x",[1]]', "units/a-b/2024/": b'["y",[2]]', "units/c/2024/": b'["z",[3]]'}


def written(path: Path, key: str = "key") -> Path:
    with SealedRows(path, key) as rows:
        for name, data in LINES.items():
            rows.add(name, data)
    return path


def test_lines_are_found_in_any_order(tmp_path: Path) -> None:
    reader = RowsReader(written(tmp_path / "2024"), "key")
    assert reader.names == set(LINES)
    assert reader.get("units/c/2024/") == LINES["units/c/2024/"]  # the others are read past and kept
    assert reader.get("units/new/2024/") is None
    assert reader.get("units/a/2024/") == LINES["units/a/2024/"]
    assert reader.get("units/a-b/2024/") == LINES["units/a-b/2024/"]
    reader.close()


def test_a_file_of_another_key_has_no_lines(tmp_path: Path) -> None:
    assert not RowsReader(written(tmp_path / "2024"), "other").names


def test_a_damaged_file_has_no_lines(tmp_path: Path) -> None:
    path = written(tmp_path / "2024")
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole.replace(b'"y"', b'"w"'), whole + b'"units/d/2024/"\t[]\n', b""):
        path.write_bytes(damaged)
        reader = RowsReader(path, "key")
        assert not reader.names and reader.get("units/a/2024/") is None


def test_nothing_is_put_in_place_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "2024"
    written(path)
    try:
        with SealedRows(path, "key") as rows:
            rows.add("units/a/2024/", b"[]")
            raise RuntimeError("the build stopped")
    except RuntimeError:
        pass
    assert RowsReader(path, "key").get("units/c/2024/") == LINES["units/c/2024/"]
    assert [p.name for p in tmp_path.iterdir()] == ["2024"]
    with SealedRows(path, "key") as rows:
        rows.add("\udcff", b"[]")  # not valid Unicode: nothing more is written, nothing put in place
        rows.add("units/a/2024/", b"[]")
    assert RowsReader(path, "key").get("units/c/2024/") == LINES["units/c/2024/"]
    assert [p.name for p in tmp_path.iterdir()] == ["2024"]
