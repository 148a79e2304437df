"""Jobs sent to worker processes in small chunks (``max_chunk``) still give every result, in order."""

from __future__ import annotations

import multiprocessing
import os
import sys

import pytest

from site_builder import check


def _square(job: int) -> int:
    if job == 77:
        raise ValueError("boom")
    return job * job


def _name(job: int) -> str:
    return f"job {job}"


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked")
def test_small_chunks_keep_every_result_in_order() -> None:
    jobs = [n for n in range(200) if n != 77]
    results = list(check.map_in_workers(_square, jobs, _name, workers=2, max_chunk=3))
    assert results == [n * n for n in jobs]


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked")
def test_a_failing_job_in_a_small_chunk_is_named() -> None:
    with pytest.raises(check.InternalError) as raised:
        list(check.map_in_workers(_square, list(range(200)), _name, workers=2, max_chunk=3))
    assert raised.value.folder == "job 77" and raised.value.error == "ValueError: boom"


def _pid(job: int) -> int:
    return os.getpid()


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked")
def test_forked_is_called_once_every_worker_exists_and_before_any_result() -> None:
    """The build starts Pagefind's watcher threads from ``forked``: no worker may be forked after."""
    seen: list[set[int]] = []
    results = check.map_in_workers(_pid, list(range(100)), _name, workers=2,
                                   forked=lambda: seen.append({p.pid for p in multiprocessing.active_children()}))
    pids = set(results)
    assert len(seen) == 1 and len(seen[0]) == 2
    assert pids <= seen[0]  # every job ran in a worker that existed when forked was called


def test_forked_is_called_before_the_first_job_when_there_are_no_workers() -> None:
    order: list[str] = []

    def job(n: int) -> int:
        order.append(f"job {n}")
        return n

    assert list(check.map_in_workers(job, [1, 2], _name, workers=1, forked=lambda: order.append("forked"))) == [1, 2]
    assert order == ["forked", "job 1", "job 2"]
