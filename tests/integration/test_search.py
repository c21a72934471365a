"""Search and lookup on small hand-made data, asked of PostgreSQL and of the file cache alike."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise, product

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lorecache.answers import page_items
from lorecache.ingest import Ingest
from lorecache.query import ListQuery
from lorecache.search import postgres as postgres_search
from lorecache.sources.dump import DumpSource
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore
from tests.conftest import fresh_database
from tests.support.pages import infobox_page, redirect_page, write_dump


def _planet(page_id, title, region, climate, terrain, legends=False):
    fields = {"region": f"[[{region}]]", "climate": climate, "primary_terrain": terrain}
    lead = f"'''{title}''' was a planet with a {climate.lower()} climate."
    return infobox_page(page_id, title, "Planet", fields, lead, legends)


def _character(page_id, title, homeworld):
    return infobox_page(
        page_id, title, "Character", {"homeworld": f"[[{homeworld}]]"}, f"'''{title}''' lived."
    )


PAGES = [
    _planet(1, "Tatooine", "Outer Rim Territories", "Hot and arid", "[[Desert]]"),
    _planet(2, "Tatooine/Legends", "Outer Rim Territories", "Arid", "Desert", legends=True),
    infobox_page(3, "Tatoo system", "System", {"region": "[[Outer Rim Territories]]"}, "A star system."),
    infobox_page(4, "Twi'lek", "Species", {"homeworld": "[[Ryloth]]"}, "'''Twi'leks''' were a species."),
    _character(5, "Padmé Amidala", "Naboo"),
    redirect_page(6, "Padme", "Padmé Amidala"),
    redirect_page(13, "Senator Naberrie", "Padmé Amidala"),
    _planet(7, "Coruscant", "Core Worlds", "Temperate", "Cityscape"),
    _character(8, "Luke Skywalker", "Tatooine"),
    _planet(9, "Jakku", "Western Reaches", "Arid", "[[Desert]]"),
    _planet(10, "Geonosis", "Outer Rim Territories", "Arid", "Rocky desert"),
    _planet(11, "Hoth", "Outer Rim Territories", "Frozen", "Ice"),
    _character(12, "Anakin Skywalker", "Tatooine"),
    *[_character(100 + n, f"Moisture farmer {n}", "Tatooine") for n in range(5)],
    _character(200, "Tatoo I sunwatcher", "Tatoo system"),
    _planet(300, "Unidentified Outer Rim planet", "Western Reaches", "Temperate", "Forest"),
]


@pytest.fixture(scope="module")
def stores(server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory):
    scratch = tmp_path_factory.mktemp("search")
    dump = write_dump(scratch / "pages.xml", PAGES)
    files = FileCache(scratch / "star_wars")
    with fresh_database(server_url, template_database) as url:
        engine = database.make_engine(url, pool_size=2)
        progress = Ingest(engine, files, "star_wars", workers=1).run(DumpSource(dump), force=True)
        assert progress.stage == "completed", progress.error
        yield {"postgres": PostgresStore(engine, "star_wars"), "file_cache": files}
        engine.dispose()


@dataclass
class Asked:
    """A page as an answer shows it: its items decoded, a search's with their scores."""

    rows: list[dict]
    has_more: bool
    did_you_mean: str | None


def _asked(store, query: ListQuery) -> Asked:
    page = store.list_articles(query)
    return Asked([orjson.loads(item) for item in page_items(page)], page.has_more, page.did_you_mean)


@pytest.fixture(params=["postgres", "file_cache"])
def store(request: pytest.FixtureRequest, stores):
    return stores[request.param]


def _titles(store, search: str, **options) -> list[str]:
    query = ListQuery(search=search, continuity=options.pop("continuity", "all"), **options)
    return [row["name"] for row in _asked(store, query).rows]


def test_a_prefix_finds_the_famous_article_first(store) -> None:
    found = _titles(store, "Tato")
    assert found[0] == "Tatooine"
    assert found.index("Tatooine") < found.index("Tatoo system")
    assert found.index("Tatooine") < found.index("Tatooine/Legends")


def test_any_case_and_the_exact_title_first(store) -> None:
    assert _titles(store, "tATOOINE")[:2] == ["Tatooine", "Tatooine/Legends"]


