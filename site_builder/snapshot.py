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
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

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
    #: whether its ``Listing`` keeps every entry's status (``Listing.statuses``), or only each
    #: folder's digest, which is all ``take_again`` reads (at 10,000 reports find's records of the
    #: output, held from the quick check to the end of the build, were about 60 MB)
    statuses: bool = True


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
    folder are unchanged since an earlier listing (``fingerprint.FolderStamps``), and to take the
    folder's snapshot again after a build changed a few of its parts (``take_again``)."""

    head: list[Status]  # the folder and its first level (or two): ``_split``
    #: each folder below the head (its path relative to the folder, ending in ``/``) and what its
    #: walk saw: find's records (``FIND_RECORD``) or a marshalled ``Status`` list, in walk order
    walked: dict[str, bytes]
    prefix: bytes  # what find's paths start with (the folder's absolute path and ``/``); b"" for the Python walk
    digests: dict[str, bytes]  # each walked folder's part of the snapshot (``_digest``)

    def statuses(self) -> Iterator[tuple[str, bytes | None]]:
        """Each entry's path relative to the folder and its status as bytes; None for an entry
        that changed less than ``RACY_SECONDS`` before the listing (with ``settled``)."""
        for rel, *status in self.head:
            yield rel, repr(status).encode()
        for part in self.walked.values():
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
    walks = _walk_in_threads([(folders, limit) for folders, limit in zip(below, limits, strict=True)])
    return _finish(b"snapshot", heads, walks, [b""] * len(specs), listings, [spec.statuses for spec in specs])


def _walk_in_threads(jobs: list[tuple[list[tuple[str, str]], int | None]]) -> list[dict[str, bytes | None]]:
    """Per job (folders to walk, with their paths relative to the snapshot's folder, and the
    settled limit), what each folder's walk saw (None where it failed or, with a limit, an entry
    was not settled)."""
    tasks = [(number, path, prefix, limit) for number, (folders, limit) in enumerate(jobs) for path, prefix in folders]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts = list(pool.map(_walk_task, tasks))
    walks: list[dict[str, bytes | None]] = [{} for _ in jobs]
    for (number, _, prefix, _), part in zip(tasks, parts, strict=True):
        walks[number][prefix] = part
    return walks


def _finish(label: bytes, heads: list[list[Status] | None], walks: list[dict[str, bytes | None]],
            prefixes: list[bytes], listings: list[Listing | None] | None,
            statuses: list[bool] | None = None) -> list[str | None]:
    """Per folder, its digest (``_digest``; None when its head or a walk failed, or an entry was
    not settled), and its ``Listing`` into ``listings`` (None when its head or a walk failed).
    ``prefixes``: find's (``Listing.prefix``), b"" for the Python walk, which refuses what is not settled;
    ``statuses``: ``Spec.statuses`` of each."""
    digests: list[str | None] = []
    for number, (head, walked, prefix) in enumerate(zip(heads, walks, prefixes, strict=True)):
        parts = {rel: part for rel, part in walked.items() if part is not None}
        complete = head is not None and len(parts) == len(walked)
        folder_digests = {rel: hashlib.sha256(part).digest() for rel, part in parts.items()} if complete else {}
        if listings is not None:
            kept = parts if statuses is None or statuses[number] else {}
            listings.append(Listing(head, kept, prefix, folder_digests) if head is not None and complete else None)
        settled = complete and not (prefix and any(_has_mark(part) for part in parts.values()))
        digests.append(_digest(label, head, folder_digests) if head is not None and settled else None)
    return digests


def _has_mark(found: bytes) -> bool:
    """Whether find marked an entry not settled in its records (``_start_find``): an empty record."""
    return found.startswith(b"\0") or b"\0\0" in found


def _digest(label: bytes, head: list[Status], folder_digests: dict[str, bytes]) -> str:
    """The snapshot: its head, then each folder below it (in walk order) with the digest of what
    its walk saw, so that a folder a build did not change can keep its digest (``take_again``)."""
    hasher = hashlib.sha256(label + b"\0" + marshal.dumps(head))
    for rel, digest in folder_digests.items():
        name = os.fsencode(rel)
        hasher.update(b"%d\0%b%b" % (len(name), name, digest))
    return hasher.hexdigest()


