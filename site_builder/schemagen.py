"""Writes the JSON Schemas (Draft 2020-12) of every content file kind into ``site_builder/schemas/``.

Table schemas are derived from the template frames, so a new variant's ids are picked up by
re-running ``python -m site_builder.schemagen``. Each template gets its own table schemas
(``table-<table>.<template>.schema.json``, only that frame's rows and columns), which ``check``
validates against; ``table-<table>.schema.json`` is the union over all templates, for editors
that do not know which template a report uses (a table file does not name it).
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
POINTS = {"type": "number", "minimum": 0}  # points and scores that are never negative
UNPUBLISHED_PARTS = ("overview", "explanation", "attachments")  # report.yaml unpublished: parts besides the tables


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
    unpublished = {
        "type": "object",
        "description": "a table or part of the standard disclosure that this report did not publish, and why",
        "required": ["reason"],
        "additionalProperties": False,
        "properties": {
            "table": {"enum": sorted({t.id for tpl in standards.templates().values() for t in tpl.tables}),
                      "description": "table id (the file name under tables/ without .yaml)"},
            "part": {"enum": list(UNPUBLISHED_PARTS), "description": "a part of the report other than the tables"},
            "reason": {**dict(TEXT, maxLength=LONG_TEXT_CHARS), "description": "why it was not published, as shown to readers"},
        },
        "oneOf": [{"required": ["table"]}, {"required": ["part"]}],
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
            "unpublished": {"type": "array", "items": unpublished},
            "published": {**DATE, "description": "date the report was first published (YYYY-MM-DD); a change of its "
                                                 "folder committed after it needs an entry in corrections"},
            "corrections": {"type": ["array", "null"], "items": correction,
                            "description": "更正记录: each correction after publication, with what changed and why"},
        },
    }, "report")


def table_schema(table_id: str, template_id: str | None = None) -> dict[str, Any]:
    """The schema of a table file: of one template's frame (what ``check`` validates against), or,
    without ``template_id``, the union over all templates (for editors, which do not know the
    report's template)."""
    frames = [t.table(table_id) for t in standards.templates().values()
              if t.table(table_id) and template_id in (None, t.id)]
    sections: dict[str, dict[str, Any]] = {}
    for frame in frames:
        assert frame is not None
        for section in frame.sections:
            sections.setdefault(section, {"rows": set(), "columns": set(), "coded": False, "titles": {}})
            fixed = frame.fixed_rows(section)
            entry = sections[section]
            if fixed is None or frame.layout == "coded":
                entry["coded"] = True
            entry["rows"].update(fixed or ())
            entry["columns"].update(frame.section_columns(section))
            for column, printed in _column_titles(frame, section).items():
                entry["titles"].setdefault(column, {})[printed] = None
            if frame.layout == "coded":
                entry["rows"].add("total")
            if frame.layout == "economic_detail":
                entry["rows"].update(t["id"] for t in frame.raw["totals"])
    properties: dict[str, Any] = {"empty_note": PROSE}
    for name, entry in sections.items():
        titles = {column: " / ".join(printed) for column, printed in entry["titles"].items()}
        properties[name] = _section_schema(sorted(entry["rows"]), sorted(entry["columns"]), entry["coded"], titles)
    title = f"tables/{table_id}.yaml: {frames[0].title if frames else table_id}"
    if template_id is None:
        title += " (any template; check validates against table-<id>.<template>.schema.json)"
    else:
        title += f" ({template_id})"
    name = f"table-{table_id}" if template_id is None else table_schema_name(table_id, template_id)
    return _doc(title, {
        "type": "object", "additionalProperties": False, "required": sorted(sections), "properties": properties,
    }, name)


def table_schema_name(table_id: str, template_id: str) -> str:
    """Schema of a table file in a report of one template: only that frame's rows and columns."""
    return f"table-{table_id}.{template_id}"


def _column_titles(frame: standards.TableFrame, section: str) -> dict[str, str]:
    """Column id → the header the template prints (the schema's ``title``: editors show it, and
    findings name the printed header)."""
    if frame.layout == "two_sided":
        return {c.id: c.title for c in next(s for s in frame.sides if s.section == section).columns}
    if frame.is_single_column(section):
        return {}
    return {c.id: c.title for c in frame.columns}


def _section_schema(rows: list[str], columns: list[str], coded: bool, titles: dict[str, str]) -> dict[str, Any]:
    if columns == ["amount"]:
        value: dict[str, Any] = AMOUNT
    else:
        props: dict[str, Any] = {c: {**AMOUNT, "title": titles[c]} if c in titles else AMOUNT for c in columns}
        if coded:
            props["name"] = TEXT
        value = {"type": ["object", "null"], "additionalProperties": False, "properties": props}
    names: dict[str, Any] = {"enum": rows}
    if coded:
        names = {"anyOf": [{"enum": rows}, {"pattern": CODE_PATTERN}]}
    return {"type": ["object", "null"], "propertyNames": names, "additionalProperties": value}


def _indicator_tree() -> dict[str, Any]:
    """一级 → 二级 → 三级 indicators; 分值 may be absent (indicators without points), groups may state
    their 分值 and a subtotal 得分."""
    item = {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": {
            "name": TEXT, "target": {"type": ["string", "null"], "maxLength": TEXT_CHARS},
            "adjusted": {"type": ["string", "null"], "maxLength": TEXT_CHARS},
            "actual": {"type": ["string", "null"], "maxLength": TEXT_CHARS},
            "progress": {"type": ["string", "null"], "maxLength": TEXT_CHARS, "description": "完成进度 as printed"},
            "points": POINTS, "score": AMOUNT, "note": PROSE,
        },
    }
    group = {
        "type": "object", "required": ["level2", "items"], "additionalProperties": False,
        "properties": {"level2": TEXT, "points": AMOUNT, "score": AMOUNT, "items": {"type": "array", "items": item, "minItems": 1}},
    }
    level1 = {
        "type": "object", "required": ["level1", "groups"], "additionalProperties": False,
        "properties": {"level1": TEXT, "points": AMOUNT, "score": AMOUNT, "groups": {"type": "array", "items": group, "minItems": 1}},
    }
    return {"type": "array", "items": level1, "minItems": 1}


