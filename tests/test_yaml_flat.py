"""The line reader for flat table files (``yamlsafe._flat_table``) gives exactly the document the
event parser builds, or leaves the file to it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import yamlsafe
from site_builder.limits import YAML_DEPTH

ROOT = Path(__file__).resolve().parents[1]
TABLES = sorted((ROOT / "content").glob("*/*/tables/*.yaml")) + sorted((ROOT / "tests/fixtures").glob("**/tables/*.yaml"))

FLAT = """\
# 公开02表 收入决算表（金额单位：万元）
rows:
  total: {total: 1825.49, fiscal: 1673.43, other: -0.5}  # 合计
  "207": {total: 1428.23 , fiscal: 007}

  "20701": {}
income:   # 收入
    general_budget: 1630.58
    # a comment at another indentation
    opening: 0
"""

NOT_FLAT = [
    "rows:\n  total: {total: 1.5}\nempty_note: 本表无数据\n",  # text
    "rows:\nincome:\n  a: 1\n",  # a section without rows is null
    "rows:\n  a: 1\n   b: 2\n",  # another indentation
    "rows:\n  a: 1\n  a: 2\n",  # duplicate key
    "rows:\n  a: {b: 1, b: 2}\n",  # duplicate cell
    "rows:\n  yes: 1\n",  # a key YAML reads as true
    "rows:\n  a: {null: 1}\n",
    "rows:\n  __key__: 1\n",
    "rows:\n  a: 1.5#x\n",  # a plain text, not a number and a comment
    "rows:\n  a: {b: 1,}\n",
    "rows:\n  a: {b: 1 c: 2}\n",
    "rows:\n  a: 1_000\n",
    "rows:\n  a: .5\n",
    "rows:\n  a:\n",  # blank
    "rows:\r\n  a: 1\r\n",  # other line breaks
    "rows:\n  a: 1\u2028",
    "rows:\n  a: 1 # \x07\n",  # a control character the event parser refuses
    "---\nrows:\n  a: 1\n",
    "rows:\n  '207': 1\n",
    "rows:\n  207: 1\n",
    "rows:\n  a: &x 1\n",
    "# only a comment\n",
    "",
]


def event_document(text: str) -> yamlsafe.Document:
    loader = yamlsafe._Loader(text)
    try:
        return yamlsafe._Builder(YAML_DEPTH).build(loader)
    finally:
        loader.dispose()


def assert_same(flat: yamlsafe.Document, text: str) -> None:
    events = event_document(text)
    assert flat.data == events.data
    assert flat.marks == events.marks
    assert repr(flat.data) == repr(events.data)  # the same types and digits: Decimal('007'), not 7


def test_flat_shape_is_read_like_the_event_parser() -> None:
    flat = yamlsafe._flat_table(FLAT)
    assert flat is not None
    assert_same(flat, FLAT)
    assert yamlsafe.parse(FLAT).marks == flat.marks


@pytest.mark.parametrize("text", NOT_FLAT)
def test_other_shapes_are_left_to_the_event_parser(text: str) -> None:
    assert yamlsafe._flat_table(text) is None


@pytest.mark.parametrize("path", TABLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_sample_tables(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    flat = yamlsafe._flat_table(text)
    if flat is not None:
        assert_same(flat, text)


def test_mutated_tables() -> None:
    """Random edits of flat files: whatever the line reader still accepts, the event parser reads
    the same way (and does not refuse)."""
    pieces = ["\t", "\r", " ", "  ", "#", " #", ":", ": ", '"', "'", ",", "{", "}", "-", ".", "0", "y", "no", "null",
              "~", "\n", "\u2028", "\x85", "\ufeff", "\x00", "文", "_", "__key__", "<<", "&a ", "*a", "!!str ", "---\n",
              "? ", "[", "]", "e5", "+", "\\", "|", "x" * 70, "1" * 45]
    texts = [FLAT] + [p.read_text(encoding="utf-8") for p in TABLES]
    texts = [t for t in texts if yamlsafe._flat_table(t) is not None]
    accepted = 0
    for text in mutated(texts, pieces, seed=1):
        flat = yamlsafe._flat_table(text)
        if flat is not None:
            accepted += 1
            assert_same(flat, text)
    assert accepted > 100


def mutated(texts: list[str], pieces: list[str], seed: int, count: int = 3000) -> Iterator[str]:
    """``count`` random edits of the texts: one to three pieces inserted or runs of 1-4 characters cut."""
    rnd = random.Random(seed)
    for _ in range(count):
        text = rnd.choice(texts)
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randint(0, len(text))
            if rnd.random() < 0.6:
                text = text[:at] + rnd.choice(pieces) + text[at:]
            else:
                text = text[:at] + text[at + rnd.randint(1, 4):]
        yield text
