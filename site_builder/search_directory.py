"""The search directory: which shards hold a query's words (docs/search.md, "The directory").

A first search on a sharded index would load every shard's entry, metadata and index chunks, so its
transfer grows with the number of shards (about 200 at 100,000 reports). The directory lets the
search page load only the shards that can hold the query, best first, a few at a time:

- **Keys.** A text's keys are its Chinese characters and pairs of adjacent Chinese characters, and
  its runs of ASCII letters and digits with the separators dropped (``13,708.28`` → ``13708.28``),
  lower-cased. A page holding a query holds every key of the query, so the shards without one of
  them cannot hold it. ``themes/default/static/search.js`` cuts a query into the same keys
  (``queryKeys``); ``tests/browser/test_search_directory.py`` checks that both agree.
- **Per shard** ``keys.tsv`` in the shard's bundle folder: ``hash<TAB>key<TAB>pages`` for every key
  of the shard's index copies, sorted by (hash, key); written while the shard is indexed, so a
  reused shard (build cache, parts) keeps it with its bundle.
- **Portal-wide** ``directory/<bucket>.json``: for each key, the shards that hold it and on how many
  pages (``[shard, pages, shard, pages, …]``, shard = position in ``directory.json``'s list), or,
  where it is shorter, the pages in every shard in order (``[-1, pages, pages, …]``, 0 where a shard
  does not hold the key): a key that most shards hold (政府, 95) was 8–10 KB of shard numbers at
  100,000 reports (``encode_entry``). A key's
  bucket is the top ``bits`` bits of its 32-bit FNV-1a hash, ``bits`` chosen so that a bucket stays
  around ``BUCKET_BYTES``. Written by merging the sorted ``keys.tsv`` files, one bucket in memory.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html import unescape
from itertools import groupby
from pathlib import Path

from site_builder.publish import link_all

DIRECTORY = "directory"
MANIFEST = "directory.json"
SHARD_KEYS = "keys.tsv"
VERSION = 2  # of the published format (directory.json says it); 2: dense entries (``encode_entry``)
BUCKET_BYTES = 8192
_ENTRY_BYTES = 14  # about what one (key, shard, pages) costs in a bucket file

_TAG = re.compile(r"<[^>]*>")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_IGNORE = "data-pagefind-ignore"
_BODY = "data-pagefind-body"
# an opening tag's attribute names: the values are quoted (the templates escape them), so a name
# cannot come from inside a value
_ATTRIBUTE_NAMES = re.compile(r"""\s([^\s=>/"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""")
_HAN = r"\u3400-\u9fff"
_HAN_PAIR = re.compile(f"(?=([{_HAN}]{{2}}))")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_RUN = re.compile(f"[{_HAN}]{{2,}}")
_ALNUM = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,]*")
_ENTRY = re.compile(f"[0-9a-f]{{8}}\t(?:[{_HAN}]{{1,2}}|[0-9a-z][0-9a-z.]*)\t[1-9][0-9]*\n")


def fnv1a(key: str) -> int:
    """32-bit FNV-1a of the key's UTF-8 bytes (``fnv1a`` in search.js)."""
    value = 0x811C9DC5
    for byte in key.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def alnum_key(token: str) -> str:
    return token.replace(",", "").rstrip(".").lower()


def text_keys(text: str) -> set[str]:
    """Every key of a text: Chinese characters, adjacent pairs of them, ASCII words and figures."""
    return _han_keys(text) | _alnum_keys(set(_ALNUM.findall(text)))


def _han_keys(text: str) -> set[str]:
    """The Chinese characters of ``text`` and their adjacent pairs; the pairs are read from each
    distinct run of Chinese characters once (a page repeats its row names and headings)."""
    keys = set(_HAN_CHAR.findall("".join(set(text))))
    keys.update(_HAN_PAIR.findall("\n".join(set(_HAN_RUN.findall(text)))))
    return keys


def _alnum_keys(tokens: set[str]) -> set[str]:
    """``alnum_key`` of each token, done on all of them joined (the same keys, without a call per token)."""
    keys = set("\n".join(tokens).replace(",", "").lower().split("\n"))
    for key in [key for key in keys if key.endswith(".")]:
        keys.discard(key)
        keys.add(key.rstrip("."))
    keys.discard("")
    return keys


