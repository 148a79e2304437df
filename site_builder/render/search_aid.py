"""Extra forms of words and figures for the search index (Pagefind's known weaknesses).

The index segments Chinese with jieba while the browser splits queries with Intl.Segmenter; they
disagree (结余 is one word to jieba, 结 + 余 to the browser), and then a page that holds the words
is not found. Pagefind matches query words as prefixes of indexed words, so for every position of
a Chinese run we index the run's next few characters: any query segment starting there (up to
that length) is then a prefix of an indexed word. Figures are indexed also without thousands
separators (13708.28 next to 13,708.28). The aid is a ``hidden`` element: indexed, never shown.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

HAN = re.compile(r"[\u3400-\u9fff]+")
NGRAM = 4


@lru_cache(maxsize=65536)  # row names and titles repeat in every report of a template
def forms(text: str) -> tuple[str, ...]:
    result: list[str] = []
    for run in HAN.findall(text):
        result.extend(run[i:i + NGRAM] for i in range(len(run)))
    return tuple(result)


def aid(texts: list[str], figures: list[str] = (), seen: set[str] | None = None) -> str:
    """The extra forms of ``texts`` and ``figures``, leaving out those already in ``seen`` (the
    forms earlier tables of the same page carry), which is updated."""
    seen = set() if seen is None else seen
    words: dict[str, None] = {}
    for text in texts:
        for form in forms(text):
            words[form] = None
    fresh = [w for w in words if w not in seen]
    seen.update(fresh)
    # figures are kept in every table they appear in, so a figure search lands on each of them;
    # below 1,000 a figure looks the same with or without separators
    fresh += dict.fromkeys(f for f in figures if f and abs(Decimal(f)) >= 1000)
    return " ".join(fresh)
