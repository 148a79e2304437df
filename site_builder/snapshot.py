"""Snapshots: one digest over the status of every entry below a folder, so that a build can tell in
a fraction of a second that neither its content folder nor its output changed since the last build.

A snapshot digests, per entry (never following a link): its path, size, change time and inode (the
Python walk also type, permissions and modification time). Reading no file, it costs one ``lstat``
per entry, walked by GNU find in a process per core where there is one, else by Python in a thread
per core. The change time
(``ctime``) is what makes it sound: any write, rename, link, ``chmod`` or ``touch`` sets it to the
present and no call sets it back, so an entry whose bytes changed has a different status even when
its size and modification time were kept.

An entry changed shortly before the snapshot could change again within the same clock tick of the
file system without its status changing (git's "racily clean" entries). A snapshot taken with
``settled`` is therefore refused (None) when any entry changed less than ``RACY_SECONDS`` before it.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

RACY_SECONDS = 2.0
#: Below this many folders at the first level, the work is split at the second.
SPLIT_AT = 64

Status = tuple[str, int, int, int, int, int]


@dataclass(frozen=True)
class Spec:
    """A folder to snapshot; ``skip`` names entries of the folder itself left out."""

    folder: Path
    skip: frozenset[str] = field(default_factory=frozenset)
    settled: bool = False


class _Unsettled(Exception):
    """An entry changed too recently: no snapshot."""


def take(folder: Path, skip: frozenset[str] = frozenset(), settled: bool = False) -> str | None:
    return take_all([Spec(folder, skip, settled)])[0]


def take_all(specs: list[Spec]) -> list[str | None]:
    """The digest of each folder's entries and of the folder itself; None for a folder where an
    entry cannot be read or, with ``settled``, changed less than ``RACY_SECONDS`` ago."""
    if _gnu_find() is not None:
        return _take_all_with_find(specs)
    return _take_all_in_threads(specs)


def take_listed(specs: list[Spec]) -> tuple[list[str | None], list[Listing | None]]:
    """``take_all``, and the status of every entry each walk saw (``Listing``; None where a folder
    could not be walked whole)."""
    listings: list[Listing | None] = []
    if _gnu_find() is not None:
        return _take_all_with_find(specs, listings), listings
    return _take_all_in_threads(specs, listings), listings


@dataclass(frozen=True)
class Listing:
    """The status of every entry below a folder as a snapshot saw it, to tell which parts of the
    folder are unchanged since an earlier listing (``fingerprint.FolderStamps``)."""

    head: list[Status]  # the folder and its first level (or two): ``_split``
    parts: list[bytes]  # the walks below them: find's records (``FIND_RECORD``) or marshalled ``Status`` lists
    prefix: bytes  # what find's paths start with (the folder's absolute path and ``/``); b"" for the Python walk

    def statuses(self) -> Iterator[tuple[str, bytes | None]]:
        """Each entry's path relative to the folder and its status as bytes; None for an entry
        that changed less than ``RACY_SECONDS`` before the listing (with ``settled``)."""
        for rel, *status in self.head:
            yield rel, repr(status).encode()
        for part in self.parts:
            if self.prefix:
                yield from _find_statuses(part, self.prefix)
            else:
                for rel, *status in marshal.loads(part):
                    yield rel, repr(status).encode()


def _find_statuses(output: bytes, prefix: bytes) -> Iterator[tuple[str, bytes | None]]:
    fields = output.split(b"\0")
    racy = False
    position = 0
    while position < len(fields) - 1:
        path = fields[position]
        if not path:  # find's mark before an entry that changed too recently
            racy, position = True, position + 1
            continue
        yield os.fsdecode(path.removeprefix(prefix)), None if racy else fields[position + 1]
        racy, position = False, position + 2


def _take_all_in_threads(specs: list[Spec], listings: list[Listing | None] | None = None) -> list[str | None]:
    settled_before = time.time_ns() - int(RACY_SECONDS * 1e9)
    limits = [settled_before if spec.settled else None for spec in specs]
    heads, below = _split_all(specs, limits)
    tasks = [(number, path, prefix, limits[number]) for number, folders in enumerate(below) for path, prefix in folders]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts = list(pool.map(_walk_task, tasks))
    numbered = [(task[0], part) for task, part in zip(tasks, parts, strict=True)]
    if listings is not None:
        listings.extend(_listings(heads, numbered, [b""] * len(specs)))
    return _digests(b"snapshot", heads, numbered)


def _listings(heads: list[list[Status] | None], parts: list[tuple[int, bytes | None]],
              prefixes: list[bytes]) -> list[Listing | None]:
    """Per folder, its ``Listing``; None when its head or one of its walks failed."""
    return [Listing(head, walked, prefix) if head is not None and walked is not None else None
            for head, walked, prefix in zip(heads, _by_folder(heads, parts), prefixes, strict=True)]


def _by_folder(heads: list[list[Status] | None], parts: list[tuple[int, bytes | None]]) -> list[list[bytes] | None]:
    """Per folder, its walked parts in order (``parts``: folder number and bytes, None where the
    walk failed); None for a folder with no head or a failed part."""
    found: list[list[bytes] | None] = [[] if head is not None else None for head in heads]
    for number, part in parts:
        kept = found[number]
        if part is None:
            found[number] = None
        elif kept is not None:
            kept.append(part)
    return found


# -- with GNU find: the walk in C, in as many processes as cores ----------------------------------
#
# Python spends about 4 µs per entry besides the kernel's lstat, which at 10,000 reports (570,000
# entries in the content folder and the output) is twice the whole budget of an unchanged build.
# find prints each entry's status as it walks; its order is the order of the folder listings, which
# for an unchanged folder is unchanged (a changed folder has a new change time anyway).

#: Path, size, change time and inode: any write, chmod, rename, link or time change sets the change
#: time, so type, permissions and modification time would add nothing but formatting work.
FIND_RECORD = "%p\\0%s %C@ %i\\0"


@functools.cache
def _gnu_find() -> str | None:
    path = shutil.which("find")
    if path is None:
        return None
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "GNU findutils" in version else None


def _take_all_with_find(specs: list[Spec], listings: list[Listing | None] | None = None) -> list[str | None]:
    find = _gnu_find()
    assert find is not None
    settled_before = int(time.time() - RACY_SECONDS)  # whole seconds: find's -newerXY reads them
    heads, below = _split_all(specs, [settled_before * 10**9 if spec.settled else None for spec in specs])
    runs: list[tuple[int, subprocess.Popen[bytes], bytes]] = []
    workers = os.cpu_count() or 1
    for number, (spec, folders) in enumerate(zip(specs, below, strict=True)):
        for group in (folders[start::workers] for start in range(workers)):
            if group:
                runs.append((number, _start_find(find, settled_before if spec.settled else None),
                             b"".join(os.fsencode(os.path.abspath(path)) + b"\0" for path, _ in group)))
    with ThreadPoolExecutor(max_workers=max(len(runs), 1)) as pool:  # each find's pipes at once
        outputs = list(pool.map(lambda item: item[1].communicate(item[2])[0], runs))
    if listings is not None:  # racy entries are marked in the listing, not refused
        listings.extend(_listings(heads, [(number, output if run.returncode == 0 else None)
                                          for (number, run, _), output in zip(runs, outputs, strict=True)],
                                  [os.fsencode(os.path.abspath(spec.folder)) + b"/" for spec in specs]))
    parts = [(number, None if run.returncode != 0 or output.startswith(b"\0") or b"\0\0" in output  # unreadable, or racy
              else len(output).to_bytes(8, "big") + output) for (number, run, _), output in zip(runs, outputs, strict=True)]
    return _digests(b"snapshot find", heads, parts)


def _start_find(find: str, settled_before: int | None) -> subprocess.Popen[bytes]:
    """find over the folders it reads from its standard input, printing every entry's status, and
    an empty record before an entry changed after ``settled_before`` (seconds)."""
    racy = ["(", "(", "-newerct", f"@{settled_before}", "-o", "-newermt", f"@{settled_before}", ")", "-printf", "\\0", ")", ","] \
        if settled_before is not None else []
    return subprocess.Popen([find, "-files0-from", "-", *racy, "-printf", FIND_RECORD],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _digests(label: bytes, heads: list[list[Status] | None], parts: list[tuple[int, bytes | None]]) -> list[str | None]:
    """Per folder, the digest of its head and then of its walked parts in order (``_by_folder``);
    None for a folder with no head or a failed part."""
    digests: list[str | None] = []
    for head, walked in zip(heads, _by_folder(heads, parts), strict=True):
        if head is None or walked is None:
            digests.append(None)
            continue
        hasher = hashlib.sha256(label + b"\0" + marshal.dumps(head))
        for part in walked:
            hasher.update(part)
        digests.append(hasher.hexdigest())
    return digests


def _split_all(specs: list[Spec], limits: list[int | None]) -> tuple[list[list[Status] | None], list[list[tuple[str, str]]]]:
    """Per folder, its head (``_split``; None when it cannot be read or is not settled) and the
    folders below it that tasks walk."""
    heads: list[list[Status] | None] = []
    below: list[list[tuple[str, str]]] = []
    for spec, limit in zip(specs, limits, strict=True):
        try:
            head, folders = _split(spec, limit)
        except (_Unsettled, OSError):
            head, folders = None, []
        heads.append(head)
        below.append(folders)
    return heads, below


def _split(spec: Spec, limit: int | None) -> tuple[list[Status], list[tuple[str, str]]]:
    """The statuses of the folder and its first level (and second, when the first has few folders),
    and the folders below them, each walked by one task."""
    top = os.lstat(spec.folder)
    if not stat.S_ISDIR(top.st_mode):
        raise _Unsettled(".")
    head: list[Status] = [_status(".", top, limit)]
    folders = _list(os.fspath(spec.folder), "", spec.skip, limit, head)
    if len(folders) < SPLIT_AT:
        folders = [below for path, prefix in folders for below in _list(path, prefix, frozenset(), limit, head)]
    return head, folders


def _list(path: str, prefix: str, skip: frozenset[str], limit: int | None, out: list[Status]) -> list[tuple[str, str]]:
    """Append the statuses of ``path``'s entries to ``out``; its folders, to walk."""
    with os.scandir(path) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    folders = []
    for entry in entries:
        if not prefix and entry.name in skip:
            continue
        status = entry.stat(follow_symlinks=False)
        out.append(_status(prefix + entry.name, status, limit))
        if stat.S_ISDIR(status.st_mode):
            folders.append((entry.path, f"{prefix}{entry.name}/"))
    return folders


def _walk_task(task: tuple[int, str, str, int | None]) -> bytes | None:
    _, path, prefix, limit = task
    out: list[Status] = []
    try:
        _walk(path, prefix, limit, out)
    except (_Unsettled, OSError):
        return None
    return marshal.dumps(out)


def _walk(path: str, prefix: str, limit: int | None, out: list[Status]) -> None:
    for below, below_prefix in _list(path, prefix, frozenset(), limit, out):
        _walk(below, below_prefix, limit, out)


def _status(rel: str, status: os.stat_result, limit: int | None) -> Status:
    if limit is not None and max(status.st_mtime_ns, status.st_ctime_ns) >= limit:
        raise _Unsettled(rel)
    return (rel, status.st_mode, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
