"""The SQL of a list or search query, built from a ListQuery with bound parameters only.

Names and values the user typed are always parameters; the only text spliced into the SQL is chosen
here from fixed fragments, so no input can change the statement's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
from lorecache.spelling import Fixes, deletes, pieces
from lorecache.store.query import SUMMARY_FIELDS, ListQuery

COLUMNS = ", ".join(("id", *SUMMARY_FIELDS))
NARROW = "id, title, is_canon, importance"
"""What ranking needs of a row; the page's rows are read whole once it is known."""
LAST_CODE_POINT = 0x10FFFF


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


PROBE_LIMIT = 200
CROWDED_PREFIX = 500
"""Names a prefix begins more than this many of gets its first articles ranked in advance…"""
COMPLETIONS = 150
"""…this many of each continuity: a page of searches past them reads the prefix's range instead."""


@dataclass
class NameTiers:
    """The name tiers in rank order, as statements sharing one set of parameters.

    Each returns at most `:room` rows not in `:seen`. The caller runs them one after the other and
    stops when the page is full, so a tier runs only when those before it were exhausted — `:seen` then
    holds every match of theirs, which is what keeps a row out of the later, weaker tiers. Each
    statement is one index scan: a single query with every tier ORed together scans the union of all
    candidates and scores each of them.

    Prefixes come first, from `article_names`. Past them most queries match few names, and then one
    scan does better than a statement per tier: `probe` fetches every name holding each word somewhere
    — which every tier but the typos' requires — and the caller ranks them itself when they are at most
    PROBE_LIMIT, leaving only the typo tier to PostgreSQL. Needles shorter than trigrams match prefixes
    only.
    """

    query: ListQuery
    statement: Statement

    @property
    def params(self) -> dict[str, Any]:
        return self.statement.params

    @property
    def probes(self) -> bool:
        """Trigrams serve the probe only from TRIGRAM_MIN_LENGTH characters."""
        return len(self.query.needle) >= TRIGRAM_MIN_LENGTH

    def probe(self) -> str:
        return (
            f"SELECT {NARROW}, search_names FROM wiki_articles WHERE {self.statement.where()} "
            f"AND {_inside_words(self.query, self.statement)} LIMIT {PROBE_LIMIT + 1}"
        )

    def after_prefixes(self, fixes: Callable[[], Fixes]) -> Iterator[str | list[dict[str, Any]]]:
        """The tiers after the prefixes, for a needle too common to probe; the typo tier's corrections
        are asked for only when it is reached."""
        query, statement = self.query, self.statement
        yield self._every_word()
        yield self.typos(fixes())
        yield _tier(query, statement, _inside_words(query, statement), str(SUBSTRING))

    def typos(self, fixes: Fixes) -> str | list[dict[str, Any]]:
        """The typo tier's statement, or no rows when nothing can match it: no word corrected and the
        needle past the edit budget (`desert planet outer rim`)."""
        if not any(fixes) and not edit_budget(self.query.needle):
            return []
        return _typo_tier(self.query, self.statement, fixes)

    def prefixes(self) -> str:
        """EXACT and PREFIX: a range of `article_names`' pattern index, read without the table, or a
        crowded prefix's completions; a query filtering on infobox fields, which only `wiki_articles`
        holds, by the trigram index."""
        query, statement = self.query, self.statement
        if query.filters:
            named = f"CASE WHEN search_names LIKE :exact ESCAPE '\\' THEN {EXACT} ELSE {PREFIX} END"
            return _tier(query, statement, "search_names LIKE :prefix ESCAPE '\\'", named)
        exactness = f"min(CASE WHEN name = :needle THEN {EXACT} ELSE {PREFIX} END)"
        ranged = self._ranged("article_names", "name", query.needle, exactness)
        if query.categories or query.offset + query.limit + 1 > COMPLETIONS:
            return ranged
        return self._completed(ranged)

    def _completed(self, ranged: str) -> str:
        """A crowded prefix from `name_completions`, any other from its range. Each continuity's
        completions begin its ranking, so a page within them is the merge of both; a category filter
        could leave fewer than a page in them while the range holds more, so it takes the range."""
        canon_first = "is_canon DESC, " if self.query.continuity == "all" else ""
        return f"""
            SELECT * FROM (
                SELECT article_id AS id, title, is_canon, importance, tier, 1::real AS similarity
                FROM name_completions
                WHERE {self.statement.where()} AND prefix = :range_start AND article_id <> ALL(:seen)
              UNION ALL
                SELECT * FROM ({ranged}) AS ranged
                WHERE NOT EXISTS (SELECT FROM name_completions WHERE universe = :u AND prefix = :range_start)
            ) AS found
            ORDER BY tier, {canon_first}importance DESC, title COLLATE "C" LIMIT :room
        """

    def _every_word(self) -> str:
        """WORDS: for one word without infobox filters a range of `article_words`, else each word
        looked up in the trigram index."""
        query, statement = self.query, self.statement
        if query.filters or len(query.needle_words) != 1:
            return _tier(query, statement, _words(query, statement), str(WORDS))
        return self._ranged("article_words", "word", query.needle, str(WORDS))

    def _ranged(self, table: str, column: str, start: str, tier: str) -> str:
        """The articles one of whose names (or words) in `table` begins with `start`, ranked as the
        other tiers are."""
        statement = self.statement
        statement.params |= {"range_start": start, "range_end": start + chr(LAST_CODE_POINT)}
        canon_first = "is_canon DESC, " if self.query.continuity == "all" else ""
        return f"""
            SELECT article_id AS id, title, is_canon, importance, {tier} AS tier, 1::real AS similarity
            FROM {table}
            WHERE {statement.where()} AND {column} ~>=~ :range_start AND {column} ~<~ :range_end
              AND article_id <> ALL(:seen)
            GROUP BY article_id, title, is_canon, importance
            ORDER BY tier, {canon_first}importance DESC, title COLLATE "C" LIMIT :room
        """


