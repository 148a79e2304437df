"""The standards as data: template frames, classification codes, consistency checks, glossary.

Everything here is read from YAML files inside the package (``site_builder/standards/``), shared
by the checker and the renderer. Adding a template variant means adding a file to
``standards/templates/`` (validated against ``template.schema.json`` when loaded: see
``template_check``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

# the classification codes live in their own module; these names stay importable from here
from site_builder.classification import CodeBook, codebook, economic_codes, function_codes  # noqa: F401
from site_builder.findings import Finding, Place
from site_builder.yamlsafe import load_package_file

STANDARDS_DIR = Path(__file__).parent / "standards"
CN_NUMERALS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Column:
    id: str
    title: str
    lanci: str = ""


@dataclass(frozen=True)
class FrameRow:
    """One printed row of a fixed-row section: an item, a function class, or a blank filler."""

    id: str | None  # None for a blank filler row
    name: str
    line: int | None
    strong: bool = False
    indent: int = 0
    is_class: bool = False


@dataclass(frozen=True)
class Side:
    section: str
    heading: str
    columns: tuple[Column, ...]
    rows: tuple[FrameRow, ...]
    column_group: str = ""


# The printed labels of a template's headers; a label the template leaves out is not printed
# (a province with no 行次 column has no ``line`` label).
LABEL_KEYS = ("item", "line", "lanci", "code", "name", "total")


@dataclass(frozen=True)
class TableFrame:
    id: str
    number: str  # printed table number (公开01表); "" when the template prints none
    title: str
    layout: str  # two_sided | coded | economic_detail | three_public | related_info
    note: str
    raw: dict[str, Any]
    unit_label: str
    columns: tuple[Column, ...] = ()
    sides: tuple[Side, ...] = ()
    codes: str = ""  # function | economic
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    ordinal: str = ""  # number in the report's table of contents (一、…) when the template prints one

    @property
    def column_groups(self) -> list[dict[str, Any]]:
        return list(self.raw.get("column_groups", []))

    @property
    def name(self) -> str:
        """Number and title as printed, for messages: 公开02表 收入决算表, or 二、收入决算表."""
        if self.number:
            return f"{self.number} {self.title}"
        return f"{self.ordinal}、{self.title}" if self.ordinal else self.title

    def label(self, key: str) -> str:
        return self.labels.get(key, "")

    @property
    def sections(self) -> tuple[str, ...]:
        if self.layout == "two_sided":
            return tuple(side.section for side in self.sides)
        if self.layout == "related_info":
            return tuple(part["section"] for part in self.raw["parts"])
        return ("rows",)

    def section_columns(self, section: str) -> tuple[str, ...]:
        """Column ids of a section; ("amount",) for single-column sections."""
        if self.layout == "two_sided":
            side = next(s for s in self.sides if s.section == section)
            return tuple(c.id for c in side.columns)
        if self.layout in ("coded", "three_public"):
            return tuple(c.id for c in self.columns)
        return ("amount",)

    def fixed_rows(self, section: str) -> tuple[str, ...] | None:
        """Row ids a section allows, or None when rows are classification codes."""
        if self.layout == "two_sided":
            side = next(s for s in self.sides if s.section == section)
            return tuple(r.id for r in side.rows if r.id)
        if self.layout == "related_info":
            part = next(p for p in self.raw["parts"] if p["section"] == section)
            return tuple(r["id"] for r in part["rows"])
        if self.layout == "three_public":
            return ("budget", "final")
        return None

    def is_single_column(self, section: str) -> bool:
        return self.section_columns(section) == ("amount",)


@dataclass(frozen=True)
class Template:
    id: str
    label: str
    unit_label: str
    function_classes: tuple[str, ...]
    tables: tuple[TableFrame, ...]
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def table(self, table_id: str) -> TableFrame | None:
        return next((t for t in self.tables if t.id == table_id), None)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # travel between worker processes by name, not as a copy of every frame
        return (_template_by_id, (self.id,))

    @property
    def table_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tables)


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (enough for the ≤ 30 classes of a summary table)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_NUMERALS[ones]
    prefix = "" if tens == 1 else CN_NUMERALS[tens]
    return prefix + "十" + (CN_NUMERALS[ones] if ones else "")


def _read(name: str) -> Any:
    with open(STANDARDS_DIR / name, encoding="utf-8") as handle:
        return load_package_file(handle)


@cache
def checks() -> dict[str, list[dict[str, Any]]]:
    return _read("checks.yaml")


TEMPLATE_DIR = STANDARDS_DIR / "templates"


@cache
def _loaded() -> tuple[dict[str, Template], tuple[Finding, ...]]:
    """Every template file of the package, validated; a bad file is left out with its findings."""
    result: dict[str, Template] = {}
    problems: list[Finding] = []
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        template, findings = load_template_file(path)
        problems.extend(findings)
        if template is None:
            continue
        if template.id in result:
            problems.append(Finding("template.duplicate-id", f"template id {template.id!r} is used by another template file",
                                    Place(_shown(path))))
            continue
        result[template.id] = template
    return result, tuple(problems)


def templates() -> dict[str, Template]:
    return _loaded()[0]


def template_findings() -> list[Finding]:
    """Findings about the package's template files (empty when all are valid)."""
    return list(_loaded()[1])


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_template_file(path: Path) -> tuple[Template | None, list[Finding]]:
    """Read and validate one template file: the template, or None and ``file:line:col`` findings."""
    from site_builder import template_check  # it reads the code books defined here

    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding("template.unreadable", f"cannot read template file: {exc}", Place(shown))]
    data, findings = template_check.validate_text(text, shown)
    if data is None or any(f.is_error for f in findings):
        return None, findings
    return _build_template(data), findings


