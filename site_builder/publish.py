"""Publication in place: a rebuild moves only what changed into the live site.

A build with a build cache into a previous complete build writes into its staging folder only the
files that differ from the live site; every other file of the new site is **carried**: it is the
live file, verified untouched since the last build (``build_cache``), and is left where it is. The
staging folder is then published in the manner of ``rsync --delay-updates``:

1. ``.NAME.publishing`` (beside the output; the journal) is written atomically: the staging
   folder's name and the files of the live site that the new site no longer has;
2. every file of the staging folder is renamed into place (``rename`` replaces a file atomically),
   assets and data first, pages next, the marker ``.site-builder-build`` last;
3. the files that are gone are deleted, and the folders left empty;
4. the journal and the empty staging folder are deleted.

A reader of the live site sees at every instant only complete files; while step 2 runs, a page can
be new while a page it links to is not yet. A build killed after step 1 is rolled forward by the
next build into the same output before it does anything else (``roll_forward``, under the lock):
the steps are safe to repeat. Killed before step 1, it leaves only its staging folder, which the
next successful build deletes (``output.remove_leftovers``).

The full swap of a complete new tree (``output.swap_in``) remains for a build without a cache or
without a previous build: it costs a link per file of the site, which at 10,000 reports
(392,000 files) is most of a one-report rebuild.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Container, Iterable, Iterator
from pathlib import Path

MARKER = ".site-builder-build"  # as output.MARKER (output imports this module)
JOURNAL_VERSION = 1


def journal_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.publishing")


def staged_files(staging: Path) -> list[str]:
    """The site paths of the files in ``staging``, in publication order: everything but pages,
    then pages, then the marker (a complete site again once it is in place)."""
    found = list(_files_below(staging))
    return sorted(found, key=lambda path: (path == MARKER, path.endswith(".html"), path))


def _files_below(folder: Path) -> Iterator[str]:
    for parent, _, names in os.walk(folder):
        base = os.path.relpath(parent, folder).replace(os.sep, "/")
        prefix = "" if base == "." else f"{base}/"
        for name in names:
            yield prefix + name


def publish(staging: Path, out: Path, gone: Iterable[str]) -> None:
    """Move every file of ``staging`` into ``out`` and delete ``gone`` from it, journaled. A path of
    ``gone`` that could not be in the site (a tampered cache record) is left out, never deleted."""
    inside = sorted(path for path in gone if _is_site_path(path))
    _write_journal(out, staging, inside)
    _apply(out, staging, {"version": JOURNAL_VERSION, "staging": staging.name, "gone": inside})


def roll_forward(out: Path) -> bool:
    """Finish the publication a killed build left (under the output's lock); True if there was one."""
    journal = _read_journal(out)
    if journal is None:
        return False
    staging = out.with_name(journal["staging"])
    _apply(out, staging, journal)
    return True


def _write_journal(out: Path, staging: Path, gone: list[str]) -> None:
    body = json.dumps({"version": JOURNAL_VERSION, "staging": staging.name, "gone": gone}, ensure_ascii=False)
    temporary = journal_path(out).with_name(f"{journal_path(out).name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, journal_path(out))


def _read_journal(out: Path) -> dict[str, object] | None:
    """The journal if there is one we wrote; one that is not ours is left alone (no publication)."""
    try:
        data = json.loads(journal_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and data.get("version") == JOURNAL_VERSION
            and isinstance(data.get("staging"), str) and _is_staging_name(out, data["staging"])
            and isinstance(data.get("gone"), list) and all(_is_site_path(p) for p in data["gone"])):
        return None
    return data


def _is_staging_name(out: Path, name: str) -> bool:
    return name.startswith(f".{out.name}.building-") and "/" not in name and name not in (".", "..")


def _is_site_path(path: object) -> bool:
    """A relative path inside the site, without ``.`` or ``..`` parts (a journal cannot name a
    file outside the output)."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _apply(out: Path, staging: Path, journal: dict[str, object]) -> None:
    if staging.is_dir() and not staging.is_symlink():
        for path in staged_files(staging):
            _move_into_place(staging / path, out, path)
    gone = journal["gone"]
    assert isinstance(gone, list)
    for path in gone:
        _delete(out, path)
    journal_path(out).unlink(missing_ok=True)
    if staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging)


def _move_into_place(source: Path, out: Path, path: str) -> None:
    """``rename`` the staged file to ``out/path``; a file or link where the new site has a folder,
    or a folder where it has a file, is in the way and goes (the new site has nothing below it)."""
    target = out / path
    parent = out
    for part in path.split("/")[:-1]:
        parent = parent / part
        if os.path.lexists(parent) and (parent.is_symlink() or not parent.is_dir()):
            parent.unlink()
        if not os.path.lexists(parent):
            parent.mkdir()
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(source, target)


def _delete(out: Path, path: str) -> None:
    """Delete ``out/path`` (a file or link; a folder only if a hand put one there) and the folders
    it leaves empty, up to the output."""
    target = out / path
    if not _inside_real_folders(out, path):
        return
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        try:
            target.unlink()
        except FileNotFoundError:
            pass
    parent = target.parent
    while parent != out:
        try:
            parent.rmdir()
        except OSError:  # not empty (or gone already)
            if parent.exists():
                break
        parent = parent.parent


def _inside_real_folders(out: Path, path: str) -> bool:
    """Whether every folder on the way to ``out/path`` is a real folder, not a link (a deletion
    never goes through a link out of the site)."""
    parent = out
    for part in path.split("/")[:-1]:
        parent = parent / part
        if parent.is_symlink() or not parent.is_dir():
            return False
    return True


class SiteView:
    """Where a file of the site being built is read from: the staging folder if it was written
    now, else the live output, for a file carried from it unchanged."""

    def __init__(self, staging: Path, out: Path | None = None, carried: Container[str] | None = None) -> None:
        self.staging, self.out = staging, out
        self.carried = carried if carried is not None else set()  # the build's own set, filled as it goes

    def path(self, site_path: str) -> Path:
        if self.out is not None and site_path in self.carried:
            return self.out / site_path
        return self.staging / site_path


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def link_all(pairs: list[tuple[Path, Path]]) -> bool:
    """``link_or_copy`` every (source, target); on any failure undo the links made and return False."""
    linked: list[Path] = []
    try:
        for source, target in pairs:
            link_or_copy(source, target)
            linked.append(target)
    except OSError:
        for target in linked:
            target.unlink(missing_ok=True)
        return False
    return True