def by_name(query: ListQuery, universe: str) -> NameTiers:
    statement = scope(query, universe)
    escaped = like_escape(query.needle)
    statement.params |= {
        "needle": query.needle,
        "exact": f"%{SEPARATOR}{escaped}{SEPARATOR}%",
        "prefix": f"%{SEPARATOR}{escaped}%",
    }
    return NameTiers(query, statement)


def vocabulary(query: ListQuery, universe: str) -> tuple[str, dict[str, Any]]:
    """What typo correction needs of the vocabulary, in exact index lookups: the words sharing a delete
    neighbour with a typed word (one typo apart at most; `exact` false), and which of the typed words
    and their pieces are vocabulary words (`exact` true). `spelling.fixes` picks among them."""
    typed = query.needle_words
    sql = """
        SELECT word, uses, false AS exact FROM search_vocabulary
        WHERE universe = :u AND deletes && CAST(:deletes AS text[])
        UNION ALL
        SELECT word, uses, true FROM search_vocabulary WHERE universe = :u AND word = ANY(:exact)
    """
    neighbours = sorted(
        {variant for word in typed if len(word) >= TRIGRAM_MIN_LENGTH for variant in deletes(word)}
    )
    exact = sorted({*typed, *(part for word in typed for part in pieces(word))})
    return sql, {"u": universe, "deletes": neighbours, "exact": exact}


def _tier(
    query: ListQuery,
    statement: Statement,
    condition: str,
    tier: str,
    similarity: str = "1",
    whole: str | None = None,
) -> str:
    """One tier's statement: within it, the better match (exact before prefix, nearer typos, a whole
    title before a word of one) first, then the canon article before its Legends twin, then the more
    linked."""
    rank = [tier] if not tier.isdigit() else []
    if similarity != "1":
        rank.append(f"-floor(({similarity}) * 10)")
    if whole:
        rank.append(f"({whole}) DESC")
    if query.continuity == "all":
        rank.append("is_canon DESC")
    order = ", ".join((*rank, "importance DESC", 'title COLLATE "C"'))
    return (
        f"SELECT {NARROW}, {tier} AS tier, {similarity}::real AS similarity FROM wiki_articles "
        f"WHERE {statement.where()} AND id <> ALL(:seen) AND ({condition}) ORDER BY {order} LIMIT :room"
    )


