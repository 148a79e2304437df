"""Writes the JSON Schemas (Draft 2020-12) of every content file kind into ``site_builder/schemas/``.

Table schemas are derived from the template frames (the union of row and column ids over all
variants), so a new variant's ids are picked up by re-running ``python -m site_builder.schemagen``.
A test fails when the committed schemas differ from what this module generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from site_builder import standards
from site_builder.limits import LONG_TEXT_CHARS, TEXT_CHARS

SCHEMA_DIR = Path(__file__).parent / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
AMOUNT = {"type": ["number", "null"], "description": "plain YAML decimal, e.g. 13708.28; blank = leave out or null"}
NOT_BLANK = r"\S"  # at least one character that is not a space (a name of only spaces is blank)
TEXT = {"type": "string", "minLength": 1, "maxLength": TEXT_CHARS, "pattern": NOT_BLANK}  # required one-line text
LINE = {"type": "string", "maxLength": TEXT_CHARS}  # optional one-line text
PROSE = {"type": "string", "maxLength": LONG_TEXT_CHARS}  # optional multi-line text
# A plain absolute path: segments of unreserved or %-encoded characters ("//host/" is not a path).
BASE_PATH = r"^(/([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+)*/?$"
BASE_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})*)*$"
DATE = {"type": "string", "pattern": r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
CODE_PATTERN = r"^[0-9]{3}([0-9]{2}){0,2}$"


def _doc(title: str, body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": f"{kind}.schema.json", "title": title, **body}


def site_schema() -> dict[str, Any]:
    return _doc("site.yaml: portal settings", {
        "type": "object",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {"title": TEXT, "description": PROSE,
                       "base_url": {"type": "string", "maxLength": TEXT_CHARS, "pattern": BASE_URL,
                                    "description": "optional absolute http(s) address such as https://example.gov.cn/portal/, used only in sitemap.xml"},
                       "base_path": {"type": "string", "maxLength": TEXT_CHARS, "pattern": BASE_PATH,
                                     "description": "optional path the site is served under, such as /portal/, used only by 404.html, which servers send from any depth"}},
    }, "site")


def glossary_schema() -> dict[str, Any]:
    term = {
        "type": "object",
        "required": ["term", "definition"],
        "additionalProperties": False,
        "properties": {"term": TEXT, "definition": dict(TEXT, maxLength=LONG_TEXT_CHARS), "aliases": {"type": "array", "items": TEXT}},
    }
    return _doc("glossary.yaml: 名词解释", {
        "type": "object", "required": ["terms"], "additionalProperties": False,
        "properties": {"terms": {"type": "array", "items": term}},
    }, "glossary")


def unit_schema() -> dict[str, Any]:
    return _doc("unit.yaml: one reporting unit", {
        "type": "object",
        "required": ["name", "parent", "region", "level"],
        "additionalProperties": False,
        "properties": {
            "name": TEXT, "code": LINE, "parent": TEXT, "region": TEXT,
            "level": {"enum": ["中央", "省级", "市级", "县级", "乡镇级"]}, "description": PROSE,
        },
    }, "unit")


def report_schema() -> dict[str, Any]:
    ack = {
        "type": "object",
        "required": ["rule", "at", "subject", "figures", "reason"],
        "additionalProperties": False,
        "properties": {
            "rule": TEXT, "at": TEXT, "subject": LINE,
            "figures": {"type": "array", "items": LINE}, "reason": dict(TEXT, maxLength=LONG_TEXT_CHARS),
        },
    }
    previous = {
        "type": "object",
        "description": "previous-year figures for growth and difference references, used when the portal has no "
                       "previous-year report of this unit; name where they come from in source",
        "required": ["source", "figures"],
        "additionalProperties": False,
        "properties": {
            "source": {**TEXT, "description": "where the figures come from, e.g. 2023年度部门决算公开"},
            "amount_unit": {"enum": ["万元", "元"], "description": "unit of these figures; default: this report's"},
            "figures": {
                "type": "object", "minProperties": 1,
                "propertyNames": {"minLength": 1},
                "additionalProperties": {"type": "number", "description": "plain YAML decimal"},
                "description": "cell name as written in a reference (表/行/列, e.g. 收入支出决算总表/收入/总计) → amount",
            },
        },
    }
    correction = {
        "type": "object",
        "required": ["date", "what", "why"],
        "additionalProperties": False,
        "properties": {"date": {**DATE, "description": "date of the correction (YYYY-MM-DD)"},
                       "what": {**TEXT, "description": "what was corrected, e.g. 公开02表 2080109 财政拨款收入"},
                       "why": dict(TEXT, maxLength=LONG_TEXT_CHARS, description="why it was corrected")},
    }
    return _doc("report.yaml: one unit's report for one year", {
        "type": "object",
        "required": ["template", "amount_unit"],
        "additionalProperties": False,
        "properties": {
            "template": {"enum": sorted(standards.templates())},
            "amount_unit": {"enum": ["万元", "元"]},
            "title": LINE, "source": LINE,
            "acknowledged": {"type": ["array", "null"], "items": ack},
            "previous_year": previous,
            "published": {**DATE, "description": "date the report was first published (YYYY-MM-DD); a change of its "
                                                 "folder committed after it needs an entry in corrections"},
            "corrections": {"type": ["array", "null"], "items": correction,
                            "description": "更正记录: each correction after publication, with what changed and why"},
        },
    }, "report")


def table_schema(table_id: str) -> dict[str, Any]:
    frames = [t.table(table_id) for t in standards.templates().values() if t.table(table_id)]
    sections: dict[str, dict[str, Any]] = {}
    for frame in frames:
        assert frame is not None
        for section in frame.sections:
            sections.setdefault(section, {"rows": set(), "columns": set(), "coded": False})
            fixed = frame.fixed_rows(section)
            entry = sections[section]
            if fixed is None or frame.layout == "coded":
                entry["coded"] = True
            entry["rows"].update(fixed or ())
            entry["columns"].update(frame.section_columns(section))
            if frame.layout == "coded":
                entry["rows"].add("total")
            if frame.layout == "economic_detail":
                entry["rows"].update(t["id"] for t in frame.raw["totals"])
    properties: dict[str, Any] = {"empty_note": PROSE}
    for name, entry in sections.items():
        properties[name] = _section_schema(sorted(entry["rows"]), sorted(entry["columns"]), entry["coded"])
    return _doc(f"tables/{table_id}.yaml: {frames[0].title if frames else table_id}", {
        "type": "object", "additionalProperties": False, "required": sorted(sections), "properties": properties,
    }, f"table-{table_id}")


def _section_schema(rows: list[str], columns: list[str], coded: bool) -> dict[str, Any]:
    if columns == ["amount"]:
        value: dict[str, Any] = AMOUNT
    else:
        props: dict[str, Any] = {c: AMOUNT for c in columns}
        if coded:
            props["name"] = TEXT
        value = {"type": ["object", "null"], "additionalProperties": False, "properties": props}
    names: dict[str, Any] = {"enum": rows}
    if coded:
        names = {"anyOf": [{"enum": rows}, {"pattern": CODE_PATTERN}]}
    return {"type": ["object", "null"], "propertyNames": names, "additionalProperties": value}


def attachment_schema() -> dict[str, Any]:
    number = {"type": "number", "minimum": 0}  # points and the total score are never negative
    fund_row = {
        "type": "object", "required": ["source"], "additionalProperties": False,
        "properties": {
            "source": TEXT, **{k: AMOUNT for k in ("declared", "initial", "annual", "executed", "balance", "rate", "score")},
        },
    }
    item = {
        "type": "object", "required": ["name", "points"], "additionalProperties": False,
        "properties": {
            "name": TEXT, "target": {"type": ["string", "null"], "maxLength": TEXT_CHARS},
            "adjusted": {"type": ["string", "null"], "maxLength": TEXT_CHARS},
            "actual": {"type": ["string", "null"], "maxLength": TEXT_CHARS}, "points": number, "score": AMOUNT, "note": PROSE,
        },
    }
    group = {
        "type": "object", "required": ["level2", "items"], "additionalProperties": False,
        "properties": {"level2": TEXT, "points": AMOUNT, "items": {"type": "array", "items": item, "minItems": 1}},
    }
    level1 = {
        "type": "object", "required": ["level1", "groups"], "additionalProperties": False,
        "properties": {"level1": TEXT, "points": AMOUNT, "groups": {"type": "array", "items": group, "minItems": 1}},
    }
    return _doc("attachments/<slug>.yaml: 项目支出绩效自评表", {
        "type": "object",
        "required": ["kind", "title", "project", "amount_unit", "funds", "indicators", "total_score"],
        "additionalProperties": False,
        "properties": {
            "kind": {"const": "performance"}, "title": TEXT, "project": TEXT,
            "department": LINE, "implementer": LINE,
            "amount_unit": {"enum": ["万元", "元"]},
            "funds": {
                "type": "object", "required": ["points", "rate_unit", "rows"], "additionalProperties": False,
                "properties": {
                    "points": number, "rate_unit": {"enum": ["percent", "ratio"]},
                    "rows": {"type": "array", "items": fund_row, "minItems": 1},
                },
            },
            "goal": PROSE, "achieved": PROSE,
            "indicators": {"type": "array", "items": level1, "minItems": 1},
            "total_score": number, "grade": {"enum": ["优", "良", "中", "差"]}, "analysis": PROSE,
        },
    }, "attachment")


def all_schemas() -> dict[str, dict[str, Any]]:
    table_ids = sorted({tid for t in standards.templates().values() for tid in t.table_ids})
    result = {
        "site": site_schema(), "glossary": glossary_schema(), "unit": unit_schema(),
        "report": report_schema(), "attachment": attachment_schema(),
    }
    result.update({f"table-{tid}": table_schema(tid) for tid in table_ids})
    return result


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for old in SCHEMA_DIR.glob("*.schema.json"):
        old.unlink()
    for name, schema in all_schemas().items():
        (SCHEMA_DIR / f"{name}.schema.json").write_text(render(schema), encoding="utf-8")


if __name__ == "__main__":
    main()
