"""What `ingest wiki` checks before it sends a single request."""

import pytest
from typer.testing import CliRunner

from lorecache.cli import app
from lorecache.config import get_settings
from lorecache.ingest.wiki import parse_since
from lorecache.sources.client import MissingContactError, user_agent

UNREACHABLE = "http://127.0.0.1:9/api.php"


@pytest.fixture
def no_contact(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LORECACHE_CONTACT", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_scraping_refuses_to_start_without_a_contact(no_contact) -> None:
    result = CliRunner().invoke(app, ["ingest", "wiki", UNREACHABLE])

    assert result.exit_code == 2
    assert "LORECACHE_CONTACT" in result.output


def test_the_user_agent_names_the_contact() -> None:
    assert "(ops@example.org)" in user_agent("ops@example.org")
    with pytest.raises(MissingContactError):
        user_agent("  ")


def test_a_bad_since_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LORECACHE_CONTACT", "ops@example.org")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "wiki", UNREACHABLE, "--since", "yesterday"])
    get_settings.cache_clear()

    assert result.exit_code == 2
    assert "--since takes 'last', 'full' or an ISO timestamp" in result.output
    assert parse_since("2024-01-02T03:04:05").tzinfo is not None
