"""The status of every file of an output folder, by site path, held per folder.

A build with a cache reads the record of the previous output's files and their status
(``full_stamp``: size, modification time, change time, inode), and a build published in place
may walk the live output for the same. At 10,000 reports that is 399,266 files: as a dict of path
and list it took 160 MB of the build's main process and 1.4 s to read, a line per file, and it
grows with the portal (issue 12). ``SiteStamps`` keeps, per folder, the names of its files (one
tuple shared by every folder with the same names, sorted) and their statuses packed in one array
of 64-bit integers; the record is written and read a line per folder.
"""

from __future__ import annotations

import base64
import os
import stat
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, MutableSet
from typing import Any

from site_builder.digests import shared_names

FIELDS = 4  # size, modification time (ns), change time (ns), inode
_NOT_A_FILE = (-1, -1, -1, -1)  # an entry that is not a regular file (a link, a socket…): ``None``
_SWAP = sys.byteorder != "little"  # the record holds little-endian integers
_GONE = object()


def status_of(status: os.stat_result) -> list[int] | None:
    """The status a record keeps of a directory entry: None for one that is not a regular file."""
    if not stat.S_ISREG(status.st_mode):
        return None
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


class _Folder:
    """The files directly in one folder: sorted names and their statuses, ``FIELDS`` integers each."""

    __slots__ = ("names", "positions", "packed")

    def __init__(self, names: tuple[str, ...], packed: array) -> None:
        self.names, self.positions = shared_names(names)
        self.packed = packed

    @classmethod
    def of(cls, entries: Iterable[tuple[str, list[int] | None]]) -> _Folder:
        ordered = sorted(entries)
        packed = array("q")
        for _, status in ordered:
            packed.extend(status if status is not None else _NOT_A_FILE)
        return cls(tuple(name for name, _ in ordered), packed)

    def status(self, number: int) -> list[int] | None:
        start = number * FIELDS
        found = self.packed[start:start + FIELDS].tolist()
        return None if found[0] < 0 else found

    def items(self) -> Iterator[tuple[str, list[int] | None]]:
        return ((name, self.status(number)) for number, name in enumerate(self.names))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Folder) and self.names == other.names and self.packed == other.packed