def take_again(spec: Spec, earlier: Listing, touched: Iterable[str]) -> str | None:
    """The snapshot of ``spec`` (not ``settled``), when nothing but the entries ``touched`` (paths
    relative to its folder) was changed since ``earlier``, its listing, was seen: its head and the
    folders below the head with something touched are walked again; the others keep their digests.

    A folder changed by something else meanwhile keeps the digest of what was seen before, so the
    next snapshot differs from this one, as it would from one walked now: the next build finds the
    output changed and walks it (``quick.check``)."""
    assert not spec.settled
    try:
        head, folders = _split(spec, None)
    except (_Unsettled, OSError):
        return None
    changed = {folder for path in touched for folder in _folders_of(path)}
    again = [(path, rel) for path, rel in folders if rel in changed or rel not in earlier.digests]
    if earlier.prefix and _gnu_find() is None:
        return None
    walked = (_walk_with_find if earlier.prefix else _walk_in_threads)([(again, None)])[0]
    fresh = {rel: hashlib.sha256(part).digest() for rel, part in walked.items() if part is not None}
    if len(fresh) < len(walked):
        return None
    folder_digests = {rel: fresh[rel] if rel in fresh else earlier.digests[rel] for _, rel in folders}
    return _digest(b"snapshot find" if earlier.prefix else b"snapshot", head, folder_digests)


def _folders_of(path: str) -> list[str]:
    """The folders a walk may have started at that hold ``path``: its first and second levels."""
    first, _, rest = path.partition("/")
    if not rest:
        return []
    second, _, deeper = rest.partition("/")
    return [f"{first}/", f"{first}/{second}/"] if deeper else [f"{first}/"]


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
    try:
        started = _start_with_find(specs, hashed=listings is None)
    except OSError:  # no temporary file for find to write into (TMPDIR unwritable or full)
        return _take_all_in_threads(specs, listings)
    results = [pending.result() for pending in started]
    if listings is not None:
        listings.extend(listing for _, listing in results)
    return [digest for digest, _ in results]


def start_listed(specs: list[Spec]) -> list[Pending]:
    """``take_listed``, started: each folder's walk runs in find processes of its own while the
    caller goes on; ``Pending.result`` waits for one folder's. (Without GNU find: taken at once.)"""
    if _gnu_find() is not None:
        try:
            return _start_with_find(specs)
        except OSError:  # as _take_all_with_find
            pass
    listings: list[Listing | None] = []
    digests = _take_all_in_threads(specs, listings)
    return [Pending(result=(digest, listing)) for digest, listing in zip(digests, listings, strict=True)]


class Pending:
    """A folder's snapshot being taken (``start_listed``): its find processes write their records
    into temporary files (not pipes: nothing would read a pipe while the caller works, and a full
    pipe stops find), so no thread runs beside the caller, which may fork."""

    def __init__(self, finish: Callable[[], tuple[str | None, Listing | None]] | None = None,
                 runs: list[_FindRun] | None = None,
                 result: tuple[str | None, Listing | None] | None = None) -> None:
        self._finish, self._runs, self._result = finish, runs or [], result

    def result(self) -> tuple[str | None, Listing | None]:
        """The digest and listing (``take_listed``'s), waiting for the walk when it is still running."""
        if self._result is None:
            assert self._finish is not None
            self._result, self._finish = self._finish(), None
        return self._result

    def cancel(self) -> None:
        """Stop the walk if it is still running (its result is then never wanted)."""
        if self._result is None:
            for run in self._runs:
                run.stop()
            self._result, self._finish = (None, None), None


