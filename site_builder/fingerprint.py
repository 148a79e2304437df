"""Fingerprints: one SHA-256 per report over everything its check depends on.

Two reports with the same fingerprint give the same findings, so a check can reuse the findings of
an unchanged report (``check_cache``). What a report's check reads:

- the tool itself: its version, every file of the package (code, templates, code lists, forms,
  checks.yaml, prose labels, schemas) and of the default theme (``themes/default``: the build's
  keys are made from this digest too), the Python version and the versions of the libraries whose
  behaviour or messages reach the findings or the pages;
- the content root's ``site.yaml``, ``glossary.yaml`` and ``codes.yaml`` (codes.yaml is read by
  every report; the other two are included because the build's pages of a report use them);
- the unit's ``unit.yaml``;
- every file and folder of the report folder (relative path and bytes);
- the unit's previous-year report folder (``<unit>/<year - 1>/``): growth rates and previous-year
  references read its report.yaml and tables (``prose/refs.py``, ``rules/prose_check``);
- where the report declares ``published:``, its folder's git history and uncommitted changes as
  ``rules/corrections.py`` sees them (and so today's date, which dates uncommitted changes);
- the report folder's path inside the content folder (``<unit>/<year>``): neither where the content
  folder is nor the current folder, so a copy of it elsewhere (another machine's job: ``parts.py``),
  or the same folder built from another directory, has the same fingerprints. Findings show paths
  relative to the current folder: what keeps findings keeps where they were shown from.

Files are read through ``contentfs`` (never following a link); bytes are hashed, never mtimes.
A build may skip reading a folder that a snapshot of the content shows unchanged since the last
build (``FolderStamps``): the digest is then the one computed from its bytes then.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

import site_builder
from site_builder import contentfs, limits
from site_builder.contentfs import TreeItem, display_path
from site_builder.snapshot import Listing

PACKAGE_DIR = Path(site_builder.__file__).resolve().parent
#: The default theme (templates and assets of every page) lies beside the package, not in it.
PACKAGE_THEME_DIR = PACKAGE_DIR.parent / "themes" / "default"
ROOT_FILES = ("site.yaml", "glossary.yaml", "codes.yaml")
#: Libraries whose behaviour reaches findings (messages of schema errors, YAML marks) or the pages
#: (the template engine and its escaping).
LIBRARIES = ("pyyaml", "jsonschema", "fastjsonschema", "markdown-it-py", "jinja2", "markupsafe")
#: Any file is read whole up to here; a larger one is "too large" to the loader whatever its bytes.
FILE_LIMIT = max(limits.YAML_FILE_BYTES, limits.MARKDOWN_FILE_BYTES)
#: report.yaml containing this can declare ``published:``: then git history is an input.
PUBLISHED_KEY = b"published"


class _Hasher:
    """SHA-256 over length-prefixed fields, so that no two different field lists hash alike."""

    def __init__(self, label: str) -> None:
        self._hash = hashlib.sha256()
        self.field(label.encode())

    def field(self, *parts: bytes) -> None:
        for part in parts:
            self._hash.update(len(part).to_bytes(8, "big"))
            self._hash.update(part)

    def items(self, label: str, items: list[TreeItem]) -> None:
        self.field(label.encode(), str(len(items)).encode())
        for item in items:
            data = item.data if item.data is not None else b"" if item.kind is not contentfs.Kind.FILE else b"\0too-large"
            self.field(item.rel.encode("utf-8", "surrogateescape"), item.kind.value.encode(), data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def digest(self) -> bytes:
        return self._hash.digest()


@cache
def tool_digest() -> bytes:
    """The tool's own inputs to every check and build: version, package files, the default theme,
    Python and library versions."""
    hasher = _Hasher("tool")
    hasher.field(site_builder.__version__.encode(), sys.version.encode())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        hasher.field(name.encode(), version.encode())
    for folder, label in ((PACKAGE_DIR, b""), (PACKAGE_THEME_DIR, b"theme:")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                hasher.field(label + path.relative_to(folder).as_posix().encode(), path.read_bytes())
    return hasher.digest()


def _file_item(root: Path, path: Path) -> TreeItem:
    """One content file as a tree item: its kind (missing, link…) and bytes."""
    found = contentfs.kind(root, path)
    if found is not contentfs.Kind.FILE:
        return TreeItem(path.name, found)
    data, problems = contentfs.read_bytes(root, path, FILE_LIMIT)
    if data is None:
        too_large = any(problem.rule == "content.too-large" for problem in problems)
        return TreeItem(path.name, contentfs.Kind.FILE if too_large else contentfs.Kind.UNREADABLE)
    return TreeItem(path.name, found, data)


class Fingerprints:
    """Fingerprints of the reports of one content folder, for one run.

    What several reports share is read once per run: the tool and root files, a unit's unit.yaml,
    and a report folder, which is both a report and the next year's previous-year report.
    """

    def __init__(self, root: Path, stamps: FolderStamps | None = None) -> None:
        self.root = root
        self.stamps = stamps
        hasher = _Hasher("site")
        hasher.field(tool_digest())
        hasher.items("root files", [_file_item(root, root / name) for name in ROOT_FILES])
        self.site_digest = hasher.digest()
        self._units: dict[Path, bytes] = {}
        self._folders: dict[Path, tuple[bytes, bool]] = {}
        #: whether a report fingerprinted so far may declare ``published:`` (its key then depends
        #: on git history and today's date, which no file of the content folder shows)
        self.reads_git = False

    def forget_read(self) -> None:
        """Let go of what was read for the reports fingerprinted so far (a build keys every report
        first, then holds this to its end)."""
        self._units, self._folders = {}, {}

    def report(self, year_dir: Path) -> str:
        """The fingerprint of the report in ``year_dir`` (``<root>/<unit>/<year>``), hex."""
        hasher = _Hasher("report")
        hasher.field(self.site_digest, inside_root(year_dir).encode("utf-8", "surrogateescape"))
        hasher.field(self._unit(year_dir.parent))
        own, may_be_published = self._folder(year_dir)
        hasher.field(own)
        previous = _previous_year_folder(year_dir)
        hasher.field(self._folder(previous)[0] if previous else b"")
        if may_be_published:
            self.reads_git = True
            hasher.field(b"git", _git_state(year_dir).encode())
        return hasher.hexdigest()

    def _unit(self, unit_dir: Path) -> bytes:
        if unit_dir not in self._units:
            self._units[unit_dir] = self._recalled(unit_dir / "unit.yaml", self._read_unit)[0]
        return self._units[unit_dir]

    def _read_unit(self, path: Path) -> tuple[bytes, bool]:
        hasher = _Hasher("unit")
        hasher.items("unit.yaml", [_file_item(self.root, path)])
        return hasher.digest(), False

    def _folder(self, folder: Path) -> tuple[bytes, bool]:
        """The digest of a report folder's entries, and whether its report.yaml may say ``published:``."""
        if folder not in self._folders:
            self._folders[folder] = self._recalled(folder, self._read_folder)
        return self._folders[folder]

    def _read_folder(self, folder: Path) -> tuple[bytes, bool]:
        items = contentfs.tree(self.root, folder, FILE_LIMIT)
        hasher = _Hasher("folder")
        hasher.items("entries", items)
        return hasher.digest(), _may_be_published(items)

    def _recalled(self, path: Path, read: Callable[[Path], tuple[bytes, bool]]) -> tuple[bytes, bool]:
        """``read(path)``, or what it gave the last build when the content's listing shows
        ``path`` unchanged since (``FolderStamps``)."""
        if self.stamps is None:
            return read(path)
        rel = path.relative_to(self.root).as_posix()
        found = self.stamps.recall(rel)
        if found is None:
            found = read(path)
            self.stamps.learn(rel, *found)
        return found


