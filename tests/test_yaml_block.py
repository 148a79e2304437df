"""The line reader for block files (``yamlsafe._block_document``: attachments, report.yaml,
glossaries) gives exactly the document the event parser builds, or leaves the file to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder import loader, yamlsafe
from site_builder.limits import YAML_DEPTH
from tests.test_yaml_flat import assert_same, mutated

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for folder in ("content", "tests/fixtures") for p in (ROOT / folder).glob("**/*.yaml"))

BLOCK = """\
# 项目支出绩效自评表
kind: performance
title: 农田水利设施维护项目支出绩效自评表
amount_unit: 万元
empty:
blank:
acknowledged: []
cells: {total: 1.5, fiscal: -0.25}
none: {}
funds:
  points: 10
  rows:
    - source: 资金总额
      declared: 896.43
      rate: 1.0000
      flag: yes
      note: ~
      missing:
    -   source: 'single quoted'
        code: "170004"
        text: a:b c#d [x] {y}, z
  after: -3
items:
  - 文字
  - "quoted: text # not a comment"
  - -1.5
  - 007
last:
"""

NOT_BLOCK = [
    "",
    "# only a comment\n",
    "- a\n- b\n",  # a sequence as the document
    "a:\n- b\n",  # an indentless sequence
    "a:\n  b: 1\n c: 2\n",  # another indentation
    "a: 1\na: 2\n",  # duplicate key
    "yes: 1\n",  # a key YAML reads as true
    "null: 1\n",
    "__key__: 1\n",
    "a: b: c\n",
    "a: b #c\n",
    "a: b:\n",
    "a: &x 1\n",
    "a: *x\n",
    "a: !!str 1\n",
    "a: |\n  text\n",
    "a: >\n  text\n",
    "a: [b]\n",
    "a: {b: c}\n",
    "a: { b: 1 }\n",
    "a: \"b\\\"c\"\n",
    "a: 'b''c'\n",
    "a: \"b\" # c\n",
    "a: text\n  continued\n",
    "a:\n  -\n",
    "a:\n  - \n",
    "a:\n  - - b\n",
    "a:\n  - # c\n",
    "a: - b\n",
    "'a': 1\n",
    "\"a\": 1\n",
    "a b: 1\n",
    "名称: 1\n",
    "a:b\n",
    "a : 1\n",
    "---\na: 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 1\r\n",
    "a: 1\u2028b: 2\n",
    "a: \x07\n",
    "\ufeffa: 1\n",
    "<<: {a: 1}\n",
    "a: ? b\n",
    "a: @b\n",
    "a: `b\n",
    "a: %b\n",
    "a: -b\n",
    "a: ,b\n",
    "  a: 1\nb: 2\n",
]


def test_block_shape_is_read_like_the_event_parser() -> None:
    block = yamlsafe._block_document(BLOCK, YAML_DEPTH)
    assert block is not None
    assert_same(block, BLOCK)
    assert yamlsafe.parse(BLOCK).marks == block.marks


@pytest.mark.parametrize("text", NOT_BLOCK)
def test_other_shapes_are_left_to_the_event_parser(text: str) -> None:
    assert yamlsafe._block_document(text, YAML_DEPTH) is None


def test_nesting_deeper_than_the_limit_is_left_to_the_event_parser() -> None:
    text = "".join(f"{'  ' * level}k{level}:\n" for level in range(6)) + f"{'  ' * 6}leaf: 1\n"
    assert yamlsafe._block_document(text, 7) is not None
    assert yamlsafe._block_document(text, 6) is None
    with pytest.raises(yamlsafe.YamlProblem) as problem:
        yamlsafe.parse(text, max_depth=6)
    assert problem.value.rule == "yaml.depth"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_sample_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    block = yamlsafe._block_document(text, YAML_DEPTH)
    if block is not None:
        assert_same(block, text)


def test_mutated_files() -> None:
    """Random edits of block files: whatever the line reader still accepts, the event parser reads
    the same way (and does not refuse)."""
    pieces = ["\t", "\r", " ", "  ", "    ", "#", " #", ":", ": ", '"', "'", ",", "{", "}", "-", "- ", ".", "0", "y",
              "no", "null", "~", "\n", "\n  ", "\n- ", "\u2028", "\x85", "\ufeff", "\x00", "文", "_", "__key__", "<<",
              "&a ", "*a", "!!str ", "---\n", "? ", "[", "]", "[]", "{}", "e5", "+", "\\", "|", ">", "x" * 70, "1" * 45]
    texts = [BLOCK] + [p.read_text(encoding="utf-8") for p in FILES]
    texts = [t for t in texts if yamlsafe._block_document(t, YAML_DEPTH) is not None]
    accepted = 0
    for text in mutated(texts, pieces, seed=2):
        block = yamlsafe._block_document(text, YAML_DEPTH)
        if block is not None:
            accepted += 1
            assert_same(block, text)
            assert not block.amounts_bounded or loader._amounts_within_limits(block.data)
    assert accepted > 100


@pytest.mark.parametrize(("number", "bounded"), [
    ("1.5", True), ("-999999999999999", False), ("99999999999999", True), ("999999999999999", True),
    ("1000000000000000", False), ("0.123456", True), ("0.1234567", False), ("-0.12345", True), ("+5", True),
    ("00000000000000001", False), ("1e3", True),  # 1e3 is text, not a number
])
def test_block_reader_vouches_for_short_numbers_only(number: str, bounded: bool) -> None:
    """A block document is ``amounts_bounded`` only when every number's text is short: then the
    loader's limits hold without looking at the numbers again (and they do)."""
    for text in (f"a: {number}\n", f"a:\n  - {number}\n", f"a: {{total: {number}}}\n"):
        block = yamlsafe._block_document(text, YAML_DEPTH)
        if block is None:  # {total: 1e3} and {total: +5} are left to the event parser
            continue
        assert block.amounts_bounded is bounded, text
        assert not block.amounts_bounded or loader._amounts_within_limits(block.data)
