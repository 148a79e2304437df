"""Publication in place (site_builder/publish.py): a rebuild with a build cache moves only what
changed into the live site, leaves every other file where it is, and is the same site as a fresh
build; a build killed while it publishes is rolled forward by the next one."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from site_builder import build_cache, quick, snapshot
from site_builder.build import BuildRefused, build
from site_builder.publish import journal_path
from tests.test_build_safety import (
    REPORT,
    beside,
    break_content,
    content_copy,
    edit,
    incomplete_reason,
    tree_digest,
)

ROOT = Path(__file__).resolve().parents[1]
TITLE = "title: 盐池县社会保险事业管理中心2024年度部门决算"
OTHER_PAGE = "units/jincheng-social-insurance-center/2023/index.html"  # a report not edited
SITE_PAGE = "glossary/index.html"  # rendered again by every build, with the same bytes


def folders_of(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir()}


def assert_fresh(site: Path, content: Path, fresh: Path) -> None:
    """``site`` is what a fresh build of ``content`` writes: the same files, bytes and folders."""
    build(content, fresh)
    assert tree_digest(site) == tree_digest(fresh)
    assert folders_of(site) == folders_of(fresh)
    assert incomplete_reason(site) is None


def identity(path: Path) -> tuple[int, int]:
    status = os.lstat(path)
    return status.st_ino, status.st_mtime_ns


def test_a_rebuild_moves_only_what_changed(tmp_path: Path) -> None:
    content, site, cache = content_copy(tmp_path), tmp_path / "site", tmp_path / "cache"
    build(content, site, cache=cache)
    before = {path: identity(site / path) for path in (OTHER_PAGE, SITE_PAGE, f"units/{REPORT}/index.html")}
    edit(content / REPORT / "report.yaml", TITLE, f"{TITLE}（修订）")
    result = build(content, site, cache=cache)
    assert result.reused_reports == result.reports - 1
    assert identity(site / OTHER_PAGE) == before[OTHER_PAGE], "a reused report's page is left in place"
    assert identity(site / SITE_PAGE) == before[SITE_PAGE], "a page written again with the same bytes is left in place"
    assert identity(site / f"units/{REPORT}/index.html") != before[f"units/{REPORT}/index.html"]
    assert "（修订）" in (site / f"units/{REPORT}/index.html").read_text(encoding="utf-8")
    assert not journal_path(site).exists() and beside(site) == []
    assert_fresh(site, content, tmp_path / "fresh")


def built_with_walks_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path, list[Path]]:
    """Six generated reports built with a cache once their snapshot has settled; then every folder
    ``build_cache.stamps_below`` walks is listed. Returns content, site, cache and that list."""
    content, site, cache = tmp_path / "content", tmp_path / "site", tmp_path / "cache"
    # generated reports: none declares ``published:`` (whose key reads git, which snapshots cannot see)
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "6", "--out", str(content),
                    "--seed", "5"], check=True, capture_output=True)
    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.3)
    time.sleep(1.4)  # a content snapshot is only kept once settled (find compares whole seconds)
    build(content, site, cache=cache)
    walked: list[Path] = []
    real = build_cache.stamps_below
    monkeypatch.setattr(build_cache, "stamps_below", lambda folder: walked.append(folder) or real(folder))
    return content, site, cache, walked


def test_an_output_as_the_last_build_left_it_is_not_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the output's snapshot is the one taken after the last build, the cache's record of its
    files is used as it is; the rebuild is still the fresh build."""
    content, site, cache, walked = built_with_walks_counted(tmp_path, monkeypatch)
    narrative = sorted(content.glob("*/*/explanation.md"))[0]
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n本单位将继续加强预算管理。\n", encoding="utf-8")
    result = build(content, site, cache=cache)
    assert result.reused_reports >= result.reports - 2  # the report and the next year's, which reads it
    assert site.resolve() not in [folder.resolve() for folder in walked]
    monkeypatch.undo()
    assert_fresh(site, content, tmp_path / "fresh")