def _start_with_find(specs: list[Spec], hashed: bool = False) -> list[Pending]:
    """``hashed``: only the digests are wanted, no listing; find's records are hashed as they are
    read, not held (at 100,000 reports the output's were about 500 MB)."""
    settled_before = int(time.time() - RACY_SECONDS)  # whole seconds: find's -newerXY reads them
    heads, below = _split_all(specs, [settled_before * 10**9 if spec.settled else None for spec in specs])
    pending: list[Pending] = []
    for spec, head, folders in zip(specs, heads, below, strict=True):
        job = (folders, settled_before if spec.settled else None)
        try:
            runs = _start_walks([job])
        except OSError:
            for started in pending:
                started.cancel()
            raise
        prefix = os.fsencode(os.path.abspath(spec.folder)) + b"/"

        def finish(head: list[Status] | None = head, runs: list[_FindRun] = runs,
                   job: tuple[list[tuple[str, str]], int | None] = job,
                   prefix: bytes = prefix, statuses: bool = spec.statuses) -> tuple[str | None, Listing | None]:
            if hashed:
                return _finish_hashed(head, _collect_hashed(runs, job[0])), None
            listings: list[Listing | None] = []
            digest = _finish(b"snapshot find", [head], _collect_walks(runs, [job]), [prefix], listings,
                             [statuses])[0]
            return digest, listings[0]

        pending.append(Pending(finish, runs))
    return pending


def _walk_with_find(jobs: list[tuple[list[tuple[str, str]], int | None]]) -> list[dict[str, bytes | None]]:
    """``_walk_in_threads`` with find, in a process per core per job. An entry not settled is
    marked in what its folder's walk saw (``_start_find``), not refused: the digest is refused,
    the listing marks the entry."""
    return _collect_walks(_start_walks(jobs), jobs)


@dataclass
class _FindRun:
    """One find process walking a group of folders of one job, writing into ``output``."""

    number: int  # the job's
    group: list[tuple[str, str]]
    process: subprocess.Popen[bytes]
    output: IO[bytes]

    def records(self) -> bytes | None:
        """What find printed, once it is done; None if it failed."""
        code = self.process.wait()
        self.output.seek(0)
        found = self.output.read()
        self.output.close()
        return found if code == 0 else None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.output.close()


def _start_walks(jobs: list[tuple[list[tuple[str, str]], int | None]]) -> list[_FindRun]:
    find = _gnu_find()
    assert find is not None
    runs: list[_FindRun] = []
    workers = os.cpu_count() or 1
    try:
        for number, (folders, settled_before) in enumerate(jobs):
            for group in (folders[start::workers] for start in range(workers)):
                if group:
                    runs.append(_start_run(find, number, group, settled_before))
    except OSError:  # none left running
        for run in runs:
            run.stop()
        raise
    return runs


def _start_run(find: str, number: int, group: list[tuple[str, str]], settled_before: int | None) -> _FindRun:
    with tempfile.TemporaryFile() as listed:
        listed.write(b"".join(os.fsencode(os.path.abspath(path)) + b"\0" for path, _ in group))
        listed.seek(0)
        output = tempfile.TemporaryFile()
        try:
            return _FindRun(number, group, _start_find(find, settled_before, listed, output), output)
        except OSError:
            output.close()
            raise


def _collect_walks(runs: list[_FindRun], jobs: list[tuple[list[tuple[str, str]], int | None]]) -> list[dict[str, bytes | None]]:
    found: list[dict[str, bytes | None]] = [{} for _ in jobs]
    for done, run in enumerate(runs):
        try:
            records = run.records()
        except OSError:  # the others stopped too: no process or temporary file left behind
            for left in runs[done + 1:]:
                left.stop()
            raise
        found[run.number].update(_segments(records, run.group))
    return [{rel: walked[rel] for _, rel in folders}  # in walk order, as the head lists them
            for walked, (folders, _) in zip(found, jobs, strict=True)]


def _collect_hashed(runs: list[_FindRun], folders: list[tuple[str, str]]) -> tuple[dict[str, bytes | None], bool]:
    """``_collect_walks`` of one job, each folder's records as their SHA-256; and whether find
    marked an entry not settled."""
    found: dict[str, bytes | None] = {}
    marked = False
    for done, run in enumerate(runs):
        try:
            hashed, marks = _hashed_segments(run)
        except OSError:  # as _collect_walks
            for left in runs[done + 1:]:
                left.stop()
            raise
        found.update(hashed)
        marked = marked or marks
    return {rel: found[rel] for _, rel in folders}, marked


READ_SIZE = 1 << 22  # bytes of find's output read at a time