class SiteStamps(Mapping[str, "list[int] | None"]):
    """``full_stamp`` of every file below an output folder, by ``/``-separated site path (None for
    an entry that is not a regular file). Read-only; ``updated`` makes the next build's."""

    __slots__ = ("_folders", "_count")

    def __init__(self, folders: dict[str, _Folder] | None = None) -> None:
        self._folders = folders or {}  # folder ("" or ending with "/") -> its files
        self._count = sum(len(folder.names) for folder in self._folders.values())

    @classmethod
    def walk(cls, top: str | os.PathLike[str]) -> SiteStamps:
        """Every entry below ``top`` that is not a folder, one ``lstat`` each (links not followed)."""
        return cls({folder: _Folder.of(entries) for folder, entries in walk_folders(os.fspath(top))})

    def get(self, path: str, default: Any = None) -> Any:
        cut = path.rfind("/") + 1
        folder = self._folders.get(path[:cut])
        number = folder.positions.get(path[cut:]) if folder is not None else None
        return default if number is None or folder is None else folder.status(number)

    def __getitem__(self, path: str) -> list[int] | None:
        cut = path.rfind("/") + 1
        folder = self._folders.get(path[:cut])
        number = folder.positions.get(path[cut:]) if folder is not None else None
        if number is None or folder is None:
            raise KeyError(path)
        return folder.status(number)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        cut = path.rfind("/") + 1
        folder = self._folders.get(path[:cut])
        return folder is not None and path[cut:] in folder.positions

    def __iter__(self) -> Iterator[str]:
        for prefix, folder in self._folders.items():
            for name in folder.names:
                yield prefix + name

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SiteStamps):
            return self._count == other._count and self._folders == other._folders
        return Mapping.__eq__(self, other)

    def items_below(self, prefix: str) -> Iterator[tuple[str, list[int] | None]]:
        """The files whose path starts with ``prefix`` (only the folders that may hold some are read)."""
        for name, folder in self._folders.items():
            if name.startswith(prefix) or prefix.startswith(name):
                for file, status in folder.items():
                    if (path := name + file).startswith(prefix):
                        yield path, status

    def all_regular(self) -> bool:
        """Whether every entry is a regular file."""
        return all(min(folder.packed[::FIELDS], default=0) >= 0 for folder in self._folders.values())

    def updated(self, gone: Iterable[str], written: Mapping[str, list[int] | None]) -> SiteStamps:
        """These stamps without the ``gone`` paths, with ``written`` set: the folders neither
        touches are shared, not copied."""
        changes: dict[str, dict[str, list[int] | None | object]] = {}
        for path in gone:
            cut = path.rfind("/") + 1
            changes.setdefault(path[:cut], {})[path[cut:]] = _GONE
        for path, status in written.items():
            cut = path.rfind("/") + 1
            changes.setdefault(path[:cut], {})[path[cut:]] = status
        folders = dict(self._folders)
        for prefix, change in changes.items():
            old = self._folders.get(prefix)
            entries = dict(old.items()) if old is not None else {}
            for name, status in change.items():
                if status is _GONE:
                    entries.pop(name, None)
                else:
                    entries[name] = status  # type: ignore[assignment]
            if entries:
                folders[prefix] = _Folder.of(entries.items())
            else:
                folders.pop(prefix, None)
        return SiteStamps(folders)

    # -- the record (``check_cache.write_sealed_lines``): one line per folder
    def record_lines(self) -> Iterator[tuple[str, list[Any]]]:
        for prefix, folder in self._folders.items():
            yield prefix, _folder_line(folder)

    @classmethod
    def from_record(cls, lines: Mapping[str, Any]) -> SiteStamps | None:
        """The stamps of ``record_lines`` as read back; None if any line is not one of them (the
        cache is not trusted: a name that is a path, a count that does not match)."""
        folders: dict[str, _Folder] = {}
        for prefix, line in lines.items():
            folder = _folder_from_line(prefix, line)
            if folder is None:
                return None
            folders[prefix] = folder
        return cls(folders)


class FilesOf(MutableSet[str]):
    """A set of the files of one ``SiteStamps`` (the live output's files a build carries into the new
    site: publish.py), held as a bit per file of each folder instead of a string per path (at
    10,000 reports, 390,000 of them). Adding a path the stamps do not hold is refused."""

    __slots__ = ("_of", "_masks", "_count", "_last")

    def __init__(self, of: SiteStamps) -> None:
        self._of = of
        self._masks: dict[str, int] = {}  # folder -> a bit per position in its names
        self._count = 0
        self._last: tuple[str, _Folder | None] = ("", of._folders.get(""))  # paths come a folder at a time

    def _folder(self, prefix: str) -> _Folder | None:
        last = self._last
        if last[0] == prefix:
            return last[1]
        folder = self._of._folders.get(prefix)
        self._last = (prefix, folder)
        return folder

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        cut = path.rfind("/") + 1
        prefix = path[:cut]
        folder = self._folder(prefix)
        number = folder.positions.get(path[cut:]) if folder is not None else None
        return number is not None and bool(self._masks.get(prefix, 0) >> number & 1)

    def add(self, path: str) -> None:
        self.update((path,))

    def update(self, paths: Iterable[str]) -> None:
        """Add every path (a report's files come a folder at a time: its bits are set at once)."""
        prefix, folder, mask, before = None, None, 0, 0
        for path in paths:
            cut = path.rfind("/") + 1
            if path[:cut] != prefix:
                if prefix is not None:
                    self._set(prefix, mask, before)
                prefix = path[:cut]
                folder = self._folder(prefix)
                mask = before = self._masks.get(prefix, 0)
            number = folder.positions.get(path[cut:]) if folder is not None else None
            if number is None:
                self._set(prefix, mask, before)
                raise ValueError(f"{path}: not a file of the output")
            mask |= 1 << number
        if prefix is not None:
            self._set(prefix, mask, before)

    def _set(self, prefix: str, mask: int, before: int) -> None:
        if mask != before:
            self._masks[prefix] = mask
            self._count += mask.bit_count() - before.bit_count()

    def discard(self, path: str) -> None:
        cut = path.rfind("/") + 1
        prefix = path[:cut]
        folder = self._folder(prefix)
        number = folder.positions.get(path[cut:]) if folder is not None else None
        if number is not None and self._masks.get(prefix, 0) >> number & 1:
            self._masks[prefix] ^= 1 << number
            self._count -= 1

    def difference_update(self, paths: Iterable[str]) -> None:
        for path in paths:
            self.discard(path)

    def __iter__(self) -> Iterator[str]:
        for prefix, mask in self._masks.items():
            names = self._of._folders[prefix].names
            yield from (prefix + names[number] for number in _bits(mask))

    def __len__(self) -> int:
        return self._count

    def others(self) -> Iterator[str]:
        """The files of the stamps that are not in the set."""
        for prefix, folder in self._of._folders.items():
            mask = self._masks.get(prefix, 0)
            yield from (prefix + name for number, name in enumerate(folder.names) if not mask >> number & 1)


