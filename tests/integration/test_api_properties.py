"""Arbitrary query parameters never make the API fail: a clear 422 (414 past the URL cap), a 404, or a
correct answer."""

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lorecache.api.app import create_app
from lorecache.config import Settings
from tests.conftest import SAMPLE, fresh_database
from tests.integration.test_api import wait_for_prefetch

texts = st.text(st.characters(codec="utf-8"), max_size=300)
numbers = st.one_of(st.integers(-(10**12), 10**12).map(str), texts)


@pytest.fixture(scope="module")
def client(server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory):
    with fresh_database(server_url, template_database) as url:
        data = tmp_path_factory.mktemp("properties")
        settings_ = Settings(DATABASE_URL=url, LORECACHE_DATA_DIR=Path(data), LORECACHE_SOURCE=str(SAMPLE))
        with TestClient(create_app(settings_)) as client:
            assert wait_for_prefetch(client)["is_complete"]
            yield client


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(
    q=texts,
    category=st.one_of(st.none(), texts),
    canon=st.sampled_from([None, "true", "false", "x"]),
    limit=numbers,
    offset=numbers,
)
def test_search_never_fails(client: TestClient, q, category, canon, limit, offset) -> None:
    params = {"q": q, "limit": limit, "offset": offset}
    params |= {key: value for key, value in (("category", category), ("canon", canon)) if value is not None}
    response = client.get("/api/v1/wiki/search", params=params)
    assert response.status_code in (200, 414, 422), response.text
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


@FAST
@given(
    search=st.one_of(st.none(), texts),
    limit=numbers,
    offset=numbers,
    extra=st.dictionaries(texts, texts, max_size=3),
)
def test_list_routes_never_fail(client: TestClient, search, limit, offset, extra) -> None:
    params = {"limit": limit, "offset": offset, **extra}
    if search is not None:
        params["search"] = search
    for path in (
        "/api/v1/wiki/locations/planets",
        "/api/v1/wiki/canon/category/species",
        "/api/v1/wiki/random",
    ):
        response = client.get(path, params=params)
        assert response.status_code in (200, 404, 414, 422), (path, response.text)


@FAST
@given(title=texts)
def test_article_lookup_never_fails(client: TestClient, title: str) -> None:
    response = client.get(f"/api/v1/wiki/articles/{quote(title, safe='')}")
    assert response.status_code in (200, 404, 414, 422), response.text
