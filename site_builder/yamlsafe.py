"""Safe YAML reading that remembers where every value came from.

Only the core YAML types are accepted: no custom tags, no aliases, no duplicate keys, no tab
indentation. Plain numbers become ``Decimal`` built from their text, never ``float``, so that an
amount keeps exactly the digits the clerk typed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

from site_builder.limits import YAML_DEPTH

try:  # libyaml's composer is several times faster; the pure-Python one is the fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

Path = tuple[str | int, ...]
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$", re.ASCII)  # ２０２３ is text
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
          "off", "Off", "OFF", "y", "Y", "n", "N"}


_RESOLVED: dict[str | None, str] = {}


_Loader = _BaseLoader  # only its parser is used: events, never its composer or constructor


def load_package_file(stream: Any) -> Any:
    """A YAML file of the package itself (code lists, templates, checks, labels, forms: trusted,
    not content) as ``yaml.safe_load`` reads it, with libyaml's parser where PyYAML has it (the
    same data, several times faster; the constructor and resolver are the same Python classes)."""
    return yaml.load(stream, Loader=_BaseLoader)  # noqa: S506 - CSafeLoader or SafeLoader: safe
_ScalarEvent, _MappingStartEvent, _SequenceStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MappingEndEvent, _SequenceEndEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent


def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    """YAML 1.1 core tag of a scalar without an explicit tag, by three set/regex tests.

    Called once per plain scalar, this is the hot path of reading thousands of reports. Timestamps
    are left as text (no content field is a date).
    """
    if not implicit[0]:
        return _STR
    known = _RESOLVED.get(value)  # keys and common figures repeat across thousands of files
    if known is not None:
        return known
    tag = _resolve_plain(value)
    if len(_RESOLVED) < 200_000:
        _RESOLVED[value] = tag
    return tag


def _resolve_plain(value: str) -> str:
    if value in _NULLS:
        return _NULL
    if value in _BOOLS:
        return _BOOL
    if value and value[0] in "0123456789-+." and _PLAIN_NUMBER.match(value) and any(c.isdigit() for c in value):
        return "tag:yaml.org,2002:float" if ("." in value or "e" in value.lower()) else "tag:yaml.org,2002:int"
    return _STR


_DECIMAL = re.compile(r"^[-+]?\d+(\.\d+)?$", re.ASCII)
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


#: the cells of flat table rows whose marks are not written yet: (section, row) -> (line, the column of
#: each cell's amount, the offset of the text between the braces in the line, the match of
#: ``_FLAT_CELLS_GROUPED`` on that text, for the columns of the keys)
_Unmarked = dict[tuple[str, str], tuple[int, list[int], int, re.Match[str]]]


class Document:
    """A parsed YAML file: plain Python data plus the 1-based line/column of every value and key.

    The flat table reader leaves the marks of its rows' cells unwritten (most are never read: the
    loader takes the amounts' columns with ``amount_columns``); ``marks`` and ``where`` write
    them first, so they always hold every mark the event parser gives.
    """

    __slots__ = ("_marks", "_unmarked", "amounts_bounded", "data", "numbers", "text")

    def __init__(self, data: Any, marks: dict[Path, tuple[int, int]] | None = None, text: str = "",
                 amounts_bounded: bool = False, unmarked: _Unmarked | None = None,
                 numbers: list[tuple[dict[str, Any] | list[Any], str | int, tuple[int, int]]] | None = None) -> None:
        self.data = data
        self._marks = marks if marks is not None else {}
        self.text = text  # the source, as read (BOM stripped)
        #: set by a reader that saw the text of every number: none has more than 15 characters, nor
        #: more than 6 after its '.' (so at most 15 integer digits and 6 decimals: the loader's limits
        #: hold without looking at the numbers again). False: not known.
        self.amounts_bounded = amounts_bounded
        self._unmarked = unmarked
        #: set by a reader that noted every number of ``data``: (its mapping or list, its key or
        #: index there, its mark), so the loader can place the amounts without walking the data
        self.numbers = numbers

    @property
    def marks(self) -> dict[Path, tuple[int, int]]:
        if self._unmarked:
            self._mark_cells()
        return self._marks

    def where(self, path: Path) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest ancestor that has one."""
        marks = self.marks
        while path not in marks and path:
            path = path[:-1]
        return marks.get(path, (1, 1))

    @property
    def written_marks(self) -> dict[Path, tuple[int, int]]:
        """The marks written so far: every mark but those of the cells ``marks`` writes when asked."""
        return self._marks

    def amount_columns(self, section: str, row: str) -> tuple[int, list[int]] | None:
        """The line of a flat row whose cells' marks are not written, and the (1-based) column of
        each cell's amount, in the order of the cells; None for any other row."""
        unmarked = self._unmarked
        read = unmarked.get((section, row)) if unmarked else None
        return None if read is None else (read[0], read[1])

    def _mark_cells(self) -> None:
        marks = self._marks
        for (section, row), (line, columns, offset, grouped) in self._unmarked.items():
            for index, key in enumerate(self.data[section][row]):
                marks[(section, row, key, "__key__")] = (line, offset + grouped.start(2 * index + 1) + 1)
                marks[(section, row, key)] = (line, columns[index])
        self._unmarked = None


