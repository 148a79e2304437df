"""The search directory (site_builder/search_directory.py): which shards hold a query's keys.

The expected shards are found from the built pages' own text (a page's shard from the manifest of
shards and the pages each bundle lists), never from the directory code's key cutting.
"""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape
from pathlib import Path

import pytest

from site_builder import search_directory as sd
from site_builder.build import build
from site_builder.check import InternalError
from site_builder.shards import SHARD_REPORTS_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


def test_keys_of_a_sentence() -> None:
    keys = sd.text_keys("支出13,708.28万元，A1b。")
    assert keys == {"支", "出", "万", "元", "支出", "万元", "13708.28", "a1b"}


def test_a_figure_at_the_end_of_a_sentence_loses_its_full_stop() -> None:
    assert "1234" in sd.text_keys("合计1,234.")


def test_keys_are_read_from_text_not_markup() -> None:
    keys = sd.page_keys('<p class="x1">公&amp;务<span data-x="999">接待</span>费</p>'.encode())
    assert "x1" not in keys and "999" not in keys and {"接待", "公", "务", "待费"} <= keys


def test_keys_come_from_the_indexed_body_less_what_pagefind_ignores() -> None:
    page = ('<html><head><title>标题甲</title></head><body><nav>导航</nav>'
            '<main data-pagefind-body><h1>正文</h1><table><tr><td>1,234.50</td><td>6.70</td></tr></table>'
            '<section data-pagefind-ignore><section>嵌套</section>忽略</section><p>之后</p></main>'
            '<footer>页脚</footer><div data-pagefind-body>第二</div></body></html>')
    keys = sd.page_keys(page.encode())
    assert {"正文", "1234.50", "6.70", "之后", "第二"} <= keys
    assert not keys & {"标题", "导航", "嵌套", "忽略", "页脚"}


def test_content_cannot_mark_its_own_text_ignored() -> None:
    """A name or a sentence that reads like the attribute is text or a value, not an attribute."""
    page = ('<main data-pagefind-body><p title="data-pagefind-ignore">甲乙</p>'
            '<p title="x data-pagefind-ignore y">丙丁</p><p>data-pagefind-ignore 戊己</p></main>')
    assert {"甲乙", "丙丁", "戊己"} <= sd.page_keys(page.encode())


def test_an_ignored_element_without_its_end_is_kept() -> None:
    keys = sd.page_keys("<main data-pagefind-body><section data-pagefind-ignore>甲乙</main>".encode())
    assert "甲乙" in keys


def test_fnv1a_of_known_strings() -> None:
    # reference values of 32-bit FNV-1a (the empty string is the offset basis; "a" from the FNV test suite)
    assert sd.fnv1a("") == 0x811C9DC5
    assert sd.fnv1a("a") == 0xE40C292C
    assert sd.fnv1a("foobar") == 0xBF9CF968


