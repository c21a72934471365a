"""The matching rules both stores share, checked against pg_trgm's own figures."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lorecache.search.rules import EXACT, PREFIX, WORDS, joined, names_of, tier, trigrams
from lorecache.text import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Twi'lek", "twilek"), ("Padmé Amidala", "padme amidala"), ("Chadra-Fan", "chadra fan"), ("  ", "")],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_trigrams_pad_words_like_pg_trgm() -> None:
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}


def test_names_include_the_title_without_its_legends_suffix_and_aliases() -> None:
    assert names_of("Tatooine/Legends", ["Tatooine (planet)"], "/Legends") == [
        "tatooine legends",
        "tatooine",
        "tatooine planet",
    ]


def test_tiers() -> None:
    names = joined(["luke skywalker", "luke"])
    assert tier(names, "luke", ["luke"]) == EXACT
    assert tier(names, "luke sky", ["luke", "sky"]) == PREFIX
    assert tier(names, "skywalker luke", ["skywalker", "luke"]) == WORDS
    assert tier(names, "leia", ["leia"]) is None


@given(st.text(max_size=200))
def test_fold_is_idempotent_and_never_keeps_punctuation(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert "|" not in folded and "'" not in folded
