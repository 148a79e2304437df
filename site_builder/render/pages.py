"""Render stage: model + findings → HTML pages, downloads and assets (written into a staging folder).

Each report is rendered by ``render_report`` from its own data only (no global mutable state), so
reports can be rendered in parallel or incrementally.
"""

from __future__ import annotations

import operator
import posixpath
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import jinja2.sandbox

from site_builder import contentfs, search_index, standards
from site_builder.check import ContentProblem
from site_builder.crosswalk import Crosswalk, crosswalk
from site_builder.diffing.history import correction_history
from site_builder.findings import Finding, Place
from site_builder.fingerprint import PACKAGE_THEME_DIR
from site_builder.limits import THEME_FILE_BYTES
from site_builder.model import Amount, Report, Site, Term, Unit
from site_builder.prose.refs import ATTACHMENT_TEXT_FIELDS, Resolver
from site_builder.render import browse, charts, compare, downloads, search_aid, tidy, trust
from site_builder.render.cells import body_html, head_html, row_html
from site_builder.render.grids import Grid, build_grid
from site_builder.render.markdown import Rendered, fill_fields
from site_builder.render.markdown import render as render_markdown
from site_builder.render.sitemap import sitemap_files
from site_builder.rules.forms.spec import page_labels
from site_builder.summaries import HeadlineData, ReportSummary, headline_data

PACKAGE_THEME = PACKAGE_THEME_DIR  # its files are part of the tool digest (fingerprint.py)
PART_TITLES = ("第一部分 概况", "第二部分 决算表", "第三部分 情况说明", "第四部分 名词解释", "第五部分 附件")


@dataclass
class Output:
    """Files of one rendering unit, as path (relative to the site root) → bytes."""

    files: dict[str, bytes] = field(default_factory=dict)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)  # page → its tables' cells, for the search index

    def add(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def merge(self, other: Output) -> None:
        self.files.update(other.files)
        self.cells.update(other.cells)


def summaries_by_unit(summaries: list[ReportSummary]) -> defaultdict[str, list[ReportSummary]]:
    """The summaries of each unit (by slug), in report order."""
    by_unit: defaultdict[str, list[ReportSummary]] = defaultdict(list)
    for summary in summaries:
        by_unit[summary.unit.slug].append(summary)
    return by_unit


class ThemeError(ContentProblem):
    """A template or asset of the site's own theme (``CONTENT/_theme/``) cannot be used."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings)
        self.findings = findings


def theme_dirs(content_root: Path) -> list[Path]:
    """The site's own ``_theme`` folder first (single-file overrides), then the default theme.

    The site's folder is listed only if it is a real folder (never a link; a link is refused by
    ``contentfs`` when a file below it is read)."""
    own = content_root / "_theme"
    return [d for d in (own, PACKAGE_THEME) if contentfs.kind(content_root, d) is not contentfs.Kind.MISSING]


def _read_theme_file(content_root: Path, path: Path) -> bytes | None:
    """A file of the site's theme, read without following links and within the size limit."""
    data, findings = contentfs.read_bytes(content_root, path, THEME_FILE_BYTES, required=False)
    if findings:
        raise ThemeError(findings)
    return data


class ContentThemeLoader(jinja2.BaseLoader):
    """Templates of ``CONTENT/_theme/templates/``: no link followed, size-limited (see contentfs)."""

    def __init__(self, content_root: Path) -> None:
        self.content_root = content_root
        self.folder = content_root / "_theme" / "templates"

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        data = _read_theme_file(self.content_root, path)
        if data is None:
            raise jinja2.TemplateNotFound(template)
        try:
            source = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ThemeError([Finding("content.encoding", f"template is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                      Place(contentfs.display_path(path)))]) from None
        return source, str(path), lambda: True


SEQUENCE_LIMIT = 1_000_000  # items of a string or list a template may build with * (a DoS otherwise)
EXPONENT_LIMIT = 64


class ThemeSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no access to Python internals, no mutating methods) that also
    refuses ``*`` and ``**`` results that would take the build machine's memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) in PLAIN_CLASSES:  # Jinja's answer for these, without its dozen isinstance tests
            return not attr.startswith("_")
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: jinja2.runtime.Context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float | Decimal) and abs(right) > EXPONENT_LIMIT:
                raise jinja2.sandbox.SecurityError(f"exponent {right} is above the sandbox limit of {EXPONENT_LIMIT}")
            return operator.pow(left, right)
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > SEQUENCE_LIMIT:
                raise jinja2.sandbox.SecurityError(f"repeating a sequence to more than {SEQUENCE_LIMIT:,} items is refused")
        return operator.mul(left, right)


def environment(themes: list[Path], content_root: Path | None = None) -> jinja2.Environment:
    """Every template, the default ones included, renders in the sandbox: a site's template may
    extend or include default ones, and one environment keeps the output identical either way."""
    loaders: list[jinja2.BaseLoader] = []
    if content_root is not None and content_root / "_theme" in themes:
        loaders.append(ContentThemeLoader(content_root))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_THEME / "templates")))
    env = ThemeSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # an environment serves one build: no mtime check of each template on every page
    )
    env.filters["amount"] = lambda v: "" if v is None else f"{v:,}"
    env.filters["search_aid"] = lambda text: search_aid.aid([str(text)])
    env.globals["row_html"] = row_html
    env.globals["head_html"] = head_html
    env.globals["body_html"] = body_html
    return env