def page_keys(html: bytes) -> set[str]:
    """The keys of the text Pagefind indexes in an index copy (``indexed_markup``). Markup is dropped
    twice: as nothing (a word split by an inline element such as ``接待<span>费</span>`` keeps its
    pairs) and as a space (figures in adjacent cells stay apart); the keys of both are kept. The
    Chinese keys of the second are among those of the first, so only its ASCII keys are read. A key
    too many only loads a shard for nothing; a key too few would hide the shard's pages."""
    markup = indexed_markup(html.decode("utf-8", errors="replace"))
    joined, spaced = unescape(_TAG.sub("", markup)), unescape(_TAG.sub(" ", markup))
    tokens = set(_ALNUM.findall(joined))
    tokens.update(_ALNUM.findall(spaced))
    return _han_keys(joined) | _alnum_keys(tokens)


def indexed_markup(text: str) -> str:
    """The ``data-pagefind-body`` elements (the whole document without one) less their
    ``data-pagefind-ignore`` elements. An element whose end cannot be found is kept whole."""
    bodies = list(_elements(text, _BODY, 0, len(text))) or [(0, len(text))]
    kept: list[str] = []
    for start, end in bodies:
        at = start
        for ignored_start, ignored_end in _elements(text, _IGNORE, start, end):
            kept.append(text[at:ignored_start])
            at = ignored_end
        kept.append(text[at:end])
    return " ".join(kept)


def _element(text: str, attribute: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """(start, end) of the first element from ``start`` with ``attribute`` among its attributes (not
    in a text or an attribute's value, which come from the content), or None."""
    end = len(text) if end is None else end
    at = start
    while (found := text.find(attribute, at, end)) >= 0:
        at = found + len(attribute)
        opening = text.rfind("<", start, found)
        name = _NAME.match(text, opening + 1) if opening >= 0 else None
        closed = text.find(">", found, end)
        if name is None or closed < 0 or ">" in text[opening:found]:
            continue
        if attribute not in _ATTRIBUTE_NAMES.findall(text, opening + 1 + len(name.group(0)), closed):
            continue
        closing = _closing(text, name.group(0), opening, end)
        return (opening, closing) if closing is not None else None
    return None


def _closing(text: str, name: str, opening: int, end: int) -> int | None:
    """Where the element opened at ``opening`` ends (after its closing tag), counting nested ones."""
    depth = 0
    for tag in re.compile(f"<(/?){re.escape(name)}(?=[\\s/>])[^>]*>", re.I).finditer(text, opening, end):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return None


def _elements(text: str, attribute: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The outermost elements with ``attribute`` between ``start`` and ``end``, in order."""
    at = start
    while (element := _element(text, attribute, at, end)) is not None:
        yield element
        at = element[1]


def _pages_below(folder: Path) -> Iterator[Path]:
    for parent, folders, names in os.walk(folder):
        folders.sort()
        for name in sorted(names):
            if name.endswith(".html"):
                yield Path(parent, name)


def write_shard_keys(pages: Path, target: Path) -> None:
    """``keys.tsv`` of one shard from its folder of index copies."""
    counts: Counter[str] = Counter()
    for page in _pages_below(pages):
        counts.update(page_keys(page.read_bytes()))
    lines = sorted((fnv1a(key), key, count) for key, count in counts.items())
    with open(target, "w", encoding="utf-8", newline="\n") as out:
        out.writelines(f"{digest:08x}\t{key}\t{count}\n" for digest, key, count in lines)


def _entries(path: Path, shard: int) -> Iterator[tuple[str, str, int, int]]:
    """A ``keys.tsv``'s lines; ValueError names the file and line of one that is not as written."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 3 or not _ENTRY.fullmatch(line):
                raise ValueError(f"{path}:{number}: not a line of a shard's keys")
            yield fields[0], fields[1], shard, int(fields[2])


def bucket_bits(entries: int) -> int:
    """Bits of the hash that name a bucket: the fewest that keep a bucket near ``BUCKET_BYTES``."""
    bits = 0
    while bits < 24 and entries * _ENTRY_BYTES > BUCKET_BYTES << bits:
        bits += 1
    return bits


def _count_lines(path: Path) -> int:
    with open(path, "rb") as data:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))


