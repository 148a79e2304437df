"""Markdown parts (概况, 情况说明): markdown-it-py with raw HTML off, anchored headings, glossary links."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass
class Rendered:
    html: str
    headings: list[tuple[int, str, str]]  # (level, text, id)


def _parser() -> MarkdownIt:
    # commonmark with raw HTML disabled: "<script>" in a Markdown file is shown as text, never run
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


_PARSER = _parser()
_SPACE = re.compile(r"\s+")


def heading_id(text: str, prefix: str, used: set[str]) -> str:
    base = prefix + _SPACE.sub("-", text.strip())[:60]
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def render(text: str, prefix: str, terms: dict[str, str], shift: int = 1) -> Rendered:
    """Render Markdown; headings are shifted down by ``shift`` levels to sit under the page's h2.

    ``terms`` maps glossary words to their anchor ids; the first mention of each in a part links there.
    """
    tokens = _PARSER.parse(text)
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
    return Rendered(_PARSER.renderer.render(tokens, _PARSER.options, {}), headings)


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
