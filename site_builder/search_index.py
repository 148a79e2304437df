"""Index stage: Pagefind with its extended binary, which segments Chinese text (jieba)."""

from __future__ import annotations

import subprocess
from pathlib import Path


class IndexError_(RuntimeError):
    """Pagefind failed; the build stops and the previous output stays in place."""


def pagefind_binary() -> Path:
    from pagefind_bin_extended import get_executable  # the extended build: Chinese word segmentation

    return Path(get_executable())


def run(site: Path) -> None:
    command = [str(pagefind_binary()), "--site", str(site), "--output-subdir", "pagefind", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise IndexError_(f"pagefind failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
