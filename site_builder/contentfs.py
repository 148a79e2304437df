"""The only way content files are listed and read (policy: docs/security.md).

Content is untrusted. Nothing here follows a symbolic link: a link anywhere below the content root
(file or folder, whatever its target) is a ``content.symlink`` finding that names the link, never
its target, and is neither opened nor listed further. FIFOs, sockets and devices are
``content.not-a-file`` and are never opened (opening a FIFO blocks). Files are read with a size
limit, a UTF-8 BOM is stripped, and text must be UTF-8.

The content root itself (the folder named on the command line) may be a link; everything below it
may not.

Public API (used by the loader and by the build for theme templates and assets):

- ``list_dir(root, folder) -> (entries, findings)``: the folder's regular files and sub-folders,
  sorted by name, as ``Entry(name, folder, is_dir)`` (``entry.path``: ``folder / name``); links
  and special files are findings.
- ``read_bytes(root, path, limit, required=True) -> (bytes | None, findings)``
- ``read_text(root, path, limit, required=True) -> (str | None, findings)``: UTF-8, BOM stripped.
- ``kind(root, path) -> Kind``: what is at ``path`` (without following links), and
  ``kind_findings(root, path, kind)`` for the finding a non-usable kind gives.
- ``display_path(path)``: how paths are shown in findings (relative to the current directory).

``None`` with no findings means "missing, and not required". Every function checks each path
component from ``root`` down (no component may be a link) and refuses a path that is not inside
``root`` (``..``, absolute paths elsewhere).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

from site_builder.findings import Finding, Place
from site_builder.limits import format_size

_BOM = b"\xef\xbb\xbf"


class Kind(Enum):
    FILE = "file"
    DIR = "dir"
    MISSING = "missing"
    LINK = "link"  # the path or one of its folders below the root is a symbolic link
    SPECIAL = "special"  # FIFO, socket, device
    OUTSIDE = "outside"  # not below the content root
    UNREADABLE = "unreadable"  # lstat failed for another reason (permissions…)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    folder: Path
    is_dir: bool

    @property
    def path(self) -> Path:
        """``folder / name``, made when asked for: most entries of a report's folders are only
        looked up by name."""
        return self.folder / self.name


def display_path(path: Path | str) -> str:
    """Paths in findings are relative to the current directory, as compilers print them."""
    text = os.fspath(path)
    if _is_plain_relative(text):  # what relpath returns for it, without its two getcwd calls
        return text
    if os.sep == "/" and text.startswith("/"):
        # an absolute path (a content folder named so on the command line): relpath of its folder,
        # remembered, and its last part; the same as relpath of the whole, for a plain last part
        head, _, name = text.rpartition("/")
        if head and name and name != "." and name != "..":
            folder = _relative_folder(os.getcwd(), head)
            return name if folder == "." else f"{folder}/{name}"
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@lru_cache(maxsize=1024)
def _relative_folder(cwd: str, folder: str) -> str:
    """``os.path.relpath(folder)`` with ``cwd`` the current folder: the folder of the paths of one
    report are shown alike a dozen times, each time with two ``getcwd`` calls and a normalisation."""
    return os.path.relpath(folder, cwd)


def _is_plain_relative(text: str) -> bool:
    """A relative path that ``os.path.relpath`` gives back unchanged: normalised (no ``.``, ``..``,
    empty or trailing parts) and not going up."""
    if os.sep != "/" or not text or text[0] == "/":
        return False
    # normpath(text) == text, not "." and not going up: no part is empty, "." or ".." (tested on
    # the text between slashes at both ends, without normpath's split and join)
    framed = f"/{text}/"
    return "//" not in framed and "/./" not in framed and "/../" not in framed


def _finding(path: Path | str, rule: str, message: str) -> Finding:
    return Finding(rule, message, Place(display_path(path), 1, 1))


def _components(root: Path, path: Path) -> list[str] | None:
    """The paths from the first component below ``root`` down to ``path``; None if outside root."""
    base = os.path.abspath(root)
    target = os.path.abspath(path)
    prefix = base if base.endswith(os.sep) else base + os.sep
    rest = target[len(prefix):]
    if target.startswith(prefix) and rest and not rest.startswith(os.sep):  # the usual case, without relpath
        parts: list[str] | tuple[str, ...] = rest.split(os.sep)
    else:
        relative = os.path.relpath(target, base)
        if relative == ".":
            return []
        parts = Path(relative).parts
        if os.path.isabs(relative) or ".." in parts:
            return None
    result, current = [], base
    for part in parts:
        current = os.path.join(current, part)
        result.append(current)
    return result


def _walk(root: Path, path: Path) -> tuple[Kind, Path | str]:
    """Kind of ``path`` and the path the kind is about (the link, when a folder above is a link)."""
    components = _components(root, path)
    if components is None:
        return Kind.OUTSIDE, path
    if not components:  # the root itself: may be a link, must be a folder
        return (Kind.DIR if os.path.isdir(root) else Kind.MISSING), path
    for index, component in enumerate(components):
        try:
            mode = os.lstat(component).st_mode
        except FileNotFoundError:
            return Kind.MISSING, path
        except NotADirectoryError:
            return Kind.MISSING, path
        except OSError:
            return Kind.UNREADABLE, component
        last = index == len(components) - 1
        if stat.S_ISLNK(mode):
            return Kind.LINK, component
        if last:
            if stat.S_ISREG(mode):
                return Kind.FILE, path
            if stat.S_ISDIR(mode):
                return Kind.DIR, path
            return Kind.SPECIAL, path
        if not stat.S_ISDIR(mode):
            return Kind.MISSING, path
    return Kind.MISSING, path  # pragma: no cover - the loop always returns


def _inside(root: Path, path: Path) -> bool:
    """Belt and braces: the fully resolved path lies inside the fully resolved root."""
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def kind(root: Path, path: Path) -> Kind:
    """What is at ``path`` below ``root``, without following any link."""
    return _walk(root, path)[0]


def kind_findings(root: Path, path: Path, found: Kind | None = None, *, expected: str = "file") -> list[Finding]:
    """The finding for a path that cannot be used as a ``expected`` ("file" or "folder")."""
    found_kind, about = _walk(root, path)
    found = found or found_kind
    if found is Kind.LINK:
        return [_symlink(about)]
    if found is Kind.SPECIAL:
        return [_special(path)]
    if found is Kind.OUTSIDE:
        return [_finding(path, "content.unreadable", "path is outside the content folder; it is not read")]
    if found is Kind.UNREADABLE:
        return [_finding(about, "content.unreadable", "cannot read this path")]
    if found is Kind.DIR and expected == "file":
        return [_finding(path, "content.not-a-file", f"{Path(path).name} is a folder where a file is expected")]
    if found is Kind.FILE and expected == "folder":
        return [_finding(path, "content.not-a-file", f"{Path(path).name} is a file where a folder is expected")]
    return []


def _special(path: Path) -> Finding:
    return _finding(path, "content.not-a-file",
                    f"{Path(path).name} is a FIFO, socket or device, not a regular file or folder; it is not opened")


def _symlink(link: Path) -> Finding:
    return _finding(link, "content.symlink",
                    f"{Path(link).name} is a symbolic link; links are not followed in content "
                    "(put the file or folder itself here)")


def list_dir(root: Path, folder: Path) -> tuple[list[Entry], list[Finding]]:
    """Regular files and folders directly in ``folder``, sorted by name; links etc. as findings.

    A missing ``folder`` gives no entries and no findings; a ``folder`` that is (or lies under) a
    link gives its ``content.symlink`` finding and no entries.
    """
    found, _ = _walk(root, folder)
    if found is Kind.MISSING:
        return [], []
    if found is not Kind.DIR:
        return [], kind_findings(root, folder, found, expected="folder")
    if not _inside(root, folder):
        return [], kind_findings(root, folder, Kind.OUTSIDE, expected="folder")
    entries: list[Entry] = []
    findings: list[Finding] = []
    try:
        with os.scandir(folder) as scan:
            items = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        return [], [_finding(folder, "content.unreadable", f"cannot list folder: {exc.strerror}")]
    parent = Path(folder)
    for item in items:
        path = parent / item.name
        try:
            if item.is_symlink():
                findings.append(_symlink(path))
            elif item.is_dir(follow_symlinks=False):
                entries.append(Entry(item.name, parent, True))
            elif item.is_file(follow_symlinks=False):
                entries.append(Entry(item.name, parent, False))
            else:
                findings.append(_special(path))
        except OSError as exc:
            findings.append(_finding(path, "content.unreadable", f"cannot read {item.name}: {exc.strerror}"))
    return entries, findings


def read_bytes(root: Path, path: Path, limit: int, required: bool = True) -> tuple[bytes | None, list[Finding]]:
    """The bytes of a regular file below ``root``, at most ``limit`` of them.

    Never follows a link, never opens a FIFO/socket/device, never reads more than ``limit`` + 1
    bytes. A missing file is ``content.missing-file`` if ``required``, else ``(None, [])``.
    """
    found, _ = _walk(root, path)
    if found is Kind.MISSING:
        if required:
            return None, [_finding(path, "content.missing-file", f"required file {Path(path).name} is missing")]
        return None, []
    if found is not Kind.FILE:
        return None, kind_findings(root, path, found)
    if not _inside(root, path):
        return None, kind_findings(root, path, Kind.OUTSIDE)
    try:
        data = _read_regular(path, limit)
    except _Refused as refused:
        return None, [refused.finding]
    if data is None:
        return None, [_finding(path, "content.too-large", f"file is larger than the {format_size(limit)} limit; it is not read")]
    return data, []


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _read_at_most(fd: int, size: int, expected: int | None = None) -> bytes:
    """Up to ``size`` bytes of an open file, in chunks of at most 1 MiB (so an over-long file is
    never read whole: the caller asks for its limit + 1 and refuses what reaches it). ``expected``:
    the file's size from ``fstat``, so that the first read asks for what is there plus one byte
    rather than a 1 MiB buffer (allocated by every read of a small file), and later reads are small."""
    chunks: list[bytes] = []
    step = 1 << 20 if expected is None else min(expected + 1, 1 << 20)
    while size > 0:
        chunk = os.read(fd, min(size, step))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
        step = 1 << 20 if len(chunk) == step else 1 << 12  # a short read: the end is (almost surely) reached
    return b"".join(chunks)


def _read_regular(path: Path, limit: int) -> bytes | None:
    """Read at most ``limit`` bytes; None if the file is larger. Checks it is regular after open."""
    return _read_opened(_open_file(path, None, path), path, limit)


_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _open_file(name: Path | str, dir_fd: int | None, path: Path) -> int:
    """``os.open`` with ``O_NOFOLLOW | O_NONBLOCK`` (relative to ``dir_fd`` when given); ``path``:
    the file as findings name it."""
    try:
        return os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was listed
            raise _Refused(_symlink(path)) from None
        raise _Refused(_finding(path, "content.unreadable", f"cannot read file: {exc.strerror}")) from None


def _read_opened(fd: int, path: Path, limit: int) -> bytes | None:
    """Read an open file (closed here): at most ``limit`` bytes, None if larger; it must be regular."""
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise _Refused(_finding(path, "content.not-a-file", f"{Path(path).name} is not a regular file; it is not read"))
        data = _read_at_most(fd, limit + 1, status.st_size)
    except OSError as exc:
        raise _Refused(_finding(path, "content.unreadable", f"cannot read file: {exc.strerror}")) from None
    finally:
        os.close(fd)
    return None if len(data) > limit else data


def read_text(root: Path, path: Path, limit: int, required: bool = True) -> tuple[str | None, list[Finding]]:
    """The UTF-8 text of a regular file below ``root`` (see ``read_bytes``), a leading BOM removed.

    Bytes that are not UTF-8 give ``content.encoding`` (at 1:1, naming the first bad byte's line and column).
    """
    data, findings = read_bytes(root, path, limit, required)
    return _text(path, data, findings)


def _text(path: Path, data: bytes | None, findings: list[Finding]) -> tuple[str | None, list[Finding]]:
    if data is None:
        return None, findings
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        return None, [_finding(path, "content.encoding",
                               f"file is not UTF-8 text ({exc.reason} at line {line}, column {col}); save it as UTF-8")]


# -- a folder held open: its listing and files read relative to it ----------------------------------

_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_BY_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")


class Folder:
    """A folder below ``root``, checked once from ``root`` down like any read (no component a link,
    inside ``root`` as written and fully resolved), then held open (``O_DIRECTORY | O_NOFOLLOW``)
    and listed once. Its files and sub-folders are opened relative to it (``dir_fd``) by their
    listed names, with ``O_NOFOLLOW``: they lie inside it by construction, and a name swapped for a
    link meanwhile is refused, not followed. Each method gives exactly what the path-based function
    of the same name gives for ``path / name``; anything but a regular file, a sub-folder or a
    missing name (a link, a special file, an unreadable entry, a name with a ``/``) is left to that
    function, so its findings are the same.

    ``Folder.open`` returns None where the folder cannot be used so (missing, a link, not a folder,
    not listable, no ``dir_fd`` support): the caller then reads by path, with that path's findings.
    """

    __slots__ = ("_kinds", "entries", "fd", "findings", "path", "root")

    def __init__(self, root: Path, path: Path, fd: int) -> None:
        self.root, self.path, self.fd = root, path, fd
        self.entries: list[Entry] = []
        self.findings: list[Finding] = []
        self._kinds: dict[str, Kind] = {}

    @classmethod
    def open(cls, root: Path, path: Path) -> Folder | None:
        if not _BY_FD:  # pragma: no cover - not on Linux
            return None
        found, _ = _walk(root, path)
        if found is not Kind.DIR or not _inside(root, path):
            return None
        try:
            fd = os.open(path, _FOLDER_FLAGS)
        except OSError:
            return None
        return cls._listed(root, path, fd)

    @classmethod
    def _listed(cls, root: Path, path: Path, fd: int) -> Folder | None:
        folder = cls(root, path, fd)
        try:
            with os.scandir(fd) as scan:
                items = sorted(scan, key=lambda e: e.name)
        except OSError:
            folder.close()
            return None
        kinds, entries, findings = folder._kinds, folder.entries, folder.findings
        for item in items:
            name = item.name
            try:
                if item.is_symlink():
                    kinds[name] = Kind.LINK
                    findings.append(_symlink(path / name))
                elif item.is_dir(follow_symlinks=False):
                    kinds[name] = Kind.DIR
                    entries.append(Entry(name, path, True))
                elif item.is_file(follow_symlinks=False):
                    kinds[name] = Kind.FILE
                    entries.append(Entry(name, path, False))
                else:
                    kinds[name] = Kind.SPECIAL
                    findings.append(_special(path / name))
            except OSError as exc:
                kinds[name] = Kind.UNREADABLE
                findings.append(_finding(path / name, "content.unreadable", f"cannot read {name}: {exc.strerror}"))
        return folder

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def list_dir(self) -> tuple[list[Entry], list[Finding]]:
        """``list_dir(root, path)``."""
        return list(self.entries), list(self.findings)

    def _kind(self, name: str) -> Kind | None:
        """The listed kind of ``name`` (MISSING when not listed); None: leave it to the path functions."""
        if not name or "/" in name or os.sep in name or "\0" in name or name in (".", ".."):
            return None
        return self._kinds.get(name, Kind.MISSING)

    def kind(self, name: str) -> Kind:
        """``kind(root, path / name)``."""
        found = self._kind(name)
        return found if found in (Kind.FILE, Kind.DIR, Kind.MISSING) else kind(self.root, self.path / name)

    def read_bytes(self, name: str, limit: int, required: bool = True,
                   path: Path | None = None) -> tuple[bytes | None, list[Finding]]:
        """``read_bytes(root, path / name, limit, required)``; ``path``: ``self.path / name`` if
        the caller has it (it names the file in findings; made here only for one)."""
        found = self._kind(name)
        if found is Kind.FILE:
            try:
                fd = _open_file(name, self.fd, path or self.path / name)
                data = _read_opened(fd, path or self.path / name, limit)
            except _Refused as refused:
                return None, [refused.finding]
            if data is not None:
                return data, []
            return None, [_finding(path or self.path / name, "content.too-large",
                                   f"file is larger than the {format_size(limit)} limit; it is not read")]
        if found is Kind.MISSING:
            if required:
                return None, [_finding(path or self.path / name, "content.missing-file", f"required file {name} is missing")]
            return None, []
        return read_bytes(self.root, path or self.path / name, limit, required)

    def read_text(self, name: str, limit: int, required: bool = True,
                  path: Path | None = None) -> tuple[str | None, list[Finding]]:
        """``read_text(root, path / name, limit, required)`` (``path`` as for ``read_bytes``)."""
        data, findings = self.read_bytes(name, limit, required, path)
        if data is not None and not data.startswith(_BOM):
            try:
                return data.decode("utf-8"), []
            except UnicodeDecodeError:
                pass
        return _text(path or self.path / name, data, findings)

    def sub(self, name: str) -> Folder | None:
        """The sub-folder ``name``, held open like this one; None when it is not a listed folder
        (or cannot be opened or listed): then read it by path."""
        if self._kind(name) is not Kind.DIR:
            return None
        try:
            fd = os.open(name, _FOLDER_FLAGS, dir_fd=self.fd)
        except OSError:
            return None
        return Folder._listed(self.root, self.path / name, fd)


# -- whole folders as bytes, for fingerprints ------------------------------------------------------

TREE_DEPTH = 8  # levels below a report folder hashed; the loader reads two (tables/, attachments/)


@dataclass(frozen=True, slots=True)
class TreeItem:
    """One entry below a folder: its path relative to the folder (``/``-separated), what it is,
    and for a regular file its bytes (None when larger than the limit: then only that is known)."""

    rel: str
    kind: Kind
    data: bytes | None = None


def tree(root: Path, folder: Path, limit: int) -> list[TreeItem]:
    """Every entry below ``folder`` (depth first, by name), never following a link, for hashing.

    The folder is checked from ``root`` down like any read; below it, each folder is opened with
    ``O_NOFOLLOW`` and its entries are opened relative to it (``dir_fd``), so that no path is walked
    twice and a folder swapped for a link meanwhile is refused, not followed. A ``folder`` that is
    missing, a link or not a folder gives one item of that kind with ``rel`` "".
    """
    found, _ = _walk(root, folder)
    if found is not Kind.DIR or not _inside(root, folder):
        return [TreeItem("", found if found is not Kind.DIR else Kind.OUTSIDE)]
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - not on Linux
        return _tree_by_path(root, folder, limit)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return [TreeItem("", Kind.UNREADABLE)]
    items: list[TreeItem] = []
    try:
        _tree_below(fd, "", limit, TREE_DEPTH, items)
    finally:
        os.close(fd)
    return items


def _tree_below(fd: int, prefix: str, limit: int, depth: int, items: list[TreeItem]) -> None:
    try:
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        items.append(TreeItem(prefix, Kind.UNREADABLE))
        return
    for entry in entries:  # the kinds come from the listing (no stat); opening re-checks with O_NOFOLLOW
        rel = f"{prefix}{entry.name}"
        try:
            if entry.is_symlink():
                items.append(TreeItem(rel, Kind.LINK))
            elif entry.is_file(follow_symlinks=False):
                items.append(_tree_file(fd, entry.name, rel, limit))
            elif entry.is_dir(follow_symlinks=False):
                items.append(TreeItem(rel, Kind.DIR))
                if depth > 0:
                    _tree_folder(fd, entry.name, rel, limit, depth - 1, items)
            else:
                items.append(TreeItem(rel, Kind.SPECIAL))
        except OSError:
            items.append(TreeItem(rel, Kind.UNREADABLE))


def _tree_folder(fd: int, name: str, rel: str, limit: int, depth: int, items: list[TreeItem]) -> None:
    try:
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError:
        items.append(TreeItem(rel, Kind.UNREADABLE))
        return
    try:
        _tree_below(sub, f"{rel}/", limit, depth, items)
    finally:
        os.close(sub)


def _tree_file(fd: int, name: str, rel: str, limit: int) -> TreeItem:
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    try:
        file_fd = os.open(name, flags, dir_fd=fd)
    except OSError:
        return TreeItem(rel, Kind.UNREADABLE)
    try:
        status = os.fstat(file_fd)
        if not stat.S_ISREG(status.st_mode):
            return TreeItem(rel, Kind.SPECIAL)
        data = _read_at_most(file_fd, limit + 1, status.st_size)
    except OSError:
        return TreeItem(rel, Kind.UNREADABLE)
    finally:
        os.close(file_fd)
    return TreeItem(rel, Kind.FILE, None if len(data) > limit else data)


def _tree_by_path(root: Path, folder: Path, limit: int, prefix: str = "") -> list[TreeItem]:  # pragma: no cover
    """``tree`` through ``list_dir``/``read_bytes`` where ``dir_fd`` is not available (slower)."""
    entries, findings = list_dir(root, folder)
    items = [TreeItem(f"{prefix}{Path(f.place.path).name}", Kind.LINK) for f in findings]
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        if entry.is_dir:
            items.append(TreeItem(rel, Kind.DIR))
            items.extend(_tree_by_path(root, entry.path, limit, f"{rel}/"))
        else:
            data, problems = read_bytes(root, entry.path, limit)
            items.append(TreeItem(rel, Kind.FILE if not problems else Kind.UNREADABLE, data))
    return items