def theme_template_finding(error: Exception, own_templates: Path) -> Finding | None:
    """The finding for an error raised by a template of the site's own theme (None: not one of them)."""
    own = str(own_templates) + "/"
    if isinstance(error, jinja2.TemplateSyntaxError) and (error.filename or "").startswith(own):
        return _template_finding(error.filename or "", error.lineno, f"template syntax error: {error.message}")
    place: tuple[str, int] | None = None
    trace: TracebackType | None = error.__traceback__
    while trace is not None:  # the innermost frame of a site template (Jinja maps it to the template line)
        if trace.tb_frame.f_code.co_filename.startswith(own):
            place = (trace.tb_frame.f_code.co_filename, trace.tb_lineno)
        trace = trace.tb_next
    if place is None:
        return None
    if isinstance(error, jinja2.sandbox.SecurityError):
        message = f"template refused by the sandbox: {error}"
    else:
        message = f"template failed: {type(error).__name__}: {error}"
    return _template_finding(*place, message)


def _template_finding(filename: str, line: int, message: str) -> Finding:
    return Finding("theme.template", message, Place(contentfs.display_path(filename), line, 1))


def relative(page: str, target: str) -> str:
    """Link from one site path to another (both relative to the site root), e.g. '../../glossary/'."""
    page_dir = posixpath.dirname(page)
    rel = _plain_relpath(target, page_dir)
    if rel is None:
        rel = posixpath.relpath(target or ".", page_dir or ".")
    if target.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel


def _plain_relpath(target: str, start: str) -> str | None:
    """``posixpath.relpath(target or ".", start or ".")`` for plain site paths, without the two
    ``abspath`` calls (each asks the OS for the working folder); None for any other path."""
    to, base = _segments(target), _segments(start)
    if to is None or base is None:
        return None
    same = 0
    while same < min(len(to), len(base)) and to[same] == base[same]:
        same += 1
    return "/".join([".."] * (len(base) - same) + to[same:]) or "."


def _segments(path: str) -> list[str] | None:
    """The names of a relative path ("a/b/" → a, b); None unless each is a plain name."""
    if path in ("", "."):
        return []
    names = path.removesuffix("/").split("/")
    return None if any(name in ("", ".", "..") for name in names) else names


def report_path(report: Report | ReportSummary) -> str:
    return f"units/{report.unit.slug}/{report.year}/"


UNIT_CSV = "history.csv"  # the page's figures; figures.csv beside it is the bulk tidy file (bulk.py)


def _rel_path(rel: str) -> str:
    return f"units/{rel}/"


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
    prose: dict[str, int] = field(default_factory=dict)  # figures stated in prose: agree, disagree, not checkable …


# The renderer's own data classes that templates read most. None is a function, method, class,
# code, frame, traceback, generator or mutable collection, so for their instances the immutable
# sandbox refuses exactly the names starting with "_" (tests/test_render_shortcuts.py checks both agree).
PLAIN_CLASSES: frozenset[type] = frozenset({
    Grid, Report, Term, Amount, Unit, Site, Verification, charts.Chart, charts.ChartRow, Rendered,
})


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
    return Verification(rules_checked, rounding, acknowledged, warnings, dict(notes), trust.prose_counts(findings))


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


