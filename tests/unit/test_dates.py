"""The date parser on the forms Wookieepedia writes, as raw infobox wikitext through the page parser
(links, refs, `<br />` lists) and as the clean text the parser leaves; a year parameter; spans."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lorecache import answers
from lorecache.article import Article, RawPage
from lorecache.dates import EARLIEST, LATEST, Calendar, Date, Span, load_calendar
from lorecache.universes import load
from lorecache.wikitext import parse_page

STAR_WARS = load("star_wars")
CALENDAR = STAR_WARS.calendar

years = st.integers(min_value=0, max_value=100_000)
eras = st.sampled_from(["BBY", "ABY"])
EN_DASH = "\u2013"
FOLLOWERS = ["", ", [[Polis Massa]]", " (as a clone)", " (39:3 GrS)", '<ref name="x">[[Book]]</ref>']


def _axis(year: int, era: str) -> int:
    return -year if era == "BBY" else year


def _written(year: int, thousands: bool) -> str:
    return f"{year:,}" if thousands else str(year)


def _infobox_date(field: str, value: str) -> Date:
    """A value as a page's infobox holds it, through the page parser and the calendar."""
    text = f"{{{{Top}}}}\n{{{{Character\n|name=Someone\n|{field}={value}\n}}}}\n'''Someone''' lived."
    article = parse_page(RawPage(1, "Someone", 0, text), STAR_WARS)
    assert isinstance(article, Article)
    return CALENDAR.dates(article.infobox)[field]


@given(
    year=years,
    era=eras,
    thousands=st.booleans(),
    link=st.sampled_from(["{}", "[[{}]]", "[[{}/Legends|{}]]"]),
    after=st.sampled_from(FOLLOWERS),
)
def test_a_year_however_linked_and_followed(
    year: int, era: str, thousands: bool, link: str, after: str
) -> None:
    written = f"{_written(year, thousands)} {era}"
    found = _infobox_date("born", link.format(written, written) + after)
    assert (found.start, found.end, found.approximate) == (_axis(year, era), _axis(year, era), False)
    assert written in found.text


@given(year=years, era=eras, qualifier=st.sampled_from(["c. ", "Circa ", "Around ", "Roughly ", "Possibly "]))
def test_circa_is_the_year_approximately(year: int, era: str, qualifier: str) -> None:
    found = CALENDAR.parse(f"{qualifier}{year:,} {era}")
    assert (found.start, found.end, found.approximate) == (_axis(year, era), _axis(year, era), True)


@given(
    year=years,
    era=eras,
    qualifier=st.sampled_from(["Before ", "Prior to ", "By ", "No later than ", "<"]),
)
def test_before_is_open_at_its_start(year: int, era: str, qualifier: str) -> None:
    found = _infobox_date("date", f"{qualifier}[[{year} {era}]]")
    assert (found.start, found.end) == (None, _axis(year, era))


@given(year=years, era=eras, qualifier=st.sampled_from(["After ", "Following ", "Later than ", ">"]))
def test_after_is_open_at_its_end(year: int, era: str, qualifier: str) -> None:
    found = CALENDAR.parse(f"{qualifier}{year} {era}")
    assert (found.start, found.end) == (_axis(year, era), None)


@given(
    first=years,
    second=years,
    era=eras,
    form=st.sampled_from(["Between {} and {}", "{}" + EN_DASH + "{}", "{} to {}", "{}-{}"]),
)
def test_a_range_shares_its_era(first: int, second: int, era: str, form: str) -> None:
    found = CALENDAR.parse(f"{form.format(first, second)} {era}")
    low, high = sorted((_axis(first, era), _axis(second, era)))
    assert (found.start, found.end) == (low, high)