def parse(text: str, max_depth: int = YAML_DEPTH) -> Document:
    """Parse one YAML document; raises YamlProblem with a precise position.

    The document is built from the parser's event stream with an explicit stack (no recursion),
    so deep nesting is a ``yaml.depth`` finding at the first level too deep, never a RecursionError
    or a C stack overflow in a recursive composer.
    """
    _refuse_tabs(text)
    flat = _flat_table(text) if max_depth >= 3 else None
    if flat is not None:
        return flat
    block = _block_document(text, max_depth)
    if block is not None:
        return block
    try:
        return _parse_events(text, max_depth, _Loader)
    except _ParserTooShallow:
        # libyaml (PyYAML >= 6.0.4) stops at its own nesting limit while it looks ahead, before the
        # builder has seen the first level too deep; the Python parser looks ahead a bounded
        # distance, so the finding is ``yaml.depth`` at that level with either PyYAML.
        return _parse_events(text, max_depth, yaml.SafeLoader)


class _ParserTooShallow(Exception):
    """The parser's own nesting limit was hit before the builder's."""


def _parse_events(text: str, max_depth: int, loader_class: type) -> Document:
    loader = loader_class(text)
    try:
        return _Builder(max_depth).build(loader)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or ""
        if "nesting depth" in problem and loader_class is not yaml.SafeLoader:
            raise _ParserTooShallow from None
        mark = _culprit(exc)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(f"YAML syntax error: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}", 1, 1) from None
    finally:
        loader.dispose()


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
    if "\t" not in text:  # the usual case, found at C speed
        return
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            col = len(line) - len(stripped) + 1
            raise YamlProblem("line is indented with a tab; indent with spaces", number, col, "yaml.tab")


_EXPECT_KEY = object()  # a mapping frame waiting for its next key


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Frame:
    """An open mapping or sequence while the event stream is read."""

    __slots__ = ("container", "key", "path")

    def __init__(self, container: dict[Any, Any] | list[Any], path: Path) -> None:
        self.container = container
        self.path = path
        self.key: Any = _EXPECT_KEY


