"""Render stage: model + findings → HTML pages, downloads and assets (written into a staging folder).

Each report is rendered by ``render_report`` from its own data only (no global mutable state), so
reports can be rendered in parallel or incrementally.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from site_builder import standards
from site_builder.findings import Finding
from site_builder.model import Report, Site, Term
from site_builder.prose.refs import ATTACHMENT_TEXT_FIELDS, Resolver
from site_builder.render import downloads, search_aid
from site_builder.render.cells import head_html, row_html
from site_builder.render.grids import Grid, build_grid
from site_builder.render.markdown import fill_fields
from site_builder.render.markdown import render as render_markdown

PACKAGE_THEME = Path(__file__).resolve().parent.parent.parent / "themes" / "default"
PART_TITLES = ("第一部分 概况", "第二部分 决算表", "第三部分 情况说明", "第四部分 名词解释", "第五部分 附件")


@dataclass
class Output:
    """Files of one rendering unit, as path (relative to the site root) → bytes."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content


def theme_dirs(content_root: Path) -> list[Path]:
    """The site's own ``_theme`` folder first (single-file overrides), then the default theme."""
    own = content_root / "_theme"
    return [d for d in (own, PACKAGE_THEME) if d.is_dir()]


def environment(themes: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(t / "templates") for t in themes]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["amount"] = lambda v: "" if v is None else f"{v:,}"
    env.filters["search_aid"] = lambda text: search_aid.aid([str(text)])
    env.globals["row_html"] = row_html
    env.globals["head_html"] = head_html
    return env


def relative(page: str, target: str) -> str:
    """Link from one site path to another (both relative to the site root), e.g. '../../glossary/'."""
    page_dir = posixpath.dirname(page)
    rel = posixpath.relpath(target or ".", page_dir or ".")
    if target.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel


def report_path(report: Report) -> str:
    return f"units/{report.unit.slug}/{report.year}/"


def unit_path(slug: str) -> str:
    return f"units/{slug}/"


def merged_glossary(site: Site, report: Report | None = None) -> list[Term]:
    terms = {t.term: t for t in site.glossary}
    for term in report.glossary if report else []:
        terms[term.term] = term
    return list(terms.values())


def term_anchor(term: str) -> str:
    return "term-" + term.replace(" ", "-")


def term_links(terms: list[Term]) -> dict[str, str]:
    links: dict[str, str] = {}
    for term in terms:
        for word in (term.term, *term.aliases):
            links[word] = term_anchor(term.term)
    return links


@dataclass
class Verification:
    """The 数据核验 note of a report page."""

    rules_checked: int
    rounding: list[Finding]
    acknowledged: list[Finding]
    warnings: list[Finding]
    notes_by_cell: dict[str, list[str]]


def verification(report: Report, findings: list[Finding]) -> Verification:
    data = standards.checks()
    rules_checked = len(data["sums"]) + len(data["matches"]) + len(data["limits"]) + len(data["hierarchies"])
    rounding = [f for f in findings if f.severity == "warning" and f.message.startswith("尾数误差")]
    acknowledged = [f for f in findings if f.acknowledged]
    warnings = [f for f in findings if f.severity == "warning" and f not in rounding]
    notes: dict[str, list[str]] = defaultdict(list)
    for prefix, group in (("ack", acknowledged), ("round", rounding)):
        for index, finding in enumerate(group, start=1):
            for key in finding.cells:
                notes[key].append(f"{prefix}-{index}")
    return Verification(rules_checked, rounding, acknowledged, warnings, dict(notes))


def mark_cells(grid: Grid, notes: dict[str, list[str]]) -> None:
    for row in grid.body:
        for cell in row:
            if cell.key and cell.value and cell.key in notes:
                cell.notes = notes[cell.key]


def report_summary(report: Report) -> dict[str, Any]:
    """Headline figures for unit pages and the home page, read from the summary table."""
    table = report.tables.get("income_expenditure_summary")

    def value(section: str, row: str) -> Decimal | None:
        amount = table.cell(section, row) if table else None
        return amount.value if amount else None

    return {
        "total_income": value("income", "total_income"),
        "total_expenditure": value("expenditure", "total_expenditure"),
        "grand_total": value("income", "grand_total"),
        "unit": report.amount_unit,
    }


