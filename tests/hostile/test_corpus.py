"""The hostile corpus as a CI test: every case of tests/hostile/cases/ against the real command line.

One test runs the whole corpus (checks in two parallel subprocesses, the markup cases built once and
opened in Chromium) and fails on any traceback, hang, leak, unexpected acceptance or refusal, or
executed payload; its summary line is printed in the test report.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.hostile.run import Summary, load_cases, run_corpus

CLASSES = {"encodings", "yaml", "types", "sizes", "names", "links", "templates", "markup", "out-folder"}


def test_corpus_is_complete() -> None:
    cases = load_cases()
    assert len(cases) >= 170
    counts = Counter(case.klass for case in cases)
    assert set(counts) == CLASSES, counts
    assert all(counts[name] >= 10 for name in CLASSES), counts
    assert sum(1 for case in cases if case.expect == "accepted") >= 30, "accepted cases guard against false errors"


@pytest.fixture(scope="module")
def summary() -> Summary:
    return run_corpus(load_cases())


def test_corpus(summary: Summary, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print()
        for line in summary.lines():
            print(line)
    problems = summary.details()
    assert not summary.failed, "\n".join(problems[:60])
