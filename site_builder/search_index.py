"""Index stage: Pagefind with its extended binary, which segments Chinese text (jieba).

The Pagefind UI (``pagefind-ui.js`` of Pagefind 1.5.2) inserts filter names and values as HTML
(Svelte's ``{@html}`` for a value's label, ``innerHTML`` for names), so a unit name with markup
ran as script on the search page. ``secure_ui`` makes those text; excerpts (HTML with ``<mark>``,
the text escaped by Pagefind) are re-escaped around the marks by ``themes/default/static/search.js``.

Pagefind writes its filter indexes from hash maps, so their order — and with it the hashed file
names, the metadata file and ``pagefind-entry.json`` — changes from run to run (Pagefind issue
#638: fragments are stable since 1.3, filters are not). ``canonicalize`` rewrites those few files
in sorted order with content-derived names, so the same input gives a byte-identical site.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import cbor2

MAGIC = b"pagefind_dcd"


class IndexFailed(RuntimeError):
    """Pagefind failed; the build stops and the previous output stays in place."""


def pagefind_binary() -> Path:
    from pagefind_bin_extended import get_executable  # the extended build: Chinese word segmentation

    return Path(get_executable())


def run(pages: Path, bundle: Path) -> None:
    """Index the HTML under ``pages`` into the search bundle folder ``bundle``."""
    command = [str(pagefind_binary()), "--site", str(pages), "--output-path", str(bundle), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise IndexFailed(f"pagefind failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    canonicalize(bundle)
    secure_ui(bundle)


# (found, replacement, expected count) in pagefind-ui.js of Pagefind 1.5.2; checked, so a new
# Pagefind version fails the build instead of publishing an unreviewed UI.
UI_PATCHES = (
    ("h(e){this.e.innerHTML=e,", "h(e){this.e.textContent=e,", 1),  # {@html}: only a filter value's label
    ("t.innerHTML=s", "t.textContent=s", 2),  # filter name, <summary> (mount, update)
    ("i.innerHTML=n", "i.textContent=n", 2),  # filter name, <legend> (mount, update)
)


def secure_ui(bundle: Path) -> None:
    """Make the Pagefind UI show filter names and values as text, never as HTML."""
    path = bundle / "pagefind-ui.js"
    script = path.read_text(encoding="utf-8")
    for found, replacement, expected in UI_PATCHES:
        if script.count(found) != expected:
            raise IndexFailed(f"{path.name} is not the reviewed Pagefind UI ({found!r} found {script.count(found)} times, "
                              f"expected {expected}); review search_index.UI_PATCHES for this Pagefind version")
        script = script.replace(found, replacement)
    path.write_text(script, encoding="utf-8")


_TABLE = re.compile(rb"<table\b.*?</table>", re.S)
_TAG = re.compile(rb"<[^>]+>")
_SPACE = re.compile(rb"\s+")


def flatten_tables(html: bytes) -> bytes:
    """The page as Pagefind should read it: each table reduced to its text in one paragraph.

    Parsing thousands of cells with their `headers` attributes was a third of Pagefind's time;
    the words (names, codes, figures) and the headings that anchor sub-results are unchanged.
    """
    return _TABLE.sub(lambda m: b"<p>" + _SPACE.sub(b" ", _TAG.sub(b" ", m.group(0))) + b"</p>", html)


def _read(path: Path) -> Any:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(MAGIC):
        raise IndexFailed(f"unexpected Pagefind file format in {path.name}")
    return cbor2.loads(raw[len(MAGIC):])


def _write(folder: Path, name_of: Any, data: Any) -> str:
    """Write ``data`` gzipped (no timestamp) under a name derived from its content; return the hash part."""
    body = MAGIC + cbor2.dumps(data)
    digest = hashlib.sha256(body).hexdigest()
    name = name_of(digest)
    (folder / name).write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    return name


def canonicalize(bundle: Path) -> None:
    renamed: dict[str, str] = {}
    for path in sorted((bundle / "filter").glob("*.pf_filter")):
        language = path.stem.split("_", 1)[0]
        name, values = _read(path)
        stem = _write(path.parent, lambda d, language=language: f"{language}_{d[:7]}.pf_filter", [name, sorted(values)])
        if path.name != stem:
            path.unlink()
        renamed[path.stem] = stem.removesuffix(".pf_filter")
    entry_path = bundle / "pagefind-entry.json"
    entry = entry_path.read_text(encoding="utf-8")
    for meta in sorted(bundle.glob("pagefind.*.pf_meta")):
        old_hash = meta.name.removeprefix("pagefind.").removesuffix(".pf_meta")
        language = old_hash.split("_", 1)[0]
        data = _replace_filter_names(_read(meta), renamed)
        name = _write(bundle, lambda d, language=language: f"pagefind.{language}_{d[:13]}.pf_meta", data)
        if name != meta.name:
            meta.unlink()
        entry = entry.replace(f'"{old_hash}"', f'"{name.removeprefix("pagefind.").removesuffix(".pf_meta")}"')
    json.loads(entry)  # still valid JSON
    entry_path.write_text(entry, encoding="utf-8")


def _replace_filter_names(data: Any, renamed: dict[str, str]) -> Any:
    """Point the metadata's [filter name, file] pairs at the rewritten files, sorted by filter name."""
    if isinstance(data, list):
        pairs = [x for x in data if isinstance(x, list) and len(x) == 2 and isinstance(x[1], str) and x[1] in renamed]
        if pairs and len(pairs) == len(data):
            return sorted([[name, renamed[file]] for name, file in data])
        return [_replace_filter_names(x, renamed) for x in data]
    return data
