"""Response models: they document the API in OpenAPI; answers are serialised with orjson directly."""

from typing import Any, Literal

from pydantic import BaseModel

InfoboxValue = str | list[str]


class ArticleSummary(BaseModel):
    name: str
    title: str
    category: str
    kind: str | None
    is_canon: bool
    summary: str
    url: str
    infobox: dict[str, InfoboxValue]
    image: str | None
    image_url: str | None = None
    importance: int
    score: float | None = None


class SearchResults(BaseModel):
    query: str
    results: list[ArticleSummary]
    has_more: bool
    did_you_mean: str | None


class RelatedArticle(BaseModel):
    title: str
    category: str
    is_canon: bool
    shared_links: int
    links_back: bool


class ArticleDetail(ArticleSummary):
    page_id: int
    slug: str
    aliases: list[str]
    links: list[str]
    infobox_links: dict[str, list[str]]
    inbound_links: int
    redirected_from: str | None
    revision_id: int | None
    timestamp: str | None
    related: list[RelatedArticle]


class CategoryInfo(BaseModel):
    category: str
    group: str | None
    articles: int
    canon: int


class CategoryCounts(BaseModel):
    articles: int
    canon: int


class ImageCounts(BaseModel):
    fetched: int
    failed: int
    bytes: int


class CacheStats(BaseModel):
    universe: str
    total_articles: int
    canon_articles: int
    by_category: dict[str, CategoryCounts]
    images: ImageCounts
    served_from: Literal["postgres", "file_cache"]


class Health(BaseModel):
    status: Literal["healthy", "degraded"]


class PrefetchStatus(BaseModel):
    is_complete: bool
    progress: dict[str, Any]


class ErrorBody(BaseModel):
    detail: str | list[dict[str, Any]]