class _Builder:
    """Builds plain data and the marks of every value and key from YAML events, iteratively."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.marks: dict[Path, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[int, int]] = {}
        self.stack: list[_Frame] = []
        self.doc = Document(data=None, marks=self.marks)

    def build(self, loader: _Loader) -> Document:
        get_event = loader.get_event
        stack = self.stack
        documents = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is _ScalarEvent:
                if stack and event.anchor is None:
                    self._scalar_in(stack[-1], event)
                else:
                    self._scalar_event(event)
            elif kind is _MappingStartEvent or kind is _SequenceStartEvent:
                self._open(event)
            elif kind is _MappingEndEvent or kind is _SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                where = self.anchors.get(event.anchor, _position(event.start_mark))
                raise YamlProblem("anchors and aliases (&, *) are not allowed; write the value out", *where, "yaml.alias")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlProblem("YAML syntax error: but found another document", *_position(event.start_mark))
            elif kind is yaml.StreamEndEvent:
                return self.doc

    # -- values ----------------------------------------------------------------------------------
    def _where_next(self, event: yaml.Event) -> Path | None:
        """The path of the value ``event`` starts, or None when it is a mapping key."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        if frame.key is _EXPECT_KEY:
            return None
        return (*frame.path, frame.key)

    def _remember_anchor(self, event: yaml.Event) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = _position(event.start_mark)

    def _put(self, value: Any) -> None:
        if not self.stack:
            self.doc.data = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            frame.container[frame.key] = value
            frame.key = _EXPECT_KEY

    def _open(self, event: yaml.Event) -> None:
        path = self._where_next(event)
        position = _position(event.start_mark)
        if path is None:
            raise YamlProblem("mapping keys must be plain text", *position)
        is_map = type(event) is yaml.MappingStartEvent
        expected = "tag:yaml.org,2002:map" if is_map else "tag:yaml.org,2002:seq"
        if event.tag not in (None, "!", expected):
            raise YamlProblem(f"YAML tag {_cut(event.tag)} is not allowed", *position, "yaml.tag")
        if len(self.stack) >= self.max_depth:
            raise YamlProblem(f"YAML nesting is deeper than {self.max_depth} levels", *position, "yaml.depth")
        self._remember_anchor(event)
        self.marks[path] = position
        container: dict[Any, Any] | list[Any] = {} if is_map else []
        self._put(container)
        self.stack.append(_Frame(container, path))

    def _scalar_event(self, event: yaml.ScalarEvent) -> None:
        """A scalar with an anchor, or the whole document."""
        mark = event.start_mark
        position = (mark.line + 1, mark.column + 1)
        if event.anchor is not None:
            self.anchors[event.anchor] = position
        if not self.stack:
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(event.value, event.implicit)
            self.marks[()] = position
            self.doc.data = _scalar(event, tag, position)
            return
        self._scalar_in(self.stack[-1], event)

    def _scalar_in(self, frame: _Frame, event: yaml.ScalarEvent) -> None:
        # The hot path (once per value and key of every file): the tag and position once each.
        mark = event.start_mark
        position = (mark.line + 1, mark.column + 1)
        tag = event.tag
        if tag is None or tag == "!":
            tag = (_RESOLVED.get(event.value) if event.implicit[0] else _STR) or _resolve(event.value, event.implicit)
        container = frame.container
        if type(container) is list:
            self.marks[(*frame.path, len(container))] = position
            container.append(_scalar(event, tag, position))
        elif frame.key is not _EXPECT_KEY:
            self.marks[(*frame.path, frame.key)] = position
            container[frame.key] = _scalar(event, tag, position)
            frame.key = _EXPECT_KEY
        elif tag == _STR and event.value != "<<" and event.value not in container:
            # a text key, as ``_key`` would take it (``<<`` and duplicates are its findings)
            self.marks[(*frame.path, event.value, "__key__")] = position
            frame.key = event.value
        else:
            self._key(frame, event, tag, position)

    def _key(self, frame: _Frame, event: yaml.ScalarEvent, tag: str, position: tuple[int, int]) -> None:
        plain = event.style in (None, "") and event.implicit[0]
        if event.value == "<<" and plain:  # before _scalar: its merge tag is refused there
            raise YamlProblem("merge keys (<<) are not allowed", *position, "yaml.alias")
        key = _scalar(event, tag, position)
        if isinstance(key, Decimal) or (plain and tag in _NUMBER):
            if tag != "tag:yaml.org,2002:int":
                raise YamlProblem(_key_message(event.value, "a number"), *position, "yaml.key")
            key = event.value  # an integer key (a classification code) keeps the digits as written
        elif not isinstance(key, str):
            raise YamlProblem(_key_message(event.value, "null" if key is None else "true/false"), *position, "yaml.key")
        container = frame.container
        assert isinstance(container, dict)
        if key in container:
            raise YamlProblem(f"duplicate key {_cut(key)}", *position, "yaml.duplicate-key")
        self.marks[(*frame.path, key, "__key__")] = position
        frame.key = key


def _key_message(text: str, read_as: str) -> str:
    return f"key {_cut(text)} is read by YAML as {read_as}, not as text; quote it: \"{_cut(text, quoted=False)}\":"


def _cut(text: str, limit: int = 80, quoted: bool = True) -> str:
    """A key or tag quoted in a message, cut so that a huge one cannot flood the findings."""
    shown = repr(text) if quoted else text
    return shown if len(shown) <= limit else f"{shown[:limit]}…"


