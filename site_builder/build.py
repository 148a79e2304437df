"""The build: check → render → index, reading everything before writing anything.

The site is written into a staging folder beside the output folder and swapped in at the end, so
a refused, failed or interrupted build leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from site_builder import search_index
from site_builder.check import check
from site_builder.findings import Finding
from site_builder.render.pages import Output, Renderer
from site_builder.schemagen import SCHEMA_DIR


class BuildRefused(Exception):
    """Content has errors; nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{sum(f.is_error for f in findings)} content errors")
        self.findings = findings
        self.errors = [f for f in findings if f.is_error]


@dataclass
class BuildResult:
    findings: list[Finding]
    pages: int
    reports: int
    files: int


def render_all(root: Path) -> tuple[Output, list[Finding], int]:
    result = check(root)
    if result.errors or result.site is None:
        raise BuildRefused(result.findings)
    site = result.site
    renderer = Renderer(site, root)
    output = renderer.render_site()
    for report in site.reports:
        output.files.update(renderer.render_report(report, result.for_report(report)).files)
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        output.add(f"schemas/{schema.name}", schema.read_bytes())
    return output, result.findings, len(site.reports)


def write_tree(output: Output, folder: Path) -> None:
    for path in sorted(output.files):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.files[path])


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames; the old tree is removed afterwards."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    if old.exists():
        shutil.rmtree(old)


def build(root: Path, out: Path, index: bool = True) -> BuildResult:
    output, findings, reports = render_all(root)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.building-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        write_tree(output, staging)
        if index:
            search_index.run(staging)
        swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    pages = sum(1 for p in output.files if p.endswith(".html"))
    return BuildResult(findings, pages, reports, len(output.files))
