"""The quick check: a build into an output whose content folder, output, tool and settings are all
as the previous build left them has nothing to do, and says so without reading a file.

The previous build left a record in its build cache (``build_cache.py``): snapshots of the content
folder, taken before that build read it, and of the output, taken after it was published
(``snapshot.py``: one ``lstat`` per entry), the tool's digest and settings, and what it reported.
This module imports only what that needs, so that the command line can run it before loading the
build pipeline (a third of a second).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from site_builder import check_cache, contentfs, fingerprint, shards, snapshot
from site_builder.check_cache import Invalid
from site_builder.findings import Finding
from site_builder.output import (
    BuildResult,
    OutputRefused,
    check_output,
    output_lock,
    recover,
    remove_leftovers,
)
from site_builder.publish import roll_forward

MAGIC = "site-builder-build-cache"
VERSION = "2"  # 2: the summary's table rows in a file of their own
UNCHANGED = "unchanged: nothing built"


def cache_folder(folder: Path, root: Path, out: Path) -> Path:
    """The build cache of a content folder and an output folder, whichever the current folder."""
    key = "\0".join((os.path.realpath(root), os.path.realpath(out)))
    return folder / f"build-{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}"


def pagefind_version() -> str:
    try:
        return metadata.version("pagefind_bin_extended")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class QuickRecord:
    """What tells the next build, without reading a file, that it has nothing to do: the tool, the
    settings, and snapshots of the content folder (taken before the build read it) and of the
    output (taken after it was published); and what the build reported, to report it again."""

    tool: str  # the tool's digest, the search settings and Pagefind's version
    content: str
    output: str
    findings: list[Finding]
    pages: int
    reports: int
    files: int
    shards: int

    def to_data(self) -> list[Any]:
        return [self.tool, self.content, self.output, [check_cache.encode(f) for f in self.findings],
                self.pages, self.reports, self.files, self.shards]

    @classmethod
    def from_data(cls, data: Any) -> QuickRecord:
        tool, content, output, findings, pages, reports, files, shards = data
        if not all(isinstance(v, str) for v in (tool, content, output)) or not isinstance(findings, list) \
                or not all(type(v) is int for v in (pages, reports, files, shards)):
            raise Invalid("quick")
        return cls(tool, content, output, [check_cache.decode(f) for f in findings], pages, reports, files, shards)


def read_quick(folder: Path) -> QuickRecord | None:
    """The quick record in the build cache ``folder`` (``cache_folder``), None if none is usable."""
    return _read_record(folder / "quick")


def _read_record(path: Path) -> QuickRecord | None:
    data = _read(path)
    try:
        return QuickRecord.from_data(data) if data is not None else None
    except (Invalid, KeyError, TypeError, ValueError, ArithmeticError):
        return None


def tool_state(settings: str) -> str:
    """The inputs of every build that are not files of its content folder."""
    return hashlib.sha256(fingerprint.tool_digest() + f"\0{settings}\0{pagefind_version()}".encode()).hexdigest()


def build_state(root: Path, findings: list[Finding]) -> str:
    """``tool_state`` of a build, and where its findings were shown from when it had any: they
    name files relative to the current folder, so they are reported again only from there."""
    shown = f"\0{contentfs.display_path(root)}" if findings else ""
    return tool_state(index_settings() + shown)


def index_settings() -> str:
    return f"{shards.shard_reports()} {shards.single_index_reports()}"


@dataclass
class QuickCheck:
    result: BuildResult | None  # the previous build's, when nothing changed
    content: str | None  # the content folder's snapshot, started before anything read it (None: racy)
    #: the status of every entry of the content folder as the snapshot saw it (the build reads
    #: again only the report folders it shows changed: ``fingerprint.FolderStamps``)
    listing: snapshot.Listing | None = None
    #: the output's snapshot, still being taken when the content had changed (the build plans
    #: and keys its reports meanwhile), and the previous build's record of it
    output: snapshot.Pending | None = None
    recorded_output: str | None = None
    #: with no build to compare with, the content's snapshot is still being taken while the build
    #: starts (``content`` and ``listing`` are None until ``take_content``); an entry changed after
    #: its walk began is marked as changed too recently, as one changed just before
    content_walk: snapshot.Pending | None = None

    def take_content(self) -> None:
        """Wait for the content folder's snapshot, if it is still being taken."""
        if self.content_walk is not None:
            self.content, self.listing = self.content_walk.result()
            self.content_walk = None

    @property
    def output_as_left(self) -> bool:
        """The output is exactly as the previous build left it (its snapshot is the one recorded
        then), so the build cache's record of its files is the output's (publish.py needs no walk)."""
        taken = self.output.result()[0] if self.output is not None else None
        return taken is not None and taken == self.recorded_output

    @property
    def output_listing(self) -> snapshot.Listing | None:
        """The output's entries as its snapshot saw them (to take it again after the build walking
        only what publication changed: ``snapshot.take_again``)."""
        return self.output.result()[1] if self.output is not None else None

    def cancel(self) -> None:
        """Stop the walks if the build ends before it needs them."""
        for walk in (self.output, self.content_walk):
            if walk is not None:
                walk.cancel()


