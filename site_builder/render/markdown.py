"""Markdown parts (概况, 情况说明): markdown-it-py with raw HTML off, anchored headings, glossary links,
and computed figures (``{{…}}``, see ``site_builder/prose/refs.py``) filled in from the tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup

from site_builder.prose.refs import Figure, Problem, spans
from site_builder.render.grids import cell_anchor

FigureOf = Callable[[str], Figure]  # the inside of a {{…}} → its figure; raises Problem


@dataclass
class Rendered:
    html: str
    headings: list[tuple[int, str, str]]  # (level, text, id)
    cells: set[str] = field(default_factory=set)  # keys of the table cells the figures link to


def _figure_rule(state: StateInline, silent: bool) -> bool:
    """``{{…}}`` on one line becomes a ``figure_ref`` token before any other inline rule sees its
    inside, so names are never read as Markdown; the renderer escapes whatever it prints."""
    start = state.pos
    if not state.src.startswith("{{", start):
        return False
    close = state.src.find("}}", start + 2, state.posMax)
    if close == -1 or "\n" in state.src[start:close]:
        return False
    if not silent:
        token = state.push("figure_ref", "", 0)
        token.content = state.src[start + 2:close]
    state.pos = close + 2
    return True


def _render_figure(self: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]) -> str:
    return figure_html(tokens[index].content, env.get("figure_of"))


def figure_html(inside: str, figure_of: FigureOf | None, href_prefix: str = "") -> str:
    """A computed figure as HTML: the number in a link to its cell (a page at ``href_prefix`` from
    here), then its unit; a reference that cannot be shown is printed as written, escaped."""
    as_written = f'<span class="figure ref-error">{escapeHtml("{{" + inside + "}}")}</span>'
    if figure_of is None:
        return as_written
    try:
        figure = figure_of(inside)
    except Problem:
        return as_written
    text, unit = escapeHtml(figure.text), escapeHtml(figure.unit)
    if figure.link:
        return (f'<a class="figure" href="{escapeHtml(href_prefix)}#{escapeHtml(cell_anchor(figure.link))}" '
                f'data-ref="{escapeHtml(figure.link)}">{text}</a>{unit}')
    return f'<span class="figure computed" data-cells="{escapeHtml(" ".join(figure.cells))}">{text}</span>{unit}'


def fill_fields(data: dict[str, Any], keys: Sequence[str], figure_of: FigureOf,
                href_prefix: str) -> tuple[dict[str, Markup], set[str]]:
    """Plain text fields (attachment texts) with their ``{{…}}`` filled in, as escaped HTML, and
    the keys of the cells they link to. Fields without a reference are left out (shown as they are)."""
    filled: dict[str, Markup] = {}
    cells: set[str] = set()
    for key in keys:
        text = data.get(key)
        if not isinstance(text, str) or "{{" not in text:
            continue
        parts: list[str] = []
        position = 0
        for span in spans(text):
            parts.append(escapeHtml(text[position:span.start]))
            parts.append(figure_html(span.inside, figure_of, href_prefix) if span.closed else escapeHtml(text[span.start:span.end]))
            position = span.end
            try:
                link = figure_of(span.inside).link if span.closed else ""
            except Problem:
                link = ""
            if link:
                cells.add(link)
        parts.append(escapeHtml(text[position:]))
        filled[key] = Markup("".join(parts))
    return filled, cells


def _parser() -> MarkdownIt:
    # commonmark with raw HTML disabled: "<script>" in a Markdown file is shown as text, never run
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.inline.ruler.before("escape", "figure_ref", _figure_rule)
    md.add_render_rule("figure_ref", _render_figure)
    return md


_PARSER = _parser()
_SPACE = re.compile(r"\s+")


def heading_id(text: str, prefix: str, used: set[str]) -> str:
    base = prefix + _SPACE.sub("-", text.strip())[:60]
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def render(text: str, prefix: str, terms: dict[str, str], shift: int = 1, figure_of: FigureOf | None = None) -> Rendered:
    """Render Markdown; headings are shifted down by ``shift`` levels to sit under the page's h2.

    ``terms`` maps glossary words to their anchor ids; the first mention of each in a part links there.
    ``figure_of`` fills in computed figures; without it they are shown as written.
    """
    tokens = _PARSER.parse(text)
    cells = _linked_cells(tokens, figure_of)
    used: set[str] = set()
    headings: list[tuple[int, str, str]] = []
    linked: set[str] = set()
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))) if terms else None
    for index, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + shift, 6)
            token.tag = f"h{level}"
            if token.type == "heading_open":
                inline = tokens[index + 1]
                anchor = heading_id(inline.content, prefix, used)
                token.attrSet("id", anchor)
                headings.append((level, inline.content, anchor))
        elif token.type == "inline" and pattern and not _inside_heading(tokens, index):
            token.children = _link_terms(token.children or [], pattern, terms, linked)
    return Rendered(_PARSER.renderer.render(tokens, _PARSER.options, {"figure_of": figure_of}), headings, cells)


def _linked_cells(tokens: list[Token], figure_of: FigureOf | None) -> set[str]:
    """Keys of the cells the figures link to: those cells get an ``id`` in their table."""
    cells: set[str] = set()
    if figure_of is None:
        return cells
    for token in tokens:
        for child in token.children or ():
            if child.type == "figure_ref":
                try:
                    link = figure_of(child.content).link
                except Problem:
                    continue
                if link:
                    cells.add(link)
    return cells


def _inside_heading(tokens: list[Token], index: int) -> bool:
    return index > 0 and tokens[index - 1].type == "heading_open"


def _link_terms(children: list[Token], pattern: re.Pattern[str], terms: dict[str, str], linked: set[str]) -> list[Token]:
    result: list[Token] = []
    depth = 0  # do not nest links inside links
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        if child.type != "text" or depth:
            result.append(child)
            continue
        position = 0
        content = child.content
        for match in pattern.finditer(content):
            word = match.group(0)
            if word in linked:
                continue
            linked.add(word)
            if match.start() > position:
                result.append(_text(content[position:match.start()]))
            link = Token("link_open", "a", 1)
            link.attrSet("href", f"#{terms[word]}")
            link.attrSet("class", "term")
            result.extend([link, _text(word), Token("link_close", "a", -1)])
            position = match.end()
        if position < len(content):
            result.append(_text(content[position:]))
    return result


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
