"""Jobs sent to worker processes in small chunks (``max_chunk``) still give every result, in order."""

from __future__ import annotations

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