def content_spec(root: Path) -> snapshot.Spec:
    """The content folder as the quick checks see it: settled, without the ``.git`` at its top."""
    return snapshot.Spec(root, frozenset({".git"}), settled=True)


def check(cache: Path, root: Path, out: Path) -> QuickCheck:
    """The previous build's result if neither the content folder nor the output changed since it,
    nor the tool and its settings; and the content folder's snapshot, taken now, for the next build.
    Both folders are walked at once; when the content changed, the output's walk goes on while the
    build starts (``QuickCheck.output``)."""
    folder = cache_folder(cache, root, out)
    if not (folder / "quick").is_file() or not os.path.lexists(out):  # nothing to compare with
        return QuickCheck(None, None, content_walk=snapshot.start_listed([content_spec(root)])[0])
    walks = snapshot.start_listed([content_spec(root), snapshot.Spec(out, statuses=False)])  # see take_again
    try:
        record = read_quick(folder)  # while find walks
        content, listing = walks[0].result()
    except BaseException:
        walks[1].cancel()
        raise
    checked = QuickCheck(None, content, listing, walks[1], record.output if record is not None else None)
    if record is None or content is None or content != record.content or record.tool != build_state(root, record.findings):
        return checked
    if walks[1].result()[0] != record.output:
        return checked
    return QuickCheck(BuildResult(record.findings, record.pages, record.reports, record.files, {}, {}, record.reports,
                                  record.shards), content)


@contextmanager
def locked_output(root: Path, out: Path) -> Iterator[Path]:
    """The output folder, resolved and checked (``output.check_output``), under its lock, after the
    recovery of a swap a kill interrupted: where every build starts."""
    out = check_output(root, out)
    try:
        index_settings()  # a bad setting is refused before anything is done
    except ValueError as error:
        raise OutputRefused(str(error)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        check_output(root, out)  # again: another build may have finished in between
        recover(out)
        roll_forward(out)
        yield out


def answer(cache: Path, root: Path, out: Path, clock: float, checked: QuickCheck | None = None) -> QuickCheck:
    """The quick check under the lock (``checked``: one the caller ran, which found something to
    build); when nothing changed, what killed builds left beside the output still goes."""
    if checked is None or checked.result is not None:
        checked = check(cache, root, out)
    if checked.result is not None:
        remove_leftovers(out)
        checked.result.timings[UNCHANGED] = time.perf_counter() - clock
    return checked


def build_if_unchanged(root: Path, out: Path, cache: Path) -> QuickCheck:
    """What the command line runs first, before it loads the build pipeline."""
    clock = time.perf_counter()
    with locked_output(root, out) as target:
        return answer(cache, root, target, clock)


# -- the same for ``check``: its findings, when the content folder and the tool are unchanged -------


def _check_record(cache: Path, root: Path) -> Path:
    findings_cache = check_cache.cache_file(cache, root)
    return findings_cache.with_name(findings_cache.name + ".quick")


def check_unchanged(cache: Path, root: Path) -> tuple[tuple[list[Finding], int] | None, str | None]:
    """The findings and number of reports checked of the previous ``check`` of ``root`` if neither
    the content folder nor the tool changed since; and the content folder's snapshot, taken now."""
    content = snapshot.take_all([content_spec(root)])[0]
    record = _read_record(_check_record(cache, root))
    if content is None or record is None or record.content != content or record.tool != tool_state("check"):
        return None, content
    return (record.findings, record.reports), content


def remember_check(cache: Path, root: Path, content: str | None, findings: list[Finding], checked: int,
                   reads_git: bool) -> None:
    path = _check_record(cache, root)
    try:
        if content is None or reads_git:
            path.unlink(missing_ok=True)
        else:
            check_cache.write_sealed(path, MAGIC, VERSION,
                                     QuickRecord(tool_state("check"), content, "", findings, 0, checked, 0, 0).to_data())
    except OSError:
        pass


def _read(path: Path) -> Any:
    return check_cache.read_sealed(path, MAGIC, VERSION)