def _words(query: ListQuery, statement: Statement) -> str:
    """Every word of the needle begins a word of some name, in any order."""
    return " AND ".join(
        _begins_a_word(statement, f"start{number}", word) for number, word in enumerate(query.needle_words)
    )


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


def _typo_tier(query: ListQuery, statement: Statement, fixes: Fixes) -> str:
    """Every word as typed or by a correction begins a word of a name (`spelling.typo_closeness`), or,
    for titles short enough, the whole title within the edit budget; closeness in tenths orders them,
    then a whole title before a word of one (`Omen` before `Dark Omen` for `Omeen`), then importance.

    The corrections' rows come from one trigram scan per word for any of its spellings (a LIKE per
    spelling, the word start checked after by `strpos`: two LIKEs per spelling would scan each twice);
    a lone word is looked up by its corrections only, as the names holding it as typed are the WORDS
    tier's;
    the edit-distance candidates from an index-only scan of a covering index. LIKE's escape character
    is the backslash `like_escape` uses.
    """
    needle = query.needle
    words_near, words_closeness = "false", "0"
    if any(fixes):
        matched, nearness = [], []
        several = len(query.needle_words) > 1
        for number, (word, fixed) in enumerate(zip(query.needle_words, fixes, strict=True)):
            spellings = [(word, 1.0), *fixed] if several else fixed
            closeness = _spelled(statement, f"spell{number}", spellings)
            matched.append(f"search_names LIKE ANY(:spell{number}) AND {closeness} > 0")
            nearness.append(closeness)
        words_near = f"({' AND '.join(matched)})"
        words_closeness = f"({' + '.join(nearness)}) / {len(nearness)}"
    budget = edit_budget(needle)
    if not budget:
        return _tier(query, statement, words_near, str(FUZZY), words_closeness)
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
    closeness = f"greatest({words_closeness}, {edit})"
    return _tier(query, statement, f"{words_near} OR {near}", str(FUZZY), closeness, f"{edit} > 0")


def _spelled(statement: Statement, key: str, spellings: list[tuple[str, float]]) -> str:
    """The closeness of the first spelling that begins a word of a name, else 0 (as
    `spelling.word_closeness`); `:key` holds the LIKE patterns that find the names holding any."""
    statement.params[key] = [f"%{like_escape(option)}%" for option, _ in spellings]
    branches = []
    for index, (option, near) in enumerate(spellings):
        name, word, closeness = f"{key}_{index}_name", f"{key}_{index}_word", f"{key}_{index}_near"
        statement.params |= {name: f"{SEPARATOR}{option}", word: f" {option}", closeness: near}
        branches.append(
            f"WHEN strpos(search_names, :{name}) > 0 OR strpos(search_names, :{word}) > 0 THEN :{closeness}"
        )
    return f"(CASE {' '.join(branches)} ELSE 0 END)"


def by_id(ids: list[int]) -> tuple[str, dict[str, Any]]:
    """The page's rows, whole."""
    return f"SELECT {COLUMNS} FROM wiki_articles WHERE id = ANY(:ids)", {"ids": ids}


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
        SELECT {NARROW}, {FULLTEXT} AS tier, {rank} AS similarity
        FROM wiki_articles, websearch_to_tsquery('english', unaccent(:text)) AS terms
        WHERE {statement.where()}
        ORDER BY floor({rank} * 10) DESC, {canon_first}importance DESC, title COLLATE "C"
        LIMIT :limit OFFSET :offset
    """
    params = {**statement.params, "text": query.needle, "exclude": exclude, "limit": limit, "offset": offset}
    return sql, params