def test_bucket_bits_keep_buckets_small() -> None:
    assert sd.bucket_bits(0) == 0
    assert sd.bucket_bits(100) == 0
    for entries in (1_000, 100_000, 10_000_000):
        bits = sd.bucket_bits(entries)
        assert entries * 14 / (1 << bits) <= sd.BUCKET_BYTES < entries * 14 / (1 << (bits - 1))


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two sample reports (2023 and 2024) in shards of one report each: 2023-0, 2024-0, and the
    unit pages in shards of one unit each: site-0 (晋城), site-1 (盐池); the other pages in site."""
    site = tmp_path_factory.mktemp("directory") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SHARD_REPORTS_VARIABLE, "1")
        build(ROOT / "content", site)
    return site


def lookup(site: Path, key: str) -> dict[str, int]:
    manifest = json.loads((site / "pagefind" / sd.MANIFEST).read_text(encoding="utf-8"))
    bits = manifest["bits"]
    bucket = sd.fnv1a(key) >> (32 - bits) if bits else 0
    name = f"{bucket:0{max(1, (bits + 3) // 4)}x}.json"
    entry = json.loads((site / "pagefind" / sd.DIRECTORY / name).read_text(encoding="utf-8")).get(key, [])
    held = sd.decode_entry(entry, len(manifest["shards"]))
    assert held is not None, (key, entry)
    return {manifest["shards"][shard].rstrip("/"): pages for shard, pages in held.items()}


def published_text(site: Path, page: str) -> str:
    html = (site / page).read_text(encoding="utf-8")
    return unescape(re.sub(r"<[^>]*>", " ", html))


def test_the_directory_names_every_shard_whose_pages_hold_a_figure(sharded: Path) -> None:
    manifest = json.loads((sharded / "pagefind" / sd.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["shards"] == ["2023-0/", "2024-0/", "site/", "site-0/", "site-1/"]
    # 9,208.51: 晋城 2023 支出决算表 (content/jincheng-social-insurance-center/2023/expenditure.yaml)
    assert "9,208.51" in published_text(sharded, "units/jincheng-social-insurance-center/2023/index.html")
    assert "9,208.51" not in published_text(sharded, "units/yanchi-social-insurance-center/2024/index.html")
    found = lookup(sharded, "9208.51")
    assert "2023-0" in found and "2024-0" not in found


def test_a_name_is_found_in_the_shards_of_its_reports(sharded: Path) -> None:
    for pair in ("晋城", "盐池"):
        found = lookup(sharded, pair)
        year_shards = {shard for shard in found if not shard.startswith("site")}
        assert len(year_shards) == 1, (pair, found)
    assert set(lookup(sharded, "晋城")) - {"site"} == {"2023-0", "site-0"}  # its report and its unit page
    assert set(lookup(sharded, "盐池")) - {"site"} == {"2024-0", "site-1"}
    assert lookup(sharded, "不存在的词组") == {}


def test_a_key_most_shards_hold_is_written_densely(sharded: Path) -> None:
    """单位 is on pages of all five shards: its entry lists the pages of each shard in order."""
    manifest = json.loads((sharded / "pagefind" / sd.MANIFEST).read_text(encoding="utf-8"))
    bits = manifest["bits"]
    bucket = sd.fnv1a("单位") >> (32 - bits) if bits else 0
    entry = json.loads((sharded / "pagefind" / sd.DIRECTORY / f"{bucket:0{max(1, (bits + 3) // 4)}x}.json")
                       .read_text(encoding="utf-8"))["单位"]
    assert entry[0] == -1 and len(entry) == 6 and all(pages > 0 for pages in entry[1:])
    assert set(lookup(sharded, "单位")) == {"2023-0", "2024-0", "site", "site-0", "site-1"}


@pytest.mark.parametrize(("pairs", "shards", "written"), [
    ([0, 3, 1, 5, 2, 7], 3, [-1, 3, 5, 7]),  # every shard: the pages alone
    ([1200, 4], 1336, [1200, 4]),  # one shard of many: its number
    ([0, 9, 2, 9], 3, [-1, 9, 0, 9]),  # 10 characters against the pairs' 9: the pairs stay
])
def test_an_entry_is_written_in_its_shorter_form(pairs: list[int], shards: int, written: list[int]) -> None:
    expected = written if len(json.dumps(written, separators=(",", ":"))) < len(json.dumps(pairs, separators=(",", ":"))) \
        else pairs
    assert sd.encode_entry(pairs, shards) == expected
    assert sd.decode_entry(sd.encode_entry(pairs, shards), shards) == dict(zip(pairs[::2], pairs[1::2], strict=True))


def test_the_shorter_form_is_chosen_as_json_measures_it() -> None:
    import random

    rng = random.Random(7)
    for _ in range(3000):
        shards = rng.choice([1, 2, 3, 9, 10, 11, 99, 100, 101, 1336])
        held = sorted(rng.sample(range(shards), rng.randint(1, shards)))
        pairs = [n for shard in held for n in (shard, rng.choice([1, 9, 10, 100, 12345]))]
        dense = [-1, *(dict(zip(pairs[::2], pairs[1::2], strict=True)).get(s, 0) for s in range(shards))]
        compact = {"separators": (",", ":")}
        shorter = dense if len(json.dumps(dense, **compact)) < len(json.dumps(pairs, **compact)) else pairs
        assert sd.encode_entry(pairs, shards) == shorter


@pytest.mark.parametrize("entry", [[-1, 1, 2], [-1, 1, 2, 3, 4], [0, 1, 2], [5, 1], [0, "1"], [0, 1.5], "x", [-2, 1]])
def test_an_entry_of_another_shape_is_not_read(entry: object) -> None:
    assert sd.decode_entry(entry, 3) is None


def test_each_shard_keeps_its_keys_sorted(sharded: Path) -> None:
    for shard in ("2023-0", "2024-0", "site", "site-0", "site-1"):
        lines = (sharded / "pagefind" / shard / sd.SHARD_KEYS).read_text(encoding="utf-8").splitlines()
        rows = [(int(h, 16), key) for h, key, _ in (line.split("\t") for line in lines)]
        assert rows == sorted(rows) and len(rows) > 100
        assert all(sd.fnv1a(key) == digest for digest, key in rows)


def test_one_index_has_no_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHARD_REPORTS_VARIABLE, raising=False)
    build(ROOT / "content", tmp_path / "site")
    assert not (tmp_path / "site" / "pagefind" / sd.MANIFEST).exists()
    assert not (tmp_path / "site" / "pagefind" / sd.DIRECTORY).exists()


def test_a_damaged_keys_file_names_its_line(tmp_path: Path) -> None:
    for shard, text in (("a", "0000abcd\t支出\t2\n"), ("b", "0000abcd\t<script>\t1\n")):
        (tmp_path / shard).mkdir()
        (tmp_path / shard / sd.SHARD_KEYS).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"b/keys\.tsv:1: not a line"):
        sd.write_directory(tmp_path, ["a", "b"])


def test_a_build_whose_keys_cannot_be_written_fails_and_keeps_the_output(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARD_REPORTS_VARIABLE, "1")
    site = tmp_path / "site"
    build(ROOT / "content", site)
    before = (site / "index.html").read_bytes()

    def damaged(bundle: Path, shards: list[str], previous: sd.Previous | None = None,
                carried: dict[str, Path] | None = None) -> bool:
        raise ValueError("keys.tsv:1: not a line of a shard's keys")

    monkeypatch.setattr(sd, "write_directory", damaged)
    with pytest.raises(InternalError, match="search directory"):
        build(ROOT / "content", site)
    assert (site / "index.html").read_bytes() == before


def test_a_shard_is_indexed_again_when_the_code_that_completes_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reused shard keeps its keys.tsv: the shard's inputs must cover the code that cut them."""
    from site_builder import build_cache

    package = ROOT / "site_builder"
    expected = hashlib.sha256((package / "search_index.py").read_bytes() + (package / "search_directory.py").read_bytes())
    assert build_cache._shard_code_digest() == expected.hexdigest()
    pages = ["units/a/2023/index.html"]
    before = build_cache.shard_inputs(pages, {pages[0]: "2023-0"}, {pages[0]: "0" * 64})
    monkeypatch.setattr(build_cache, "_shard_code_digest", lambda: "changed")
    assert build_cache.shard_inputs(pages, {pages[0]: "2023-0"}, {pages[0]: "0" * 64}) != before


