"""The SQL of a list or search query, built from a ListQuery with bound parameters only.

Names and values the user typed are always parameters; the only text spliced into the SQL is chosen
here from fixed fragments, so no input can change the statement's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lorecache.search import (
    EXACT,
    FULLTEXT,
    FUZZY,
    PREFIX,
    SEPARATOR,
    SUBSTRING,
    TRIGRAM_MIN_LENGTH,
    WORDS,
    edit_budget,
)
from lorecache.store.query import SUMMARY_FIELDS, ListQuery

COLUMNS = ", ".join(("id", *SUMMARY_FIELDS))


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Statement:
    """A WHERE clause under construction and its parameters."""

    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return " AND ".join(self.conditions)


def scope(query: ListQuery, universe: str) -> Statement:
    """Universe, categories, continuity and infobox filters: what every variant of the query shares."""
    statement = Statement(["universe = :u"], {"u": universe})
    if query.categories:
        statement.conditions.append("category = ANY(:categories)")
        statement.params["categories"] = list(query.categories)
    if query.continuity != "all":
        statement.conditions.append("is_canon = :canon")
        statement.params["canon"] = query.continuity == "canon"
    for number, (name, value) in enumerate(query.folded_filters):
        statement.conditions.append(f"search_infobox ->> :field{number} LIKE :value{number} ESCAPE '\\'")
        statement.params[f"field{number}"] = name
        statement.params[f"value{number}"] = f"%{like_escape(value)}%"
    return statement


def browse(query: ListQuery, universe: str) -> tuple[str, dict[str, Any]]:
    """No search: the most linked first."""
    statement = scope(query, universe)
    sql = (
        f"SELECT {COLUMNS}, NULL::int AS tier, NULL::real AS similarity FROM wiki_articles "
        f"WHERE {statement.where()} ORDER BY importance DESC, title LIMIT :limit OFFSET :offset"
    )
    return sql, {**statement.params, "limit": query.limit + 1, "offset": query.offset}


def by_name(query: ListQuery, universe: str, window: int) -> tuple[str, dict[str, Any]]:
    """Name tiers (exact, prefix, words, typo) for the first `window` results."""
    statement = scope(query, universe)
    needle = query.needle
    escaped = like_escape(needle)
    statement.params |= {
        "needle": needle,
        "exact": f"%{SEPARATOR}{escaped}{SEPARATOR}%",
        "prefix": f"%{SEPARATOR}{escaped}%",
        "window": window,
    }
    inside, starting = [], []
    for number, word in enumerate(query.needle_words):
        statement.params |= {
            f"word{number}": f"%{like_escape(word)}%",
            f"name_start{number}": f"%{SEPARATOR}{like_escape(word)}%",
            f"word_start{number}": f"% {like_escape(word)}%",
        }
        inside.append(f"search_names LIKE :word{number} ESCAPE '\\'")
        starting.append(
            f"(search_names LIKE :name_start{number} ESCAPE '\\' "
            f"OR search_names LIKE :word_start{number} ESCAPE '\\')"
        )
    all_words = " AND ".join(inside) or "false"
    words_begin = " AND ".join(starting) or "false"
    budget = edit_budget(needle)
    statement.params |= {"first": needle[:1], "budget": budget, "shortest": len(needle) - budget}
    statement.params["longest"] = len(needle) + budget
    near = (
        "(left(search_title, 1) = :first AND length(search_title) BETWEEN :shortest AND :longest "
        "AND levenshtein_less_equal(search_title, :needle, :budget) <= :budget)"
    )
    typo = "search_names % :needle OR :needle <<% search_names" + (f" OR {near}" if budget else "")
    if len(needle) < TRIGRAM_MIN_LENGTH:
        statement.params["title_prefix"] = f"{escaped}%"
        statement.conditions.append("search_title LIKE :title_prefix ESCAPE '\\'")
    else:
        statement.conditions.append(f"(({all_words}) OR {typo})")
    edit = (
        f"CASE WHEN {near} THEN 1 - levenshtein_less_equal(search_title, :needle, :budget)::real "
        "/ greatest(length(search_title), length(:needle)) ELSE 0 END"
        if budget
        else "0"
    )
    canon_first = "is_canon DESC, " if query.continuity == "all" else ""
    sql = f"""
        SELECT {COLUMNS}, tier, similarity FROM (
            SELECT {COLUMNS},
                CASE WHEN search_names LIKE :exact ESCAPE '\\' THEN {EXACT}
                     WHEN search_names LIKE :prefix ESCAPE '\\' THEN {PREFIX}
                     WHEN {words_begin} THEN {WORDS}
                     WHEN {typo} THEN {FUZZY}
                     ELSE {SUBSTRING} END AS tier,
                greatest(
                    similarity(search_title, :needle), strict_word_similarity(:needle, search_names), {edit}
                ) AS similarity
            FROM wiki_articles WHERE {statement.where()}
        ) matched
        ORDER BY tier, CASE WHEN tier = {FUZZY} THEN -floor(similarity * 10) ELSE 0 END, {canon_first}
                 importance DESC, title
        LIMIT :window
    """
    return sql, statement.params


def by_text(query: ListQuery, universe: str, exclude: list[int], limit: int, offset: int) -> tuple[str, dict]:
    """Full text over summary and infobox, for what the names did not find."""
    statement = scope(query, universe)
    statement.conditions += ["search_vector @@ terms", "id <> ALL(:exclude)"]
    sql = f"""
        SELECT {COLUMNS}, {FULLTEXT} AS tier, ts_rank(search_vector, terms, 32) AS similarity
        FROM wiki_articles, websearch_to_tsquery('english', unaccent(:text)) AS terms
        WHERE {statement.where()}
        ORDER BY similarity DESC, importance DESC, title LIMIT :limit OFFSET :offset
    """
    params = {**statement.params, "text": query.needle, "exclude": exclude, "limit": limit, "offset": offset}
    return sql, params
