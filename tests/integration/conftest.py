"""The app after its prefetch of the sample, shared by the modules reading lore through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lorecache.api.app import create_app
from lorecache.config import Settings
from tests.conftest import SAMPLE, fresh_database
from tests.integration.test_api import wait_for_prefetch


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, server_url: str, template_database: str) -> Iterator:
    """The runtime, a client, the database URL and the data directory of an app whose prefetch of the
    sample is done: its store answers from PostgreSQL, its file cache is filled."""
    data = tmp_path_factory.mktemp("loaded-data")
    with fresh_database(server_url, template_database) as url:
        settings = Settings(DATABASE_URL=url, LORECACHE_DATA_DIR=data, LORECACHE_SOURCE=str(SAMPLE))
        app = create_app(settings)
        with TestClient(app) as client:
            assert wait_for_prefetch(client)["is_complete"]
            yield app.state.runtime, client, url, data
