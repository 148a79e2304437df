"""The output folder and what a build reports: which folders a build may write, the lock, the
atomic swap of a finished site into place, recovery after a kill, and the result of a build.

Kept apart from the build pipeline (``build.py``) and light to import: a build that has nothing to
do (``quick.py``) needs only this.

Output safety (docs/security.md, "Build and output"):

- ``--out`` must not be or contain the content folder or the current folder, lie inside the
  content folder, be a file, or be a non-empty folder that is not a previous build (marked by the
  file ``.site-builder-build`` at its root, which lists every file with its SHA-256).
- Builds into one output take a lock (``.NAME.lock`` beside it); a second one is refused.
- The swap exchanges the staging folder and the output in one atomic ``renameat2(RENAME_EXCHANGE)``
  where the system has it, so there is no instant without a complete site. Elsewhere it falls
  back to two renames through ``.NAME.old-PID``; the folder names are the journal: a build that
  finds no output but a complete ``.old-*`` puts it back first.
- Leftovers of killed builds are deleted only after a successful swap, when the output is a
  complete site; a refused build deletes nothing but its own staging folders.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import mmap
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: builds are not serialized there (documented)
    fcntl = None  # type: ignore[assignment]

from site_builder import contentfs
from site_builder.findings import Finding
from site_builder.publish import MARKER

#: File descriptors the parent holds for itself (the build's output lock): a forked worker closes
#: its copy (``check._close_parent_only_fds``), so a killed build's orphaned workers cannot keep the
#: lock and refuse the next build.
PARENT_ONLY_FDS: set[int] = set()

MARKER_HEADER = "site-builder build: every file of this site with its SHA-256\n"


class BuildRefused(Exception):
    """Content has errors; the output folder was not touched."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{sum(f.is_error for f in findings)} content errors")
        self.findings = findings
        self.errors = [f for f in findings if f.is_error]


class OutputRefused(Exception):
    """The output folder cannot be used (a usage problem, exit 2); nothing was touched."""


@dataclass
class BuildResult:
    findings: list[Finding]
    pages: int
    reports: int
    files: int
    timings: dict[str, float]
    index_memory: dict[str, int] = field(default_factory=dict)  # Pagefind's peak memory (bytes) by shard
    reused_reports: int = 0  # reports taken from the previous build (incremental build)
    reused_shards: int = 0
    part_reports: int = 0  # reports and shards taken from parts (``combine``: parts.py)
    part_shards: int = 0
    reused_unit_pages: int = 0  # unit pages and comparison groups taken from the previous build
    reused_compare_groups: int = 0
    reused_bulk_years: int = 0  # years of bulk downloads (data/<year>/) and unit figures.csv files
    reused_unit_files: int = 0
    reused_browse_pages: int = 0  # the home page and the region and parent-department pages


# -- the output folder --------------------------------------------------------------------------


def _shown(path: Path) -> str:
    return contentfs.display_path(path)


def check_output(root: Path, out: Path) -> Path:
    """The resolved output folder, or ``OutputRefused`` if building there could destroy anything."""
    target, content, here = out.resolve(), root.resolve(), Path.cwd().resolve()
    if target == content or target in content.parents:
        raise OutputRefused(f"--out {_shown(out)} is or contains the content folder {_shown(root)}; choose another output folder")
    if content in target.parents:
        raise OutputRefused(f"--out {_shown(out)} is inside the content folder {_shown(root)}; choose a folder outside it")
    if target == here or target in here.parents:
        raise OutputRefused(f"--out {_shown(out)} is or contains the current folder; choose a new or previous output folder")
    if os.path.lexists(target) and not target.is_dir():
        raise OutputRefused(f"--out {_shown(out)} is a file, not a folder")
    if target.is_dir() and not is_build(target) and any(target.iterdir()):
        raise OutputRefused(f"--out {_shown(out)} is a non-empty folder that is not a previous build of site-builder "
                            f"(it has no {MARKER} file); choose an empty or new folder")
    return target


def is_build(folder: Path) -> bool:
    """A previous (complete) build: the marker is written last, after every other file."""
    return os.path.isfile(folder / MARKER) and not os.path.islink(folder / MARKER)


