"""The benchmark generator writes content that checks clean, deterministically; the Hugo comparison
times the three builds and gives Hugo every report's tables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "bench" / "generate.py"
HUGO_COMPARE = ROOT / "bench" / "hugo_compare.py"
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402  (bench/ is not a package)
import hugo_compare  # noqa: E402
import time_rebuild  # noqa: E402

TIMING = re.compile(r"^(ours \(site-builder build\)|hugo|pagefind on hugo's pages): (\d+\.\d+) s \(best of 1", re.M)
RATIO = re.compile(r"^ratio ours / (hugo|\(hugo \+ pagefind\)): (\d+\.\d+)$", re.M)
BY_ROUND = re.compile(r"^ratio ours / \(hugo \+ pagefind\) by round: (\d+\.\d+)$", re.M)  # one round


def _generate(out: Path, reports: int = 6, seed: int = 7) -> None:
    done = subprocess.run([sys.executable, str(GENERATE), "--reports", str(reports), "--out", str(out), "--seed", str(seed)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generated_reports_check_clean(tmp_path: Path) -> None:
    content = tmp_path / "content"
    _generate(content)
    reports = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml"))
    assert len(reports) == 6
    templates = {line for r in reports for line in r.read_text(encoding="utf-8").splitlines() if line.startswith("template:")}
    assert templates == {"template: shanxi-2023", "template: ningxia-2024"}
    done = subprocess.run([sys.executable, "-m", "site_builder", "check", str(content)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    errors = [line for line in done.stdout.splitlines() if ": error " in line]
    assert done.returncode == 0 and not errors, done.stdout[-3000:] + done.stderr[-2000:]
    assert ": warning " not in done.stdout, done.stdout[-3000:]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a")
    _generate(tmp_path / "b")
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first == second
    _generate(tmp_path / "c", seed=8)
    assert _tree(tmp_path / "c") != first


def _income_figures(report_yaml: Path) -> list[str]:
    """Every figure of the report's 收入决算表 as a page prints it (thousands separators, the written
    decimals: the base loader keeps the numbers as the file writes them)."""
    data = yaml.load((report_yaml.parent / "tables" / "income.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return [f"{Decimal(value):,}" for row in data["rows"].values() for value in row.values()]


def _ratio_slack(top: float, bottom: float, parts: int) -> float:
    """How far a ratio printed to 0.01 may be from the ratio of times printed to 0.01 s (``bottom``
    the sum of ``parts`` of them): the rounding of each time carried through the division."""
    low = bottom - 0.005 * parts
    return 0.005 + 0.005 / low + (top + 0.005) * 0.005 * parts / low**2


def test_hugo_comparison_times_three_builds_of_the_same_reports(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(HUGO_COMPARE), "--reports", "5", "--seed", "3", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seconds = {name: float(value) for name, value in TIMING.findall(done.stdout)}
    assert seconds.keys() == {"ours (site-builder build)", "hugo", "pagefind on hugo's pages"}, done.stdout
    assert all(value > 0 for value in seconds.values())
    ours, hugo, pagefind = seconds["ours (site-builder build)"], seconds["hugo"], seconds["pagefind on hugo's pages"]
    ratios = dict(RATIO.findall(done.stdout))
    assert abs(float(ratios["hugo"]) - ours / hugo) <= _ratio_slack(ours, hugo, 1)
    assert abs(float(ratios["(hugo + pagefind)"]) - ours / (hugo + pagefind)) <= _ratio_slack(ours, hugo + pagefind, 2)
    by_round = BY_ROUND.search(done.stdout)
    assert by_round is not None, done.stdout
    assert abs(float(by_round.group(1)) - ours / (hugo + pagefind)) <= _ratio_slack(ours, hugo + pagefind, 2)

    content = tmp_path / "content-5-seed3"
    reports = sorted(content.glob("*/[0-9][0-9][0-9][0-9]/report.yaml"))
    public = tmp_path / f"hugo-{len(reports)}" / "public"
    pages = sorted(public.glob("units/*/[0-9][0-9][0-9][0-9]/index.html"))
    assert len(reports) == 5
    assert [p.parent.relative_to(public / "units") for p in pages] == [r.parent.relative_to(content) for r in reports]
    for report, page in zip(reports, pages, strict=True):
        html = page.read_text(encoding="utf-8")
        figures = _income_figures(report)
        assert figures and all(f">{figure}</td>" in html for figure in figures), page
    assert (public / "pagefind" / "pagefind-entry.json").is_file()


def test_a_previous_output_is_moved_aside_before_a_timed_run_and_deleted_after(tmp_path: Path) -> None:
    old = tmp_path / "site"
    (old / "a").mkdir(parents=True)
    (old / "a" / "page.html").write_text("x", encoding="utf-8")
    benchlib.move_aside([tmp_path / "never-built", old])
    assert not old.exists()
    assert [p.relative_to(tmp_path).as_posix() for p in (tmp_path / benchlib.TRASH).rglob("*.html")] == \
        [".trash/0-site/a/page.html"]
    old.mkdir()
    benchlib.move_aside([old])
    assert sorted(p.name for p in (tmp_path / benchlib.TRASH).iterdir()) == ["0-site", "1-site"]
    elsewhere = tmp_path / "other-disk" / "out"  # an --out elsewhere (maybe another disk): its trash is beside it
    elsewhere.mkdir(parents=True)
    benchlib.move_aside([elsewhere])
    assert (tmp_path / "other-disk" / benchlib.TRASH / "0-out").is_dir()
    benchlib.empty_trash()
    assert not (tmp_path / benchlib.TRASH).exists() and not old.exists()
    assert not (tmp_path / "other-disk" / benchlib.TRASH).exists()


HOSTILE = "<script>alert(1)</script> {{< x >}} {{% y %}} [a](javascript:alert(2)) <img src=x onerror=alert(3)>"


def test_hugo_site_shows_content_as_text(tmp_path: Path) -> None:
    """Markup, shortcode calls and script links in the content never reach Hugo's pages as such."""
    content = tmp_path / "content"
    _generate(content, reports=2)
    unit = next(content.glob("*/unit.yaml"))
    text = unit.read_text(encoding="utf-8")
    unit.write_text(re.sub(r"(?m)^description: .*$", lambda _: "description: " + json.dumps(HOSTILE), text), encoding="utf-8")
    explanation = next(content.glob("*/[0-9][0-9][0-9][0-9]/explanation.md"))
    explanation.write_text(explanation.read_text(encoding="utf-8") + f"\n\n{HOSTILE}\n\n段落中 {HOSTILE}\n", encoding="utf-8")
    site = tmp_path / "hugo"
    assert hugo_compare.convert(content, site).reports == 2
    binary = hugo_compare.hugo_binary()
    assert binary is not None
    done = subprocess.run([str(binary), "--source", str(site), "--cacheDir", str(tmp_path / "cache")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    pages = {p: p.read_text(encoding="utf-8") for p in (site / "public").rglob("*.html")}
    unit_page = pages[site / "public" / "units" / unit.parent.name / "index.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in unit_page and "{{&lt; x &gt;}}" in unit_page
    for path, html in pages.items():
        assert not re.search(r"<(script|img)\b|(href|src)=\"?\s*javascript:", html, re.I), path


def test_parts_benchmark_times_parts_combine_and_a_single_build(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "time_parts.py"), "--reports", "6", "--workdir",
                           str(tmp_path), "--parts", "3"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"^part 3/3: \d+\.\d\d s", done.stdout, re.M)
    assert "reused from the parts: 6 reports, 0 search shards; rendered here: 0 reports" in done.stdout
    assert "combined site identical to the single build: yes" in done.stdout


def test_what_the_build_holds_per_report_is_mostly_its_summary(tmp_path: Path) -> None:
    """bench/held_per_report.py: every part measured; the build carries no per-report info
    finding (the prose coverage note every report has) and no summary file path of its own."""
    content = tmp_path / "content"
    _generate(content, reports=12)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "held_per_report.py"), str(content), str(tmp_path / "work")],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    sizes = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^(.{20}) +(\d+) bytes per report", done.stdout, re.M)}
    assert set(sizes) == {"summary", "findings", "written", "index", "summaries", "summary_digest", "the Rendered object",
                          "all"}, done.stdout
    assert sizes["summary"] > 1000 and sizes["written"] > 500  # a summary and ~26 files' digests are measured
    assert sizes["findings"] < 100 and sizes["summaries"] < 100, done.stdout  # an empty list; one folder for all
    parts = sum(size for part, size in sizes.items() if part != "all")
    assert abs(sizes["all"] - parts) <= len(sizes), done.stdout  # each printed rounded


def test_the_edit_benchmark_leaves_a_file_already_put_back_alone(tmp_path: Path) -> None:
    """A file with its bytes back is not written again (its change time would make the next
    build's quick check fail); one still edited is put back."""
    edited, kept = tmp_path / "edited.md", tmp_path / "kept.md"
    edited.write_text("改过", encoding="utf-8")
    kept.write_text("原文", encoding="utf-8")
    before = kept.stat().st_mtime_ns, kept.stat().st_ctime_ns, kept.stat().st_ino
    time_rebuild.put_back({edited: "原文".encode(), kept: "原文".encode()})
    assert edited.read_text(encoding="utf-8") == "原文"
    assert (kept.stat().st_mtime_ns, kept.stat().st_ctime_ns, kept.stat().st_ino) == before
