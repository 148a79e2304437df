"""sitemap.xml (sitemaps.org protocol 0.9): one file of every address while they fit its limit of
50,000 addresses per file, else an index of numbered files beside it, so that a national portal's
sitemap is still one a search engine accepts.

The numbered files sit at the top of the site, as the protocol lets a sitemap list only the
addresses at or below its own folder.
"""

from __future__ import annotations

from markupsafe import escape

#: The protocol's limit per file (its other limit, 50 MB, is far above 50,000 of our addresses).
URLS_PER_FILE = 50_000
INDEX = "sitemap.xml"
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_files(paths: list[str], base_url: str = "", per_file: int = URLS_PER_FILE) -> list[tuple[str, str]]:
    """(file name, XML) of the sitemap listing ``paths`` (site-relative, "" for the home page):
    ``sitemap.xml`` alone, or ``sitemap.xml`` as the index of ``sitemap-1.xml``, ``sitemap-2.xml``, …"""
    base = base_url.rstrip("/")
    if len(paths) <= per_file:
        return [(INDEX, _urlset(paths, base))]
    parts = [paths[start:start + per_file] for start in range(0, len(paths), per_file)]
    files = [(f"sitemap-{number}.xml", _urlset(part, base)) for number, part in enumerate(parts, start=1)]
    return [(INDEX, _index([name for name, _ in files], base)), *files]


def _address(path: str, base: str) -> str:
    return f"{base}/{path}" if base else f"./{path}" if path else "./"


def _urlset(paths: list[str], base: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{XMLNS}">']
    lines += [f"  <url><loc>{escape(_address(path, base))}</loc></url>" for path in paths]
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def _index(names: list[str], base: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{XMLNS}">']
    lines += [f"  <sitemap><loc>{escape(_address(name, base))}</loc></sitemap>" for name in names]
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"
