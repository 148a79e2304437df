#!/usr/bin/env python3
"""What Jinja's sandbox costs: render every report page of a content folder with the build's
sandboxed environment and with a plain ``jinja2.Environment`` of the same settings.

    python bench/time_sandbox.py [--content content] [--repeat 20]

Prints milliseconds per report (best of --repeat rounds) for both, and the difference. The pages
are compared too: the sandbox must not change a byte.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jinja2

from site_builder.check import load_and_check
from site_builder.loader import plan
from site_builder.render import pages


def plain_environment(sandboxed: jinja2.Environment) -> jinja2.Environment:
    env = jinja2.Environment(loader=sandboxed.loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(sandboxed.filters)
    env.globals.update(sandboxed.globals)
    return env


def best_ms(renderer: pages.Renderer, reports: list, repeat: int) -> tuple[float, list[bytes]]:
    best, output = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        output = [b"".join(renderer.render_report(r, f).files.values()) for r, f in reports]
        best = min(best, time.perf_counter() - start)
    return best * 1000 / len(reports), output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=Path(__file__).resolve().parent.parent / "content")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    planned = plan(args.content)
    reports = [(r, f) for r, f in map(load_and_check, planned.jobs) if r is not None]
    sandboxed = pages.Renderer(planned.site, args.content)
    plain = pages.Renderer(planned.site, args.content)
    plain.env = plain_environment(sandboxed.env)
    best_ms(sandboxed, reports, 1), best_ms(plain, reports, 1)  # warm the template caches
    sandbox_ms, sandbox_pages = best_ms(sandboxed, reports, args.repeat)
    plain_ms, plain_pages = best_ms(plain, reports, args.repeat)
    print(f"reports: {len(reports)} ({args.content}), best of {args.repeat}")
    print(f"plain Environment: {plain_ms:.2f} ms/report")
    print(f"sandbox:           {sandbox_ms:.2f} ms/report ({(sandbox_ms / plain_ms - 1) * 100:+.1f} %)")
    print(f"identical pages: {sandbox_pages == plain_pages}")
    return 0 if sandbox_pages == plain_pages else 1


if __name__ == "__main__":
    sys.exit(main())