def write_marker(folder: Path, known: Mapping[str, str], hashed: Mapping[str, str] | None = None) -> None:
    """List every file of the finished site with its SHA-256 (deterministic: sorted paths).

    ``known`` holds the digests taken as the files were written (stages never write one path
    twice: ``_add_written``), ``hashed`` those of files read once they were final (the search
    bundle's); the rest are read here."""
    top = os.fspath(folder)
    paths = (path for path in _files_in_order(top, "") if path != MARKER)
    more = hashed if hashed is not None else {}
    _write_lines(folder / MARKER, (f"{known.get(path) or more.get(path) or digest_of(f'{top}/{path}')}  {path}\n"
                                   for path in paths))


def write_marker_lines(folder: Path, lines: Iterator[str]) -> None:
    """The marker of the site in ``folder`` from its lines, in path order (a previous marker's
    lines, ``MarkerReader``, with those of the files written or gone changed)."""
    _write_lines(folder / MARKER, lines)


def _write_lines(marker: Path, lines: Iterator[str]) -> None:
    """The marker written line by line: joined first, its text was a second copy of the site's file
    list in memory (the marker of the 100,000-report build in docs/measurements.md is 522,544,323 bytes)."""
    with marker.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        handle.write(MARKER_HEADER)
        handle.writelines(lines)


def digest_of(path: Path | str) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