def _hashed_segments(run: _FindRun) -> tuple[dict[str, bytes | None], bool]:
    """``_segments`` of one find's output, hashed as it is read (``_finish``'s digest of each
    folder's records), and whether it marked an entry (``_has_mark`` of any folder's records: as
    they follow each other, that is two NULs in a row anywhere, or one first)."""
    code = run.process.wait()
    run.output.seek(0)
    marked = run.output.read(1) == b"\0"
    run.output.seek(0)
    group = run.group
    boundaries = [b"\0" + os.fsencode(os.path.abspath(path)) + b"\0" for path, _ in group[1:]]
    found: dict[str, bytes | None] = {}
    hasher, pending, before = hashlib.sha256(), b"", b""  # before: the last byte hashed
    with run.output:
        while True:
            chunk = run.output.read(READ_SIZE)
            pending, start = pending + chunk, 0
            while len(found) < len(boundaries):
                at = pending.find(boundaries[len(found)], start)
                if at < 0:
                    break
                end = at if (pending[at - 1:at] if at > start else before) == b"\0" else at + 1
                marked = marked or _two_nuls(before, pending, start, end)
                hasher.update(memoryview(pending)[start:end])
                found[group[len(found)][1]] = hasher.digest()
                hasher, before, start = hashlib.sha256(), pending[end - 1:end] if end > start else before, end
            if not chunk:
                break
            keep = max(start, len(pending) - (len(boundaries[len(found)]) if len(found) < len(boundaries) else 1))
            marked = marked or _two_nuls(before, pending, start, keep)
            hasher.update(memoryview(pending)[start:keep])
            before, pending = pending[keep - 1:keep] if keep > start else before, pending[keep:]
    if code != 0 or len(found) < len(boundaries):
        return {rel: None for _, rel in group}, marked
    marked = marked or _two_nuls(before, pending, 0, len(pending))
    hasher.update(pending)
    found[group[-1][1]] = hasher.digest()
    return found, marked


def _two_nuls(before: bytes, data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]``, after the byte ``before``, holds two NULs in a row."""
    return end > start and ((before == b"\0" and data[start] == 0) or data.find(b"\0\0", start, end) >= 0)


def _finish_hashed(head: list[Status] | None, hashed: tuple[dict[str, bytes | None], bool]) -> str | None:
    """``_finish``'s digest of one folder walked with find, from its folders' digests."""
    folder_digests, marked = hashed
    if head is None or marked or any(digest is None for digest in folder_digests.values()):
        return None
    return _digest(b"snapshot find", head, {rel: digest for rel, digest in folder_digests.items() if digest is not None})


def _segments(output: bytes | None, group: list[tuple[str, str]]) -> dict[str, bytes | None]:
    """One find's output cut into what it printed for each of its folders (``group``, in the
    order given): each folder's records start with the folder's own, its path alone (find prints
    no other entry with that path), after the mark of an entry not settled when there is one."""
    if output is None:
        return {rel: None for _, rel in group}
    found: dict[str, bytes | None] = {}
    start = 0
    for index, (_, rel) in enumerate(group):
        end = len(output)
        if index + 1 < len(group):
            at = output.find(b"\0" + os.fsencode(os.path.abspath(group[index + 1][0])) + b"\0", start)
            if at < 0:
                return {rel: None for _, rel in group}
            end = at if output[at - 1:at] == b"\0" else at + 1  # a status is never empty: a mark
        found[rel] = output[start:end]
        start = end
    return found


def _start_find(find: str, settled_before: int | None, folders: IO[bytes], output: IO[bytes]) -> subprocess.Popen[bytes]:
    """find over the folders it reads from its standard input, printing every entry's status, and
    an empty record before an entry changed after ``settled_before`` (seconds)."""
    racy = ["(", "(", "-newerct", f"@{settled_before}", "-o", "-newermt", f"@{settled_before}", ")", "-printf", "\\0", ")", ","] \
        if settled_before is not None else []
    return subprocess.Popen([find, "-files0-from", "-", *racy, "-printf", FIND_RECORD],
                            stdin=folders, stdout=output, stderr=subprocess.DEVNULL)


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
