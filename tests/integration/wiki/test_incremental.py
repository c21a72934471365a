"""After a full scrape, `--since last` fetches only what changed on the wiki and removes what was
deleted, from both stores."""

from sqlalchemy import text

from lorecache.store.postgres import PostgresStore
from lorecache.verify import differences
from tests.integration.wiki.conftest import UNIVERSE, scrape
from tests.integration.wiki.proxy import FaultProxy

EDITED, DELETED = "Tatooine", "Tatooine/Legends"


def test_an_edit_and_a_deletion_are_all_an_incremental_sync_fetches(engine, files, own_wiki, rules) -> None:
    proxy = FaultProxy(own_wiki.api_url)
    try:
        assert scrape(engine, files, proxy.api_url, rules).stage == "completed"
        tatooine = files.get(EDITED)
        own_wiki.edit(
            EDITED, "{{Planet\n|region=[[Mid Rim]]\n}}\nA desert world, edited.\n[[Category:Canon articles]]"
        )
        own_wiki.delete(DELETED)
        proxy.seen.clear()
        progress = scrape(engine, files, proxy.api_url, rules)
    finally:
        proxy.close()

    assert progress.stage == "completed", progress.error
    assert [seen.params.get("list") or seen.params.get("meta") or "pages" for seen in proxy.seen] == [
        "siteinfo",
        "recentchanges",
        "pages",
    ]
    assert proxy.fetched_page_ids() == [tatooine.page_id]
    edited = PostgresStore(engine, UNIVERSE).get(EDITED)
    assert edited.summary == "A desert world, edited."
    assert edited.infobox == {"region": "Mid Rim"}
    assert edited.revision_id > tatooine.revision_id
    assert files.get(EDITED).summary == edited.summary
    assert files.get(DELETED) is None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM wiki_articles")).scalar_one() == 999
        assert (
            connection.execute(
                text("SELECT count(*) FROM wiki_articles WHERE title = :t"), {"t": DELETED}
            ).scalar_one()
            == 0
        )
        checkpoint = connection.execute(
            text("SELECT checkpoint FROM scraping_logs ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert checkpoint["mode"] == "incremental"
    assert differences(files, PostgresStore(engine, UNIVERSE)) == []
