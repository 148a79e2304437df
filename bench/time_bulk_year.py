#!/usr/bin/env python3
"""One year's bulk files (``data/<year>/``) written again from a built site's per-report files,
the way an edit of one of its reports writes them: without the build cache, with every part made
and kept (``bulk._Part``), and then with every part recalled but the last (whose last report's
``figures.csv`` digest is changed, so that part is made again).

    python bench/time_bulk_year.py SITE YEAR WORKDIR [--rounds 2]

SITE is the output of a build (its ``units/<slug>/<year>/`` folders hold the per-report files);
WORKDIR is emptied first and receives the staging folder and the parts. Prints the seconds of
each run and the size of the parts folder.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_builder import bulk  # noqa: E402
from site_builder.publish import SiteView  # noqa: E402


class _Reuse:
    """Only the parts of ``bulk.Reuse``: files in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def parts_folder(self) -> Path:
        (self.folder / "parts").mkdir(parents=True, exist_ok=True)
        return self.folder / "parts"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("year")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--rounds", type=int, default=2, help="runs with the parts recalled (default 2)")
    args = parser.parse_args()
    bases = sorted(f"units/{folder.parent.name}/{folder.name}/" for folder in (args.site / "units").glob(f"*/{args.year}")
                   if (folder / bulk.REPORT_JSON).is_file())
    if not bases:
        raise SystemExit(f"no report of {args.year} in {args.site}")
    digests = {base + name: hashlib.sha256((args.site / (base + name)).read_bytes()).hexdigest()
               for base in bases for name in bulk.PER_REPORT}
    digests[bases[-1] + bulk.FIGURES_CSV] = "0" * 64  # as if the last report's figures had changed
    shutil.rmtree(args.workdir, ignore_errors=True)
    reuse = _Reuse(args.workdir / "cache")
    print(f"{len(bases)} reports of {args.year}")
    for label, kept in [("without the build cache", None), ("parts made and kept", reuse),
                        *[("one report changed: its part made, the others recalled", reuse)] * args.rounds]:
        staging = args.workdir / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        units = bulk._UnitFiles(staging, {}, {}, None)
        started = time.perf_counter()
        parts = bulk._Parts(kept.parts_folder() if kept is not None else staging / ".bulk-parts")
        bulk._write_year(staging, args.year, bases, "", units, SiteView(args.site), digests, parts)
        print(f"{label}: {time.perf_counter() - started:.2f} s", flush=True)
    size = sum(path.stat().st_size for path in (args.workdir / "cache" / "parts").iterdir())
    print(f"parts: {size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
