"""The build contract: byte-identical rebuilds, atomic output, refusal on errors, theme overrides."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from site_builder.build import BuildRefused, build

ROOT = Path(__file__).resolve().parents[1]


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("a") / "site"
    build(ROOT / "content", out)
    return out


def test_rebuild_is_byte_identical(first_build: Path, tmp_path: Path) -> None:
    again = tmp_path / "site"
    build(ROOT / "content", again)
    assert tree_digest(again) == tree_digest(first_build)
    build(ROOT / "content", again)  # over its own previous output, too
    assert tree_digest(again) == tree_digest(first_build)


def test_output_has_every_page_type(first_build: Path) -> None:
    for path in ("index.html", "404.html", "sitemap.xml", "glossary/index.html", "search/index.html",
                 "units/jincheng-social-insurance-center/index.html",
                 "units/jincheng-social-insurance-center/2023/index.html",
                 "units/jincheng-social-insurance-center/2023/income.csv",
                 "units/jincheng-social-insurance-center/2023/report.json",
                 "units/jincheng-social-insurance-center/2023/attachments/01-window-service/index.html",
                 "schemas/report.schema.json", "pagefind/shards.json", "pagefind/all/pagefind-entry.json",
                 "assets/style.css"):
        assert (first_build / path).is_file(), path


def test_report_page_weighs_under_150_kb(first_build: Path) -> None:
    css = (first_build / "assets" / "style.css").stat().st_size
    for page in first_build.glob("units/*/[0-9][0-9][0-9][0-9]/index.html"):
        assert page.stat().st_size + css < 150_000, page


def test_links_are_relative(first_build: Path) -> None:
    for page in first_build.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'href="/' not in text and 'src="/' not in text, page


def content_copy(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    return content


def test_refused_build_leaves_output_untouched(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    out = tmp_path / "site"
    build(content, out, index=False)
    before = tree_digest(out)
    table = content / "jincheng-social-insurance-center" / "2023" / "tables" / "income.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace("13824.43", "13824.53", 1), encoding="utf-8")
    with pytest.raises(BuildRefused) as refused:
        build(content, out, index=False)
    assert refused.value.errors
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site") and p.name != ".site.lock"] == []


def test_cli_refuses_with_findings_and_exit_1(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    (content / "yanchi-social-insurance-center" / "2024" / "tables" / "three_public.yaml").unlink()
    done = subprocess.run([sys.executable, "-m", "site_builder", "build", str(content), "--out", str(tmp_path / "site")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert "error [report.missing-table]" in done.stdout
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "site").exists()


def start_build_over_a_previous_one(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, dict[str, str]]:
    """Build the samples into ``site``, then start a build of 60 generated reports into it and wait
    until it is writing pages; returns the running build, the output folder and its digest before."""
    content = tmp_path / "bench"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--reports", "60", "--out", str(content)],
                   check=True, capture_output=True)
    out = tmp_path / "site"
    build(ROOT / "content", out, index=False)
    before = tree_digest(out)
    process = subprocess.Popen([sys.executable, "-m", "site_builder", "build", str(content), "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".site.building-*/units/*/*/index.html")):
        time.sleep(0.05)
    assert process.poll() is None, "the build finished before it could be interrupted"
    return process, out, before


def test_killed_build_leaves_previous_output(tmp_path: Path) -> None:
    """Kill a build of 60 generated reports halfway: the old site stays as it was."""
    process, out, before = start_build_over_a_previous_one(tmp_path)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert tree_digest(out) == before
    build(ROOT / "content", out, index=False)  # the next build cleans up what the killed one left
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site") and p.name != ".site.lock"] == []


def test_site_theme_overrides_single_files(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    theme = content / "_theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>本站没有这个页面</h1>{% endblock %}', encoding="utf-8")
    (theme / "static" / "style.css").write_text("body { color: #000; }\n", encoding="utf-8")
    out = tmp_path / "site"
    build(content, out, index=False)
    assert "本站没有这个页面" in (out / "404.html").read_text(encoding="utf-8")
    assert (out / "assets" / "style.css").read_text(encoding="utf-8") == "body { color: #000; }\n"
    assert (out / "assets" / "search.js").exists()  # files not overridden come from the default theme
    assert "本年收入合计" in (out / "units/jincheng-social-insurance-center/2023/index.html").read_text(encoding="utf-8")


def test_markdown_never_passes_raw_html(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    overview = content / "jincheng-social-insurance-center" / "2023" / "overview.md"
    overview.write_text(overview.read_text(encoding="utf-8") + '\n<script>alert(1)</script>\n\n<b onclick="x()">粗体</b>\n',
                        encoding="utf-8")
    unit = content / "jincheng-social-insurance-center" / "unit.yaml"
    unit.write_text(unit.read_text(encoding="utf-8").replace("description: ", 'description: <img src=x onerror=alert(1)> '),
                    encoding="utf-8")
    out = tmp_path / "site"
    build(content, out, index=False)
    report = (out / "units/jincheng-social-insurance-center/2023/index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "<b onclick" not in report
    unit_page = (out / "units/jincheng-social-insurance-center/index.html").read_text(encoding="utf-8")
    assert "<img src=x" not in unit_page and "&lt;img src=x" in unit_page


def test_killed_build_parent_only_does_not_block_the_next(tmp_path: Path) -> None:
    """Kill only the build's main process: its worker processes must not keep the output lock."""
    process, out, before = start_build_over_a_previous_one(tmp_path)
    process.kill()
    process.wait()
    try:
        assert tree_digest(out) == before
        build(ROOT / "content", out, index=False)  # not refused by a lock an orphaned worker inherited
        assert tree_digest(out) == before
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_sitemap_lists_every_report_and_unit_page(first_build: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(first_build / "sitemap.xml").getroot()
    listed = {loc.text for loc in root.findall("s:url/s:loc", ns)}
    pages = [p.parent.relative_to(first_build).as_posix() + "/" for p in first_build.glob("units/*/index.html")]
    pages += [p.parent.relative_to(first_build).as_posix() + "/" for p in first_build.glob("units/*/[0-9]*/index.html")]
    assert pages and all(any(loc.endswith(page) for loc in listed if loc) for page in pages)
    assert not list(first_build.glob("sitemap-*.xml"))  # a small site: one file, no index
