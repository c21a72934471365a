"""Token counts that need no tokenizer's vocabulary (tiktoken downloads its encodings on first use,
which a machine without internet cannot do).

A token here is a run of one to four letters or digits, or one character that is neither a letter, a
digit nor a space. Byte-pair tokenizers (GPT's cl100k and o200k, Llama's) cut English prose into about
1.3 tokens a word and this count into about 2, so a text within a budget counted here is within it
for them too. Counts add up over text joined by spaces or newlines, as no token spans a space.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[^\W_]{1,4}|[^\w\s]|_")
ELLIPSIS = "…"


def count(text: str) -> int:
    return sum(1 for _ in _TOKEN.finditer(text))


def truncate(text: str, budget: int) -> str:
    """`text` cut to `budget` tokens at a space, marked with an ellipsis (one token) when cut; empty
    when not even one word fits."""
    ends = [match.end() for match in _TOKEN.finditer(text)]
    if len(ends) <= budget:
        return text
    if budget < 2:
        return ""
    end = ends[budget - 2]
    cut = end if text[end].isspace() else text.rfind(" ", 0, end)
    return f"{text[:cut].rstrip()}{ELLIPSIS}" if cut > 0 else ""
