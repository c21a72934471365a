"""The PostgreSQL backend of search: each tier as SQL over `wiki_articles` and the derived search
tables, built from a ListQuery with bound parameters only, and `PostgresTiers`, which runs them.

Names and values the user typed are always parameters; the only text spliced into the SQL is chosen
here from fixed fragments, so no input can change the statement's shape.
"""

from __future__ import annotations

import math
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
from lorecache.search.spelling import Fixes, deletes, fixes, lookup_word, pieces
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
    """Universe, categories, continuity, infobox and time filters: what every variant of the query
    shares."""
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
    in_time(query, statement)
    return statement


def in_time(query: ListQuery, statement: Statement, prefix: str = "") -> None:
    """The time filters on span columns (`prefix` names their table): an undated article's are NULL,
    which no comparison keeps, and an open side holds `dates.EARLIEST` or `dates.LATEST`."""
    if query.span is not None:
        statement.conditions.append(f"{prefix}span_from <= :span_end AND {prefix}span_to >= :span_start")
        statement.params |= {"span_start": query.span.start, "span_end": query.span.end}
    if query.as_of is not None:
        statement.conditions.append(f"({prefix}span_from IS NULL OR {prefix}span_from <= :as_of)")
        statement.params["as_of"] = query.as_of


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
        return self._run(_typo_tier(self.query, self.statement, corrected, self._vocabulary), room, seen)

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
    def _vocabulary(self) -> Vocabulary:
        """What the probe's round trip read of the vocabulary, by kind, each word with its uses."""
        found: Vocabulary = {NEAR: {}, KNOWN: {}, BEGUN: {}}
        for row in self._probe[1]:
            found[row["kind"]][row["word"]] = row["uses"]
        return found

    @cached_property
    def _fixes(self) -> Fixes:
        """The corrections of each word of the query, from what `vocabulary` found."""
        vocabulary = self._vocabulary
        return fixes(self.query.needle_words, list(vocabulary[NEAR].items()), vocabulary[KNOWN])

    def _prefixes(self) -> str:
        """EXACT and PREFIX: a range of `article_names`' pattern index, read without the table, or a
        crowded prefix's completions; a query filtering on infobox fields, which only `wiki_articles`
        holds, by the trigram index."""
        query, statement = self.query, self.statement
        if query.narrowed:
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
        """WORDS: for one word without infobox or time filters a range of `article_words`, else each word
        looked up in the trigram index."""
        query, statement = self.query, self.statement
        if query.narrowed or len(query.needle_words) != 1:
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


NEAR, KNOWN, BEGUN = "near", "known", "begun"
COUNTED_LENGTH = 2
"""A typed word this long is counted: a single letter begins too many words to be worth the count."""
Vocabulary = dict[str, dict[str, int]]
"""What a search read of the vocabulary: for each kind of lookup, the words found and their uses."""


def vocabulary(query: ListQuery, universe: str) -> tuple[str, dict[str, Any]]:
    """What typo correction needs of the vocabulary, in index lookups: the words sharing a delete
    neighbour with a typed word (one typo apart at most: NEAR), which of the typed words and their
    pieces are vocabulary words (KNOWN), and for each typed word of COUNTED_LENGTH or more how many
    names hold a word it begins (BEGUN), to find the rarest. `spelling.fixes` picks among the NEAR ones."""
    typed = query.needle_words
    sql = f"""
        SELECT word, uses, '{NEAR}' AS kind FROM search_vocabulary
        WHERE universe = :u AND deletes && CAST(:deletes AS text[])
        UNION ALL
        SELECT word, uses, '{KNOWN}' FROM search_vocabulary WHERE universe = :u AND word = ANY(:exact)
        UNION ALL
        SELECT typed, (
            SELECT coalesce(sum(uses), 0) FROM search_vocabulary
            WHERE universe = :u AND word ~>=~ typed AND word ~<~ (typed || chr({LAST_CODE_POINT}))
        ), '{BEGUN}'
        FROM unnest(CAST(:begun AS text[])) AS typed
    """
    long_enough = sorted({word for word in typed if len(word) >= TRIGRAM_MIN_LENGTH})
    neighbours = sorted({variant for word in long_enough for variant in deletes(word)})
    exact = sorted({*typed, *(part for word in typed for part in pieces(word))})
    counted = sorted({word for word in typed if len(word) >= COUNTED_LENGTH})
    return sql, {"u": universe, "deletes": neighbours, "exact": exact, "begun": counted}


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