def all_corrections(reports: list[ReportSummary]) -> list[tuple[ReportSummary, Any]]:
    """Every correction entry of the portal, newest first (then by report), for the 更正记录 page."""
    entries = [(report, entry) for report in reports for entry in report.corrections]
    return sorted(entries, key=lambda pair: (pair[1].date, pair[0].rel), reverse=True)


def unit_charts(history: compare.UnitHistory | None, headlines: HeadlineData) -> list[charts.Chart]:
    """Year-by-year charts of the headlines marked ``chart`` in headlines.yaml, for a unit with at
    least two reports; figures are already in the history's one amount unit."""
    if history is None or len(history.years) < 2:
        return []
    drawn = {h.id for h in headlines.headlines if h.chart}
    return [charts.year_series(row.label, history.unit, list(zip(history.years, row.values, strict=True)),
                               chart_id=f"chart-{headline.id}")
            for headline, row in zip(headlines.headlines, history.headlines, strict=True)
            if headline.id in drawn and any(row.mapped)]


def latest_reports(summaries: list[ReportSummary]) -> list[ReportSummary]:
    """The ten latest reports, as the home page lists them."""
    return sorted(summaries, key=lambda r: (-r.year, r.unit.name))[:10]


def listed_units(listing: browse.Listing) -> list[Unit]:
    """The units a browsing page lists, in its order."""
    return [unit for units in listing.groups.values() for unit in units]