def test_legends_asked_for_puts_the_twin_first(store) -> None:
    assert _titles(store, "Tatooine", continuity="legends") == ["Tatooine/Legends"]


def test_punctuation_and_accents_are_ignored(store) -> None:
    assert _titles(store, "Twilek")[0] == "Twi'lek"
    assert _titles(store, "padme amidala")[0] == "Padmé Amidala"


def test_aliases_from_redirects_match(store) -> None:
    assert _titles(store, "Padme")[0] == "Padmé Amidala"


def test_full_text_reads_aliases_too(store) -> None:
    assert _titles(store, "naberrie lived") == ["Padmé Amidala"]


@pytest.mark.parametrize(
    ("typo", "meant"), [("Tatoine", "Tatooine"), ("Corusant", "Coruscant"), ("Geonosys", "Geonosis")]
)
def test_typos_are_forgiven_with_a_suggestion(store, typo: str, meant: str) -> None:
    page = _asked(store, ListQuery(search=typo, continuity="all"))
    assert page.rows[0]["name"] == meant
    assert page.did_you_mean == meant


def test_words_in_any_order(store) -> None:
    assert _titles(store, "Skywalker Luke")[0] == "Luke Skywalker"


def test_scores_fall_with_match_quality(store) -> None:
    rows = _asked(store, ListQuery(search="Tatooine", continuity="all")).rows
    assert rows[0]["score"] == 1.0
    assert all(a["score"] >= b["score"] for a, b in pairwise(rows))


def test_category_and_continuity_narrow_the_search(store) -> None:
    assert _titles(store, "Tato", categories=("systems",)) == ["Tatoo system"]
    assert "Tatooine/Legends" not in _titles(store, "Tato", continuity="canon")


def test_infobox_filters(store) -> None:
    outer_rim = ListQuery(categories=("planets",), filters=(("region", "outer rim territories"),), limit=50)
    assert {row["name"] for row in _asked(store, outer_rim).rows} == {"Tatooine", "Geonosis", "Hoth"}
    arid = ListQuery(categories=("planets",), filters=(("climate", "ARID"),), limit=50)
    assert {row["name"] for row in _asked(store, arid).rows} == {"Tatooine", "Geonosis", "Jakku"}


def test_counts_fields_and_articles_answer_alike(stores) -> None:
    """The rest of the read interface: both stores give the same counts, the same fields to filter on,
    and byte for byte the same prepared article."""
    postgres, files = stores["postgres"], stores["file_cache"]
    assert postgres.categories() == files.categories()
    assert postgres.fields() == files.fields()
    assert postgres.stats() == files.stats()
    asked = [("Tatooine", "all"), ("padme", "all"), ("Tatooine", "legends"), ("Nowhere", "all")]
    for title, continuity in asked:
        assert postgres.detail(title, continuity) == files.detail(title, continuity)
    assert orjson.loads(postgres.detail("Senator Naberrie").json)["name"] == "Padmé Amidala"


def _browsed(store, categories: tuple[str, ...], continuity: str, limit: int, offset: int) -> list[str]:
    query = ListQuery(categories, continuity, limit=limit, offset=offset)
    return [row["name"] for row in _asked(store, query).rows]


@pytest.mark.parametrize("continuity", ["canon", "legends", "all"])
def test_pages_of_a_category_read_by_place_answer_as_counted_ones(stores, continuity) -> None:
    """PostgreSQL reads a page by its place in `category_ranks`; before a load has ranked a category,
    from the articles themselves; the file cache walks its own order. Page after page, all alike."""
    postgres, files = stores["postgres"], stores["file_cache"]
    for categories, limit, offset in product([("planets",), ("characters",), ()], (1, 3), range(8)):
        expected = _browsed(files, categories, continuity, limit, offset)
        assert _browsed(postgres, categories, continuity, limit, offset) == expected, (categories, offset)
    with postgres.engine.begin() as connection:
        connection.execute(text("DELETE FROM category_ranks"))
    try:
        for offset in range(8):
            expected = _browsed(files, ("planets",), continuity, 2, offset)
            assert _browsed(postgres, ("planets",), continuity, 2, offset) == expected
    finally:
        postgres.refresh_derived()


