#!/usr/bin/env python3
"""CPU seconds of ``check`` in one process (no workers, no cache), for comparing code changes on a
busy machine where wall-clock times vary: process time does not count the time other processes run.

    python bench/cpu_check.py CONTENT [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchlib import BENCH

sys.path.insert(0, str(BENCH.parent))

from site_builder import standards  # noqa: E402
from site_builder.check import check  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    standards.template_findings()  # start-up, not per report
    times = []
    for _ in range(args.repeat):
        started = time.process_time()
        result = check(args.content, keep_reports=False, workers=1)
        times.append(time.process_time() - started)
    reports = result.reports_checked
    best = min(times)
    print(f"reports: {reports}; CPU seconds: {', '.join(f'{t:.2f}' for t in times)}; best {best:.2f} "
          f"= {best * 1000 / max(reports, 1):.2f} ms/report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
