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


def by_name(query: ListQuery, universe: str) -> tuple[list[str], dict[str, Any]]:
    """The name tiers in rank order, as statements sharing one set of parameters.

    Each returns at most `:room` rows not in `:seen`. The caller runs them one after the other and
    stops when the page is full, so a tier runs only when those before it were exhausted — `:seen` then
    holds every match of theirs, which is what keeps a row out of the later, weaker tiers. Each
    statement is one index scan: a single query with every tier ORed together scans the union of all
    candidates and scores each of them.
    """
    statement = scope(query, universe)
    needle = query.needle
    escaped = like_escape(needle)
    statement.params |= {
        "needle": needle,
        "exact": f"%{SEPARATOR}{escaped}{SEPARATOR}%",
        "prefix": f"%{SEPARATOR}{escaped}%",
    }
    named = f"CASE WHEN search_names LIKE :exact ESCAPE '\\' THEN {EXACT} ELSE {PREFIX} END"
    if len(needle) < TRIGRAM_MIN_LENGTH:
        statement.params["title_prefix"] = f"{escaped}%"
        title_prefix = _tier(query, statement, "search_title LIKE :title_prefix ESCAPE '\\'", named)
        return [title_prefix], statement.params
    tiers = [
        _tier(query, statement, "search_names LIKE :prefix ESCAPE '\\'", named),
        _tier(query, statement, _words(query, statement), str(WORDS)),
        _typo_tier(query, statement),
        _tier(query, statement, _inside_words(query, statement), str(SUBSTRING)),
    ]
    return tiers, statement.params


def _tier(query: ListQuery, statement: Statement, condition: str, tier: str, similarity: str = "1") -> str:
    """One tier's statement: within it, the better match (exact before prefix, nearer typos) first,
    then the canon article before its Legends twin, then the more linked."""
    rank = [tier] if not tier.isdigit() else []
    if similarity != "1":
        rank.append(f"-floor(({similarity}) * 10)")
    if query.continuity == "all":
        rank.append("is_canon DESC")
    order = ", ".join((*rank, "importance DESC", "title"))
    return (
        f"SELECT {COLUMNS}, {tier} AS tier, {similarity}::real AS similarity FROM wiki_articles "
        f"WHERE {statement.where()} AND id <> ALL(:seen) AND ({condition}) ORDER BY {order} LIMIT :room"
    )


def _words(query: ListQuery, statement: Statement) -> str:
    """Every word of the needle begins a word of some name, in any order."""
    return " AND ".join(
        _begins_a_word(statement, f"start{number}", word) for number, word in enumerate(query.needle_words)
    )


def _initials(query: ListQuery, statement: Statement) -> str:
    """search.initials_begin_words in SQL, as a filter: `strpos`, which no index serves, because a
    one-letter LIKE in the trigram index would read the posting list of every name with that initial."""
    initials = []
    for number, word in enumerate(query.needle_words):
        name, inner = f"initial{number}_name", f"initial{number}_word"
        statement.params |= {name: f"{SEPARATOR}{word[0]}", inner: f" {word[0]}"}
        initials.append(f"(strpos(search_names, :{name}) > 0 OR strpos(search_names, :{inner}) > 0)")
    return " AND ".join(initials)


def _begins_a_word(statement: Statement, key: str, fragment: str) -> str:
    statement.params |= {
        f"{key}_name": f"%{SEPARATOR}{like_escape(fragment)}%",
        f"{key}_word": f"% {like_escape(fragment)}%",
    }
    return f"(search_names LIKE :{key}_name ESCAPE '\\' OR search_names LIKE :{key}_word ESCAPE '\\')"


def _inside_words(query: ListQuery, statement: Statement) -> str:
    """Every word of the needle somewhere, even inside a word."""
    inside = []
    for number, word in enumerate(query.needle_words):
        statement.params[f"word{number}"] = f"%{like_escape(word)}%"
        inside.append(f"search_names LIKE :word{number} ESCAPE '\\'")
    return " AND ".join(inside)


def _typo_tier(query: ListQuery, statement: Statement) -> str:
    """Strict word similarity (some run of words of a name is near the needle) or, for names short
    enough, an edit distance within budget; closeness in tenths orders them before importance.

    The edit-distance candidates come from an index-only scan of a covering index, apart from the
    trigram scan: ORed into one bitmap, each of them would be fetched from the table first.
    """
    needle = query.needle
    budget = edit_budget(needle)
    word_near = f"(:needle <<% search_names AND {_initials(query, statement)})"
    closeness = "similarity(search_title, :needle), strict_word_similarity(:needle, search_names)"
    if not budget:
        return _tier(query, statement, word_near, str(FUZZY), f"greatest({closeness})")
    statement.params |= {
        "first": needle[:1],
        "budget": budget,
        "shortest": len(needle) - budget,
        "longest": len(needle) + budget,
    }
    within = "levenshtein_less_equal(search_title, :needle, :budget)"
    near = (
        "id = ANY(ARRAY(SELECT id FROM wiki_articles WHERE universe = :u AND left(search_title, 1) = :first "
        f"AND length(search_title) BETWEEN :shortest AND :longest AND {within} <= :budget))"
    )
    edit = (
        f"CASE WHEN left(search_title, 1) = :first AND {within} <= :budget "
        f"THEN 1 - {within}::real / greatest(length(search_title), length(:needle)) ELSE 0 END"
    )
    return _tier(query, statement, f"{word_near} OR {near}", str(FUZZY), f"greatest({closeness}, {edit})")


def by_text(query: ListQuery, universe: str, exclude: list[int], limit: int, offset: int) -> tuple[str, dict]:
    """Full text over summary and infobox, for what the names did not find.

    Ranks within a tenth of each other count as equal, so the famous article that matches every word
    (Tatooine for `desert planet Outer Rim`) comes before a stub whose few words happen to match
    densely.
    """
    statement = scope(query, universe)
    statement.conditions += ["search_vector @@ terms", "id <> ALL(:exclude)"]
    rank = "ts_rank(search_vector, terms, 32)"
    canon_first = "is_canon DESC, " if query.continuity == "all" else ""
    sql = f"""
        SELECT {COLUMNS}, {FULLTEXT} AS tier, {rank} AS similarity
        FROM wiki_articles, websearch_to_tsquery('english', unaccent(:text)) AS terms
        WHERE {statement.where()}
        ORDER BY floor({rank} * 10) DESC, {canon_first}importance DESC, title LIMIT :limit OFFSET :offset
    """
    params = {**statement.params, "text": query.needle, "exclude": exclude, "limit": limit, "offset": offset}
    return sql, params