def _scalar(event: yaml.ScalarEvent, tag: str, position: tuple[int, int]) -> Any:
    """The value of a scalar whose tag (explicit or resolved) is ``tag``."""
    if tag not in _CORE_TAGS:
        raise YamlProblem(f"YAML tag {_cut(tag)} is not allowed", *position, "yaml.tag")
    if event.style not in (None, ""):  # quoted or block scalar: always text
        if tag != _STR:
            raise YamlProblem(f"YAML tag {_cut(tag)} is not allowed", *position, "yaml.tag")
        return event.value
    if tag == _STR:
        return event.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return event.value.lower() in {"true", "yes", "on", "y"}
    if tag in _NUMBER:
        return Decimal(event.value) if _DECIMAL.match(event.value) else event.value
    return event.value


# -- the common shape of a table file, read without the event stream -------------------------------
#
# A table file is sections of rows of amounts: ``rows:`` then ``  "207": {total: 1.5, basic: 1.5}``,
# or ``income:`` then ``  total_income: 1825.49``. Reading that shape line by line takes half the
# time of building it from YAML events. Only lines of exactly these shapes are read here (keys
# of lower-case letters, digits and '_', codes in double quotes, plain decimals, comments); a file
# with any other line or character goes to the event parser, so the result is always the document
# (data and marks) the event parser builds.

_FLAT_REFUSED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_FLAT_KEY = r"[a-z_][a-z0-9_]{0,63}"
_FLAT_NUMBER = r"-?[0-9]{1,40}(?:\.[0-9]{1,40})?"
_FLAT_SECTION = re.compile(rf"({_FLAT_KEY}):(?: +#.*| *)\Z")
_FLAT_ROW = re.compile(rf'( +)(?:({_FLAT_KEY})|"([0-9]{{1,16}})"): +(?:({_FLAT_NUMBER})|\{{(.*)\}})(?: +#.*| *)\Z')
_FLAT_CELL = re.compile(rf"({_FLAT_KEY}): +({_FLAT_NUMBER})")
_FLAT_CELLS = re.compile(rf"{_FLAT_KEY}: +{_FLAT_NUMBER}(?: *, *{_FLAT_KEY}: +{_FLAT_NUMBER})* *\Z")
# the same text of up to _FLAT_CELLS_AT_ONCE cells, each key and amount a group of one match: the
# cells of nearly every row without a match object per cell (a longer row is read by the two above)
_FLAT_CELLS_AT_ONCE = 12
_FLAT_CELLS_GROUPED = re.compile(
    rf"({_FLAT_KEY}): +({_FLAT_NUMBER})" + rf"(?: *, *({_FLAT_KEY}): +({_FLAT_NUMBER}))?" * (_FLAT_CELLS_AT_ONCE - 1) + r" *\Z")
# plain keys of _FLAT_KEY's letters that the event parser does not read as text; "__key__" would
# share its mark with the key marks of its mapping
_FLAT_NOT_TEXT = frozenset(_NULLS | _BOOLS | {"__key__"})


def _flat_table(text: str) -> Document | None:
    """The document of a file of the flat table shape, or None when it has any other line."""
    if _FLAT_REFUSED.search(text):  # other line breaks, tabs, control characters, BOMs: not this shape
        return None
    data: dict[str, Any] = {}
    marks: dict[Path, tuple[int, int]] = {}
    unmarked: _Unmarked = {}
    rows: dict[str, Any] | None = None
    section, indent = "", 0
    bounded = [True]  # every number's text short (see Document.amounts_bounded)
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        if line[0] != " ":  # a section's key
            match = _FLAT_SECTION.match(line)
            if match is None or rows == {} or match.group(1) in data or match.group(1) in _FLAT_NOT_TEXT:
                return None  # a section without rows is null, not {}: left to the event parser
            section, rows, indent = match.group(1), {}, 0
            marks.setdefault((), (number, 1))
            marks[(section, "__key__")] = (number, 1)
            data[section] = rows
            continue
        if rows is None or not _flat_row(line, number, section, rows, indent, marks, unmarked, bounded):
            return None
        indent = indent or len(line) - len(stripped)
    return Document(data, marks, amounts_bounded=bounded[0], unmarked=unmarked) if rows else None


def _short_number(text: str) -> bool:
    """At most 15 characters, and at most 6 after a '.': a number within the loader's limits."""
    return len(text) <= 15 and "." not in text[:-7]


