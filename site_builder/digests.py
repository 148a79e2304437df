"""The SHA-256 of every file a build writes, by site path, held compactly in the main process.

A report writes about 26 files into its own folder. As a dict of path and hex-digest strings
they took about 6 kB a report in the main process, twice over (each report's dict and the
build's dict of the whole site): 1.2 GB at 100,000 reports, growing with the portal (issue 12).
``FolderDigests`` keeps one report's as its folder, the names below it (one tuple shared by every
report that wrote the same names) and the raw digests packed in one ``bytes``: about 1 kB.
``SiteDigests`` is the whole site's view over them, with a plain dict for the site-wide files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, MutableMapping

DIGEST_SIZE = 32  # SHA-256

#: names tuple -> (the shared tuple, name -> position): one copy per distinct set of names
_SHARED_NAMES: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]] = {}


def shared_names(names: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The one tuple of these names, and each name's position in it."""
    found = _SHARED_NAMES.get(names)
    if found is None:
        found = _SHARED_NAMES[names] = (names, {name: number for number, name in enumerate(names)})
    return found


def _found(digest: str | None, path: str) -> str:
    """A mapping's item from its ``get``: both mappings here look paths up without exceptions."""
    if digest is None:
        raise KeyError(path)
    return digest


class FolderDigests(Mapping[str, str]):
    """The hex SHA-256 of files below ``folder`` (which ends with ``/``), by site path."""

    __slots__ = ("folder", "_names", "_positions", "_packed")

    def __init__(self, folder: str, names: tuple[str, ...], packed: bytes) -> None:
        if len(packed) != DIGEST_SIZE * len(names):
            raise ValueError(f"{len(names)} names, {len(packed)} bytes of digests")
        self.folder = folder
        self._names, self._positions = shared_names(names)
        self._packed = packed

    @classmethod
    def of(cls, folder: str, digests: Mapping[str, str]) -> FolderDigests:
        """From a mapping of site paths (all below ``folder``) to hex digests."""
        if not all(path.startswith(folder) for path in digests):
            raise ValueError(f"a path outside {folder}")
        names = tuple(path[len(folder):] for path in digests)
        return cls(folder, names, b"".join(bytes.fromhex(digest) for digest in digests.values()))

    def __reduce__(self) -> tuple[type[FolderDigests], tuple[str, tuple[str, ...], bytes]]:
        return FolderDigests, (self.folder, self._names, self._packed)  # names shared again where unpickled

    def __getitem__(self, path: str) -> str:
        return _found(self.get(path), path)

    def get(self, path: str, default: str | None = None) -> str | None:  # type: ignore[override]
        number = self._positions.get(path[len(self.folder):]) if path.startswith(self.folder) else None
        if number is None:
            return default
        return self._packed[number * DIGEST_SIZE:(number + 1) * DIGEST_SIZE].hex()

    def __iter__(self) -> Iterator[str]:
        return (self.folder + name for name in self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"FolderDigests({self.folder!r}, {len(self)} files)"


def files_below(folder: str, top: str) -> FolderDigests:
    """The SHA-256 of every regular file below the directory ``top`` (links left out), as the
    site paths ``folder`` + its path below ``top`` (``folder`` is "" or ends with ``/``); in the
    order of a sorted walk (a folder's files, then its folders)."""
    names: list[str] = []
    packed = bytearray()
    for parent, folders, files in os.walk(top):
        folders.sort()
        below = parent[len(top) + 1:].replace(os.sep, "/")
        for name in sorted(files):
            path = os.path.join(parent, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as file:
                packed += hashlib.sha256(file.read()).digest()
            names.append(f"{below}/{name}" if below else name)
    return FolderDigests(folder, tuple(names), bytes(packed))


def folder_of(digests: Mapping[str, str]) -> str | None:
    """The folder every path of ``digests`` lies in, deepest first, when they share one."""
    paths = iter(digests)
    first = next(paths, None)
    if first is None or "/" not in first:
        return None
    folder = first[:first.rindex("/") + 1]
    for path in paths:
        while not path.startswith(folder):
            cut = folder.rstrip("/").rfind("/")
            if cut < 0:
                return None
            folder = folder[:cut + 1]
    return folder


def compact(digests: Mapping[str, str]) -> Mapping[str, str]:
    """``digests`` as a ``FolderDigests`` when its paths share a folder, else unchanged."""
    if isinstance(digests, FolderDigests):
        return digests
    folder = folder_of(digests)
    return FolderDigests.of(folder, digests) if folder else digests


class TwiceWritten(Exception):
    """Two stages wrote one path: one silently replaced the other."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class SiteDigests(MutableMapping[str, str]):
    """Every file of the site being built with its hex SHA-256: each report's ``FolderDigests``
    kept whole, other files one by one. ``add`` refuses a path added before (``TwiceWritten``)."""

    def __init__(self) -> None:
        self._folders: dict[str, FolderDigests] = {}
        self._others: dict[str, str] = {}
        self._occupied: set[str] = set()  # every folder holding a file added (at any depth)
        self._last: FolderDigests | None = None  # the folder of the last path looked up
        self._count = 0

    def add(self, digests: Mapping[str, str]) -> None:
        """Add the files one stage wrote: a report's folder at once when nothing was added in it
        or in a folder kept whole above it, else file by file (another ``SiteDigests``: its folders
        whole, where they can be)."""
        if isinstance(digests, SiteDigests):
            for folder in digests._folders.values():
                self.add(folder)
            digests = digests._others
        if isinstance(digests, FolderDigests) and self._free(digests.folder):
            self._folders[digests.folder] = digests
            self._occupy(digests.folder)
            self._count += len(digests)
            return
        for path, digest in digests.items():
            if path in self:
                raise TwiceWritten(path)
            self[path] = digest

    def _free(self, folder: str) -> bool:
        if folder in self._occupied:
            return False
        cut = folder.find("/")
        while 0 <= cut < len(folder) - 1:
            if folder[:cut + 1] in self._folders:
                return False
            cut = folder.find("/", cut + 1)
        return True

    def _occupy(self, folder: str) -> None:
        while folder and folder not in self._occupied:
            self._occupied.add(folder)
            folder = folder[:folder.rstrip("/").rfind("/") + 1]

    def _folder_holding(self, path: str) -> FolderDigests | None:
        cut = path.find("/")
        while cut >= 0:
            found = self._folders.get(path[:cut + 1])
            if found is not None and path in found:
                return found
            cut = path.find("/", cut + 1)
        return None

    def __getitem__(self, path: str) -> str:
        return _found(self.get(path), path)

    def get(self, path: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """As a dict's; paths asked in order (the marker's) mostly find the folder of the last one."""
        found = self._others.get(path)
        if found is not None:
            return found
        last = self._last
        if last is not None and path.startswith(last.folder):
            found = last.get(path)
            if found is not None:
                return found
        folder = self._folder_holding(path)
        if folder is None:
            return default
        self._last = folder
        return folder.get(path)

    def __setitem__(self, path: str, digest: str) -> None:
        if self._folder_holding(path) is not None:
            raise TwiceWritten(path)
        if path not in self._others:
            self._count += 1
            self._occupy(path[:path.rfind("/") + 1])
        self._others[path] = digest

    def __delitem__(self, path: str) -> None:
        raise TypeError("a file written stays written")

    def __iter__(self) -> Iterator[str]:
        for folder in self._folders.values():
            yield from folder
        yield from self._others

    def __len__(self) -> int:
        return self._count