def write_directory(bundle: Path, shards: list[str], previous: Previous | None = None,
                    carried: dict[str, Path] | None = None) -> bool:
    """``directory.json`` and ``directory/<bucket>.json`` from every shard's ``keys.tsv``; with
    ``previous``, by updating the previous build's directory where it can (``update_directory``).
    The ``keys.tsv`` of the shards in ``carried`` are in the given bundle folder (the live site's:
    publish.py). True when the directory was updated, False when it was merged in full."""
    carried = carried or {}
    key_files = [carried.get(shard, bundle) / shard / SHARD_KEYS for shard in shards]
    folder = bundle / DIRECTORY
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    bits = bucket_bits(sum(_count_lines(path) for path in key_files))
    manifest = {"version": VERSION, "bits": bits, "shards": [f"{shard}/" for shard in shards]}
    body = json.dumps(manifest, ensure_ascii=False) + "\n"
    updated = previous is not None and update_directory(bundle, shards, bits, body, previous)
    if not updated:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        merged = heapq.merge(*(_entries(path, number) for number, path in enumerate(key_files)))
        for bucket, entries in groupby(merged, key=lambda entry: _bucket_of(entry[0], bits)):
            _write_bucket(_bucket_path(folder, bucket, bits), entries, len(shards))
    (bundle / MANIFEST).write_text(body, encoding="utf-8")
    return updated


def _bucket_of(digest: str, bits: int) -> int:
    return int(digest, 16) >> (32 - bits) if bits else 0


def _bucket_path(folder: Path, bucket: int, bits: int) -> Path:
    return folder / f"{bucket:0{max(1, (bits + 3) // 4)}x}.json"


@dataclass(frozen=True)
class Previous:
    """The previous build's bundle folder (``out/pagefind``), the shards indexed again now (the
    others are the previous build's, unchanged), ``trusted(path)``: whether a file of that folder
    (relative to it) is as the previous build wrote it, and ``buckets``: the names of the bucket
    files that build wrote."""

    bundle: Path
    indexed: list[str]
    trusted: Callable[[str], bool]
    buckets: frozenset[str]
    #: where the site is published in place (publish.py): takes the unchanged buckets (paths relative
    #: to ``bundle``) into the new site where they are, instead of linking them
    carry: Callable[[list[str]], None] | None = None


def update_directory(bundle: Path, shards: list[str], bits: int, manifest: str, previous: Previous) -> bool:
    """Write ``bundle/directory/`` from the previous build's directory: the buckets that hold a key
    whose pages changed in a shard indexed again (the old and new ``keys.tsv`` compared) are
    rewritten, the others linked. The result is the full merge's, byte for byte: a bucket is a
    function of its keys' entries, which are the previous ones except the changed keys'. Returns
    False (nothing usable written) when the previous directory does not fit: another shard list or
    bucket size, most shards indexed again, or a file not as the previous build wrote it."""
    old = previous.bundle
    indexed = sorted(set(previous.indexed))
    if not set(indexed) <= set(shards) or 2 * len(indexed) > len(shards):
        return False
    if not previous.trusted(MANIFEST) or _read_text(old / MANIFEST) != manifest:
        return False
    position = {shard: number for number, shard in enumerate(shards)}
    changed: dict[str, dict[int, int]] = {}  # key -> {shard position: pages (0: none now)}
    hashes: dict[str, str] = {}
    for shard in indexed:
        before_path = f"{shard}/{SHARD_KEYS}"
        if not previous.trusted(before_path):
            return False
        try:
            before = _counts(old / before_path)
            after = _counts(bundle / shard / SHARD_KEYS)
        except (OSError, ValueError):
            return False
        for key in before.keys() | after.keys():
            if before.get(key) != after.get(key):
                digest, count = after.get(key) or (before[key][0], 0)
                changed.setdefault(key, {})[position[shard]] = count
                hashes[key] = digest
    by_bucket: dict[int, list[str]] = {}
    for key, digest in hashes.items():
        by_bucket.setdefault(_bucket_of(digest, bits), []).append(key)
    folder = bundle / DIRECTORY
    try:
        names = sorted(entry.name for entry in os.scandir(old / DIRECTORY))
    except OSError:
        return False
    if set(names) != previous.buckets or not all(previous.trusted(f"{DIRECTORY}/{name}") for name in names):
        return False
    rewritten = {_bucket_path(folder, bucket, bits).name: bucket for bucket in by_bucket}
    unchanged = [name for name in names if name not in rewritten]
    for name, bucket in sorted(rewritten.items()):
        source = old / DIRECTORY / name
        try:
            entries: object = json.loads(source.read_text(encoding="utf-8")) if name in names else {}
        except (OSError, ValueError):
            return False
        if not isinstance(entries, dict):
            return False
        held = {key: decode_entry(entry, len(shards)) for key, entry in entries.items()}
        if any(pages is None for pages in held.values()):
            return False
        for key in by_bucket[bucket]:
            pages = {shard: count for shard, count in ((held.get(key) or {}) | changed[key]).items() if count}
            if pages:
                held[key] = pages
            else:
                held.pop(key, None)
        if held:
            bucket_pairs = {key: [n for pair in sorted((pages or {}).items()) for n in pair] for key, pages in held.items()}
            _write_bucket_body(folder / name, bucket_pairs, len(shards))
    if previous.carry is not None:
        previous.carry([f"{DIRECTORY}/{name}" for name in unchanged])
        return True
    return link_all([(old / DIRECTORY / name, folder / name) for name in unchanged])


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _counts(path: Path) -> dict[str, tuple[str, int]]:
    """A ``keys.tsv`` as key -> (hash, pages)."""
    return {key: (digest, count) for digest, key, _, count in _entries(path, 0)}