def test_random_respects_the_filters(store) -> None:
    query = ListQuery(categories=("planets",), filters=(("climate", "arid"), ("region", "Outer Rim")))
    picks = {orjson.loads(store.random(query))["name"] for _ in range(20)}
    assert picks <= {"Tatooine", "Geonosis"}
    assert store.random(ListQuery(categories=("planets",), filters=(("climate", "molten"),))) is None


def test_lookup_resolves_case_aliases_and_continuity(store) -> None:
    assert store.get("tatooine").title == "Tatooine"
    assert store.get("Padme").title == "Padmé Amidala"
    assert store.get("Tatooine", "legends").title == "Tatooine/Legends"
    assert store.get("Tatooine/Legends").title == "Tatooine/Legends"
    assert store.get("Nowhere") is None


def test_importance_counts_inbound_links(store) -> None:
    assert store.get("Tatooine").importance == 7
    assert store.get("Tatoo system").importance == 1


def test_full_text_finds_desert_planets_of_the_outer_rim(store) -> None:
    query = ListQuery(search="desert planet Outer Rim", continuity="canon", categories=("planets",))
    found = [row["name"] for row in _asked(store, query).rows]
    assert set(found) == {"Tatooine", "Geonosis"}


def test_full_text_puts_the_famous_match_first_and_a_missing_word_is_no_typo(store) -> None:
    page = _asked(store, ListQuery(search="desert planet Outer Rim", continuity="all"))
    assert [row["name"] for row in page.rows] == ["Tatooine", "Geonosis", "Tatooine/Legends"]
    assert all(0 < row["score"] < 0.5 for row in page.rows)
    assert page.did_you_mean is None


def test_full_text_stems_words_and_skips_stop_words(store) -> None:
    found = _titles(store, "the deserts of the planets", categories=("planets",))
    assert set(found) == {"Tatooine", "Tatooine/Legends", "Geonosis", "Jakku"}


@pytest.mark.parametrize(
    "hostile", ["%", "_", "\\", "'", "%_\\'", "\x00\x07", "x" * 10_000, "Татуин 塔图因", "a"]
)
def test_hostile_queries_answer(store, hostile: str) -> None:
    page = _asked(store, ListQuery(search=hostile, continuity="all"))
    assert isinstance(page.rows, list)


def test_a_typo_in_one_word_of_several(store) -> None:
    page = _asked(store, ListQuery(search="Luke Skywalkr", continuity="all"))
    assert page.rows[0]["name"] == "Luke Skywalker"
    assert page.did_you_mean == "Luke Skywalker"


def test_words_run_together_are_split(store) -> None:
    assert _titles(store, "PadmeAmidala")[0] == "Padmé Amidala"


def test_prefixes_of_aliases_and_short_prefixes(store) -> None:
    assert _titles(store, "Senator Nab") == ["Padmé Amidala"]
    assert _titles(store, "Lu")[0] == "Luke Skywalker"
    assert _titles(store, "c") == ["Coruscant"]


def test_words_shorter_than_a_trigram_begin_words_and_are_never_found_inside_one(store) -> None:
    """`%a%` holds no trigram for an index to look up, and inside words nearly every name has it."""
    assert _titles(store, "s t") == ["Tatoo system", "Tatoo I sunwatcher"]
    assert _titles(store, "T a") == []
    assert "Tatooine" in _titles(store, "ato t")


def test_a_common_word_is_not_taken_for_a_typo(store) -> None:
    """`moisture planet` names no article: both words are words of names, so no guess is made."""
    page = _asked(store, ListQuery(search="moisture planet", continuity="all"))
    assert page.did_you_mean is None
    assert all(row["score"] < 0.5 for row in page.rows)