def _typo_tier(query: ListQuery, statement: Statement, fixes: Fixes, vocabulary: Vocabulary) -> str:
    """Every word as typed (beginning a word) or by a correction (a whole word) matches a word of a name
    (`spelling.typo_closeness`), or, for titles short enough, the whole title within the edit budget;
    closeness in tenths orders them, then a whole title before a word of one (`Omen` before `Dark Omen`
    for `Omeen`), then importance.

    The corrections' candidates come from `article_words`, for the rarest word only (`_rarest`); every
    word is checked on the rows found. The edit-distance candidates come from an index-only scan of a
    covering index.
    """
    if _one_word(query, fixes):
        return _one_word_typos(query, statement, fixes[0], vocabulary)
    words_near, words_closeness = "false", "0"
    if any(fixes):
        several = len(query.needle_words) > 1
        closeness = [
            _spelled(statement, f"spell{number}", word if several else None, fixed)
            for number, (word, fixed) in enumerate(zip(query.needle_words, fixes, strict=True))
        ]
        found = _rarest(statement, query.needle_words, fixes, vocabulary, several)
        words_near = f"({found} AND {' AND '.join(f'{near} > 0' for near in closeness)})"
        words_closeness = f"({' + '.join(closeness)}) / {len(closeness)}"
    edit = _edit_distance(statement, query.needle)
    if edit is None:
        return _tier(query, statement, words_near, str(FUZZY), words_closeness)
    closeness = f"greatest({words_closeness}, {edit})"
    return _tier(query, statement, f"{words_near} OR {_WITHIN_TITLES}", str(FUZZY), closeness, f"{edit} > 0")


_WITHIN = "levenshtein_less_equal(search_title, :needle, :budget)"
_WITHIN_TITLES = (
    "id = ANY(ARRAY(SELECT id FROM wiki_articles WHERE universe = :u AND left(search_title, 1) = :first "
    f"AND length(search_title) BETWEEN :shortest AND :longest AND {_WITHIN} <= :budget))"
)
"""The titles within the edit budget, by an index-only scan of a covering index and no table read."""


def _edit_distance(statement: Statement, needle: str) -> str | None:
    """The closeness of a whole title within the edit budget of the needle, else 0; None when the
    needle has no budget."""
    budget = edit_budget(needle)
    if not budget:
        return None
    statement.params |= {
        "first": needle[:1],
        "budget": budget,
        "shortest": len(needle) - budget,
        "longest": len(needle) + budget,
    }
    return (
        f"CASE WHEN left(search_title, 1) = :first AND {_WITHIN} <= :budget "
        f"THEN 1 - {_WITHIN}::real / greatest(length(search_title), length(:needle)) ELSE 0 END"
    )


def _one_word(query: ListQuery, fixes: Fixes) -> bool:
    """A lone corrected word with no infobox or time filter: its typo tier is read from `article_words`."""
    return len(query.needle_words) == 1 and not query.narrowed and bool(fixes[0])