def _template_by_id(template_id: str) -> Template:
    return templates()[template_id]


def _build_template(data: dict[str, Any]) -> Template:
    classes = tuple(data["function_classes"])
    labels = dict(data["labels"])
    tables = tuple(_build_table(t, classes, data["unit_label"], labels) for t in data["tables"])
    return Template(data["id"], data["label"], data["unit_label"], classes, tables, data)


def _columns(items: list[dict[str, Any]]) -> tuple[Column, ...]:
    return tuple(Column(c["id"], c["title"], str(c.get("lanci", ""))) for c in items)


def _build_table(data: dict[str, Any], classes: tuple[str, ...], unit_label: str, labels: dict[str, str]) -> TableFrame:
    sides = tuple(
        Side(s["section"], s["heading"], _columns(s["columns"]), _side_rows(s["rows"], classes), s.get("column_group", ""))
        for s in data.get("sides", ())
    )
    merged = {k: v for k, v in {**labels, **data.get("labels", {})}.items() if v}
    return TableFrame(
        id=data["id"],
        number=data.get("number", ""),
        title=data["title"],
        layout=data["layout"],
        note=data.get("note", ""),
        raw=data,
        unit_label=data.get("unit_label", unit_label),
        columns=_columns(data.get("columns", ())),
        sides=sides,
        codes=data.get("codes", ""),
        labels=merged,
        ordinal=data.get("ordinal", ""),
    )


def _side_rows(items: list[dict[str, Any]], classes: tuple[str, ...]) -> tuple[FrameRow, ...]:
    rows: list[FrameRow] = []
    names = function_codes()
    for item in items:
        if item.get("classes"):
            first = item.get("first_line")
            for offset, code in enumerate(classes):
                label = f"{chinese_ordinal(offset + 1)}、{names.name(code)}"
                rows.append(FrameRow(code, label, None if first is None else first + offset, is_class=True))
        elif "filler" in item:
            rows.extend(FrameRow(None, "", line) for line in _filler_lines(item["filler"]))
        else:
            rows.append(FrameRow(item["id"], item["name"], item.get("line"), item.get("strong", False), item.get("indent", 0)))
    return tuple(rows)


def _filler_lines(filler: int | list[int]) -> list[int | None]:
    """Blank rows: ``[first, last]`` numbered lines, or a count of rows without 行次."""
    if isinstance(filler, int):
        return [None] * filler
    start, end = filler
    return list(range(start, end + 1))


# -- where an economic detail table prints the codes a report uses ---------------------------------


def laid_out_groups(frame: TableFrame, present: list[str]) -> list[list[str]]:
    """The template's code groups, with each reported code the template does not list placed after
    the last code of its 类 (or after the 类 itself), so every checked figure is shown.
    A code whose 类 the layout does not print at all is left out (rule ``table.code-not-in-layout``)."""
    groups = [list(codes) for codes in frame.raw["groups"]]
    listed = {code for codes in groups for code in codes}
    totals = {t["id"] for t in frame.raw["totals"]}
    for code in sorted(c for c in present if c not in listed and c not in totals and c.isdigit()):
        place = _class_position(groups, code)
        if place is not None:
            g, i = place
            groups[g].insert(i, code)
    return groups


def _class_position(groups: list[list[str]], code: str) -> tuple[int, int] | None:
    """Where a code missing from the layout goes: after the last listed code sharing its parent
    (款 for a 项, 类 for a 款), in the group holding them; None when its 类 is not printed."""
    for prefix in (code[:-2], code[:3]) if len(code) > 3 else (code[:3],):
        spots = [(g, i) for g, codes in enumerate(groups) for i, c in enumerate(codes) if c.startswith(prefix) and c <= code]
        if spots:
            g, i = spots[-1]
            return g, i + 1
        spots = [(g, i) for g, codes in enumerate(groups) for i, c in enumerate(codes) if c.startswith(prefix)]
        if spots:
            g, i = spots[0]
            return (g, i) if groups[g][i] != prefix else (g, i + 1)
    return None