class FolderStamps:
    """Which report folders (and unit.yaml files) of the content are unchanged since the last
    build, from a snapshot's listing of the content folder (``snapshot.Listing``) and what that
    build learned: the status of every entry below a folder, digested. An entry's status includes
    its change time, which any write, rename or ``chmod`` sets to the present and no call sets back,
    so a folder whose entries' statuses are all as they were, none changed just before the listing,
    holds the same entries with the same bytes, and its digest is the one computed then.

    ``known``: path (relative to the content folder) -> [status digest, digest, may be published],
    as ``learned_data()`` was at the end of the last build; ``learned`` is that of this build, each
    entry packed in one ``bytes`` (held to the end of a build: about 2 per report)."""

    def __init__(self, listing: Listing, known: dict[str, list[object]]) -> None:
        self._groups: dict[str, list[tuple[str, bytes | None]]] = {}
        for rel, status in listing.statuses():
            first, _, rest = rel.partition("/")
            group = f"{first}/{rest.partition('/')[0]}" if rest else first  # <unit>/<year>, <unit>/unit.yaml
            self._groups.setdefault(group, []).append((rel, status))
        self.known = known
        self.learned: dict[str, bytes] = {}  # status digest (32 bytes), digest (32), may be published (1)

    def release(self) -> None:
        """Let the listing go once every report is keyed (at 10,000 reports its 174,000 entries held
        about 40 MB through the build); a folder asked about after this is read again."""
        self._groups = {}
        self.known = {}

    def status_digest(self, rel: str) -> str | None:
        """The digest of the statuses of ``rel`` and every entry below it; None when the listing
        has none of them, or one changed too recently to be told apart from a later change."""
        entries = self._groups.get(rel)
        if not entries or any(status is None for _, status in entries):
            return None
        hasher = hashlib.sha256(b"statuses\0")
        for path, status in sorted(entries):
            assert status is not None
            hasher.update(b"%d\0%b\0%d\0%b" % (len(path), path.encode("utf-8", "surrogateescape"), len(status), status))
        return hasher.hexdigest()

    def recall(self, rel: str) -> tuple[bytes, bool] | None:
        """The digest and flag learned last build for ``rel`` if its entries are unchanged since."""
        known = self.known.get(rel)
        status = self.status_digest(rel)
        if status is None or not (isinstance(known, list) and len(known) == 3 and known[0] == status):
            return None
        _, digest, published = known
        if not (isinstance(digest, str) and len(digest) == 64 and isinstance(published, bool)):
            return None
        try:
            found = bytes.fromhex(digest), published
        except ValueError:
            return None
        self._keep(rel, status, *found)
        return found

    def learn(self, rel: str, digest: bytes, published: bool) -> None:
        """Remember what was read of ``rel`` now, if the listing shows it settled."""
        status = self.status_digest(rel)
        if status is not None:
            self._keep(rel, status, digest, published)

    def _keep(self, rel: str, status: str, digest: bytes, published: bool) -> None:
        self.learned[rel] = bytes.fromhex(status) + digest + (b"\1" if published else b"\0")

    def learned_data(self) -> dict[str, list[object]]:
        """``learned`` as the next build's ``known``."""
        return {rel: [packed[:32].hex(), packed[32:64].hex(), packed[64:] == b"\1"] for rel, packed in self.learned.items()}


def _previous_year_folder(year_dir: Path) -> Path | None:
    name = year_dir.name
    if not (name.isascii() and name.isdigit()):
        return None
    return year_dir.parent / f"{int(name) - 1:04d}"


def _may_be_published(items: list[TreeItem]) -> bool:
    """A report.yaml that might declare ``published:`` (a cheap, conservative byte test)."""
    report = next((item for item in items if item.rel == "report.yaml"), None)
    return report is None or report.data is None or PUBLISHED_KEY in report.data


def inside_root(year_dir: Path) -> str:
    """A report folder's path inside the content folder: ``<unit>/<year>``."""
    return f"{year_dir.parent.name}/{year_dir.name}"


def _git_state(year_dir: Path) -> str:
    """The changes the corrections rule would see, or that it cannot see any (no git)."""
    from site_builder.rules.corrections import folder_changes  # imports git handling only when needed

    return repr(folder_changes(Path(display_path(year_dir))))