class Renderer:
    def __init__(self, site: Site, content_root: Path) -> None:
        self.site = site
        self.themes = theme_dirs(content_root)
        self.env = environment(self.themes)

    def page(self, template: str, path: str, **context: Any) -> str:
        def url(target: str) -> str:
            return relative(path, target)

        return self.env.get_template(template).render(
            site=self.site, page_path=path, url=url, root=relative(path, "") or "./", **context
        )

    # -- per report (independent unit of work) ------------------------------------------------
    def render_report(self, report: Report, findings: list[Finding]) -> Output:
        out = Output()
        base = report_path(report)
        glossary = merged_glossary(self.site, report)
        links = term_links(glossary)
        check = verification(report, findings)
        figure_of = Resolver(report).evaluate
        overview = render_markdown(report.overview, "overview-", links, figure_of=figure_of)
        explanation = render_markdown(report.explanation, "explanation-", links, figure_of=figure_of)
        texts = [fill_fields(a.data, ATTACHMENT_TEXT_FIELDS, figure_of, "../../") for a in report.attachments]
        anchors = overview.cells | explanation.cells | {key for _, cells in texts for key in cells}
        grids = []
        aid_seen: set[str] = set()
        for frame in report.template.tables:
            grid = build_grid(report, frame, aid_seen, anchors)
            mark_cells(grid, check.notes_by_cell)
            grids.append(grid)
            out.add(base + downloads.csv_name(grid), downloads.grid_csv(grid))
        out.add(base + "report.json", downloads.report_json(report, findings))
        attachments = [a.data | filled | {"slug": a.slug, "path": f"attachments/{a.slug}/"}
                       for a, (filled, _) in zip(report.attachments, texts, strict=True)]
        out.add(base + "index.html", self.page(
            "report.html", base + "index.html", report=report, grids=grids, overview=overview, explanation=explanation,
            glossary=glossary, term_links=links, check=check, parts=PART_TITLES, summary=report_summary(report),
            attachments=attachments, term_anchor=term_anchor,
        ))
        for attachment in attachments:
            path = base + attachment["path"] + "index.html"
            notes = [f for f in findings if f.table == f"attachments/{attachment['slug']}.yaml"]
            out.add(path, self.page("attachment_page.html", path, report=report, a=attachment, notes=notes))
        return out

    # -- site-wide pages ----------------------------------------------------------------------
    def render_site(self) -> Output:
        out = Output()
        reports_by_unit: dict[str, list[Report]] = defaultdict(list)
        for report in self.site.reports:
            reports_by_unit[report.unit.slug].append(report)
        groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for unit in sorted(self.site.units, key=lambda u: (u.region, u.parent, u.name)):
            groups[(unit.region, unit.parent)].append(unit)
        latest = sorted(self.site.reports, key=lambda r: (-r.year, r.unit.name))[:10]
        summaries = {r.rel: report_summary(r) for r in self.site.reports}
        out.add("index.html", self.page("index.html", "index.html", groups=groups, reports_by_unit=reports_by_unit,
                                        latest=latest, summaries=summaries, report_path=report_path, unit_path=unit_path))
        for unit in self.site.units:
            path = unit_path(unit.slug) + "index.html"
            reports = sorted(reports_by_unit[unit.slug], key=lambda r: -r.year)
            out.add(path, self.page("unit.html", path, unit=unit, reports=reports, summaries=summaries, report_path=report_path))
        glossary = merged_glossary(self.site)
        out.add("glossary/index.html", self.page("glossary.html", "glossary/index.html", glossary=glossary, term_anchor=term_anchor))
        out.add("search/index.html", self.page("search.html", "search/index.html"))
        out.add("404.html", self.page("404.html", "404.html"))
        out.add("sitemap.xml", self.sitemap())
        for theme in reversed(self.themes):  # the site's own assets override the default ones
            static = theme / "static"
            for file in sorted(static.rglob("*")) if static.is_dir() else ():
                if file.is_file():
                    out.add("assets/" + file.relative_to(static).as_posix(), file.read_bytes())
        return out

    def sitemap(self) -> str:
        base = str(self.site.settings.get("base_url", "")).rstrip("/")
        paths = ["", "glossary/", "search/"]
        paths += [unit_path(u.slug) for u in self.site.units]
        paths += [report_path(r) for r in sorted(self.site.reports, key=lambda r: r.rel)]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for path in paths:
            loc = f"{base}/{path}" if base else f"./{path}" if path else "./"
            lines.append(f"  <url><loc>{jinja2.utils.markupsafe.escape(loc)}</loc></url>")
        lines.append("</urlset>")
        return "\n".join(lines) + "\n"
