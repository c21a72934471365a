"""Response models: they document the API in OpenAPI; answers are serialised with orjson directly."""

from typing import Any, Literal

from pydantic import BaseModel, Field

InfoboxValue = str | list[str]


class Date(BaseModel):
    """An infobox date as written and as years (BBY negative); `from` null when open before
    (`Before 32 BBY`), `to` null when open after; both null when the text holds no year."""

    text: str
    from_: int | None = Field(alias="from")
    to: int | None
    approximate: bool


class Span(BaseModel):
    from_: int | None = Field(alias="from")
    to: int | None


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
    dates: dict[str, Date]
    span: Span | None
    score: float | None = None
    future: list[str] | None = None
    """With `as_of`: the dates still to come then."""


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


class Event(BaseModel):
    title: str
    category: str
    is_canon: bool
    date: str | None
    from_: int | None = Field(alias="from")
    to: int | None
    year: str | None
    url: str
    link: str


class Timeline(BaseModel):
    events: list[Event]
    has_more: bool


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
    served_from: Literal["replica", "postgres", "file_cache"]


class DatabaseState(BaseModel):
    name: str
    role: Literal["primary", "replica"]
    state: Literal["up", "behind", "down"]
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str | None = None


class Health(BaseModel):
    status: Literal["healthy", "degraded"]
    databases: list[DatabaseState]


class PrefetchStatus(BaseModel):
    is_complete: bool
    progress: dict[str, Any]


class ErrorBody(BaseModel):
    detail: str | list[dict[str, Any]]
