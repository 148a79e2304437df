"""The findings cache of ``check``: each report's findings, kept under the report's fingerprint.

The cache lives outside the content folder (which is in git): by default in
``$XDG_CACHE_HOME/site-builder/`` (else ``~/.cache/site-builder/``), one file per content folder
and current folder (findings show paths relative to it). The file is ours but not trusted: a
missing, truncated, corrupt or foreign file is ignored (and rewritten), each entry is validated
before use, and a file is replaced atomically (temporary file + rename), so a killed check leaves
the old file or the new one, never half of one.

File format: a first line ``site-builder-check-cache <version> <sha256 of the rest>``, then JSON
``{"root": ..., "shown": ..., "entries": {report folder: [fingerprint, loaded, [finding, ...]]}}``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from site_builder.contentfs import display_path
from site_builder.findings import Finding, Place

MAGIC = "site-builder-check-cache"
VERSION = "1"
KEPT_FILES = 100  # cache files kept in the folder (one per content folder checked); the oldest go
FINDING_FIELDS = 12


def default_folder() -> Path | None:
    """``$XDG_CACHE_HOME/site-builder`` (an absolute XDG_CACHE_HOME only), else ``~/.cache/site-builder``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "site-builder"
    try:
        return Path.home() / ".cache" / "site-builder"
    except RuntimeError:  # no home folder: no cache
        return None


def cache_file(folder: Path, root: Path) -> Path:
    """The cache file of a content folder, as seen from the current folder."""
    key = f"{os.path.realpath(root)}\0{display_path(root)}".encode("utf-8", "surrogateescape")
    return folder / f"check-{hashlib.sha256(key).hexdigest()[:32]}.cache"


# -- findings as JSON lists ------------------------------------------------------------------------


def encode(finding: Finding) -> list[Any]:
    place = finding.place
    return [finding.rule, finding.message, [place.path, place.line, place.col], finding.severity, finding.subject,
            list(finding.figures), [[p.path, p.line, p.col] for p in finding.related], finding.acknowledged,
            finding.report, finding.table, list(finding.cells), finding.counts]


class Invalid(Exception):
    """A cache entry that is not what ``encode`` writes."""


def decode(data: Any) -> Finding:
    if not isinstance(data, list) or len(data) != FINDING_FIELDS:
        raise Invalid("finding")
    rule, message, place, severity, subject, figures, related, acknowledged, report, table, cells, counts = data
    for text in (rule, message, severity, subject, acknowledged, report, table):
        _require(isinstance(text, str))
    _require(isinstance(counts, dict) and all(isinstance(k, str) and type(v) is int for k, v in counts.items()))
    return Finding(rule, message, _place(place), severity=severity, subject=subject, figures=_texts(figures),
                   related=tuple(_place(p) for p in _list(related)), acknowledged=acknowledged, report=report,
                   table=table, cells=_texts(cells), counts=counts)


def _require(condition: bool) -> None:
    if not condition:
        raise Invalid("value")


def _list(value: Any) -> list[Any]:
    _require(isinstance(value, list))
    return value


def _texts(value: Any) -> tuple[str, ...]:
    _require(all(isinstance(item, str) for item in _list(value)))
    return tuple(value)


def _place(value: Any) -> Place:
    _require(isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
             and type(value[1]) is int and type(value[2]) is int)
    return Place(value[0], value[1], value[2])


# -- the cache file --------------------------------------------------------------------------------


@dataclass
class FindingsCache:
    """The entries read from a cache file, and the entries to write back."""

    path: Path | None
    root: str
    shown: str
    entries: dict[str, Any] = field(default_factory=dict)
    fresh: dict[str, list[Any]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def open(cls, folder: Path | None, root: Path) -> FindingsCache:
        """The cache of ``root`` in ``folder`` (None: a cache that remembers nothing)."""
        path = cache_file(folder, root) if folder is not None else None
        cache = cls(path, os.path.realpath(root), display_path(root))
        cache.entries = cache._read() if path is not None else {}
        return cache

    def _read(self) -> dict[str, Any]:
        assert self.path is not None
        data = read_sealed(self.path, MAGIC, VERSION)
        if not isinstance(data, dict) or data.get("root") != self.root or data.get("shown") != self.shown:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, folder: str, fingerprint: str) -> tuple[bool, list[Finding]] | None:
        """The cached result of a report folder if its fingerprint is the same, else None."""
        entry = self.entries.get(folder)
        try:
            if not isinstance(entry, list) or len(entry) != 3 or entry[0] != fingerprint or not isinstance(entry[1], bool):
                return None
            findings = [decode(item) for item in _list(entry[2])]
        except Invalid:
            return None
        self.fresh[folder] = entry
        return entry[1], findings

    def put(self, folder: str, fingerprint: str, loaded: bool, findings: list[Finding]) -> None:
        self.fresh[folder] = [fingerprint, loaded, [encode(f) for f in findings]]
        self.changed = True

    def save(self) -> None:
        """Write the entries of this run (reports no longer there are dropped), if anything changed."""
        if self.path is None or not (self.changed or self.fresh.keys() != self.entries.keys()):
            return
        try:
            if write_sealed(self.path, MAGIC, VERSION, {"root": self.root, "shown": self.shown, "entries": self.fresh}):
                _prune(self.path.parent)
        except OSError:  # a cache that cannot be written only costs time
            pass


def read_sealed(path: Path, magic: str, version: str) -> Any:
    """The JSON of a file ``write_sealed`` wrote with this magic and version; None if it is missing,
    unreadable, truncated, corrupt or not ours."""
    body = read_sealed_body(path, magic, version)
    try:
        return orjson.loads(body) if body is not None else None
    except ValueError:  # orjson's JSONDecodeError is a ValueError
        return None


