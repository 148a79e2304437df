"""``site-builder template check FILE`` and ``site-builder template show FILE|ID``.

``check`` validates a template file (schema and cross-field rules, ``file:line:col`` findings).
``show`` renders a blank report of a template: every table with its headers, rows and notes and no
figures, laid out exactly as a report of that template is, so a finance bureau can hold it beside
its printed form.
"""

from __future__ import annotations

import re
from pathlib import Path

from site_builder import standards
from site_builder.findings import Finding
from site_builder.model import Report, Unit
from site_builder.render import pages
from site_builder.render.grids import build_grid

BLANK_UNIT = "（单位名称）"
PAGE = """{% from "macros.html" import table_grid %}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ template.label }}（空白样表）</title><link rel="stylesheet" href="style.css"></head>
<body><main id="main" class="report">
<h1>{{ template.label }}（空白样表）</h1>
<p>模板 {{ template.id }}：共 {{ grids | length }} 张表。</p>
<ol>{% for grid in grids %}<li><a href="#{{ grid.anchor }}">{{ grid.number }} {{ grid.title }}</a></li>{% endfor %}</ol>
{% for grid in grids %}{{ table_grid(grid, report, {}) }}{% endfor %}
</main></body></html>
"""


class TemplateUsage(Exception):
    """A template command that cannot run (no such file or template id): exit 2."""


def check_file(path: Path) -> tuple[standards.Template | None, list[Finding]]:
    if not path.is_file():
        raise TemplateUsage(f"template file {path} does not exist")
    return standards.load_template_file(path)


def resolve(name: str) -> tuple[standards.Template | None, list[Finding]]:
    """A template by package id (shanxi-2023) or by file path."""
    known = standards.templates().get(name)
    if known is not None:
        return known, []
    path = Path(name)
    if not path.is_file():
        ids = ", ".join(sorted(standards.templates()))
        raise TemplateUsage(f"{name} is neither a template file nor a template id (ids: {ids})")
    return standards.load_template_file(path)


def blank_report(template: standards.Template, year: int) -> Report:
    unit = Unit("blank", BLANK_UNIT, "", "", "")
    return Report(unit=unit, year=year, folder="", rel=f"blank/{year}", template=template, amount_unit="万元",
                  title=template.label, source="", report_path="", acknowledgements=[], tables={}, attachments=[],
                  overview="", explanation="", glossary=[])


def template_year(template: standards.Template) -> int:
    """The year a template id names (shanghai-2024 → 2024); the blank report is dated with it."""
    found = re.search(r"(\d{4})$", template.id)
    return int(found.group(1)) if found else 2024


def show(template: standards.Template, out: Path) -> Path:
    """Write ``out/index.html`` (and the theme's style sheet) with the template's blank tables."""
    report = blank_report(template, template_year(template))
    grids = [build_grid(report, frame) for frame in template.tables]
    env = pages.environment([pages.PACKAGE_THEME])
    html = env.from_string(PAGE).render(template=template, grids=grids, report=report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(html, encoding="utf-8")
    (out / "style.css").write_bytes((pages.PACKAGE_THEME / "static" / "style.css").read_bytes())
    return out / "index.html"