QUERIES = st.sampled_from([page.title for page in PAGES]).flatmap(
    lambda title: (
        st.tuples(st.integers(1, len(title)), st.integers(0, len(title)), st.sampled_from("aeiz ")).map(
            lambda cut: (title[: cut[0]][: cut[1]] + cut[2] + title[: cut[0]][cut[1] :]).strip() or title
        )
        | st.just(title.lower())
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(search=QUERIES)
def test_both_stores_and_both_postgres_paths_answer_alike(stores, monkeypatch, search: str) -> None:
    """Prefixes, typos and cut titles of the pages: the file cache ranks as PostgreSQL does, and
    PostgreSQL's probe, ranked in Python, as its tier-by-tier statements."""
    query = ListQuery(search=search, continuity="all", limit=10)
    probed = [row["name"] for row in _asked(stores["postgres"], query).rows]
    assert [row["name"] for row in _asked(stores["file_cache"], query).rows] == probed
    with monkeypatch.context() as patched:
        patched.setattr(postgres_search, "PROBE_LIMIT", -1)
        assert [row["name"] for row in _asked(stores["postgres"], query).rows] == probed


def test_the_derived_tables_hold_every_name_and_word(stores) -> None:
    with stores["postgres"].engine.connect() as connection:
        names = dict(connection.execute(text("SELECT name, count(*) FROM article_names GROUP BY name")).all())
        uses = dict(connection.execute(text("SELECT word, uses FROM search_vocabulary")).all())
    assert names["tatooine"] == 2 and names["senator naberrie"] == 1
    assert uses["tatooine"] == 2 and uses["farmer"] == 5


def test_derived_tables_missing_after_an_upgrade_are_built(stores) -> None:
    """Until they are, searches still find names through the trigram tiers."""
    postgres = stores["postgres"]
    count = "SELECT (SELECT count(*) FROM article_names), (SELECT count(*) FROM search_vocabulary)"
    with postgres.engine.begin() as connection:
        built = connection.execute(text(count)).one()
        for table in ("article_names", "article_words", "search_vocabulary"):
            connection.execute(text(f"DELETE FROM {table}"))
    assert _titles(postgres, "Senator Nab") == ["Padmé Amidala"]
    postgres.ensure_derived()
    with postgres.engine.connect() as connection:
        assert connection.execute(text(count)).one() == built
    assert _titles(postgres, "Senator Nab") == ["Padmé Amidala"]


def test_answers_missing_after_an_upgrade_are_prepared(stores) -> None:
    """A database upgraded from a release that kept no prepared answers gets them at start-up."""
    postgres = stores["postgres"]
    before = postgres.detail("Tatooine")
    with postgres.engine.begin() as connection:
        connection.execute(text("DELETE FROM article_answers"))
    assert _titles(postgres, "Tatooine") == []
    postgres.ensure_derived()
    assert postgres.detail("Tatooine") == before
    assert _titles(postgres, "Tatooine")[0] == "Tatooine"


@pytest.fixture
def crowded(stores, monkeypatch):
    """Prefixes that more than three names begin with count as crowded, and keep three completions a
    continuity (`t` has four canon articles); the tables are rebuilt as they were afterwards."""
    postgres = stores["postgres"]
    monkeypatch.setattr(postgres_search, "CROWDED_PREFIX", 3)
    monkeypatch.setattr(postgres_search, "COMPLETIONS", 3)
    postgres.refresh_derived()
    yield postgres
    monkeypatch.undo()
    postgres.refresh_derived()


def _completed_prefixes(postgres) -> set[str]:
    with postgres.engine.connect() as connection:
        return set(connection.execute(text("SELECT DISTINCT prefix FROM name_completions")).scalars())


@pytest.mark.parametrize("continuity", ["all", "canon", "legends"])
@pytest.mark.parametrize("categories", [(), ("planets",)])
def test_crowded_prefixes_answer_as_their_ranges(stores, crowded, continuity, categories) -> None:
    """Page after page, within the completions and past them, with and without a category: the same
    answers as the file cache, which has no completions."""
    assert {"t", "tatoo", "moisture farmer"} <= _completed_prefixes(crowded)
    assert "tatooi" not in _completed_prefixes(crowded)
    for search in ("T", "ta", "tatoo", "mo", "Moisture farmer", "tatooi"):
        for limit, offset in product((1, 2), range(4)):
            query = ListQuery(categories, continuity, search, limit=limit, offset=offset)
            expected = [row["name"] for row in _asked(stores["file_cache"], query).rows]
            assert [row["name"] for row in _asked(crowded, query).rows] == expected, (search, limit, offset)


def test_completions_missing_after_an_upgrade_are_built(crowded) -> None:
    built = _completed_prefixes(crowded)
    with crowded.engine.begin() as connection:
        connection.execute(text("DELETE FROM name_completions"))
    crowded.ensure_derived()
    assert _completed_prefixes(crowded) == built