def _keys_file(folder: Path, keys: dict[str, int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = sorted((sd.fnv1a(key), key, count) for key, count in keys.items())
    (folder / sd.SHARD_KEYS).write_text("".join(f"{h:08x}\t{k}\t{c}\n" for h, k, c in lines), encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("seed", range(6))
def test_an_updated_directory_is_the_full_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """After some shards are indexed again, updating the previous directory gives the bytes of a
    full merge: keys added, removed (a bucket left empty), counts changed, shards left alone."""
    import random

    monkeypatch.setattr(sd, "BUCKET_BYTES", 64)  # many small buckets
    rng = random.Random(seed)
    words = [chr(0x4E00 + n) for n in range(60)] + [f"{n}.5" for n in range(40)]
    names = ["2023-0", "2023-1", "2024-0", "site", "site-0", "site-1"]
    before = {name: {w: rng.randint(1, 9) for w in rng.sample(words, 30)} for name in names}
    old = tmp_path / "old"
    for name, keys in before.items():
        _keys_file(old / name, keys)
    sd.write_directory(old, names)
    changed = rng.sample(names, rng.randint(1, 3))
    after = {name: dict(keys) for name, keys in before.items()}
    for name in changed:
        keys = after[name]
        for word in rng.sample(sorted(keys), 5):
            del keys[word]
        for word in rng.sample(words, 5):
            keys[word] = rng.randint(1, 9)
    only = next(k for k in words if sum(k in keys for keys in after.values()) == 1) if seed % 2 else None
    if only is not None:  # a key held by one shard disappears from the portal
        for name in changed:
            after[name].pop(only, None)
    lines = sum(len(keys) for keys in after.values())
    new, full = tmp_path / "new", tmp_path / "full"
    for name, keys in after.items():
        _keys_file(new / name, keys)
        _keys_file(full / name, keys)
    sd.write_directory(full, names)
    buckets = frozenset(p.name for p in (old / sd.DIRECTORY).iterdir())
    previous = sd.Previous(old, changed, lambda path: True, buckets)
    updated = sd.write_directory(new, names, previous)
    assert updated == (sd.bucket_bits(lines) == sd.bucket_bits(sum(len(k) for k in before.values()))
                       and 2 * len(changed) <= len(names))
    assert _tree(new) == _tree(full)


def test_a_directory_not_as_written_is_merged_in_full(tmp_path: Path) -> None:
    names = ["a", "b", "c"]
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        _keys_file(folder / "a", {"支出": 2, "13.5": 1})
        _keys_file(folder / "b", {"支出": 1})
        _keys_file(folder / "c", {"接待": 1})
    sd.write_directory(old, names)
    buckets = frozenset(p.name for p in (old / sd.DIRECTORY).iterdir())
    assert sd.write_directory(new, names, sd.Previous(old, ["c"], lambda path: True, buckets))
    assert not sd.write_directory(new, names, sd.Previous(old, ["c"], lambda path: path != "c/keys.tsv", buckets))
    assert not sd.write_directory(new, names, sd.Previous(old, ["c"], lambda path: True, buckets | {"1.json"}))
    assert not sd.write_directory(new, names, sd.Previous(old, ["a", "c"], lambda path: True, buckets))  # most shards
    assert _tree(new / sd.DIRECTORY) == _tree(old / sd.DIRECTORY)