def _write_bucket(path: Path, entries: Iterable[tuple[str, str, int, int]], shards: int) -> None:
    bucket: dict[str, list[int]] = {}
    for _, key, shard, count in entries:
        bucket.setdefault(key, []).extend((shard, count))
    _write_bucket_body(path, bucket, shards)


def _write_bucket_body(path: Path, bucket: dict[str, list[int]], shards: int) -> None:
    """A bucket file: its keys sorted, each with its ``encode_entry`` of ``[shard, pages, …]`` (shard order)."""
    encoded = {key: encode_entry(pairs, shards) for key, pairs in sorted(bucket.items())}
    body = json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))
    path.write_text(body + "\n", encoding="utf-8")


def encode_entry(pairs: list[int], shards: int) -> list[int]:
    """A key's entry as a bucket holds it: ``pairs`` (``[shard, pages, …]``, shards ascending) as
    they are, or ``[-1, pages of shard 0, pages of shard 1, …]`` (0: not held) when that is shorter."""
    # Both forms hold the counts; the JSON of the dense one is shorter exactly when the held shards'
    # numbers plus 3 characters for each come to more than 2 * shards + 3 (checked against
    # json.dumps in tests/test_search_directory.py).
    held, limit = len(pairs) // 2, 2 * shards + 3
    if held * (len(str(shards - 1)) + 3) <= limit or sum(len(str(n)) for n in pairs[::2]) + 3 * held <= limit:
        return pairs
    dense = [0] * shards
    for shard, pages in zip(pairs[::2], pairs[1::2], strict=True):
        dense[shard] = pages
    return [-1, *dense]


def decode_entry(entry: object, shards: int) -> dict[int, int] | None:
    """Shard -> pages of a bucket's entry (``encode_entry``); None for an entry of another shape."""
    if not isinstance(entry, list) or not all(type(n) is int for n in entry):
        return None
    if entry[:1] == [-1]:
        return {shard: pages for shard, pages in enumerate(entry[1:]) if pages > 0} if len(entry) == shards + 1 else None
    if len(entry) % 2 or not all(0 <= shard < shards for shard in entry[::2]):
        return None
    return dict(zip(entry[::2], entry[1::2], strict=True))


def main(arguments: list[str]) -> int:
    """``python -m site_builder.search_directory PAGES TARGET``: one shard's ``keys.tsv`` (run by the
    index stage in its own process)."""
    pages, target = arguments
    write_shard_keys(Path(pages), Path(target))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
