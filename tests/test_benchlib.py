"""bench/benchlib.py: the peak memory of a whole process tree, not of its largest process."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import benchlib  # noqa: E402  (bench/ is not a package)

MB = 1_000_000
#: A parent holding 60 MB starts a child (not a fork: nothing shared) that holds 80 MB; both live a while.
TREE = """
import subprocess, sys, time
parent = bytearray(60_000_000)
child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(80_000_000); time.sleep(1.5)"])
child.wait()
print("done")
"""


def test_peak_memory_sums_the_process_tree() -> None:
    run = benchlib.timed([sys.executable, "-c", TREE])
    assert (run.returncode, run.stdout) == (0, "done\n")
    assert run.peak_pss >= 140 * MB and run.peak_rss >= run.peak_pss
    # wait4's max-RSS is of one process (80 MB child, or the parent: 60 MB plus what a fork briefly
    # duplicates), never the 140 MB the two hold together at once; only the sampled sum shows that
    assert run.max_single_rss >= 80 * MB


def test_exit_code_and_output_are_kept() -> None:
    run = benchlib.timed([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"])
    assert (run.returncode, run.stdout, run.stderr) == (3, "out\n", "err\n")
    assert run.seconds > 0


def test_a_costly_sample_is_taken_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sampling must not take the measured build's cores: a sample that costs 0.1 s (a tree of
    several GB) is taken at most every 2 s (``SAMPLER_SHARE`` 5 %), not every 50 ms."""
    samples: list[float] = []

    def slow_sample(pid: int) -> tuple[int, int]:
        samples.append(time.perf_counter())
        time.sleep(0.1)
        return 1, 1

    monkeypatch.setattr(benchlib, "tree_memory", slow_sample)
    run = benchlib.timed([sys.executable, "-c", "import time; time.sleep(3)"])
    assert run.returncode == 0 and run.peak_pss == 1
    assert 1 <= len(samples) <= 2
    assert run.seconds < 3.5  # the end is still seen at once, not at the next sample