def unshown_codes(frame: TableFrame, present: list[str]) -> list[str]:
    """Reported codes of an economic detail table that its layout cannot show (no 类 printed, or a —— cell)."""
    shown = {code for codes in laid_out_groups(frame, present) for code in codes}
    dash = set(frame.raw.get("dash_codes", []))
    totals = {t["id"] for t in frame.raw["totals"]}
    return [c for c in present if c not in totals and (c not in shown or c in dash)]



# -- names a clerk uses for tables, sections, rows and columns (computed figures in prose) ---------

_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．）]\s*)")
_LEVEL_SUFFIX = re.compile(r"（[类款项]）$")
_QUOTES = str.maketrans("", "", "“”\"‘’'「」")


def plain_name(name: str) -> str:
    """A printed name as a clerk would type it: no ordinal (一、 （一） 1.), no spaces or quotes,
    full-width brackets, no （类）/（款）/（项） level suffix."""
    if len(name) <= _REMEMBERED_NAME:  # names repeat in every report; a long text is not kept
        return _plain_name(name)
    return _plain_name.__wrapped__(name)


_REMEMBERED_NAME = 200


@lru_cache(maxsize=8192)
def _plain_name(name: str) -> str:
    text = "".join(name.split()).replace("(", "（").replace(")", "）").translate(_QUOTES).removeprefix("其中：")
    text = _ORDINAL.sub("", text)
    return _LEVEL_SUFFIX.sub("", text)


def _with_variants(name: str) -> tuple[str, ...]:
    """The plain name, and without a trailing bracket note such as （辆） when something is left."""
    plain = plain_name(name)
    short = re.sub(r"（[^（）]*）$", "", plain)
    return (plain, short) if short and short != plain else (plain,)


def table_names(frame: TableFrame) -> tuple[str, ...]:
    return (plain_name(frame.title), frame.number, frame.id)


def section_names(frame: TableFrame) -> dict[str, str]:
    """Name → section id, for tables with more than one section (收入/支出; 政府采购情况 …)."""
    names: dict[str, str] = {}
    if frame.layout == "two_sided":
        for side in frame.sides:
            names[plain_name(side.heading)] = side.section
    elif frame.layout == "related_info":
        for part in frame.raw["parts"]:
            for variant in (plain_name(part["heading"]), plain_name(part["heading"]).removesuffix("情况")):
                names[variant] = part["section"]
    return names


def fixed_row_names(frame: TableFrame, section: str) -> dict[str, str]:
    """Name → row id of the rows the frame prints (not classification codes, which come from the report)."""
    names: dict[str, str] = {}
    if frame.layout == "two_sided":
        side = next(s for s in frame.sides if s.section == section)
        for row in side.rows:
            if row.id:
                names.update(dict.fromkeys(_with_variants(row.name), row.id))
    elif frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == section)
        for item in part["rows"]:
            names.update(dict.fromkeys(_with_variants(item["name"]), item["id"]))
    elif frame.layout == "three_public":
        for row in ("budget", "final"):
            heading = plain_name(frame.raw[f"{row}_heading"].replace("{year}", ""))
            names.update(dict.fromkeys({heading, heading.removeprefix("年度")}, row))
    elif frame.layout == "economic_detail":
        names.update({plain_name(t["name"]): t["id"] for t in frame.raw["totals"]})
    elif frame.layout == "coded" and frame.label("total"):
        names[plain_name(frame.label("total"))] = "total"
    return names


def column_names(frame: TableFrame, section: str) -> dict[str, str]:
    """Name → column id: column titles, and a group title for the group's 小计/合计 column."""
    if frame.layout == "two_sided":
        side = next(s for s in frame.sides if s.section == section)
        names = {plain_name(c.title): c.id for c in side.columns}
        if side.column_group and len(side.columns) == 1:
            names[plain_name(side.column_group)] = side.columns[0].id
        return names
    if frame.layout == "economic_detail":
        return {plain_name(frame.raw["value_title"]): "amount"}
    if frame.layout == "related_info":
        part = next(p for p in frame.raw["parts"] if p["section"] == section)
        return {plain_name(part.get("value_title") or frame.raw["value_title"]): "amount"}
    names = {plain_name(c.title): c.id for c in frame.columns}
    for group in frame.column_groups:
        if group.get("subtotal"):  # the group's title names its 小计/合计 column too
            names.setdefault(plain_name(group["title"]), group["subtotal"])
    return names


def skeleton(template: Template) -> str:
    """The standard 情况说明 outline of a template variant, with its figures as references."""
    name = template.raw.get("skeleton")
    return (STANDARDS_DIR / "skeletons" / name).read_text(encoding="utf-8") if name else ""