def _funds_block() -> dict[str, Any]:
    fund_row = {
        "type": "object", "required": ["source"], "additionalProperties": False,
        "properties": {
            "source": TEXT,
            "breakdown": {**LINE, "description": "the breakdown this row belongs to as printed, e.g. 按收入性质 "
                                                 "(财政拨款/上年结转/其他资金) or 按支出性质 (基本支出/项目支出)"},
            **{k: AMOUNT for k in ("declared", "initial", "annual", "executed", "balance", "rate", "score")},
        },
    }
    return {
        "type": "object", "required": ["rate_unit", "rows"], "additionalProperties": False,
        "properties": {
            "points": {**POINTS, "description": "资金分值; leave out when the form gives the funds no points"},
            "rate_unit": {"enum": ["percent", "ratio"]},
            "total_row": {"type": "boolean", "description": "false when the form prints no total row (资金总额): "
                                                            "then every row is a source; default true (the first row is the total)"},
            "rows": {"type": "array", "items": fund_row, "minItems": 1},
        },
    }


def _evaluation_form(kind: str, subject_required: list[str], subject_props: dict[str, Any]) -> dict[str, Any]:
    from site_builder.rules.forms import spec  # the form kinds are data in standards/forms/

    return {
        "type": "object",
        "title": spec.raw(kind)["title"],
        "required": ["kind", "title", *subject_required, "amount_unit", "funds", "indicators"],
        "additionalProperties": False,
        "properties": {
            "kind": {"const": kind}, "title": TEXT, **subject_props,
            "amount_unit": {"enum": ["万元", "元"]},
            "funds": _funds_block(),
            "goal": PROSE, "achieved": PROSE,
            "indicators": _indicator_tree(),
            "scoring": {**_indicator_tree(), "description": "评分表 printed beside the indicators (二级/三级指标, "
                                                             "指标分值, 评价得分); when present it carries the points and scores"},
            "total_score": {**POINTS, "description": "总分 as printed; leave out when the form prints none (a finding)"},
            "grade": {"enum": _grades()}, "analysis": PROSE,
        },
    }


def _grades() -> list[str]:
    from site_builder.rules.forms import spec

    return spec.all_grades()


