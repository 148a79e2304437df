"""``site-builder new UNIT YEAR``: scaffold a complete report with every table of a template variant.

Every row of every table is written with a blank value and its standard name as a comment, so the
clerk only types figures. The scaffold passes the schemas; ``check`` then lists what is still empty.
"""

from __future__ import annotations

import re
from pathlib import Path

from site_builder import standards
from site_builder.schemagen import SCHEMA_DIR
from site_builder.standards import TableFrame

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Text ``new`` writes for the clerk to replace, and the usual placeholders of hand-made drafts
#: (XXX, ××); ``check`` reports any that remain (rule ``content.placeholder``).
PLACEHOLDER = re.compile(r"[（(][^（()）\n]{0,20}请(?:填写|补充|改为)[^（()）\n]{0,30}[）)]|请(?:填写|补充)"
                         r"|(?<![A-Za-z])(?:XX+|xxx+)(?![A-Za-z])|[×Ｘ]{2,}")
#: every match of PLACEHOLDER holds one of these (请 of 请填写/请补充, XX, xxx, × or Ｘ); a text with none
#: of them is passed over without running the regex, which is slow on long texts
_PLACEHOLDER_SIGNS = ("请", "XX", "xxx", "×", "Ｘ")
#: unit.yaml values written by ``new`` (a value equal to one of them is a placeholder)
UNIT_PLACEHOLDERS = {"name": "单位全称", "parent": "主管部门", "region": "地区"}
SCHEMA_FOLDER = "_schemas"  # in the content root: the package's schemas, for editors (refreshed by ``new``)


def schema_comment(kind: str, depth: int) -> str:
    """The ``yaml-language-server`` line that gives VS Code (and other editors using the YAML
    language server) completion and inline errors without set-up; ``depth`` = folders below the root."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_FOLDER}/{kind}.schema.json\n"


def write_schemas(content: Path) -> None:
    """Copy the package's JSON Schemas into ``CONTENT/_schemas/`` (the site publishes them at schemas/)."""
    folder = content / SCHEMA_FOLDER
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ScaffoldError(f"{folder} is not a plain folder; the schemas for editors are not written")
    folder.mkdir(parents=True, exist_ok=True)
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        target = folder / schema.name
        if target.is_symlink():
            raise ScaffoldError(f"{target} is a symbolic link; the schemas for editors are not written")
        target.write_bytes(schema.read_bytes())


class ScaffoldError(Exception):
    pass


def _table_yaml(frame: TableFrame, template: standards.Template) -> str:
    lines = [schema_comment(f"table-{frame.id}", 3).rstrip("\n"), f"# {frame.number} {frame.title}（{template.label}）", "# Write amounts as plain decimals; leave blank cells empty."]
    if frame.layout == "two_sided":
        for side in frame.sides:
            lines.append(f"{side.section}:  # {side.heading}")
            columns = [c.id for c in side.columns]
            for row in side.rows:
                if row.id is None:
                    continue
                value = "" if columns == ["amount"] else " {}"
                printed = f"{row.line or ''} {row.name}".strip()
                lines.append(f'  "{row.id}":{value}  # {printed}' if row.is_class else f"  {row.id}:{value}  # {printed}")
            if columns != ["amount"]:
                lines.append(f"  # columns: {', '.join(f'{c.id} {c.title}' for c in side.columns)}")
    elif frame.layout in ("coded", "three_public"):
        columns = ", ".join(f"{c.id} {c.title}" for c in frame.columns)
        lines.append(f"# columns: {columns}")
        lines.append("rows:")
        if frame.layout == "three_public":
            lines += [f"  {row}: {{}}  # {frame.raw[row + '_heading']}" for row in ("budget", "final")]
        else:
            lines += [f"  total: {{}}  # {frame.label('total')}", '  # "208": {total: 0.00, ...}  # one row per 类/款/项 code, in document order']
    elif frame.layout == "economic_detail":
        lines.append("rows:")
        book = standards.economic_codes()
        for group in frame.raw["groups"]:
            for code in group:
                if code not in frame.raw.get("dash_codes", []):
                    lines.append(f'  "{code}":  # {book.name(code)}')
        lines += [f"  {t['id']}:  # {t['name']}" for t in frame.raw["totals"]]
    elif frame.layout == "related_info":
        for part in frame.raw["parts"]:
            lines.append(f"{part['section']}:  # {part['heading']}")
            lines += [f"  {row['id']}:  # {row.get('line', '')} {row['name']}" for row in part["rows"]]
    lines.append("# empty_note: 本单位本年度无此项收支，故本表无数据   # use when the whole table is empty")
    return "\n".join(lines) + "\n"


