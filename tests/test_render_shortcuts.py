"""The renderer's shortcuts give what the slower general code gives: ``relative`` (links between
site paths) as ``posixpath.relpath``."""

from __future__ import annotations

import itertools
import posixpath

from site_builder.render.pages import relative

PATHS = ["", ".", "./", "/", "index.html", "units/", "units/a/", "units/a/index.html", "units/a/2023/index.html",
         "units/a/2023/attachments/x/index.html", "units/b/2024/", "glossary/", "a//b", "a/./b", "a/../b", "../up",
         "/abs/page.html", "units/a/2023/figures.csv", "units", "units/a", "...", "a/.../b/"]


def expected(page: str, target: str) -> str:
    rel = posixpath.relpath(target or ".", posixpath.dirname(page) or ".")
    return rel + "/" if target.endswith("/") and not rel.endswith("/") else rel


def test_relative_matches_relpath() -> None:
    for page, target in itertools.product(PATHS, repeat=2):
        assert relative(page, target) == expected(page, target), (page, target)