def _bits(mask: int) -> Iterator[int]:
    """The positions of the bits set in ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def walk_record_lines(top: str | os.PathLike[str]) -> Iterator[tuple[str, list[Any]]]:
    """``record_lines`` of the stamps below ``top``, a folder at a time (not held in memory)."""
    for prefix, entries in walk_folders(os.fspath(top)):
        yield prefix, _folder_line(_Folder.of(entries))


def _folder_line(folder: _Folder) -> list[Any]:
    packed = folder.packed
    if _SWAP:
        packed = array("q", packed)
        packed.byteswap()
    return [list(folder.names), base64.b64encode(packed.tobytes()).decode("ascii")]


def _folder_from_line(prefix: str, line: Any) -> _Folder | None:
    if not _is_folder(prefix) or type(line) is not list or len(line) != 2:
        return None
    names, text = line
    if type(names) is not list or type(text) is not str or not all(type(name) is str and _is_name(name) for name in names):
        return None
    try:
        packed = array("q", base64.b64decode(text, validate=True))
    except ValueError:
        return None
    if len(packed) != FIELDS * len(names) or names != sorted(names) or len(set(names)) != len(names):
        return None
    if _SWAP:
        packed.byteswap()
    return _Folder(tuple(names), packed)


def _is_name(name: str) -> bool:
    """A file name a walk can give: the record is not trusted to name a file outside the output."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\0" not in name and "\\" not in name


def _is_folder(prefix: str) -> bool:
    """"" (the output itself) or a path of names below it, ending with ``/``."""
    return prefix == "" or prefix.endswith("/") and all(_is_name(part) for part in prefix[:-1].split("/"))


def walk_folders(top: str, prefix: str = "") -> Iterator[tuple[str, list[tuple[str, list[int] | None]]]]:
    """Each folder below ``top`` (``top`` itself as ``""``) with its entries that are not folders,
    by name, and their status; the folder's own entries before any below it."""
    try:
        scan = os.scandir(top)
    except OSError:
        return
    entries: list[tuple[str, list[int] | None]] = []
    below: list[tuple[str, str]] = []
    with scan:
        for entry in scan:
            if entry.is_dir(follow_symlinks=False):
                below.append((entry.path, f"{prefix}{entry.name}/"))
                continue
            try:
                entries.append((entry.name, status_of(entry.stat(follow_symlinks=False))))
            except OSError:
                entries.append((entry.name, None))
    if entries:
        yield prefix, entries
    for path, name in below:
        yield from walk_folders(path, name)
