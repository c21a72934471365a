"""The PostgreSQL backend of search: each tier as SQL over `wiki_articles` and the derived search
tables, built from a ListQuery with bound parameters only, and `PostgresTiers`, which runs them.

Names and values the user typed are always parameters; the only text spliced into the SQL is chosen
here from fixed fragments, so no input can change the statement's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Connection

from lorecache.query import ListQuery
from lorecache.search.cascade import Hit
from lorecache.search.ranking import Match, Ranked, order_by, sort_key
from lorecache.search.rules import (
    EXACT,
    FULLTEXT,
    FUZZY,
    PREFIX,
    SEPARATOR,
    SUBSTRING,
    TRIGRAM_MIN_LENGTH,
    WORDS,
    edit_budget,
    tier,
)
from lorecache.search.spelling import Fixes, deletes, fixes, pieces
from lorecache.store.driver import fetch, fetch_together

NARROW = "id, title, is_canon, importance"
"""What ranking needs of a row; the page's prepared items are read once it is known."""
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


PROBE_LIMIT = 200
CROWDED_PREFIX = 500
"""Names a prefix begins more than this many of gets its first articles ranked in advance…"""
COMPLETIONS = 150
"""…this many of each continuity: a page of searches past them reads the prefix's range instead."""


class PostgresTiers:
    """The tiers of one search, as statements sharing one set of parameters, on one connection.

    Each statement returns at most `:room` rows not in `:seen` and is one index scan: a single query
    with every tier ORed together scans the union of all candidates and scores each of them.

    Prefixes come first, from `article_names`. Past them most queries match few names, and then one
    scan does better than a statement per tier: the probe fetches every name holding each word
    somewhere — which every tier but the typos' requires — and its rows are ranked here when they are
    at most PROBE_LIMIT, leaving only the typo tier to PostgreSQL. The vocabulary the typo tier's
    corrections come from is read in the probe's round trip.
    """

    def __init__(self, connection: Connection, query: ListQuery, universe: str) -> None:
        self.connection = connection
        self.query = query
        self.universe = universe
        self.statement = scope(query, universe)
        escaped = like_escape(query.needle)
        self.statement.params |= {
            "needle": query.needle,
            "exact": f"%{SEPARATOR}{escaped}{SEPARATOR}%",
            "prefix": f"%{SEPARATOR}{escaped}%",
        }

    def prefixes(self, room: int, seen: set[int]) -> list[Hit]:
        return self._run(self._prefixes(), room, seen)

    def every_word(self, room: int, seen: set[int]) -> list[Hit]:
        if self._probed is None:
            return self._run(self._every_word(), room, seen)
        return [hit for hit in self._probed if hit.tier != SUBSTRING]

    def typos(self, room: int, seen: set[int]) -> list[Hit]:
        """No statement when nothing can match: no word corrected and the needle past the edit budget
        (`desert planet outer rim`)."""
        corrected = self._fixes
        if not any(corrected) and not edit_budget(self.query.needle):
            return []
        return self._run(_typo_tier(self.query, self.statement, corrected), room, seen)

    def inside_words(self, room: int, seen: set[int]) -> list[Hit]:
        if self._probed is None:
            condition = _inside_words(self.query, self.statement)
            return self._run(_tier(self.query, self.statement, condition, str(SUBSTRING)), room, seen)
        return [hit for hit in self._probed if hit.tier == SUBSTRING]

    def full_text(self, room: int, skip: int, seen: set[int]) -> list[Hit]:
        return _hits(fetch(self.connection, *by_text(self.query, self.universe, list(seen), room, skip)))

    def _run(self, sql: str, room: int, seen: set[int]) -> list[Hit]:
        return _hits(fetch(self.connection, sql, {**self.statement.params, "room": room, "seen": list(seen)}))

    @cached_property
    def _probe(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The probe's names and the vocabulary's corrections, in one round trip."""
        probe = (
            f"SELECT {NARROW}, search_names FROM wiki_articles WHERE {self.statement.where()} "
            f"AND {_inside_words(self.query, self.statement)} LIMIT {PROBE_LIMIT + 1}"
        )
        probed, found = fetch_together(
            self.connection, [(probe, self.statement.params), vocabulary(self.query, self.universe)]
        )
        return probed, found

    @cached_property
    def _probed(self) -> list[Hit] | None:
        """The probe's names ranked as the tiers would rank them; None when it found too many, which
        the tiers' own statements then rank."""
        rows = self._probe[0]
        if len(rows) > PROBE_LIMIT:
            return None
        canon_first = self.query.continuity == "all"
        ranked = []
        for row in rows:
            matched = tier(row["search_names"], self.query.needle, self.query.needle_words)
            match = Match(SUBSTRING if matched is None else matched)
            ranked.append(Ranked.of(row["id"], match, row["is_canon"], row["importance"], row["title"]))
        ranked.sort(key=lambda candidate: sort_key(candidate, canon_first))
        return [Hit(r.ref, r.tier, r.closeness, r.title) for r in ranked]

    @cached_property
    def _fixes(self) -> Fixes:
        """The corrections of each word of the query, from what `vocabulary` found."""
        rows = self._probe[1]
        candidates = [(row["word"], row["uses"]) for row in rows if not row["exact"]]
        known = {row["word"]: row["uses"] for row in rows if row["exact"]}
        return fixes(self.query.needle_words, candidates, known)

    def _prefixes(self) -> str:
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
        return f"""
            SELECT * FROM (
                SELECT article_id AS id, title, is_canon, importance, tier, 1::real AS similarity
                FROM name_completions
                WHERE {self.statement.where()} AND prefix = :range_start AND article_id <> ALL(:seen)
              UNION ALL
                SELECT * FROM ({ranged}) AS ranged
                WHERE NOT EXISTS (SELECT FROM name_completions WHERE universe = :u AND prefix = :range_start)
            ) AS found
            ORDER BY {self._order()} LIMIT :room
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
        return f"""
            SELECT article_id AS id, title, is_canon, importance, {tier} AS tier, 1::real AS similarity
            FROM {table}
            WHERE {statement.where()} AND {column} ~>=~ :range_start AND {column} ~<~ :range_end
              AND article_id <> ALL(:seen)
            GROUP BY article_id, title, is_canon, importance
            ORDER BY {self._order()} LIMIT :room
        """

    def _order(self) -> str:
        """A range's rows share closeness and are never whole-title typo matches."""
        return order_by(self.query.continuity == "all", closeness=None, whole=None)


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
    """One tier's statement, ranked by `ranking`; a tier, closeness or whole-title flag the same for
    every row leaves its sort term out."""
    order = order_by(
        query.continuity == "all",
        tier=None if tier.isdigit() else tier,
        closeness=None if similarity == "1" else similarity,
        whole=whole,
    )
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
    """Every word of the needle somewhere, even inside a word (`rules.inside_words`). When no word is
    as long as a trigram, each must begin a word instead: `%r2%` has no trigram to look up, and the
    index would hand back every row."""
    if not any(len(word) >= TRIGRAM_MIN_LENGTH for word in query.needle_words):
        return _words(query, statement)
    inside = []
    for number, word in enumerate(query.needle_words):
        statement.params[f"word{number}"] = f"%{like_escape(word)}%"
        inside.append(f"search_names LIKE :word{number} ESCAPE '\\'")
    return " AND ".join(inside)


def _typo_tier(query: ListQuery, statement: Statement, fixes: Fixes) -> str:
    """Every word as typed or by a correction begins a word of a name (`spelling.typo_closeness`), or,
    for titles short enough, the whole title within the edit budget; closeness in tenths orders them,
    then a whole title before a word of one (`Omen` before `Dark Omen` for `Omeen`), then importance.

    The corrections' rows come from trigram scans for any of a word's spellings (`_patterns`), the word
    start checked after by `strpos`; a lone word is looked up by its corrections only, as the names
    holding it as typed are the WORDS tier's. An array of patterns is one index scan per element, and
    the arrays of several words multiply: only the most selective words, up to INDEXED_SCANS scans in
    all, are looked up, the others checked on the rows found. The edit-distance candidates come from an
    index-only scan of a covering index. LIKE's escape character is the backslash `like_escape` uses.
    """
    needle = query.needle
    words_near, words_closeness = "false", "0"
    if any(fixes):
        several = len(query.needle_words) > 1
        per_word = [
            [(word, 1.0), *fixed] if several else fixed
            for word, fixed in zip(query.needle_words, fixes, strict=True)
        ]
        patterns = [[p for option, _ in spellings for p in _patterns(option)] for spellings in per_word]
        looked_up = _looked_up(patterns)
        matched, nearness = [], []
        for number, spellings in enumerate(per_word):
            closeness = _spelled(statement, f"spell{number}", spellings)
            if number in looked_up:
                statement.params[f"spell{number}"] = looked_up[number]
                matched.append(f"search_names LIKE ANY(:spell{number})")
            matched.append(f"{closeness} > 0")
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


INDEXED_SCANS = 16


def _patterns(spelling: str) -> list[str]:
    """LIKE patterns that find the names a spelling begins a word of, each with a trigram to look up:
    `%spelling%` when it holds a run of three characters, else its two word starts (`%|jy%`, `% jy%`,
    which pg_trgm pads into trigrams)."""
    escaped = like_escape(spelling)
    if any(len(part) >= TRIGRAM_MIN_LENGTH for part in spelling.split()):
        return [f"%{escaped}%"]
    return [f"%{SEPARATOR}{escaped}%", f"% {escaped}%"]


def _looked_up(patterns: list[list[str]]) -> dict[int, list[str]]:
    """The words whose patterns go to the index, the most selective (longest) first, as long as their
    arrays multiply to at most INDEXED_SCANS index scans; at least one."""
    def selective(number: int) -> tuple[int, int]:
        return -min(len(pattern) for pattern in patterns[number]), len(patterns[number])

    chosen: dict[int, list[str]] = {}
    scans = 1
    for number in sorted(range(len(patterns)), key=selective):
        if chosen and scans * len(patterns[number]) > INDEXED_SCANS:
            continue
        chosen[number] = patterns[number]
        scans *= len(patterns[number])
    return chosen


def _spelled(statement: Statement, key: str, spellings: list[tuple[str, float]]) -> str:
    """The closeness of the first spelling that begins a word of a name, else 0 (as
    `spelling.word_closeness`)."""
    branches = []
    for index, (option, near) in enumerate(spellings):
        name, word, closeness = f"{key}_{index}_name", f"{key}_{index}_word", f"{key}_{index}_near"
        statement.params |= {name: f"{SEPARATOR}{option}", word: f" {option}", closeness: near}
        branches.append(
            f"WHEN strpos(search_names, :{name}) > 0 OR strpos(search_names, :{word}) > 0 THEN :{closeness}"
        )
    return f"(CASE {' '.join(branches)} ELSE 0 END)"


def by_id(ids: list[int]) -> tuple[str, dict[str, Any]]:
    """The page's prepared items."""
    sql = "SELECT article_id AS id, list_json FROM article_answers WHERE article_id = ANY(:ids)"
    return sql, {"ids": ids}


def by_text(query: ListQuery, universe: str, exclude: list[int], limit: int, offset: int) -> tuple[str, dict]:
    """Full text over summary and infobox, for what the names did not find.

    Ranks within a tenth of each other count as equal, so the famous article that matches every word
    (Tatooine for `desert planet Outer Rim`) comes before a stub whose few words happen to match
    densely.
    """
    statement = scope(query, universe)
    statement.conditions += ["search_vector @@ terms", "id <> ALL(:exclude)"]
    rank = "ts_rank(search_vector, terms, 32)"
    order = order_by(query.continuity == "all", tier=None, closeness=rank, whole=None)
    sql = f"""
        SELECT {NARROW}, {FULLTEXT} AS tier, {rank} AS similarity
        FROM wiki_articles, websearch_to_tsquery('english', unaccent(:text)) AS terms
        WHERE {statement.where()}
        ORDER BY {order}
        LIMIT :limit OFFSET :offset
    """
    params = {**statement.params, "text": query.needle, "exclude": exclude, "limit": limit, "offset": offset}
    return sql, params


def _hits(rows: list[dict[str, Any]]) -> list[Hit]:
    return [Hit(row["id"], row["tier"], row["similarity"], row["title"]) for row in rows]