def _flat_row(line: str, number: int, section: str, rows: dict[str, Any], indent: int,
              marks: dict[Path, tuple[int, int]], unmarked: _Unmarked, bounded: list[bool]) -> bool:
    """Read one row line into ``rows``; False when it is not of the flat shape."""
    match = _FLAT_ROW.match(line)
    if match is None:
        return False
    spaces, plain, quoted, amount, inside = match.groups()
    key = plain if plain is not None else quoted
    if (indent and len(spaces) != indent) or key in rows or key in _FLAT_NOT_TEXT:
        return False
    column = len(spaces) + 1
    if not indent:
        marks[(section,)] = (number, column)
    marks[(section, key, "__key__")] = (number, column)
    if amount is not None:
        marks[(section, key)] = (number, match.start(4) + 1)
        rows[key] = Decimal(amount)
        if not _short_number(amount):
            bounded[0] = False
        return True
    cells = _flat_cells(inside, match.start(5), number, section, key, marks, unmarked, bounded)
    if cells is None:
        return False
    marks[(section, key)] = (number, match.start(5))  # the '{'
    rows[key] = cells
    return True


def _flat_cells(inside: str, offset: int, number: int, section: str, row: str, marks: dict[Path, tuple[int, int]],
                unmarked: _Unmarked, bounded: list[bool]) -> dict[str, Decimal] | None:
    """``total: 1.5, basic: 1.5``: the text between a row's braces, at ``offset`` in its line. The
    cells' marks are left to ``Document`` (``unmarked``) when one match reads them all."""
    cells: dict[str, Decimal] = {}
    if not inside:
        return cells
    grouped = _FLAT_CELLS_GROUPED.match(inside)
    if grouped is None:
        return _flat_cells_one_by_one(inside, offset, number, section, row, marks, bounded)
    parts = grouped.groups()  # key, amount, key, amount, …, then None for the cells the row lacks
    columns = []
    for index in range(0, len(parts), 2):
        key = parts[index]
        if key is None:
            break
        if key in cells or key in _FLAT_NOT_TEXT:
            return None
        amount = parts[index + 1]
        cells[key] = Decimal(amount)
        columns.append(offset + grouped.start(index + 2) + 1)
        if len(amount) > 15 or "." in amount[:-7]:  # not _short_number(amount), without a call per cell
            bounded[0] = False
    unmarked[(section, row)] = (number, columns, offset, grouped)
    return cells


def _flat_cells_one_by_one(inside: str, offset: int, number: int, section: str, row: str,
                           marks: dict[Path, tuple[int, int]], bounded: list[bool]) -> dict[str, Decimal] | None:
    """``_flat_cells`` of a row of more cells than one match takes, or of text that is not cells."""
    cells: dict[str, Decimal] = {}
    if _FLAT_CELLS.match(inside) is None:
        return None
    for match in _FLAT_CELL.finditer(inside):
        key, amount = match.groups()
        if key in cells or key in _FLAT_NOT_TEXT:
            return None
        marks[(section, row, key, "__key__")] = (number, offset + match.start(1) + 1)
        marks[(section, row, key)] = (number, offset + match.start(2) + 1)
        cells[key] = Decimal(amount)
        if not _short_number(amount):
            bounded[0] = False
    return cells


# -- block mappings and sequences of one-line scalars, read without the event stream ----------------
#
# Attachments, report.yaml and glossaries are block YAML: ``key: value`` lines, nested mappings and
# ``- `` sequences by indentation, one-line plain or quoted scalars. A file of only such lines is
# read here, in a third of the time of the events; a file with anything else (flow collections
# other than ``[]``, ``{}`` and a row's cells, anchors, tags, block or multi-line scalars, comments
# after values, escapes, indentless sequences, keys that are not plain ASCII names) goes to the
# event parser, so the result is always the document the event parser builds.

# indentation, "- " (an item), "key:" and the value after it (or the item's text)
_BLOCK_LINE = re.compile(r"( *)(- +)?(?:([A-Za-z_][A-Za-z0-9_]{0,63}):(?: +|\Z))?(.*)\Z")
_BLOCK_QUOTED = re.compile(r"\"[^\"\\]*\"\Z|'[^']*'\Z")
_BLOCK_NUMBER = re.compile(r"-[0-9.]+\Z")  # a negative number: the one plain scalar starting with an indicator
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


