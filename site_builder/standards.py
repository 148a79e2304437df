"""The standards as data: template frames, classification codes, consistency checks, glossary.

Everything here is read from YAML files inside the package (``site_builder/standards/``), shared
by the checker and the renderer. Adding a template variant means adding a file to
``standards/templates/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# the classification codes live in their own module; these names stay importable from here
from site_builder.classification import CodeBook, codebook, economic_codes, function_codes  # noqa: F401

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


@dataclass(frozen=True)
class TableFrame:
    id: str
    number: str
    title: str
    layout: str  # two_sided | coded | economic_detail | three_public | related_info
    note: str
    raw: dict[str, Any]
    unit_label: str
    columns: tuple[Column, ...] = ()
    sides: tuple[Side, ...] = ()
    codes: str = ""  # function | economic

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
        if self.layout == "related_info" and section == "procurement":
            return ("amount",)
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
        if self.layout == "economic_detail":
            return None
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
        return yaml.safe_load(handle)


@cache
def checks() -> dict[str, list[dict[str, Any]]]:
    return _read("checks.yaml")


@cache
def templates() -> dict[str, Template]:
    result = {}
    for path in sorted((STANDARDS_DIR / "templates").glob("*.yaml")):
        template = _build_template(_read(f"templates/{path.name}"))
        result[template.id] = template
    return result


def _template_by_id(template_id: str) -> Template:
    return templates()[template_id]


def _build_template(data: dict[str, Any]) -> Template:
    classes = tuple(data["function_classes"])
    tables = tuple(_build_table(t, classes, data["unit_label"]) for t in data["tables"])
    return Template(data["id"], data["label"], data["unit_label"], classes, tables)


def _columns(items: list[dict[str, Any]]) -> tuple[Column, ...]:
    return tuple(Column(c["id"], c["title"], str(c.get("lanci", ""))) for c in items)


def _build_table(data: dict[str, Any], classes: tuple[str, ...], unit_label: str) -> TableFrame:
    sides = tuple(
        Side(s["section"], s["heading"], _columns(s["columns"]), _side_rows(s["rows"], classes), s.get("column_group", ""))
        for s in data.get("sides", ())
    )
    columns = _columns(data.get("columns", ()))
    if data["layout"] == "three_public":
        columns = THREE_PUBLIC_COLUMNS
    return TableFrame(
        id=data["id"],
        number=data["number"],
        title=data["title"],
        layout=data["layout"],
        note=data.get("note", ""),
        raw=data,
        unit_label=data.get("unit_label", unit_label),
        columns=columns,
        sides=sides,
        codes=data.get("codes", ""),
    )


def _side_rows(items: list[dict[str, Any]], classes: tuple[str, ...]) -> tuple[FrameRow, ...]:
    rows: list[FrameRow] = []
    names = function_codes()
    for item in items:
        if item.get("classes"):
            first = item["first_line"]
            for offset, code in enumerate(classes):
                label = f"{chinese_ordinal(offset + 1)}、{names.name(code)}"
                rows.append(FrameRow(code, label, first + offset, is_class=True))
        elif "filler" in item:
            start, end = item["filler"]
            rows.extend(FrameRow(None, "", line) for line in range(start, end + 1))
        else:
            rows.append(FrameRow(item["id"], item["name"], item.get("line"), item.get("strong", False), item.get("indent", 0)))
    return tuple(rows)


THREE_PUBLIC_COLUMNS = (
    Column("total", "合计"),
    Column("abroad", "因公出国（境）费"),
    Column("vehicles", "小计"),
    Column("vehicle_purchase", "公务用车购置费"),
    Column("vehicle_operation", "公务用车运行维护费"),
    Column("reception", "公务接待费"),
)


# -- names a clerk uses for tables, sections, rows and columns (computed figures in prose) ---------

THREE_PUBLIC_GROUP = ("vehicles", "公务用车购置及运行维护费")  # the group heading above 小计 names it too
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．）]\s*)")
_LEVEL_SUFFIX = re.compile(r"（[类款项]）$")
_QUOTES = str.maketrans("", "", "“”\"‘’'「」")


def plain_name(name: str) -> str:
    """A printed name as a clerk would type it: no ordinal (一、 （一） 1.), no spaces or quotes,
    full-width brackets, no （类）/（款）/（项） level suffix."""
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
    elif frame.layout == "coded":
        names["合计"] = "total"
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
        return {plain_name(part.get("value_title", "统计数")): "amount"}
    names = {plain_name(c.title): c.id for c in frame.columns}
    if frame.layout == "three_public":
        names[THREE_PUBLIC_GROUP[1]] = THREE_PUBLIC_GROUP[0]
    titles = {c.id: plain_name(c.title) for c in frame.columns}
    for group in frame.raw.get("column_groups", []):
        subtotal = next((c for c in group["columns"] if titles.get(c) in ("小计", "合计")), None)
        if subtotal:
            names.setdefault(plain_name(group["title"]), subtotal)
    return names


def skeleton(template: Template) -> str:
    """The standard 情况说明 outline of a template variant, with its figures as references."""
    name = templates_raw()[template.id].get("skeleton")
    return (STANDARDS_DIR / "skeletons" / name).read_text(encoding="utf-8") if name else ""


@cache
def templates_raw() -> dict[str, dict[str, Any]]:
    raw = (_read(f"templates/{path.name}") for path in sorted((STANDARDS_DIR / "templates").glob("*.yaml")))
    return {data["id"]: data for data in raw}
