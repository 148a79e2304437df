"""The build: check → render → index.

Each report is loaded, checked and rendered on its own (in worker processes when there are many)
into a staging folder beside the output folder; the site-wide pages follow, then the Pagefind
index, and only then is the staging folder swapped in. A refused, failed or interrupted build
leaves the previous output exactly as it was.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from site_builder import loader, search_index
from site_builder.check import load_and_check, run_jobs
from site_builder.findings import Finding
from site_builder.model import Report, Site, Unit
from site_builder.render.pages import Output, Renderer
from site_builder.schemagen import SCHEMA_DIR


class BuildRefused(Exception):
    """Content has errors; the output folder was not touched."""

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
    timings: dict[str, float]


def write_tree(output: Output, folder: Path, index_folder: Path | None = None) -> None:
    """Write the files; HTML pages also go, with tables flattened, to the folder Pagefind reads."""
    for path in sorted(output.files):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.files[path])
        if index_folder is not None and path.endswith(".html"):
            copy = index_folder / path
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(search_index.flatten_tables(output.files[path]))


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames; the old tree is removed afterwards."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    if old.exists():
        shutil.rmtree(old)


def scratch_folder(out: Path) -> Path:
    """Where the pages Pagefind reads are written: memory (/dev/shm) when there is some, as they
    are thrown away after indexing, else beside the output folder."""
    name = f".{out.name}.indexing-{os.getpid()}"
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm / f"site-builder{name}"
    return out.with_name(name)


def remove_leftovers(out: Path) -> None:
    """Remove staging folders of earlier builds into ``out`` that were killed before cleaning up."""
    for pattern in (f".{out.name}.building-*", f".{out.name}.indexing-*", f".{out.name}.old-*"):
        for folder in out.parent.glob(pattern):
            shutil.rmtree(folder, ignore_errors=True)
    scratch = scratch_folder(out)
    for folder in scratch.parent.glob(f"site-builder.{out.name}.indexing-*"):
        if not _pid_alive(folder.name.rsplit("-", 1)[-1]):
            shutil.rmtree(folder, ignore_errors=True)


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def slim(report: Report) -> Report:
    """What the site-wide pages need of a report (identity and headline figures)."""
    summary = {k: v for k, v in report.tables.items() if k == "income_expenditure_summary"}
    return dataclasses.replace(report, tables=summary, attachments=[], overview="", explanation="",
                               acknowledgements=[], glossary=[])


_RENDERERS: dict[tuple[str, str], Renderer] = {}


def render_job(job: tuple[Unit, Path], site: Site, root: Path, staging: Path,
               index_folder: Path | None) -> tuple[Report | None, list[Finding], list[str]]:
    """Load, check and render one report into the staging folder (runs in a worker process)."""
    report, findings = load_and_check(job)
    if report is None or any(f.is_error for f in findings):
        return None, findings, []
    key = (str(root), str(staging))
    if key not in _RENDERERS:
        _RENDERERS.clear()
        _RENDERERS[key] = Renderer(site, root)
    output = _RENDERERS[key].render_report(report, findings)
    write_tree(output, staging, index_folder)
    return slim(report), findings, sorted(output.files)


def build(root: Path, out: Path, index: bool = True, workers: int | None = None) -> BuildResult:
    planned = loader.plan(root)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = out.with_name(f".{out.name}.building-{os.getpid()}")
    index_folder = scratch_folder(out) if index else None
    staging.mkdir()
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        findings = list(planned.findings)
        files: list[str] = []
        job = functools.partial(render_job, site=planned.site, root=root, staging=staging, index_folder=index_folder)
        for report, report_findings, written in run_jobs(job, planned.jobs, workers):
            findings.extend(report_findings)
            files.extend(written)
            if report is not None:
                planned.site.reports.append(report)
        if any(f.is_error for f in findings):
            raise BuildRefused(findings)
        timings["check and render reports"] = time.perf_counter() - clock
        site_output = Renderer(planned.site, root).render_site()
        for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
            site_output.add(f"schemas/{schema.name}", schema.read_bytes())
        write_tree(site_output, staging, index_folder)
        files.extend(site_output.files)
        timings["site pages"] = time.perf_counter() - clock - sum(timings.values())
        if index_folder is not None:
            search_index.run(index_folder, staging / "pagefind")
            timings["search index"] = time.perf_counter() - clock - sum(timings.values())
        swap_in(staging, out)
    finally:
        for folder in (staging, index_folder):
            if folder is not None and folder.exists():
                shutil.rmtree(folder)
    pages = sum(1 for p in files if p.endswith(".html"))
    return BuildResult(findings, pages, len(planned.site.reports), len(files), timings)
