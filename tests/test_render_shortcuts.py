"""The renderer's shortcuts give what the slower general code gives: ``relative`` (links between
site paths) as ``posixpath.relpath``, and the theme sandbox's attribute check on its plain data
classes as Jinja's immutable sandbox."""

from __future__ import annotations

import collections
import collections.abc
import itertools
import posixpath
import types
from decimal import Decimal

import jinja2.sandbox

from site_builder.findings import Place
from site_builder.model import Amount
from site_builder.render.pages import PLAIN_CLASSES, ThemeSandbox, relative

PATHS = ["", ".", "./", "/", "index.html", "units/", "units/a/", "units/a/index.html", "units/a/2023/index.html",
         "units/a/2023/attachments/x/index.html", "units/b/2024/", "glossary/", "a//b", "a/./b", "a/../b", "../up",
         "/abs/page.html", "units/a/2023/figures.csv", "units", "units/a", "...", "a/.../b/"]


def expected(page: str, target: str) -> str:
    rel = posixpath.relpath(target or ".", posixpath.dirname(page) or ".")
    return rel + "/" if target.endswith("/") and not rel.endswith("/") else rel


def test_relative_matches_relpath() -> None:
    for page, target in itertools.product(PATHS, repeat=2):
        assert relative(page, target) == expected(page, target), (page, target)


UNSAFE_KINDS = (types.FunctionType, types.MethodType, type, types.CodeType, types.TracebackType, types.FrameType,
                types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType, collections.abc.MutableSet,
                collections.abc.MutableMapping, collections.abc.MutableSequence, collections.deque)
NAMES = ["title", "anchor", "unit", "_private", "__class__", "__dict__", "__init__", "mro", "append", "clear", "pop",
         "update", "gi_frame", "func_globals", "__globals__", "unpublished_reason", "value", "format"]


def test_plain_classes_are_no_kind_the_sandbox_treats_apart() -> None:
    for cls in PLAIN_CLASSES:
        assert not issubclass(cls, UNSAFE_KINDS), cls


def test_sandbox_attribute_check_agrees_with_jinja() -> None:
    ours, jinja = ThemeSandbox(), jinja2.sandbox.ImmutableSandboxedEnvironment()
    amount = Amount(Decimal("1.00"), Place("report.yaml"))
    for name in NAMES:
        assert ours.is_safe_attribute(amount, name, None) == jinja.is_safe_attribute(amount, name, None), name
        for other in ([], {}, set(), str, len, "text", amount.__eq__):
            assert ours.is_safe_attribute(other, name, None) == jinja.is_safe_attribute(other, name, None), (other, name)