# Lines and one-line values repeat from file to file (keys, labels, the same words in every form):
# each distinct line's parts and each distinct value are worked out once per process, for lines of
# at most _MEMO_TEXT characters and up to _MEMO_SIZE of each. Values are immutable (text, Decimal,
# None, true/false), so documents may share them.
_MEMO_TEXT = 200
_MEMO_SIZE = 1 << 14
_SKIPPED = object()  # a blank or comment line; in _SCALARS: not remembered
_LINES: dict[str, Any] = {}  # line -> _SKIPPED or (indent, dash width or None, key or None, value, value's index)
_SCALARS: dict[str, Any] = {}  # value text -> _block_scalar(text)


def _block_line(line: str) -> Any:
    """The parts of one line of a block document (see ``_LINES``)."""
    if not line or line.lstrip(" ")[:1] in ("#", ""):
        return _SKIPPED
    match = _BLOCK_LINE.match(line)
    assert match is not None  # every line matches (the value part takes the rest)
    spaces, dash, key, value = match.groups()
    return len(spaces), None if dash is None else len(dash), key, value, match.start(4)


class _Block:
    """An open mapping or sequence of a block document: the column (0-based) of its keys or dashes."""

    __slots__ = ("container", "indent", "path")

    def __init__(self, container: dict[str, Any] | list[Any], indent: int, path: Path) -> None:
        self.container, self.indent, self.path = container, indent, path


class _NotBlock(Exception):
    """The file is not of the block shape read here: the event parser reads it."""


def _block_document(text: str, max_depth: int) -> Document | None:
    """The document of a file of block mappings, sequences and one-line scalars, or None."""
    if _FLAT_REFUSED.search(text):  # other line breaks, control characters, BOMs: not this shape
        return None
    try:
        return _BlockReader(max_depth).read(text)
    except _NotBlock:
        return None