def test_an_output_as_left_gets_its_marker_copied_with_the_changed_lines(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """When the output is as the last build left it, an edit and a removed report change the
    previous marker's lines without reading it line by line (``SortedMarker``), and the site is a
    fresh build's."""
    import site_builder.build as build_module
    from site_builder.output import SortedMarker

    def read_line_by_line(*_: object) -> None:
        raise AssertionError("the marker was read line by line")

    content, site, cache, _ = built_with_walks_counted(tmp_path, monkeypatch)
    monkeypatch.setattr(build_module, "_previous_marker", read_line_by_line)
    narrative = sorted(content.glob("*/*/explanation.md"))[0]
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n本单位将继续加强预算管理。\n", encoding="utf-8")
    time.sleep(1.4)  # settled: the quick check finds the output as the last build left it
    build(content, site, cache=cache)
    removed = max(content.glob("*/[0-9][0-9][0-9][0-9]"), key=lambda folder: folder.name)  # a latest year
    shutil.rmtree(removed)
    time.sleep(1.4)
    build(content, site, cache=cache)
    assert not (site / "units" / removed.parent.name / removed.name).exists()
    monkeypatch.undo()
    assert_fresh(site, content, tmp_path / "fresh")

    def not_a_marker(*_: object) -> None:  # a line of another shape, found only as the marker is copied
        raise ValueError("not a marker")

    monkeypatch.setattr(SortedMarker, "write_changed", not_a_marker)
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n本单位将继续推进绩效管理。\n", encoding="utf-8")
    time.sleep(1.4)
    build(content, site, cache=cache)  # the marker written from its lines instead
    monkeypatch.undo()
    shutil.rmtree(tmp_path / "fresh")
    assert_fresh(site, content, tmp_path / "fresh")


def test_content_touched_but_not_changed_answers_unchanged_without_walking_the_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A content file written again with the same bytes: the quick check cannot answer (the
    folder's snapshot changed), the reports' keys show nothing changed, and the output, whose
    snapshot is the one taken after the last build, is not walked to show it is as written."""
    content, site, cache, walked = built_with_walks_counted(tmp_path, monkeypatch)
    narrative = sorted(content.glob("*/*/explanation.md"))[0]
    narrative.write_bytes(narrative.read_bytes())
    time.sleep(1.4)
    touched = build(content, site, cache=cache)
    assert quick.UNCHANGED in touched.timings and touched.reused_reports == touched.reports
    assert walked == []
    again = build(content, site, cache=cache)  # the record the last build saved says nothing changed
    assert quick.UNCHANGED in again.timings and walked == []
    (site / "index.html").write_bytes((site / "index.html").read_bytes() + b"<!-- hand -->")
    narrative.write_bytes(narrative.read_bytes())
    time.sleep(1.4)
    build(content, site, cache=cache)  # the output is not as left: walked, and the page written again
    assert site.resolve() in [folder.resolve() for folder in walked]
    monkeypatch.undo()
    assert_fresh(site, content, tmp_path / "fresh")


def test_a_removed_report_leaves_no_folder_behind(tmp_path: Path) -> None:
    content, site, cache = content_copy(tmp_path), tmp_path / "site", tmp_path / "cache"
    build(content, site, cache=cache)
    assert (site / "units" / REPORT).is_dir()
    shutil.rmtree(content / REPORT)
    build(content, site, cache=cache)
    assert not (site / "units" / REPORT).exists()
    assert_fresh(site, content, tmp_path / "fresh")


def test_what_a_hand_changed_in_the_site_is_undone(tmp_path: Path) -> None:
    """Files added, edited or replaced by a folder in the live site by hand: the rebuild is still
    exactly the fresh build."""
    content, site, cache = content_copy(tmp_path), tmp_path / "site", tmp_path / "cache"
    build(content, site, cache=cache)
    (site / "added.html").write_text("<p>hand</p>", encoding="utf-8")
    (site / "units" / "added" / "deep").mkdir(parents=True)
    (site / "units" / "added" / "deep" / "x.txt").write_text("x", encoding="utf-8")
    page = site / OTHER_PAGE
    page.write_bytes(page.read_bytes() + b"<!-- hand -->")
    (site / "index.html").unlink()
    (site / "index.html").mkdir()
    (site / "index.html" / "inside.txt").write_text("x", encoding="utf-8")
    edit(content / REPORT / "report.yaml", TITLE, f"{TITLE}（修订）")
    build(content, site, cache=cache)
    assert_fresh(site, content, tmp_path / "fresh")


def test_a_journal_that_names_a_path_outside_the_site_is_ignored(tmp_path: Path) -> None:
    content, site, cache = content_copy(tmp_path), tmp_path / "site", tmp_path / "cache"
    build(content, site, cache=cache)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    for gone in (["../victim.txt"], [str(victim)], ["units/../../victim.txt"]):
        journal_path(site).write_text(
            f'{{"version": 1, "staging": ".site.building-1-ab", "gone": {gone!r}}}'.replace("'", '"'), encoding="utf-8")
        build(content, site, cache=cache)
        assert victim.read_text(encoding="utf-8") == "keep"
    assert_fresh(site, content, tmp_path / "fresh")


def test_gone_paths_outside_the_site_are_never_deleted(tmp_path: Path) -> None:
    """What is deleted comes from the cache's record of the output when it is trusted; a path in it
    that leaves the site is dropped before the journal is written."""
    from site_builder.publish import publish

    out, staging = tmp_path / "site", tmp_path / ".site.building-1-ab"
    (out / "a").mkdir(parents=True)
    (out / "a" / "old.html").write_text("old", encoding="utf-8")
    (staging / "a").mkdir(parents=True)
    (staging / "a" / "new.html").write_text("new", encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    publish(staging, out, ["a/old.html", "../victim.txt", str(victim), "a/../../victim.txt"])
    assert victim.read_text(encoding="utf-8") == "keep"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a", "a/new.html"]
    assert not staging.exists() and not journal_path(out).exists()


# -- kills while publishing ----------------------------------------------------------------------

WRAPPER = textwrap.dedent("""
    # One build with a cache; SIGKILL this process at the N-th file-system step of publication.
    import os, shutil, signal, sys
    from pathlib import Path
    import site_builder.build as build_module
    import site_builder.publish as publish_module

    content, out, cache, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    calls = []
    publishing = []

    def counted(name, real):
        def step(*args, **kwargs):
            if publishing:
                calls.append(name)
                if len(calls) == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step

    def publish(*args, **kwargs):
        publishing.append(True)
        return real_publish(*args, **kwargs)

    real_publish = publish_module.publish
    build_module.publish = publish
    os.replace = counted("replace", os.replace)
    os.unlink = counted("unlink", os.unlink)
    shutil.rmtree = counted("rmtree", shutil.rmtree)
    build_module.build(content, out, cache=cache)
    print(" ".join(calls))
""")


def run_wrapper(tmp_path: Path, content: Path, out: Path, cache: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "kill_publish.py"
    script.write_text(WRAPPER, encoding="utf-8")
    return subprocess.run([sys.executable, str(script), str(content), str(out), str(cache), str(kill_at)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_build_killed_while_publishing_is_finished_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed before its journal is in place, a build left the site as it was; killed after, the
    next build into the output, even one refused, first finishes the publication."""
    monkeypatch.chdir(tmp_path)  # the build cache is the content's, the output's and the current folder's
    new_content, broken = content_copy(tmp_path), content_copy(tmp_path, "broken")
    break_content(broken)
    out, cache = tmp_path / "www" / "site", tmp_path / "cache"
    out.parent.mkdir()
    build(new_content, out, cache=cache)
    edit(new_content / REPORT / "report.yaml", TITLE, f"{TITLE}（修订）")
    pristine_old, pristine_cache = tmp_path / "pristine-old", tmp_path / "pristine-cache"
    shutil.copytree(out, pristine_old, copy_function=os.link)
    shutil.copytree(cache, pristine_cache)
    full = run_wrapper(tmp_path, new_content, out, cache, 0)
    assert full.returncode == 0, full.stderr
    new, steps = tree_digest(out), full.stdout.split()
    assert steps[0] == "replace" and steps.count("replace") > 5, steps  # the journal, then the files
    old = tree_digest(pristine_old)
    points = sorted({1, 2, 3, len(steps) // 2, steps.index("unlink") + 1 if "unlink" in steps else 4, len(steps)})
    outcomes = []
    for kill_at in points:
        for folder in (out, cache):
            shutil.rmtree(folder)
        shutil.copytree(pristine_old, out)
        shutil.copytree(pristine_cache, cache)
        killed = run_wrapper(tmp_path, new_content, out, cache, kill_at)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        journaled, left = journal_path(out).exists(), tree_digest(out)
        assert journaled or left in (old, new), kill_at  # without a journal: not begun, or done
        with pytest.raises(BuildRefused):
            build(broken, out, cache=cache)
        assert tree_digest(out) == (new if journaled else left), kill_at
        assert incomplete_reason(out) is None
        outcome = "rolled forward" if journaled else "unchanged" if left == old else "published"
        outcomes.append(f"{steps[kill_at - 1]}#{kill_at}:{outcome}")
    build(new_content, out, cache=cache)
    assert tree_digest(out) == new and beside(out) == []
    print(f"{len(steps)} steps; after each kill: {outcomes}")


def _marker(folder: Path, digests: dict[str, str]) -> None:
    from site_builder.output import MARKER, MARKER_HEADER

    (folder / MARKER).write_text(MARKER_HEADER + "".join(f"{digests[p]}  {p}\n" for p in sorted(digests)), encoding="utf-8")


def test_the_new_marker_is_the_old_one_with_the_written_and_gone_lines_changed(tmp_path: Path) -> None:
    """Carried files keep their line as it was; files written now, gone, or carried but not listed
    (a damaged output or cache) are changed, added or dropped, in path order; a touched carried
    file is hashed again."""
    from site_builder.build import _previous_marker, _write_new_marker
    from site_builder.output import MARKER, MarkerReader, digest_of

    out, staging = tmp_path / "out", tmp_path / "staging"
    for folder in (out, staging):
        (folder / "u").mkdir(parents=True)
    for name in ("a.html", "u/b.csv", "u/c.csv", "u/z.html", "gone.html", "touched.html"):
        (out / name).write_text(name, encoding="utf-8")
    listed = {p: digest_of(out / p) for p in ("a.html", "u/b.csv", "gone.html", "touched.html", "u/z.html")}
    listed["touched.html"] = "f" * 64  # as the previous build wrote it; changed since
    _marker(out, listed)
    (staging / "u" / "b.csv").write_text("new", encoding="utf-8")
    (staging / "new.html").write_text("new page", encoding="utf-8")
    carried = {"a.html", "u/c.csv", "touched.html", "u/z.html"}  # u/c.csv is not in the marker
    staged = {"u/b.csv", "new.html"}
    digests = {p: digest_of(staging / p) for p in staged}

    def untouched(path: str) -> bool:
        return path != "touched.html"

    old, before, count = _previous_marker(out, untouched, staged, carried)
    assert old is not None and before == {"u/b.csv": listed["u/b.csv"]} and count == 3
    _write_new_marker(staging, out, old, count == len(carried), sorted(staged), carried, digests, untouched)
    assert (staging / MARKER).read_text(encoding="utf-8").count("\n") == 7
    expected = tmp_path / "expected"
    expected.mkdir()
    _marker(expected, {p: digest_of((staging if p in staged else out) / p) for p in carried | staged})
    assert (staging / MARKER).read_text(encoding="utf-8") == (expected / MARKER).read_text(encoding="utf-8")

    carried.discard("u/c.csv")  # every carried file listed: the marker is read once more only to be written
    old, before, count = _previous_marker(out, untouched, staged, carried)
    assert count == len(carried)
    _write_new_marker(staging, out, old, True, sorted(staged), carried, digests, untouched)
    _marker(expected, {p: digest_of((staging if p in staged else out) / p) for p in carried | staged})
    assert (staging / MARKER).read_text(encoding="utf-8") == (expected / MARKER).read_text(encoding="utf-8")

    (out / MARKER).write_text((out / MARKER).read_text(encoding="utf-8").replace("a.html", "zz.html"), encoding="utf-8")
    with pytest.raises(ValueError):  # out of order: not a marker this tool wrote
        list(MarkerReader(out).lines())
    assert _previous_marker(out, untouched, staged, carried) == (None, {}, 0)


def test_a_sorted_marker_copied_with_lines_changed_is_the_marker_of_the_changed_site(tmp_path: Path) -> None:
    """``SortedMarker`` finds lines by binary search and copies the rest: for random sites and
    random edits (files written again, added, gone) its marker is the one written from scratch,
    and it finds the digest of every listed file and of no other."""
    import random

    from site_builder.output import MARKER, SortedMarker

    rng = random.Random(11)
    names = ["a-c.html", "a/b.html", "a/c/d.csv", "a.b/x", "ab", "单位/2024/index.html", "单位-2/x", "z/y/x/w.txt",
             *(f"units/u{n}/{year}/t{k}.csv" for n in range(40) for year in (2023, 2024) for k in range(3))]

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    for round_ in range(30):
        site = {name: sha(f"{name}{round_}") for name in rng.sample(names, rng.randint(0, len(names)))}
        folder = tmp_path / f"old{round_}"
        folder.mkdir()
        _marker(folder, site)
        marker = SortedMarker(folder)
        try:
            assert marker.count() == len(site)
            for name in names:
                assert marker.digest(name) == site.get(name)
            assert marker.digest("") is None and marker.digest("zzz") is None
            written = {name: sha(f"new {name}") for name in rng.sample(names, rng.randint(0, 12))}
            gone = [name for name in rng.sample(sorted(site), min(len(site), rng.randint(0, 6))) if name not in written]
            new = tmp_path / f"new{round_}"
            new.mkdir()
            marker.write_changed(new, written, gone)
        finally:
            marker.close()
        expected = {name: digest for name, digest in site.items() if name not in gone} | written
        fresh = tmp_path / f"expected{round_}"
        fresh.mkdir()
        _marker(fresh, expected)
        assert (new / MARKER).read_bytes() == (fresh / MARKER).read_bytes()


def test_a_marker_with_a_line_of_another_shape_is_read_line_by_line(tmp_path: Path) -> None:
    """``SortedMarker`` does not read every line: one of another shape, found where it looks, makes
    the build read the marker line by line (``_listed_digests`` gives None), as an old marker is."""
    from site_builder.build import _listed_digests
    from site_builder.output import MARKER, MARKER_HEADER, SortedMarker

    (tmp_path / MARKER).write_text(MARKER_HEADER + f"{'a' * 64}  a.html\nshort\n{'c' * 64}  c.html\n", encoding="utf-8")
    marker = SortedMarker(tmp_path)
    try:
        assert marker.count() == 3
        with pytest.raises(ValueError):
            marker.digest("b.html")
        assert _listed_digests(marker, ["b.html"]) is None
    finally:
        marker.close()
