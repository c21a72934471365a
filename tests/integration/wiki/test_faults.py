"""Between scraper and wiki, a proxy that misbehaves: the scrape waits, retries and completes, or fails
clearly and keeps only whole articles."""

from dataclasses import replace

from sqlalchemy import text

from tests.integration.wiki.conftest import CONTACT, file_hashes, postgres_hashes, scrape
from tests.integration.wiki.proxy import RETRY_AFTER_SECONDS


def _last_run(engine):
    with engine.connect() as connection:
        return (
            connection.execute(text("SELECT * FROM scraping_logs ORDER BY id DESC LIMIT 1")).mappings().one()
        )


def test_every_request_is_polite(engine, files, proxy, rules) -> None:
    assert scrape(engine, files, proxy.api_url, rules).stage == "completed"

    for seen in proxy.seen:
        assert CONTACT in seen.headers["User-Agent"]
        assert "gzip" in seen.headers["Accept-Encoding"]
        assert seen.params["maxlag"] == "5"
        assert len(seen.params.get("pageids", "").split("|")) <= 50
    assert sorted(proxy.fetched_page_ids()) == sorted(set(proxy.fetched_page_ids()))


def test_transient_faults_are_waited_out(engine, files, proxy, rules, dump_hashes) -> None:
    proxy.faults = {1: "429", 4: "503", 7: "truncate", 10: "hang", 11: "503"}

    progress = scrape(engine, files, proxy.api_url, rules)

    assert progress.stage == "completed", progress.error
    assert postgres_hashes(engine) == dump_hashes
    assert file_hashes(files) == dump_hashes
    waited = proxy.seen[2].at - proxy.seen[1].at
    assert waited >= RETRY_AFTER_SECONDS - 0.05
    assert [seen.fault for seen in proxy.seen].count(None) == len(proxy.seen) - 5


def test_a_wiki_that_keeps_refusing_fails_clearly_and_loses_nothing(
    engine, files, proxy, rules, dump_files, dump_hashes
) -> None:
    proxy.faults = dict.fromkeys(range(8, 8 + rules.max_attempts), "503")

    progress = scrape(engine, files, proxy.api_url, rules)

    assert progress.stage == "failed"
    assert "kept failing: HTTP 503" in progress.error
    run = _last_run(engine)
    assert run["status"] == "failed"
    assert "HTTP 503" in run["error_message"]
    stored = postgres_hashes(engine, importance=False)
    assert 0 < len(stored) < 1000
    whole = file_hashes(dump_files, importance=False)
    assert stored == file_hashes(files, importance=False) == {page: whole[page] for page in stored}

    proxy.seen.clear()
    resumed = scrape(engine, files, proxy.api_url, rules)

    assert resumed.stage == "completed", resumed.error
    assert postgres_hashes(engine) == dump_hashes
    assert not set(proxy.fetched_page_ids()) & set(stored)


def test_an_answer_that_never_comes_fails_after_the_timeouts(engine, files, proxy, rules) -> None:
    proxy.always = "hang"
    proxy.hang_seconds = 0.5

    progress = scrape(engine, files, proxy.api_url, replace(rules, timeout_seconds=0.2, max_attempts=2))

    assert progress.stage == "failed"
    assert "no answer within 0.2 s" in progress.error
    assert _last_run(engine)["status"] == "failed"