class _BlockReader:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.marks: dict[Path, tuple[int, int]] = {}
        self.stack: list[_Block] = []
        self.pending: tuple[_Block, str] | None = None  # a ``key:`` whose value is the next, deeper block
        self.bounded = True  # every number's text short (see Document.amounts_bounded)
        self.numbers: list[tuple[dict[str, Any] | list[Any], str | int, tuple[int, int]]] = []  # see Document.numbers

    def read(self, text: str) -> Document:
        lines = _LINES
        for number, line in enumerate(text.split("\n"), start=1):
            parts = lines.get(line)
            if parts is None:
                parts = _block_line(line)
                if len(line) <= _MEMO_TEXT and len(lines) < _MEMO_SIZE:
                    lines[line] = parts
            if parts is _SKIPPED:
                continue
            indent, dash, key, value, start = parts
            at = (number, start + 1)  # the value's position
            if dash is None:
                self._entry(self._frame_for(number, indent, False), number, indent, key, value, at)
            else:
                self._item(number, indent, indent + dash, key, value, at)
        if not self.stack:
            raise _NotBlock  # nothing but comments: null
        self._null()
        return Document(self.stack[0].container, self.marks, amounts_bounded=self.bounded, numbers=self.numbers)

    def _item(self, number: int, indent: int, column: int, key: str | None, value: str, at: tuple[int, int]) -> None:
        """``- key: value`` (a mapping in the sequence) or ``- value``; ``column``: of the text after the dash."""
        frame = self._frame_for(number, indent, True)
        container = frame.container
        assert isinstance(container, list)
        path = (*frame.path, len(container))
        if key is not None:
            mapping = self._open(path, {}, column, (number, column + 1))
            container.append(mapping.container)
            self._entry(mapping, number, column, key, value, at)
            return
        if not value:
            raise _NotBlock  # an empty item: null
        self.marks[path] = at
        scalar = self._scalar(value)
        if type(scalar) is Decimal:
            self.numbers.append((container, len(container), at))
        container.append(scalar)

    def _frame_for(self, number: int, indent: int, dash: bool) -> _Block:
        """The open block a line at ``indent`` belongs to, opening the value of a pending ``key:`` first."""
        pending = self.pending
        if pending is not None and indent <= pending[0].indent:
            if dash and indent == pending[0].indent:
                raise _NotBlock  # an indentless sequence: the key's value
            self._null()
        elif pending is not None:
            parent, key = pending
            self.pending = None
            block = self._open((*parent.path, key), [] if dash else {}, indent, (number, indent + 1))
            parent.container[key] = block.container  # type: ignore[call-overload]
            return block
        stack = self.stack
        if not stack:
            if dash:
                raise _NotBlock  # a document that is a sequence
            return self._open((), {}, indent, (number, indent + 1))
        while stack[-1].indent > indent and len(stack) > 1:
            stack.pop()
        frame = stack[-1]
        if frame.indent != indent or (type(frame.container) is list) != dash:
            raise _NotBlock
        return frame

    def _open(self, path: Path, container: dict[str, Any] | list[Any], indent: int, position: tuple[int, int]) -> _Block:
        if len(self.stack) >= self.max_depth:
            raise _NotBlock  # the event parser gives the yaml.depth finding
        self.marks[path] = position
        block = _Block(container, indent, path)
        self.stack.append(block)
        return block

    def _entry(self, frame: _Block, number: int, indent: int, key: str | None, value: str, at: tuple[int, int]) -> None:
        """``key: value`` or ``key:`` at ``indent`` in the mapping ``frame``; the value at ``at``."""
        container = frame.container
        if key is None or key in container or key in _FLAT_NOT_TEXT:
            # not a key; duplicate keys and keys YAML reads as null or true/false are the event parser's findings
            raise _NotBlock
        marks, path = self.marks, frame.path
        marks[(*path, key, "__key__")] = (number, indent + 1)
        if not value:
            self.pending = (frame, key)
            return
        marks[(*path, key)] = at
        if value[0] in "[{":
            container[key] = self._flow(value, at, (*path, key))  # type: ignore[call-overload]
            return
        scalar = self._scalar(value)
        if type(scalar) is Decimal:
            self.numbers.append((container, key, at))
        container[key] = scalar  # type: ignore[call-overload]

    def _scalar(self, text: str) -> Any:
        """``_block_scalar``, noting a number whose text is not short (``_short_number``)."""
        value = _SCALARS.get(text, _SKIPPED)
        if value is _SKIPPED:
            value = _block_scalar(text)  # raises _NotBlock for a text this reader leaves to the events
            if len(text) <= _MEMO_TEXT and len(_SCALARS) < _MEMO_SIZE:
                _SCALARS[text] = value
        if type(value) is Decimal and not _short_number(text.rstrip(" ")):
            self.bounded = False
        return value

    def _null(self) -> None:
        """The pending ``key:`` has no deeper block below it: its value is null, placed after the ':'."""
        if self.pending is not None:
            parent, key = self.pending
            self.pending = None
            line, col = self.marks[(*parent.path, key, "__key__")]
            self.marks[(*parent.path, key)] = (line, col + len(key) + 1)
            parent.container[key] = None  # type: ignore[call-overload]

    def _flow(self, value: str, at: tuple[int, int], path: Path) -> dict[str, Decimal] | list[Any]:
        """``[]``, ``{}`` or ``{cell: amount, …}`` (the cells of a flat table row) on one line."""
        value = value.rstrip(" ")
        if len(self.stack) >= self.max_depth:
            raise _NotBlock  # the event parser gives the yaml.depth finding
        if value == "[]":
            return []
        if value[0] != "{" or value[-1] != "}":
            raise _NotBlock
        cells: dict[str, Decimal] = {}
        inside = value[1:-1]
        if inside and _FLAT_CELLS.match(inside) is None:
            raise _NotBlock
        line, offset = at  # offset: the 0-based index of the text after '{'
        for match in _FLAT_CELL.finditer(inside):
            cell, amount = match.groups()
            if cell in cells or cell in _FLAT_NOT_TEXT:
                raise _NotBlock
            self.marks[(*path, cell, "__key__")] = (line, offset + match.start(1) + 1)
            position = (line, offset + match.start(2) + 1)
            self.marks[(*path, cell)] = position
            cells[cell] = Decimal(amount)
            self.numbers.append((cells, cell, position))
            if not _short_number(amount):
                self.bounded = False
        return cells


def _block_scalar(text: str) -> Any:
    """The value of a one-line scalar, as the event builder takes it (``_scalar``)."""
    text = text.rstrip(" ")
    first = text[0]
    if first == '"' or first == "'":
        if _BLOCK_QUOTED.match(text) is None:
            raise _NotBlock
        return text[1:-1]
    # a plain scalar: ': ', ' #' or a ':' at its end, or an indicator first, would change its meaning
    if ": " in text or " #" in text or text[-1] == ":" or (first in _INDICATORS and not _BLOCK_NUMBER.match(text)):
        raise _NotBlock
    tag = _RESOLVED.get(text) or _resolve(text, (True, False))
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in {"true", "yes", "on", "y"}
    return Decimal(text) if _DECIMAL.match(text) else text
