"""How a card finds the links in an infobox value: the names of its field's targets, as whole words."""

from hypothesis import given
from hypothesis import strategies as st

from lorecache.article import Article
from lorecache.universes import load
from lorecache.web.card import Linker, Piece, lifetime


def linked(item: str, targets: list[str], held: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    held = held if held is not None else {target: target for target in targets}
    return [(piece.text, piece.link) for piece in Linker(targets, held).pieces(item)]


def test_a_value_naming_two_articles_holds_two_links() -> None:
    assert linked("34 ABY, Ahch-To", ["34 ABY", "Ahch-To"]) == [
        ("34 ABY", "34 ABY"),
        (", ", None),
        ("Ahch-To", "Ahch-To"),
    ]


def test_a_qualifier_or_a_continuity_suffix_is_not_part_of_the_name() -> None:
    assert linked("Mos Espa (de facto capital)", ["Mos Espa"]) == [
        ("Mos Espa", "Mos Espa"),
        (" (de facto capital)", None),
    ]
    assert linked("Er'Kit", ["Er'Kit (species)"]) == [("Er'Kit", "Er'Kit (species)")]
    assert linked("Tatoo I", ["Tatoo I/Legends"]) == [("Tatoo I", "Tatoo I/Legends")]


def test_only_whole_words_of_held_targets_link() -> None:
    assert linked("Hot and arid", ["Temperature"]) == [("Hot and arid", None)]
    assert linked("Humanoid", ["Human"]) == [("Humanoid", None)]
    assert linked("Human", ["Human"], held={}) == [("Human", None)]


def test_a_link_leads_to_the_title_the_cache_holds() -> None:
    assert linked("human", ["Human"], held={"Human": "Human (species)"}) == [("human", "Human (species)")]


names = st.text(alphabet="ab (')/-", min_size=1, max_size=8)


@given(item=st.text(max_size=40), targets=st.lists(names, max_size=4))
def test_the_pieces_spell_the_value_and_link_only_held_titles(item: str, targets: list[str]) -> None:
    held = {target: f"title of {target}" for target in targets[::2]}
    cut = Linker(targets, held).pieces(item)
    assert "".join(piece.text for piece in cut) == item
    assert all(isinstance(piece, Piece) and piece.link in (None, *held.values()) for piece in cut)


def _dated(**infobox: str) -> Article:
    return Article("star_wars", 1, "Someone", "Someone", "u", None, "characters", True, "", infobox=infobox)


def test_a_card_says_when_its_article_is_in_the_story() -> None:
    calendar = load("star_wars").calendar
    assert lifetime(calendar, _dated(born="[[19 BBY]], [[Polis Massa]]", died="[[34 ABY]]")) == (
        "19 BBY to 34 ABY"
    )
    assert lifetime(calendar, _dated(date="[[0 BBY]]")) == "0 ABY"
    assert lifetime(calendar, _dated(constructed="c. 3,000 BBY")) == "from 3000 BBY"
    assert lifetime(calendar, _dated(homeworld="Tatooine")) is None
