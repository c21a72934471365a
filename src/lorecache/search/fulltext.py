"""Full text for the file cache, as close to PostgreSQL's as a fallback needs.

PostgreSQL indexes an article's title with the `simple` configuration (words as they are) and its
summary, infobox values and aliases with `english` (stop words dropped, the rest reduced to their
Snowball stem), and asks for every stemmed word of the query. The file cache does the same with the
same stemmer and stop words; a query's quotes, `or` and `-` (websearch syntax) are not interpreted.
Ranking follows PostgreSQL's weights: a word found in the title counts 1, one found elsewhere 0.4.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

import Stemmer

from lorecache.article import Article
from lorecache.text import fold

TITLE_WEIGHT = 1.0
TEXT_WEIGHT = 0.4

# The Snowball project's English stop words, as PostgreSQL ships them (`english.stop`).
STOP_WORDS = frozenset((resources.files("lorecache") / "data" / "english.stop").read_text().split())

# PyStemmer: the Snowball project's C stemmers, the ones PostgreSQL compiles in.
_stemmer = Stemmer.Stemmer("english")


def search_text(article: Article) -> str:
    """What full text reads besides the title: summary, infobox values, aliases."""
    values = (v for value in article.infobox.values() for v in ([value] if isinstance(value, str) else value))
    return " ".join((article.summary, *values, *article.aliases))


def query_terms(needle: str) -> list[str]:
    """The stems a document must all contain; empty when the query is only stop words."""
    return list(dict.fromkeys(stems(needle)))


def document_terms(article: Article) -> str:
    """The article's terms, space-separated: stems of its text, its title's words (as `simple`
    keeps them) marked with a leading `^` so a title hit can weigh more."""
    title = {f"^{word}" for word in fold(article.title).split()}
    return " ".join(sorted(title | set(stems(search_text(article)))))


def with_aliases(terms: str, aliases: list[str]) -> str:
    """An article's terms once its redirects are known (PostgreSQL reads aliases as text too)."""
    return " ".join(sorted(set(terms.split()) | set(stems(" ".join(aliases)))))


def rank(terms: Iterable[str], wanted: list[str]) -> float | None:
    """ts_rank's shape (`rank / (rank + 1)`) over the query's stems, or None unless every one is found."""
    present = set(terms)
    total = 0.0
    for stem in wanted:
        if f"^{stem}" in present:
            total += TITLE_WEIGHT
        elif stem in present:
            total += TEXT_WEIGHT
        else:
            return None
    mean = total / len(wanted)
    return mean / (mean + 1)


def stems(text: str) -> list[str]:
    """The english configuration's lexemes of `text`."""
    return _stemmer.stemWords([word for word in fold(text).split() if word not in STOP_WORDS])
