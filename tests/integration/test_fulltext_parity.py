"""The file cache's full text stems and drops stop words exactly as PostgreSQL's english configuration."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lorecache.search.fulltext import STOP_WORDS, query_terms, rank, stems
from lorecache.text import fold

WORDS = st.lists(
    st.one_of(
        st.sampled_from(sorted(STOP_WORDS)),
        st.sampled_from(["deserts", "planets", "territories", "running", "Outer", "Rim", "Twi'lek", "Padmé"]),
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=12),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=WORDS)
def test_stems_are_postgresqls_lexemes(engine, words: list[str]) -> None:
    sentence = " ".join(words)
    with engine.connect() as connection:
        lexemes = connection.execute(
            text("SELECT array(SELECT lexeme FROM unnest(to_tsvector('english', :folded)))"),
            {"folded": fold(sentence)},
        ).scalar_one()
    assert set(stems(sentence)) == set(lexemes)


def test_a_query_of_stop_words_only_asks_for_nothing() -> None:
    assert query_terms("the of and") == []


@pytest.mark.parametrize(
    ("terms", "wanted", "expected"),
    [
        (["^tatooin", "desert"], ["desert"], 0.4 / 1.4),
        (["^desert", "desert"], ["desert"], 0.5),
        (["desert"], ["desert", "planet"], None),
    ],
)
def test_rank_weighs_title_words_as_postgresql_does(terms, wanted, expected) -> None:
    assert rank(terms, wanted) == (None if expected is None else pytest.approx(expected))