@given(dated=st.lists(st.tuples(years, eras), min_size=1, max_size=4))
def test_a_list_of_dates_spans_them_all(dated: list[tuple[int, str]]) -> None:
    value = "<br />".join(f"[[{year} {era}]], somewhere" for year, era in dated)
    found = _infobox_date("died", value)
    on_axis = [_axis(year, era) for year, era in dated]
    assert (found.start, found.end) == (min(on_axis), max(on_axis))


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_any_text_parses_or_stays_text(text: str) -> None:
    found = CALENDAR.parse(text)
    assert found.text == text
    if found.start is not None and found.end is not None:
        assert found.start <= found.end


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("0 BBY/0 ABY", 0, 0),
        ("31.5 BBY", -31, -31),
        ("900s BBY", -999, -900),
        ("Pre-9400s BBY", None, -9400),
        ("2 months ABY", 0, 0),
        ("22 BBY (13:5:21), First Battle of Geonosis", -22, -22),
        (f"Between 44{EN_DASH}127 ABY (as the Fel Empire)", 44, 127),
        ("20 BBY: Prematurely19 BBY; 1,089 days after the First Battle of Geonosis", -20, -19),
    ],
)
def test_forms_of_the_corpus(text: str, start: int | None, end: int | None) -> None:
    assert (CALENDAR.parse(text).start, CALENDAR.parse(text).end) == (start, end)


@pytest.mark.parametrize(
    "text", ["May 14, 1944", "Roughly ten years before Bastila Shan", "Sometime BBY", "1977"]
)
def test_no_year_of_the_era_stays_text(text: str) -> None:
    assert CALENDAR.parse(text) == Date(text, None, None)


@pytest.mark.parametrize(
    ("asked", "year"),
    [("22 BBY", -22), ("0 ABY", 0), ("0 BBY", 0), ("4 aby", 4), ("3,000 BBY", -3000), ("-22", -22), ("7", 7)],
)
def test_years_as_parameters(asked: str, year: int) -> None:
    assert CALENDAR.year(asked) == year


@pytest.mark.parametrize("asked", ["banana", "", "22 BBY ABY", "1e5", "900s BBY", "BBY", "9" * 12])
def test_what_is_no_year_as_a_parameter(asked: str) -> None:
    assert CALENDAR.year(asked) is None


def test_spans_come_from_the_first_pair_with_a_year() -> None:
    def span(**infobox: str) -> Span | None:
        return CALENDAR.span(CALENDAR.dates(infobox))

    assert span(born="19 BBY", died="34 ABY") == Span(-19, 34)
    assert span(born="15 ABY") == Span(15, 115)
    assert span(died="4 ABY") == Span(-96, 4)
    assert span(born="Unknown", died="4 ABY", date="22 BBY") == Span(-96, 4)
    assert span(born="Before 32 BBY", died="4 ABY") == Span(-132, 4)
    assert span(born="Prior to 19 BBY") == Span(-119, 81)
    assert span(died="After 4 ABY") == Span(-96, 104)
    assert span(date="Before 32 BBY") == Span(EARLIEST, -32)
    assert span(constructed="2 ABY") == Span(2, LATEST)
    assert span(beginning="22 BBY", end="19 BBY") == Span(-22, -19)
    assert span(date="Between 22 and 19 BBY") == Span(-22, -19)
    assert span(date_founded="25,053 BBY", date_dissolved="19 BBY") == Span(-25053, -19)
    assert span(homeworld="Tatooine") is None
    assert span(born="May 14, 1944") is None
    assert Span(EARLIEST, 4).at == 4 and Span(-19, 34).at == -19
    assert Span(EARLIEST, 4).as_dict() == {"from": None, "to": 4}


def test_a_universe_without_dates_reads_none() -> None:
    bare = load_calendar({})
    assert bare == Calendar({}, (), ())
    assert bare.parse("19 BBY") == Date("19 BBY", None, None)
    assert bare.dates({"born": "19 BBY"}) == {}
    assert bare.year("19 BBY") is None


def test_an_event_open_on_both_sides_has_no_year_article() -> None:
    founded = {"text": "Before 100 BBY", "from": None, "to": -100, "approximate": False}
    item = {"title": "Old order", "category": "organizations", "is_canon": True, "url": "u", "dates": {}}
    open_both = item | {"dates": {"date_founded": founded}, "span": {"from": None, "to": None}}
    shown = answers.event(orjson.dumps(open_both).decode(), CALENDAR)
    assert (shown["date"], shown["from"], shown["to"], shown["year"]) == ("Before 100 BBY", None, None, None)
    dated = answers.event(orjson.dumps(item | {"span": {"from": None, "to": -19}}).decode(), CALENDAR)
    assert (dated["date"], dated["year"]) == (None, "19 BBY")
    assert dated["link"] == "/api/v1/wiki/articles/Old%20order"
