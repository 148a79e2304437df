"""sitemap.xml within the sitemaps.org limits: one file up to 50,000 addresses, else an index."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from site_builder.render.sitemap import URLS_PER_FILE, sitemap_files

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locs(xml: str, tag: str) -> list[str]:
    root = ET.fromstring(xml)
    assert root.tag == f"{{{NS['s']}}}{tag}"
    return [loc.text or "" for loc in root.findall("s:*/s:loc", NS)]


def test_a_small_site_has_one_sitemap() -> None:
    files = sitemap_files(["", "glossary/", "units/a/2023/"], "https://example.gov.cn/portal/")
    assert [name for name, _ in files] == ["sitemap.xml"]
    assert locs(files[0][1], "urlset") == ["https://example.gov.cn/portal/", "https://example.gov.cn/portal/glossary/",
                                           "https://example.gov.cn/portal/units/a/2023/"]


def test_too_many_addresses_for_one_file_give_an_index_of_files_at_the_top() -> None:
    paths = [""] + [f"units/u{n}/2023/" for n in range(URLS_PER_FILE * 2 + 1)]
    files = dict(sitemap_files(paths, "https://example.gov.cn"))
    assert locs(files["sitemap.xml"], "sitemapindex") == [f"https://example.gov.cn/sitemap-{n}.xml" for n in (1, 2, 3)]
    parts = [locs(files[f"sitemap-{n}.xml"], "urlset") for n in (1, 2, 3)]
    assert all(len(part) <= URLS_PER_FILE for part in parts)
    assert [loc for part in parts for loc in part] == ["https://example.gov.cn/" + path for path in paths]  # each once, in order


def test_exactly_the_limit_still_fits_one_file() -> None:
    files = sitemap_files([f"units/u{n}/" for n in range(URLS_PER_FILE)])
    assert [name for name, _ in files] == ["sitemap.xml"]
    assert len(locs(files[0][1], "urlset")) == URLS_PER_FILE


def test_addresses_are_escaped() -> None:
    (_, xml), = sitemap_files(["units/a&b<c/"], "https://example.gov.cn/?x=1&y=2")
    assert locs(xml, "urlset") == ["https://example.gov.cn/?x=1&y=2/units/a&b<c/"]
    assert "&amp;" in xml and "<c/" not in xml
