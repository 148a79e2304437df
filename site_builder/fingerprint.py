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
- the paths findings are shown with (relative to the current folder; not the absolute path, so a
  copy of the content folder elsewhere, as on another machine, has the same fingerprints).

Files are read through ``contentfs`` (never following a link); bytes are hashed, never mtimes.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import site_builder
from site_builder import contentfs, limits
from site_builder.contentfs import TreeItem, display_path

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

    def __init__(self, root: Path) -> None:
        self.root = root
        hasher = _Hasher("site")
        # not the absolute path: the same checkout elsewhere (another machine's job: parts.py) checks the same
        hasher.field(tool_digest(), display_path(root).encode("utf-8", "surrogateescape"))
        hasher.items("root files", [_file_item(root, root / name) for name in ROOT_FILES])
        self.site_digest = hasher.digest()
        self._units: dict[Path, bytes] = {}
        self._folders: dict[Path, tuple[bytes, bool]] = {}
        #: whether a report fingerprinted so far may declare ``published:`` (its key then depends
        #: on git history and today's date, which no file of the content folder shows)
        self.reads_git = False

    def report(self, year_dir: Path) -> str:
        """The fingerprint of the report in ``year_dir`` (``<root>/<unit>/<year>``), hex."""
        hasher = _Hasher("report")
        hasher.field(self.site_digest, display_path(year_dir).encode("utf-8", "surrogateescape"))
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
            hasher = _Hasher("unit")
            hasher.items("unit.yaml", [_file_item(self.root, unit_dir / "unit.yaml")])
            self._units[unit_dir] = hasher.digest()
        return self._units[unit_dir]

    def _folder(self, folder: Path) -> tuple[bytes, bool]:
        """The digest of a report folder's entries, and whether its report.yaml may say ``published:``."""
        if folder not in self._folders:
            items = contentfs.tree(self.root, folder, FILE_LIMIT)
            hasher = _Hasher("folder")
            hasher.items("entries", items)
            self._folders[folder] = (hasher.digest(), _may_be_published(items))
        return self._folders[folder]


def _previous_year_folder(year_dir: Path) -> Path | None:
    name = year_dir.name
    if not (name.isascii() and name.isdigit()):
        return None
    return year_dir.parent / f"{int(name) - 1:04d}"


def _may_be_published(items: list[TreeItem]) -> bool:
    """A report.yaml that might declare ``published:`` (a cheap, conservative byte test)."""
    report = next((item for item in items if item.rel == "report.yaml"), None)
    return report is None or report.data is None or PUBLISHED_KEY in report.data


def _git_state(year_dir: Path) -> str:
    """The changes the corrections rule would see, or that it cannot see any (no git)."""
    from site_builder.rules.corrections import folder_changes  # imports git handling only when needed

    return repr(folder_changes(Path(display_path(year_dir))))