def explanation_skeleton(template: standards.Template, year: int) -> str:
    """The template's standard 情况说明 outline: figures are references the build fills in from the
    tables (see docs/narrative.md); reasons and figures no table holds are visible （请填写） placeholders."""
    text = standards.skeleton(template) or "## 一、收入支出决算总体情况说明\n\n（请填写）\n"
    return text.replace("{year}", str(year)).replace("{previous}", str(year - 1))


def _report_yaml(template_id: str, unit_amount: str, year: int) -> str:
    return (
        schema_comment("report", 2) + f"template: {template_id}\namount_unit: {unit_amount}  # 万元 | 元\nacknowledged: []\n"
        f"# The 情况说明 compares some figures with {year - 1}. When the portal has no {year - 1} report of this unit,\n"
        "# declare those figures here, with where they come from:\n"
        "# previous_year:\n"
        f"#   source: {year - 1}年度部门决算公开\n"
        "#   figures:\n"
        "#     收入支出决算总表/收入/总计: 0.00\n"
    )


def scaffold(content: Path, unit: str, year: int, template_id: str) -> list[Path]:
    templates = standards.templates()
    if template_id not in templates:
        raise ScaffoldError(f"unknown template {template_id!r}; choose one of {', '.join(sorted(templates))}")
    if not SLUG.match(unit):
        raise ScaffoldError(f"unit {unit!r} must be a slug of lower-case letters, digits and hyphens")
    if not 1990 <= year <= 2100:
        raise ScaffoldError(f"year {year} is out of range")
    template = templates[template_id]
    folder = content / unit / str(year)
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; nothing written")
    files: dict[Path, str] = {}
    unit_file = content / unit / "unit.yaml"
    if not unit_file.exists():
        files[unit_file] = (
            schema_comment("unit", 1) + f"name: {UNIT_PLACEHOLDERS['name']}  # 请改为单位全称\nparent: {UNIT_PLACEHOLDERS['parent']}  # 请改为主管部门\n"
            f"region: {UNIT_PLACEHOLDERS['region']}  # 例如 山西省晋城市\n"
            "level: 市级  # 省级 | 市级 | 县级 | 乡镇级\n"
        )
    unit_amount = "元" if template_id.startswith("ningxia") else "万元"
    files[folder / "report.yaml"] = _report_yaml(template_id, unit_amount, year)
    files[folder / "overview.md"] = "## 一、部门职责\n\n（请填写）\n\n## 二、机构设置\n\n（请填写）\n"
    files[folder / "explanation.md"] = explanation_skeleton(template, year)
    for frame in template.tables:
        files[folder / "tables" / f"{frame.id}.yaml"] = _table_yaml(frame, template)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "attachments").mkdir(exist_ok=True)
    write_schemas(content)
    return sorted(files)


def may_hold_placeholder(text: str) -> bool:
    """False only when ``text`` cannot contain a placeholder (a quick test before ``PLACEHOLDER``)."""
    return any(sign in text for sign in _PLACEHOLDER_SIGNS)


def placeholders(text: str, yaml: bool = False) -> list[tuple[int, int, str]]:
    """(line, column, text) of each placeholder in ``text``; in YAML, comments are instructions, not content."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in PLACEHOLDER.finditer(_without_comment(line) if yaml else line):
            found.append((number, match.start() + 1, match.group()))
    return found


def _without_comment(line: str) -> str:
    """A YAML line up to its comment: a ``#`` at the start or after a space, outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index]
    return line