class Renderer:
    def __init__(self, site: Site, content_root: Path) -> None:
        self.site = site
        self.content_root = content_root
        self.themes = theme_dirs(content_root)
        self.env = environment(self.themes, content_root)

    def page(self, template: str, path: str, **context: Any) -> str:
        def url(target: str) -> str:
            return relative(path, target)

        try:
            return self.env.get_template(template).render(
                site=self.site, page_path=path, url=url, root=relative(path, "") or "./", **context
            )
        except ThemeError:
            raise
        except Exception as error:
            finding = theme_template_finding(error, self.content_root / "_theme" / "templates")
            if finding is None:
                raise
            raise ThemeError([finding]) from None

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
        explanation.html = trust.mark_acknowledged(explanation.html, report.explanation, "explanation.md", check.acknowledged)
        texts = [fill_fields(a.data, ATTACHMENT_TEXT_FIELDS, figure_of, "../../") for a in report.attachments]
        anchors = overview.cells | explanation.cells | {key for _, cells in texts for key in cells}
        grids = []
        aid_seen: set[str] = set()
        figures: list[bytes] = []  # each table's tidy rows, as CSV
        base_url = str(self.site.settings.get("base_url", ""))
        for frame in report.template.tables:
            grid = build_grid(report, frame, aid_seen, anchors)
            mark_cells(grid, check.notes_by_cell)
            grids.append(grid)
            out.add(base + downloads.csv_name(grid), downloads.grid_csv(grid))
            rows = tidy.csv_bytes(tidy.FIGURE_COLUMNS, tidy.table_rows(report, grid, base_url), with_header=False)
            out.add(base + tidy.tidy_csv_name(grid), tidy.csv_header(tidy.FIGURE_COLUMNS) + rows)
            figures.append(rows)
        out.add(base + tidy.FIGURES_CSV, tidy.csv_header(tidy.FIGURE_COLUMNS) + b"".join(figures))
        out.add(base + tidy.ATTACHMENTS_CSV, tidy.csv_bytes(tidy.ATTACHMENT_COLUMNS, tidy.attachment_rows(report, base_url)))
        history = correction_history(report, self.content_root) if report.corrections else []
        out.add(base + "report.json", downloads.report_json(report, findings, history))
        attachments = [a.data | filled | {"slug": a.slug, "path": f"attachments/{a.slug}/",
                                          "labels": page_labels(str(a.data.get("kind")), report.template.id, report.year)}
                       for a, (filled, _) in zip(report.attachments, texts, strict=True)]
        out.cells[base + "index.html"] = {grid.anchor: search_index.grid_cells(grid) for grid in grids
                                          if report.unpublished_reason("table", grid.table_id) is None}
        out.add(base + "index.html", self.page(
            "report.html", base + "index.html", report=report, grids=grids, overview=overview, explanation=explanation,
            glossary=glossary, term_links=links, check=check, parts=PART_TITLES, summary=report_summary(report),
            attachments=attachments, term_anchor=term_anchor, history=history,
            spending_chart=charts.report_spending_chart(report, grids), spending_chart_table=charts.SPENDING_TABLE,
        ))
        for attachment in attachments:
            path = base + attachment["path"] + "index.html"
            notes = [f for f in findings if f.table == f"attachments/{attachment['slug']}.yaml"]
            out.add(path, self.page("attachment_page.html", path, report=report, a=attachment, notes=notes))
        return out

    # -- site-wide pages ----------------------------------------------------------------------
    def render_site(self, summaries: list[ReportSummary], with_units: bool = True,
                    compare_groups: Sequence[compare.GroupPlan] | None = None) -> Output:
        """The site-wide pages, from the workers' report summaries (never full reports); the unit
        and comparison pages too unless the build renders them in its worker processes
        (``render_units``, ``render_comparison_group``). ``compare_groups``: those of ``summaries``
        when the caller has them (``compare.group_plans``; only with ``with_units`` False)."""
        out = Output()
        comparisons: Sequence[compare.CompareGroup | compare.GroupPlan]
        listings = browse.listings(self.site.units, browse.PAGE_UNITS)
        if with_units:  # else the build renders the browsing, unit and comparison pages in its workers
            reports_by_unit = summaries_by_unit(summaries)
            self.render_browsing(out, listings, summaries, reports_by_unit)
            out.merge(self.render_units(self.site.units, reports_by_unit, browse.unit_crumbs(listings)))
            comparisons = groups = compare.compare_groups(summaries, headline_data())
            self.render_comparisons(out, groups, headline_data())
        else:
            comparisons = compare_groups if compare_groups is not None else compare.group_plans(summaries)
            self.render_compare_index(out, comparisons)
        glossary = merged_glossary(self.site)
        out.add("glossary/index.html", self.page("glossary.html", "glossary/index.html", glossary=glossary, term_anchor=term_anchor))
        out.add("search/index.html", self.page("search.html", "search/index.html"))
        out.add("corrections/index.html", self.page("corrections.html", "corrections/index.html", corrections=all_corrections(
            summaries), report_path=report_path))
        out.add("404.html", self.page("404.html", "404.html"))
        for name, xml in self.sitemap(summaries, comparisons, [page.path for page in listings[1:]]):
            out.add(name, xml)
        static = PACKAGE_THEME / "static"
        for file in sorted(static.rglob("*")):
            if file.is_file():
                out.add("assets/" + file.relative_to(static).as_posix(), file.read_bytes())
        for name, data in self.own_assets():  # the site's own assets override the default ones
            out.add("assets/" + name, data)
        return out

    def render_browsing(self, out: Output, listings: list[browse.Listing], summaries: list[ReportSummary],
                        reports_by_unit: dict[str, list[ReportSummary]]) -> None:
        """The home page (``listings[0]``) and the region and parent-department pages (browse.py)."""
        latest = latest_reports(summaries)
        for listing in listings:
            out.add(listing.path, self.browse_page(listing, latest, reports_by_unit))

    def browse_page(self, listing: browse.Listing, latest: list[ReportSummary],
                    reports_by_unit: dict[str, list[ReportSummary]]) -> bytes:
        """One browsing page: the home page (with the ``latest`` reports) or a region's or parent
        department's. It is given the reports of the units it lists and no others, so that what it
        shows depends on nothing else (the build reuses it while those are unchanged: ``PageKeys.browse``)."""
        listed = {unit.slug: reports_by_unit.get(unit.slug, []) for unit in listed_units(listing)}
        common = {"reports_by_unit": listed, "report_path": report_path, "unit_path": unit_path}
        if listing.path == browse.HOME:
            return self.page("index.html", listing.path, listing=listing, groups=listing.groups, latest=latest,
                             summaries={r.rel: r for r in latest}, **common)
        return self.page("browse.html", listing.path, listing=listing, **common)

    def own_assets(self) -> list[tuple[str, bytes]]:
        """Files under ``CONTENT/_theme/static/``: no link followed, none above the size limit."""
        assets: list[tuple[str, bytes]] = []
        findings: list[Finding] = []
        folders = [(self.content_root / "_theme" / "static", "")]
        while folders:
            folder, prefix = folders.pop(0)
            entries, problems = contentfs.list_dir(self.content_root, folder)
            findings.extend(problems)
            for entry in entries:
                if entry.is_dir:
                    folders.append((entry.path, prefix + entry.name + "/"))
                    continue
                try:
                    data = _read_theme_file(self.content_root, entry.path)
                except ThemeError as error:
                    findings.extend(error.findings)
                    continue
                if data is not None:
                    assets.append((prefix + entry.name, data))
        if findings:
            raise ThemeError(findings)
        return sorted(assets)

    def render_units(self, units: list[Unit], reports_by_unit: dict[str, list[ReportSummary]],
                     crumbs: dict[str, list[tuple[str, str]]]) -> Output:
        """The pages of ``units``; ``crumbs``: the browsing pages above each (``browse.unit_crumbs``)."""
        out = Output()
        headlines, walk = headline_data(), crosswalk()
        for unit in units:
            self.render_unit(out, unit, reports_by_unit.get(unit.slug, []), headlines, walk, crumbs.get(unit.slug, []))
        return out

    def render_unit(self, out: Output, unit: Unit, reports: list[ReportSummary], headlines: HeadlineData,
                    walk: Crosswalk, crumbs: list[tuple[str, str]]) -> None:
        """The unit page: its reports, headline figures and table rows year by year, and their CSV."""
        base = unit_path(unit.slug)
        history = compare.unit_history(reports, headlines, walk) if reports else None
        if history is not None:
            out.add(base + UNIT_CSV, compare.unit_csv(history, headlines.texts))
        newest_first = sorted(reports, key=lambda r: -r.year)
        out.add(base + "index.html", self.page("unit.html", base + "index.html", unit=unit, reports=newest_first,
                                               history=history, csv_name=UNIT_CSV, report_path=report_path, crumbs=crumbs,
                                               series_html=compare.series_rows_html,
                                               charts=unit_charts(history, headlines)))

    def render_comparisons(self, out: Output, groups: list[compare.CompareGroup], headlines: HeadlineData) -> None:
        """compare/<year>/<group>/ pages: units × headline figures and ratios, one pre-sorted view per
        main column (each with its CSV), and compare/index.html listing them."""
        for group in groups:
            out.merge(self.render_comparison_group(group, headlines))
        self.render_compare_index(out, groups)

    def render_compare_index(self, out: Output, groups: Sequence[compare.CompareGroup | compare.GroupPlan]) -> None:
        """compare/index.html: every comparison page, or, for a large portal, the years, each with
        a page compare/<year>/index.html of its comparison pages (compare.INDEX_GROUPS)."""
        for page in compare.index_pages(groups, compare.INDEX_GROUPS):
            out.add(page.path, self.page("compare_index.html", page.path, index=page, groups=page.groups))

    def render_comparison_group(self, group: compare.CompareGroup, headlines: HeadlineData) -> Output:
        out = Output()
        columns = compare.compare_columns(headlines)
        views = [c for key in compare.SORTED_VIEWS for c in columns if c.id == key]
        up = relative(group.path + "index.html", "")  # every view of a group is in one folder
        html = {row.rel: compare.compare_row_html(row, columns, up + _rel_path(row.rel) + "index.html")
                for row in group.rows}
        for view in views:
            rows = compare.sorted_rows(group.rows, view.id)
            page = group.path + compare.view_file(view.id)
            csv_name = compare.view_file(view.id).removesuffix(".html") + ".csv"
            out.add(group.path + csv_name, compare.compare_csv(group, columns, rows, headlines.texts))
            out.add(page, self.page("compare.html", page, group=group, columns=columns, rows=rows, view=view,
                                    views=views, view_file=compare.view_file, csv_name=csv_name,
                                    rows_html=[html[row.rel] for row in rows],
                                    head_html=compare.compare_head_html(columns, view, views)))
        return out

    def sitemap(self, summaries: list[ReportSummary], groups: Sequence[compare.CompareGroup | compare.GroupPlan],
                browsing: Sequence[str] = ()) -> list[tuple[str, str]]:
        """sitemap.xml, and the numbered files it indexes when the site has too many addresses for one.
        ``browsing``: the region and parent-department pages (browse.py)."""
        paths = ["", "glossary/", "search/", "corrections/"]
        paths += [page.path.removesuffix("index.html") for page in compare.index_pages(groups, compare.INDEX_GROUPS)]
        paths += sorted(path.removesuffix("index.html") for path in browsing)
        paths += [unit_path(u.slug) for u in self.site.units]
        paths += [report_path(r) for r in sorted(summaries, key=lambda r: r.rel)]  # type: ignore[arg-type]
        paths += sorted({g.path for g in groups})
        return sitemap_files(paths, str(self.site.settings.get("base_url", "")))
