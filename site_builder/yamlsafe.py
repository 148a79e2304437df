"""Safe YAML reading that remembers where every value came from.

Only the core YAML types are accepted: no custom tags, no aliases, no duplicate keys, no tab
indentation. Plain numbers become ``Decimal`` built from their text, never ``float``, so that an
amount keeps exactly the digits the clerk typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

try:  # libyaml's composer is several times faster; the pure-Python one is the fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

Path = tuple[str | int, ...]
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
          "off", "Off", "OFF", "y", "Y", "n", "N"}


_RESOLVED: dict[str | None, str] = {}


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML 1.1 core tags resolved with three set/regex tests instead of PyYAML's generic resolver.

    Called once per plain scalar, this is the hot path of reading thousands of reports. Timestamps
    are left as text (no content field is a date). Explicit tags never reach this method.
    """

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            known = _RESOLVED.get(value)  # keys and common figures repeat across thousands of files
            if known is not None:
                return known
            tag = self._resolve_plain(value)
            if len(_RESOLVED) < 200_000:
                _RESOLVED[value] = tag
            return tag
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"

    @staticmethod
    def _resolve_plain(value: str | None) -> str:
        if value in _NULLS:
            return _NULL
        if value in _BOOLS:
            return _BOOL
        if value and value[0] in "0123456789-+." and _PLAIN_NUMBER.match(value) and any(c.isdigit() for c in value):
            return "tag:yaml.org,2002:float" if ("." in value or "e" in value.lower()) else "tag:yaml.org,2002:int"
        return _STR


_DECIMAL = re.compile(r"^[-+]?\d+(\.\d+)?$")
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_NUMBER = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_CORE_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


class YamlProblem(Exception):
    """A file that cannot be read as content YAML, with the position of the problem."""

    def __init__(self, message: str, line: int, col: int, rule: str = "yaml.syntax") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.rule = rule


@dataclass
class Document:
    """A parsed YAML file: plain Python data plus the 1-based line/column of every value and key."""

    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest ancestor that has one."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))


def parse(text: str) -> Document:
    """Parse one YAML document; raises YamlProblem with a precise position."""
    _refuse_tabs(text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = _culprit(exc)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(f"YAML syntax error: {exc.problem or exc.context}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}", 1, 1) from None
    doc = Document(data=None)
    if node is None:
        return doc
    doc.data = _Converter(doc.marks).convert(node, ())
    return doc


def _culprit(exc: yaml.MarkedYAMLError) -> yaml.Mark | None:
    """The mark of the line to fix.

    For a key without its ':', an unclosed quote or an unclosed flow collection the parser only
    notices the problem on a later line (or at the end of the file); the context mark is where that
    key, quote or bracket starts. Otherwise the problem mark is the place.
    """
    context = exc.context or ""
    if exc.context_mark and context.startswith(("while scanning", "while parsing a flow")):
        return exc.context_mark
    return exc.problem_mark or exc.context_mark


def _refuse_tabs(text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            col = len(line) - len(stripped) + 1
            raise YamlProblem("line is indented with a tab; indent with spaces", number, col, "yaml.tab")


class _Converter:
    def __init__(self, marks: dict[Path, tuple[int, int]]) -> None:
        self.marks = marks
        self.seen: set[int] = set()

    def convert(self, node: yaml.Node, path: Path) -> Any:
        position = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in self.seen:
            raise YamlProblem("anchors and aliases (&, *) are not allowed; write the value out", *position, "yaml.alias")
        self.seen.add(id(node))
        self.marks[path] = position
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, "tag:yaml.org,2002:seq")
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self._check_tag(node, "tag:yaml.org,2002:map")
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("mapping keys must be plain text", key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_node.value == "<<" and key_node.style in (None, ""):  # before _scalar: its merge tag is refused there
                raise YamlProblem("merge keys (<<) are not allowed", key_node.start_mark.line + 1, key_node.start_mark.column + 1, "yaml.alias")
            key = self._scalar(key_node)
            key = key if isinstance(key, str) else str(key) if isinstance(key, Decimal) else key
            if key in result:
                raise YamlProblem(f"duplicate key {key!r}", key_node.start_mark.line + 1, key_node.start_mark.column + 1, "yaml.duplicate-key")
            self.marks[(*path, key, "__key__")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        # The composer has resolved each scalar's tag already (explicit or implicit).
        tag = node.tag
        if tag not in _CORE_TAGS:
            raise YamlProblem(f"YAML tag {tag!r} is not allowed", node.start_mark.line + 1, node.start_mark.column + 1, "yaml.tag")
        if node.style not in (None, ""):  # quoted or block scalar: always text
            if tag != _STR:
                raise YamlProblem(f"YAML tag {tag!r} is not allowed", node.start_mark.line + 1, node.start_mark.column + 1, "yaml.tag")
            return node.value
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return node.value.lower() in {"true", "yes", "on", "y"}
        if tag in _NUMBER:
            return Decimal(node.value) if _DECIMAL.match(node.value) else node.value
        return node.value

    @staticmethod
    def _check_tag(node: yaml.Node, expected: str) -> None:
        if node.tag != expected or node.tag not in _CORE_TAGS:
            raise YamlProblem(f"YAML tag {node.tag!r} is not allowed", node.start_mark.line + 1, node.start_mark.column + 1, "yaml.tag")
