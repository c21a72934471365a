"""Typo correction: what counts as one typo, and the delete neighbourhoods PostgreSQL finds it by."""

from hypothesis import given
from hypothesis import strategies as st

from lorecache.search.spelling import (
    MAX_CORRECTIONS,
    corrections,
    deletes,
    fixes,
    lookup_word,
    one_edit,
    pieces,
    typo_closeness,
)

WORDS = st.text(alphabet="abcde", min_size=1, max_size=8)


def _optimal_string_alignment(left: str, right: str) -> int:
    """Edit distance with adjacent swaps, by the textbook table."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(right) + 1)] for i in range(len(left) + 1)]
    for i in range(1, len(left) + 1):
        for j in range(1, len(right) + 1):
            cost = left[i - 1] != right[j - 1]
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


@given(WORDS, WORDS)
def test_one_edit_is_an_alignment_distance_of_one(left: str, right: str) -> None:
    assert one_edit(left, right) == (_optimal_string_alignment(left, right) == 1)


@st.composite
def one_typo_apart(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(WORDS)
    at = draw(st.integers(0, len(word)))
    letter = draw(st.sampled_from("abcdef"))
    edits = [word[:at] + letter + word[at:]]
    if at < len(word):
        edits += [word[:at] + word[at + 1 :], word[:at] + letter + word[at + 1 :]]
    if at + 1 < len(word):
        edits.append(word[:at] + word[at + 1] + word[at] + word[at + 2 :])
    return word, draw(st.sampled_from(edits))


@given(one_typo_apart())
def test_words_one_typo_apart_share_a_delete_neighbour(pair: tuple[str, str]) -> None:
    """What the vocabulary lookup relies on: it finds candidates by their delete neighbourhoods alone."""
    word, typo = pair
    if one_edit(word, typo):
        assert set(deletes(word)) & set(deletes(typo))


def test_deletes_are_the_word_and_each_letter_dropped() -> None:
    assert deletes("hoth") == ["hoth", "oth", "hth", "hoh", "hot"]
    assert deletes("aa") == ["aa", "a"]


def test_corrections_keep_the_first_letter_and_prefer_the_common_word() -> None:
    candidates = [("coruscant", 345), ("horuscant", 900), ("corusca", 2)]
    assert corrections("corusant", candidates, {}) == [("coruscant", 1 - 1 / 8)]
    close = [("tatoo", 8), ("tao", 17), ("tano", 17), ("tanto", 1), ("tabo", 1)]
    assert [option for option, _ in corrections("tato", close, {})] == ["tano", "tao", "tatoo", "tabo"]
    assert len(corrections("tato", close, {})) == MAX_CORRECTIONS


def test_a_word_of_the_vocabulary_is_left_as_typed_unless_rare() -> None:
    assert corrections("planet", [("planets", 30), ("plane", 40)], {"planet": 336}) == []
    assert corrections("modl", [("model", 50)], {"modl": 1}) == [("model", 0.75)]


def test_a_word_joining_two_vocabulary_words_is_split() -> None:
    vocabulary = {"x": 40, "wing": 200, "xw": 1}
    assert "x" in pieces("xwing") and "wing" in pieces("xwing")
    assert corrections("xwing", [], vocabulary) == [("x wing", 0.8)]


def test_a_word_joining_three_is_split_after_those_joining_two() -> None:
    vocabulary = {"book": 30, "and": 900, "record": 12, "bookand": 1}
    assert corrections("bookandrecord", [], vocabulary) == [
        ("bookand record", 1 - 1 / 13),
        ("book and record", 1 - 2 / 13),
    ]


def test_fixes_correct_each_word_of_a_query() -> None:
    found = fixes(["luke", "skywalkr"], [("skywalker", 143), ("lake", 9)], {"luke": 500})
    assert found == [[], [("skywalker", 1 - 1 / 8)]]


def test_typo_closeness_needs_every_word_as_typed_or_corrected() -> None:
    names = "|luke skywalker|"
    fixed = [[], [("skywalker", 0.875)]]
    assert typo_closeness(names, ["luke", "skywalkr"], fixed) == (1 + 0.875) / 2
    assert typo_closeness(names, ["leia", "skywalkr"], fixed) == 0
    assert typo_closeness(names, ["luke", "sky"], [[], []]) == 1


def test_a_correction_matches_a_whole_word_and_the_typed_word_a_beginning() -> None:
    """`sa` corrects `sah` to the word `sa`, not to every word beginning with it; the word as typed may
    be typed in part."""
    fixed = [[], [("sa", 2 / 3)]]
    assert typo_closeness("|joe sabino|", ["joe", "sah"], fixed) == 0
    assert typo_closeness("|joe sa|", ["joe", "sah"], fixed) == (1 + 2 / 3) / 2
    assert typo_closeness("|sa joe|", ["joe", "sah"], fixed) == (1 + 2 / 3) / 2
    assert typo_closeness("|joe sahara|", ["jo", "sah"], fixed) == 1


@given(st.lists(WORDS, min_size=1, max_size=3), st.dictionaries(WORDS, st.integers(0, 1000)))
def test_a_correction_is_looked_up_by_its_rarest_part(parts: list[str], uses: dict[str, int]) -> None:
    chosen = lookup_word(" ".join(parts), uses)
    assert chosen in parts
    assert uses.get(chosen, 0) == min(uses.get(part, 0) for part in parts)


def test_numbers_are_typed_as_they_are() -> None:
    """`230` is a year, not a misspelling of `20` or `23`."""
    assert corrections("230", [("20", 50), ("23", 40), ("2300", 3)], {"2": 9, "30": 9}) == []
