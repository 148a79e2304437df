"""Command line: ``site-builder check | build | combine | serve | new | template | diff``.

Exit codes: 0 no errors (warnings allowed), 1 content errors (a theme template the sandbox refuses
included), 2 usage problems, unreadable input, an output folder that is refused or locked by another
build, and internal errors. Library code never exits; only ``main`` turns results into exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from site_builder.findings import format_json, format_text, prose_summary

if TYPE_CHECKING:
    from site_builder.output import BuildResult

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="site-builder", description="部门决算公开 static portal builder")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check content against the schemas and the consistency rules")
    check.add_argument("content", nargs="?", default="content", type=Path)
    check.add_argument("--format", choices=("text", "json"), default="text")
    cached = check.add_mutually_exclusive_group()
    cached.add_argument("--cache", metavar="DIR", type=Path,
                        help="findings cache folder (default: $XDG_CACHE_HOME/site-builder, else ~/.cache/site-builder)")
    cached.add_argument("--no-cache", action="store_true", help="check every report, neither reading nor writing the cache")
    build = sub.add_parser("build", help="check, then render the portal")
    build.add_argument("content", nargs="?", default="content", type=Path)
    build.add_argument("--out", default=Path("output"), type=Path)
    build_cached = build.add_mutually_exclusive_group()
    build_cached.add_argument("--cache", metavar="DIR", type=Path,
                              help="build cache folder: reports and search shards unchanged since the last build into "
                                   "the same output are reused (default: $XDG_CACHE_HOME/site-builder, else ~/.cache/site-builder)")
    build_cached.add_argument("--no-cache", action="store_true", help="render every report, neither reading nor writing the cache")
    build.add_argument("--part", metavar="K/N", help="build only part K of N of the reports (whole search shards) into "
                       "a part folder, for `site-builder combine` (docs/parts.md); no build cache")
    combine = sub.add_parser("combine", help="build the site from part folders (`build --part K/N`), reusing their "
                             "reports and search shards: the same site as `build`")
    combine.add_argument("parts", nargs="+", type=Path, metavar="PART")
    combine.add_argument("--content", default=Path("content"), type=Path)
    combine.add_argument("--out", default=Path("output"), type=Path)
    combine_cached = combine.add_mutually_exclusive_group()
    combine_cached.add_argument("--cache", metavar="DIR", type=Path, help="build cache folder, as for build")
    combine_cached.add_argument("--no-cache", action="store_true", help="neither read nor write the build cache")
    serve = sub.add_parser("serve", help="preview a built site on localhost")
    serve.add_argument("directory", nargs="?", default=Path("output"), type=Path)
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--build", metavar="CONTENT", type=Path, help="build CONTENT into DIRECTORY first")
    diff = sub.add_parser("diff", help="compare the content as of two git revisions, report by report")
    diff.add_argument("old", nargs="?", metavar="REV1", help="default: the merge base of HEAD with main (else master)")
    diff.add_argument("new", nargs="?", metavar="REV2", help="default: the working tree (also: worktree)")
    diff.add_argument("content", nargs="?", default=Path("content"), type=Path, metavar="CONTENT")
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    new = sub.add_parser("new", help="scaffold a complete report for UNIT and YEAR")
    new.add_argument("unit")
    new.add_argument("year", type=int)
    new.add_argument("--template", default="shanxi-2023")
    new.add_argument("--content", default=Path("content"), type=Path)
    template = sub.add_parser("template", help="validate a template file, or show a blank report of a template")
    template_sub = template.add_subparsers(dest="template_command", required=True)
    template_check = template_sub.add_parser("check", help="validate a template file (findings; exit 0/1/2)")
    template_check.add_argument("file", type=Path)
    template_show = template_sub.add_parser("show", help="render a blank report of a template file or id")
    template_show.add_argument("template", help="a template file, or the id of a package template")
    template_show.add_argument("--out", default=Path("template-preview"), type=Path)
    return parser


def run() -> None:
    """The ``site-builder`` command: ``main``, then exit at once. Freeing what a large build
    holds (the records of 400,000 output files at 10,000 reports) took the interpreter 0.7 s after
    the work was done; every file is closed and every worker joined by then."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return _dispatch(args)
    except Exception as exc:  # never a traceback: one line, exit 2
        # imported here, so that a build with nothing to do loads no more than it needs
        from site_builder.check import InternalError, describe
        from site_builder.loader import ContentError

        if isinstance(exc, (ContentError, InternalError)):
            print(f"site-builder: {exc}", file=sys.stderr)
        else:
            print(f"site-builder: internal error: {describe(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        return _check(args.content, args.format, _cache_folder(args))
    if args.command in ("build", "combine"):
        return _build(args)
    if args.command == "diff":
        return _diff(args.old, args.new, args.content, args.format)
    if args.command == "serve":
        from site_builder.serve import serve

        if args.build:
            code = _dispatch(argparse.Namespace(command="build", content=args.build, out=args.directory,
                                                cache=None, no_cache=False, part=None))
            if code != EXIT_OK:
                return code
        return serve(args.directory, args.port)
    if args.command == "new":
        from site_builder.scaffold import ScaffoldError, scaffold

        if args.content.exists() and not args.content.is_dir():
            print(f"site-builder: --content {args.content} is a file, not a content folder", file=sys.stderr)
            return EXIT_USAGE
        try:
            written = scaffold(args.content, args.unit, args.year, args.template)
        except ScaffoldError as exc:
            print(f"site-builder: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote {len(written)} files under {written[0].parent.parent if written else args.content}")
        return EXIT_OK
    if args.command == "template":
        return _template(args)
    return EXIT_USAGE


def _build(args: argparse.Namespace) -> int:
    from site_builder.output import BuildRefused, OutputRefused

    content = args.content
    try:
        part = _part(args.part) if args.command == "build" and args.part else None
    except ValueError as problem:
        print(f"site-builder: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = _run_build(args, part)
    except OutputRefused as refused:
        print(f"site-builder: {refused}", file=sys.stderr)
        return EXIT_USAGE
    except BuildRefused as refused:
        sys.stdout.write(format_text(refused.findings))
        print(f"site-builder: build refused: {len(refused.errors)} error(s); {args.out} left unchanged", file=sys.stderr)
        return EXIT_ERRORS
    sys.stdout.write(format_text([f for f in result.findings if not f.is_error]))
    what = f"part {part[0]}/{part[1]} of {content}: " if part else ""
    print(f"built {what}{result.pages} pages for {result.reports} reports into {args.out}", file=sys.stderr)
    if (result.reused_reports or result.reused_shards or result.reused_unit_pages or result.reused_compare_groups
            or result.reused_bulk_years or result.reused_unit_files or result.reused_browse_pages):
        print(f"reused from the previous build: {result.reused_reports} reports, {result.reused_unit_pages} unit pages, "
              f"{result.reused_compare_groups} comparison groups, {result.reused_browse_pages} browsing pages, "
              f"{result.reused_shards} search shards, "
              f"{result.reused_bulk_years} years of bulk downloads, {result.reused_unit_files} unit figures.csv files",
              file=sys.stderr)
    if args.command == "combine":
        rendered_here = result.reports - result.reused_reports - result.part_reports
        print(f"reused from the parts: {result.part_reports} reports, {result.part_shards} search shards; "
              f"rendered here: {rendered_here} report{'' if rendered_here == 1 else 's'}" + (" (not in any part, or in none with the same inputs)"
                                                             if rendered_here else ""), file=sys.stderr)
    _print_timings(result)
    return EXIT_OK


def _part(text: str) -> tuple[int, int]:
    from site_builder.parts import parse_part

    return parse_part(text)


def _run_build(args: argparse.Namespace, part: tuple[int, int] | None) -> BuildResult:
    """The build the arguments ask for; an unchanged site is answered before the pipeline is imported."""
    from site_builder.quick import build_if_unchanged

    if part is not None:
        from site_builder.build import build_part

        return build_part(args.content, args.out, part)
    cache = _cache_folder(args)
    checked = build_if_unchanged(args.content, args.out, cache) if cache is not None else None
    if checked is not None and checked.result is not None:
        return checked.result  # nothing changed: the build pipeline is not even imported
    from site_builder.build import build

    return build(args.content, args.out, cache=cache, checked=checked,
                 from_parts=args.parts if args.command == "combine" else None)


def _print_timings(result: BuildResult) -> None:
    print("timings: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.timings.items()), file=sys.stderr)
    if result.index_memory:
        print(f"search index: {len(result.index_memory)} shards; Pagefind's peak memory by shard: "
              + ", ".join(f"{shard} {size / 1e6:.0f} MB" if size else f"{shard} (ended before it was read)"
                          for shard, size in result.index_memory.items()), file=sys.stderr)


def _template(args: argparse.Namespace) -> int:
    from site_builder import template_tool

    try:
        if args.template_command == "check":
            template, findings = template_tool.check_file(args.file)
        else:
            template, findings = template_tool.resolve(args.template)
    except template_tool.TemplateUsage as exc:
        print(f"site-builder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(format_text(findings))
    if template is None:
        print(f"site-builder: template has {sum(f.is_error for f in findings)} error(s)", file=sys.stderr)
        return EXIT_ERRORS
    if args.template_command == "check":
        print(f"template {template.id}: {len(template.tables)} tables, no errors", file=sys.stderr)
        return EXIT_OK
    page = template_tool.show(template, args.out)
    print(f"wrote a blank report of {template.id} ({len(template.tables)} tables) to {page}", file=sys.stderr)
    return EXIT_OK


def _cache_folder(args: argparse.Namespace) -> Path | None:
    from site_builder.check_cache import default_folder

    if args.no_cache:
        return None
    return args.cache if args.cache is not None else default_folder()


def _check(content: Path, output_format: str, cache: Path | None) -> int:
    from site_builder import quick

    unchanged, snapshot = quick.check_unchanged(cache, content) if cache is not None else (None, None)
    if unchanged is not None:  # nothing changed: the checks are not even imported
        findings, reports = unchanged
    else:
        from site_builder.check import check

        result = check(content, keep_reports=False, cache=cache, content=snapshot)
        findings, reports = result.findings, result.reports_checked
    if output_format == "json":
        sys.stdout.write(format_json(findings))
    else:
        sys.stdout.write(format_text(findings))
        errors = sum(1 for f in findings if f.is_error)
        warnings = sum(1 for f in findings if f.severity == "warning")
        acknowledged = sum(1 for f in findings if f.acknowledged)
        print(f"{reports} reports checked: {errors} errors, {warnings} warnings, {acknowledged} acknowledged"
              + prose_summary(findings), file=sys.stderr)
    return EXIT_ERRORS if any(f.is_error for f in findings) else EXIT_OK


def _diff(old: str | None, new: str | None, content: Path, output_format: str) -> int:
    from site_builder.diffing import GitProblem, diff
    from site_builder.diffing.formats import markdown, text, to_json

    try:
        result = diff(content, old, new)
    except GitProblem as problem:
        print(f"site-builder: {problem}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write({"text": text, "markdown": markdown, "json": to_json}[output_format](result))
    return EXIT_ERRORS if result.introduces_errors else EXIT_OK