def _one_word_typos(
    query: ListQuery, statement: Statement, fixed: list[tuple[str, float]], vocabulary: Vocabulary
) -> str:
    """The typo tier of a lone word, ranked from `article_words`' covering index whatever the number of
    names holding a correction (`battle` for `bartle`); a correction that splits the word (`star forth`)
    is checked in the names holding its rarest part, and the titles within the edit budget are added."""
    found, whole_words, splits = [], [], []
    for index, (option, near) in enumerate(fixed):
        statement.params |= {f"fix{index}": option, f"fix{index}_near": near}
        (splits if " " in option else whole_words).append(index)
    if whole_words:
        branches = " ".join(f"WHEN :fix{index} THEN :fix{index}_near" for index in whole_words)
        statement.params["lookups"] = [fixed[index][0] for index in whole_words]
        found.append(f"""
            SELECT article_id AS id, title, is_canon, importance, CASE word {branches} END AS near,
                   false AS whole
            FROM article_words
            WHERE {statement.where()} AND word = ANY(:lookups) AND article_id <> ALL(:seen)
        """)
    uses = _uses(vocabulary)
    for index in splits:
        option = fixed[index][0]
        statement.params[f"fix{index}_part"] = lookup_word(option, uses)
        statement.params[f"fix{index}_spaced"] = f" {option} "
        found.append(f"""
            SELECT id, title, is_canon, importance, :fix{index}_near AS near, false AS whole
            FROM wiki_articles
            WHERE {statement.where()} AND id <> ALL(:seen) AND id = ANY(ARRAY(
                SELECT article_id FROM article_words WHERE universe = :u AND word = :fix{index}_part
            )) AND strpos(translate(search_names, '{SEPARATOR}', ' '), :fix{index}_spaced) > 0
        """)
    edit = _edit_distance(statement, query.needle)
    if edit is not None:
        found.append(f"""
            SELECT id, title, is_canon, importance, {edit} AS near, true AS whole FROM wiki_articles
            WHERE {statement.where()} AND {_WITHIN_TITLES} AND id <> ALL(:seen)
        """)
    order = order_by(query.continuity == "all", tier=None, closeness="max(near)", whole="bool_or(whole)")
    return f"""
        SELECT id, title, is_canon, importance, {FUZZY} AS tier, max(near)::real AS similarity
        FROM ({' UNION ALL '.join(found)}) AS found
        GROUP BY id, title, is_canon, importance
        ORDER BY {order} LIMIT :room
    """


def _uses(vocabulary: Vocabulary) -> dict[str, int]:
    """How many articles hold each vocabulary word the search read."""
    return vocabulary[NEAR] | vocabulary[KNOWN]


def _rarest(
    statement: Statement,
    needle_words: list[str],
    fixes: Fixes,
    vocabulary: Vocabulary,
    several: bool,
) -> str:
    """The articles holding one word of the query, the one the fewest names hold by the vocabulary's
    counts: each of its corrections as a whole word, and, in a query of several words, a word it
    begins as typed. A lone word is looked up by its corrections only, as the names holding it as typed
    are the WORDS tier's; a single letter is never counted, and never the rarest."""
    uses, begun = _uses(vocabulary), vocabulary[BEGUN]

    def holding(number: int) -> float:
        typed = begun.get(needle_words[number], math.inf) if several else 0
        return typed + sum(uses.get(lookup_word(option, uses), 0) for option, _ in fixes[number])

    candidates = range(len(needle_words)) if several else [n for n, fixed in enumerate(fixes) if fixed]
    rarest = min(candidates, key=holding)
    statement.params["lookups"] = sorted({lookup_word(option, uses) for option, _ in fixes[rarest]})
    words = "word = ANY(:lookups)"
    if several:
        typed = needle_words[rarest]
        statement.params |= {"typed_start": typed, "typed_end": typed + chr(LAST_CODE_POINT)}
        words += " OR (word ~>=~ :typed_start AND word ~<~ :typed_end)"
    return f"id = ANY(ARRAY(SELECT article_id FROM article_words WHERE universe = :u AND ({words})))"


def _spelled(statement: Statement, key: str, typed: str | None, fixed: list[tuple[str, float]]) -> str:
    """The closeness of the word as typed if it begins a word of a name, else of the first correction
    that is a whole word of one, else 0 (as `spelling.word_closeness`); names and words are told apart
    by spaces alone, as there."""
    spaced = f"translate(search_names, '{SEPARATOR}', ' ')"
    branches = []
    if typed is not None:
        statement.params[f"{key}_typed"] = f" {typed}"
        branches.append(f"WHEN strpos({spaced}, :{key}_typed) > 0 THEN 1")
    for index, (option, near) in enumerate(fixed):
        word, closeness = f"{key}_{index}_word", f"{key}_{index}_near"
        statement.params |= {word: f" {option} ", closeness: near}
        branches.append(f"WHEN strpos({spaced}, :{word}) > 0 THEN :{closeness}")
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