def _basic_data() -> dict[str, Any]:
    from site_builder.rules.forms import spec

    data = spec.raw("basic_data")
    cells = {"type": ["object", "null"], "additionalProperties": False, "properties": {c: AMOUNT for c in data["columns"]}}
    return {
        "type": "object", "title": data["title"],
        "required": ["kind", "title", "amount_unit"],
        "additionalProperties": False,
        "properties": {
            "kind": {"const": "basic_data"}, "title": TEXT, "department": LINE,
            "amount_unit": {"enum": ["万元", "元"]},
            "staff": {"type": "object", "additionalProperties": False,
                      "properties": {k: AMOUNT for k in data["staff"]}},
            # rows as properties (not propertyNames): a mistyped row is then reported at its own line
            "rows": {"type": "object", "additionalProperties": False, "properties": dict.fromkeys(data["rows"], cells)},
            "note": PROSE,
        },
    }


def _department_report() -> dict[str, Any]:
    from site_builder.rules.forms import spec

    return {
        "type": "object", "title": spec.raw("department_report")["title"],
        "required": ["kind", "title", "form", "text"],
        "additionalProperties": False,
        "properties": {
            "kind": {"const": "department_report"}, "title": TEXT, "department": LINE,
            "form": {**TEXT, "description": "slug of the 部门整体支出绩效自评表 (attachments/<slug>.yaml) the text reports on"},
            "text": {**PROSE, "description": "the report's text in Markdown"},
        },
    }


def attachment_kinds() -> dict[str, dict[str, Any]]:
    """One JSON Schema body per form kind."""
    return {
        "performance": _evaluation_form("performance", ["project"], {"project": TEXT, "department": LINE, "implementer": LINE}),
        "department_performance": _evaluation_form("department_performance", [], {"department": LINE}),
        "basic_data": _basic_data(),
        "department_report": _department_report(),
    }


def attachment_schema() -> dict[str, Any]:
    """Any attachment: its ``kind`` picks the form kind's schema."""
    bodies = attachment_kinds()
    return _doc("attachments/<slug>.yaml: evaluation forms (附件)", {
        "type": "object", "required": ["kind"],
        "properties": {"kind": {"enum": list(bodies)}},
        "allOf": [{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": {"$ref": f"#/$defs/{kind}"}}
                  for kind in bodies],
        "$defs": bodies,
    }, "attachment")


def codes_schema() -> dict[str, Any]:
    """codes.yaml at the content root: classification codes the package's lists lack, declared with
    their standard names and the years they are valid for."""
    year = {"type": "number", "multipleOf": 1, "minimum": 1990, "maximum": 2100}  # YAML numbers load as Decimal
    entry = {
        "type": "object",
        "required": ["name", "years"],
        "additionalProperties": False,
        "properties": {
            "name": dict(TEXT, description="the standard name, as the official list prints it"),
            "years": {"type": "array", "minItems": 1, "uniqueItems": True, "items": year,
                      "description": "the report years the code is valid for, e.g. [2024]"},
            "source": dict(LINE, description="where the code is published, e.g. 《2024年某省政府收支分类科目》"),
        },
    }

    def codes(pattern: str, what: str) -> dict[str, Any]:
        return {"type": "object", "description": what, "propertyNames": {"pattern": pattern},
                "additionalProperties": entry}

    return _doc("codes.yaml: classification codes declared by the portal", {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "function": codes(CODE_PATTERN, "支出功能分类科目: 类 3, 款 5 or 项 7 digits"),
            "economic": codes(r"^[0-9]{3}([0-9]{2})?$", "部门预算支出经济分类科目: 类 3 or 款 5 digits"),
        },
    }, "codes")


def all_schemas() -> dict[str, dict[str, Any]]:
    table_ids = sorted({tid for t in standards.templates().values() for tid in t.table_ids})
    result = {
        "site": site_schema(), "glossary": glossary_schema(), "unit": unit_schema(),
        "report": report_schema(), "attachment": attachment_schema(), "codes": codes_schema(),
    }
    result.update({f"attachment-{kind}": _doc(body["title"], body, f"attachment-{kind}") for kind, body in attachment_kinds().items()})
    result.update({f"table-{tid}": table_schema(tid) for tid in table_ids})
    for template in standards.templates().values():
        result.update({table_schema_name(tid, template.id): table_schema(tid, template.id) for tid in template.table_ids})
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