def write_sealed(path: Path, magic: str, version: str, data: Any) -> bool:
    """Write ``data`` as JSON after a line ``<magic> <version> <sha256 of the JSON>``, atomically;
    False (nothing written) for text that is not valid Unicode or data that is not JSON.

    orjson writes the same bytes as ``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``
    ten times faster: a 10,000-report build's record of its 400,000 output files is 49 MB."""
    try:
        body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError: not JSON, or a str that is not valid Unicode
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # header and body written one after the other: joined, they were a second copy of the body
    write_atomically(path, f"{magic} {version} {hashlib.sha256(body).hexdigest()}\n".encode(), body)
    return True


def write_sealed_lines(path: Path, magic: str, version: str, key: str, items: Iterable[tuple[str, Any]]) -> bool:
    """A record of ``key`` and a mapping, written as the items come: after the header line
    (``write_sealed``'s, with the SHA-256 of all that follows it), the key's JSON on a line, then
    one line ``[name, value]`` per item. Neither the mapping nor its text is held in memory (a
    100,000-report site's record of its 3.9 million files: 487,517,462 bytes), and ``read_sealed_lines`` reads it
    back without orjson's working memory for one large document (about 16 times the text: 800 MB
    for the 49 MB record of 10,000 reports). The header's digest is written last, over a
    placeholder of its length. False (nothing written) as ``write_sealed``."""
    try:
        with SealedWriter(path, magic, version) as writer:
            writer.write(orjson.dumps(key) + b"\n")
            for chunk in _chunks_of_lines(items):
                writer.write(chunk)
    except TypeError:  # orjson.JSONEncodeError: a str that is not valid Unicode
        return False
    return True


class SealedWriter:
    """A sealed file written as it comes: a header line ``<magic> <version> <sha256 of the rest>``
    (the digest written last, over a placeholder of its length), then whatever ``write`` is given;
    in place atomically when the ``with`` block ends without an exception, else nothing."""

    def __init__(self, path: Path, magic: str, version: str) -> None:
        self.path, self.magic, self.version = path, magic, version
        self.hasher = hashlib.sha256()

    def __enter__(self) -> SealedWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, self.temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".check-", suffix=".tmp")
        self.handle = os.fdopen(fd, "wb", buffering=1 << 20)
        self.handle.write(self._header("0" * 64))
        return self

    def _header(self, digest: str) -> bytes:
        return f"{self.magic} {self.version} {digest}\n".encode()

    def write(self, chunk: bytes | bytearray) -> None:
        self.hasher.update(chunk)
        self.handle.write(chunk)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.handle.seek(0)
                self.handle.write(self._header(self.hasher.hexdigest()))
            self.handle.close()
            if kind is None:
                os.replace(self.temporary, self.path)
                return
        except BaseException:
            Path(self.temporary).unlink(missing_ok=True)
            raise
        Path(self.temporary).unlink(missing_ok=True)


def read_sealed_body(path: Path, magic: str, version: str) -> bytes | None:
    """What follows the header of a file ``SealedWriter`` wrote with this magic and version, if
    its digest holds; None if it is missing, unreadable, truncated, corrupt or not ours."""
    try:
        with path.open("rb") as handle:  # not read whole and split: that copied the body
            header, body = handle.readline(200).removesuffix(b"\n"), handle.read()
        found_magic, found_version, digest = header.decode("ascii").split(" ")
    except (OSError, ValueError):
        return None
    if (found_magic, found_version) != (magic, version) or hashlib.sha256(body).hexdigest() != digest:
        return None
    return body


SEALED_CHUNK = 1 << 20  # bytes of lines written at a time by write_sealed_lines


def _chunks_of_lines(items: Iterable[tuple[str, Any]]) -> Iterator[bytearray]:
    """One JSON line per item, appended as each is made, given a megabyte or so at a time: orjson's
    result for one small item holds a few kB until it is freed, so joining a batch of them held
    about 34 MB at once; and a batch counted in items grew with the items (8,192 folders of the
    output's record, ``stamps.SiteStamps``, were 13 MB)."""
    lines = bytearray()
    for item in items:
        lines += orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)
        if len(lines) >= SEALED_CHUNK:
            yield lines
            lines = bytearray()
    if lines:
        yield lines


def read_sealed_lines(path: Path, magic: str, version: str) -> tuple[str, dict[str, Any]] | None:
    """The key and mapping ``write_sealed_lines`` wrote with this magic and version; None if the
    file is missing, unreadable, truncated, corrupt or not ours."""
    body = read_sealed_body(path, magic, version)
    if body is None:
        return None
    try:
        lines = body.split(b"\n")
        del body
        key = orjson.loads(lines[0])
        if not isinstance(key, str) or lines[-1] != b"":
            return None
        mapping: dict[str, Any] = {}
        for line in itertools.islice(lines, 1, len(lines) - 1):
            item = orjson.loads(line)
            if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
                return None
            mapping[item[0]] = item[1]
        return key, mapping
    except ValueError:  # orjson's JSONDecodeError is a ValueError
        return None


def write_atomically(path: Path, *chunks: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".check-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prune(folder: Path) -> None:
    """Keep the most recently written ``KEPT_FILES`` cache files (tests and moved folders leave old ones)."""
    files = sorted(folder.glob("check-*.cache"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEPT_FILES:]:
        old.unlink(missing_ok=True)
