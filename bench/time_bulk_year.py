#!/usr/bin/env python3
"""One year's bulk files (``data/<year>/``) written again from a built site's per-report files,
the way an edit of one of its reports writes them: without the build cache, with every report's
rows made and kept, and then with the rows recalled for every report but the last (whose
``figures.csv`` digest is changed, so its rows are made again).

    python bench/time_bulk_year.py SITE YEAR WORKDIR [--rounds 2]

SITE is the output of a build (its ``units/<slug>/<year>/`` folders hold the per-report files);
WORKDIR is emptied first and receives the staging folder and the rows file. Prints the seconds of
each run and the size of the rows file.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_builder import build_cache, bulk  # noqa: E402
from site_builder.publish import SiteView  # noqa: E402


class _Reuse:
    """Only the rows part of ``bulk.Reuse``: a rows file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def rows(self, year: str, key: str) -> build_cache.RowsReader:
        return build_cache.RowsReader(self.folder / year, key)

    def keep_rows(self, year: str, key: str) -> build_cache.SealedRows:
        return build_cache.SealedRows(self.folder / year, key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("year")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--rounds", type=int, default=2, help="runs with the rows recalled (default 2)")
    args = parser.parse_args()
    bases = sorted(f"units/{folder.parent.name}/{folder.name}/" for folder in (args.site / "units").glob(f"*/{args.year}")
                   if (folder / bulk.REPORT_JSON).is_file())
    if not bases:
        raise SystemExit(f"no report of {args.year} in {args.site}")
    digests = {base + name: hashlib.sha256((args.site / (base + name)).read_bytes()).hexdigest()
               for base in bases for name in bulk.PER_REPORT}
    digests[bases[-1] + bulk.FIGURES_CSV] = "0" * 64  # as if the last report's figures had changed
    shutil.rmtree(args.workdir, ignore_errors=True)
    reuse = _Reuse(args.workdir / "rows")
    print(f"{len(bases)} reports of {args.year}")
    for label, rows in [("without the build cache", None), ("rows made and kept", reuse),
                        *[("rows recalled", reuse)] * args.rounds]:
        staging = args.workdir / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        units = bulk._UnitFiles(staging, {}, {}, None)
        started = time.perf_counter()
        bulk._write_year(staging, args.year, bases, "", units, SiteView(args.site), digests, rows)  # type: ignore[arg-type]
        print(f"{label}: {time.perf_counter() - started:.2f} s", flush=True)
    print(f"rows file: {(args.workdir / 'rows' / args.year).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