class MarkerReader:
    """The marker of a previous build read as a stream, line by line: never a dict of the whole
    site (450,000 paths at 10,000 reports) to change a few of its lines."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MARKER

    def lines(self, checked: bool = True) -> Iterator[tuple[str, str]]:
        """Each line with its path, in order. ValueError (or OSError) at the first line that is not
        ``<sha256>  <path>`` or not after the one before it: not a marker this tool wrote.
        ``checked=False``: the lines are not checked again (a marker read once already, unchanged since)."""
        with self.path.open(encoding="utf-8", newline="\n") as marker:
            if marker.readline() != MARKER_HEADER:
                raise ValueError("not a marker")
            if not checked:
                for line in marker:
                    yield line, line[66:-1]
                return
            last = ""
            for line in marker:
                path = line[66:-1]
                if line[64:66] != "  " or line[-1] != "\n" or path <= last or "  " in line[:64]:
                    raise ValueError("not a marker")
                last = path
                yield line, path


class SortedMarker:
    """A previous build's marker as it left it, mapped (not read into memory: 522 MB at 100,000
    reports), its lines found by binary search: they are in path order, and UTF-8 keeps that order
    byte for byte. For an edit that changes a few files of a large site: the new marker is this one
    copied with the lines of those files changed, not read and written line by line."""

    def __init__(self, folder: Path) -> None:
        with (folder / MARKER).open("rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        header = MARKER_HEADER.encode()
        if self.data[:len(header)] != header:
            self.data.close()
            raise ValueError("not a marker")
        self.start = len(header)

    def close(self) -> None:
        self.data.close()

    def count(self) -> int:
        """How many files it lists."""
        lines, position = 0, self.start
        while position < len(self.data):
            lines += self.data[position:position + _BLOCK].count(b"\n")
            position += _BLOCK
        return lines

    def digest(self, path: str) -> str | None:
        """The digest it lists for ``path``, if it lists it."""
        start = self._first_not_before(self.start, path.encode())
        found, _ = self._line_at(start)
        return self.data[start:start + 64].decode("ascii") if found == path.encode() else None

    def write_changed(self, folder: Path, lines: Mapping[str, str], gone: Iterable[str]) -> None:
        """The marker of the site in ``folder``: this one with the lines of ``lines`` (path ->
        digest) put in, in place of any it had, and those of ``gone`` left out."""
        with (folder / MARKER).open("wb") as target:
            target.write(MARKER_HEADER.encode())
            position = self.start
            for path in sorted({*lines, *gone}):
                wanted = path.encode()
                found = self._first_not_before(position, wanted)
                self._copy(position, found, target)
                position = found
                at, end = self._line_at(found)
                if at == wanted:
                    position = end
                if path in lines:
                    target.write(f"{lines[path]}  {path}\n".encode())
            self._copy(position, len(self.data), target)

    def _line_at(self, start: int) -> tuple[bytes | None, int]:
        """The path of the line that starts at ``start`` and where the next line starts (None at the end)."""
        if start >= len(self.data):
            return None, start
        end = self.data.find(b"\n", start) + 1
        if end <= start + 66:
            raise ValueError("not a marker")
        return self.data[start + 66:end - 1], end

    def _first_not_before(self, begin: int, path: bytes) -> int:
        """Where the first line at or after ``begin`` (a line's start) whose path is not before ``path`` starts."""
        low, high = begin, len(self.data)
        while low < high:
            start = max(low, self.data.rfind(b"\n", low, (low + high) // 2) + 1)
            found, end = self._line_at(start)
            if found is not None and found < path:
                low = end
            else:
                high = start
        return low

    def _copy(self, start: int, end: int, target: BinaryIO) -> None:
        for position in range(start, end, _BLOCK):
            target.write(self.data[position:min(end, position + _BLOCK)])


_BLOCK = 1 << 20


def _files_in_order(top: str, prefix: str) -> Iterator[str]:
    """The files below ``top`` as ``os.walk`` finds them (links to folders not followed), by
    ``prefix`` + path, in sorted order with one folder's entries in memory at a time: a sorted
    list of every path was about 470 MB at 100,000 reports. Among its neighbours a folder sorts as
    its name followed by ``/``, which is where the paths of its files fall."""
    try:
        with os.scandir(top) as entries:
            found = [(entry.name, _kind(entry), entry.path) for entry in entries]
    except OSError:
        return
    found.sort(key=lambda item: item[0] + "/" if item[1] == "folder" else item[0])
    for name, kind, path in found:
        if kind == "file":
            yield prefix + name
        elif kind == "folder":
            yield from _files_in_order(path, f"{prefix}{name}/")


def _kind(entry: os.DirEntry[str]) -> str:
    """As ``os.walk`` sees an entry: a file, a folder it walks, or a link to a folder it skips."""
    try:
        is_folder = entry.is_dir()
    except OSError:
        is_folder = False
    if not is_folder:
        return "file"
    try:
        return "skipped" if entry.is_symlink() else "folder"
    except OSError:
        return "skipped"


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``.NAME.lock`` beside the output; refuse if another build has it.

    The lock file stays (deleting it would let a third build lock a different file)."""
    if fcntl is None:
        yield
        return
    fd = os.open(out.with_name(f".{out.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputRefused(f"another build into {_shown(out)} is running; try again when it has finished") from None
        PARENT_ONLY_FDS.add(fd)
        yield
    finally:
        PARENT_ONLY_FDS.discard(fd)
        os.close(fd)


# -- the swap -----------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc ≥ 2.28
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two folders; False if the system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(first), None, str(second))


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete ``staging`` tree at ``out``; the previous tree is removed afterwards."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    if exchange(staging, out):
        shutil.rmtree(staging)  # now the previous site
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old)


def recover(out: Path) -> Path | None:
    """After a build killed between the two renames of the fallback swap: put the previous site
    back. Only renames, never deletes; returns the folder restored, if any."""
    if os.path.lexists(out):
        return None
    previous = [p for p in out.parent.glob(f".{out.name}.old-*") if p.is_dir() and not p.is_symlink() and is_build(p)]
    if not previous:
        return None
    latest = max(previous, key=lambda p: (p / MARKER).stat().st_mtime_ns)
    os.rename(latest, out)
    return latest


def scratch_folder(out: Path) -> Path:
    """Where the pages Pagefind reads are written: memory (/dev/shm) when there is some, as they
    are thrown away after indexing, else beside the output folder."""
    name = f".{out.name}.indexing-{os.getpid()}"
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / f"site-builder{name}"
    return out.with_name(name)


def remove_leftovers(out: Path) -> None:
    """Remove what builds into ``out`` killed before cleaning up left beside it — only when ``out``
    is a complete site, so the only complete copy is never deleted (called under the lock)."""
    if not is_build(out):
        return
    for leftover in out.parent.glob(f".{out.name}.publishing.*.tmp"):  # a journal not yet in place
        leftover.unlink(missing_ok=True)
    for pattern in (f".{out.name}.building-*", f".{out.name}.indexing-*", f".{out.name}.old-*"):
        for folder in out.parent.glob(pattern):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
    scratch = scratch_folder(out)
    for folder in scratch.parent.glob(f"site-builder.{out.name}.indexing-*"):
        if not _pid_alive(folder.name.rsplit("-", 1)[-1]):
            shutil.rmtree(folder, ignore_errors=True)


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
