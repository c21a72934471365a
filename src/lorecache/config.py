"""Settings, read from the environment and from `.env`.

Every field has a default and a description; README.md's configuration table lists them all (a test
keeps the two in step).
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL to use (postgresql://user@host:port/db). Unset: an embedded PostgreSQL "
        "is started under the data directory.",
    )
    data_dir: Path = Field(
        default=Path(".lorecache"),
        validation_alias="LORECACHE_DATA_DIR",
        description="Where the file cache, images and the embedded PostgreSQL live.",
    )
    universe: str = Field(
        default="star_wars",
        validation_alias="LORECACHE_UNIVERSE",
        description="The universe (a TOML file in lorecache/universes) the API serves and ingests.",
    )
    source: str | None = Field(
        default=None,
        validation_alias="LORECACHE_SOURCE",
        description="What `serve` prefetches from: a dump path or a wiki's api.php URL. Unset: the "
        "bundled 1,000-page sample.",
    )
    statement_timeout_ms: int = Field(
        default=2000,
        validation_alias="LORECACHE_STATEMENT_TIMEOUT_MS",
        description="Upper bound on every API query in PostgreSQL; a slower query answers 503.",
    )
    max_page_size: int = Field(
        default=100,
        validation_alias="LORECACHE_MAX_PAGE_SIZE",
        description="Hard cap on `limit` for every list route.",
    )
    workers: int = Field(
        default=0,
        validation_alias="LORECACHE_WORKERS",
        description="Parser processes for ingests; 0 means one per CPU core.",
    )
    contact: str | None = Field(
        default=None,
        validation_alias="LORECACHE_CONTACT",
        description="How the wiki's operators reach whoever runs the scraper (an e-mail or a URL), sent in "
        "the User-Agent. Fandom and Wikimedia refuse anonymous clients, so `ingest wiki` will not start "
        "without it.",
    )
    replica_urls: str = Field(
        default="",
        validation_alias="LORECACHE_REPLICA_URLS",
        description="Comma-separated streaming replicas of `DATABASE_URL` that take the API's reads; "
        "writes and ingests stay on the primary. Unset: every read goes to the primary.",
    )
    db_retry_seconds: float = Field(
        default=2.0,
        validation_alias="LORECACHE_DB_RETRY_SECONDS",
        description="After a PostgreSQL failure, how long the API answers from the file cache before "
        "trying PostgreSQL again.",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        validation_alias="LORECACHE_ADMIN_TOKEN",
        description="Bearer token for the admin routes (`POST /prefetch`). Unset: those routes answer 403.",
    )
    cors_origins: str = Field(
        default="",
        validation_alias="LORECACHE_CORS_ORIGINS",
        description="Comma-separated origins browsers may call the API from (`*` for any). Unset: no "
        "CORS headers, so only same-origin pages can read answers.",
    )

    fetch_images: Literal["auto", "on", "off"] = Field(
        default="auto",
        validation_alias="LORECACHE_FETCH_IMAGES",
        description="Whether the prefetch fetches the articles' images (stage 2). `auto`: for a wiki "
        "source only, since a dump is offline data whose image host is on the internet (`lorecache "
        "images fetch` fetches those on demand); `on`; `off`.",
    )

    image_store: str = Field(
        default="disk",
        pattern=r"^(disk|s3://[^/]+(/.*)?)$",
        validation_alias="LORECACHE_IMAGE_STORE",
        description="Where fetched images are kept: `disk` (under the data directory) or an S3-compatible "
        "bucket, `s3://bucket/prefix`, reached through the usual AWS variables (AWS_ENDPOINT_URL, "
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), so that every API host serves "
        "the same images.",
    )
    image_delivery: Literal["redirect", "stream"] = Field(
        default="redirect",
        validation_alias="LORECACHE_IMAGE_DELIVERY",
        description="How the image route hands out an image kept in a bucket: `redirect` to the bucket's "
        "URL (the client fetches the bytes from the bucket or its CDN), or `stream` the bytes through "
        "the service (for a bucket clients cannot reach).",
    )
    image_public_url: str | None = Field(
        default=None,
        validation_alias="LORECACHE_IMAGE_PUBLIC_URL",
        description="A public base URL of the bucket (a CDN in front of it) that redirects point to, "
        "followed by the object's key. Unset: redirects carry presigned URLs valid for an hour.",
    )

    mcp_tools: Literal["full", "simple"] = Field(
        default="full",
        validation_alias="LORECACHE_MCP_TOOLS",
        description="The MCP server's tools: `full` (search, articles, lists, links, lore context…) or "
        "`simple`, one `lore(query)` tool, for small models that choose among many tools badly.",
    )

    mcp_hosts: str = Field(
        default="127.0.0.1:*,localhost:*,[::1]:*",
        validation_alias="LORECACHE_MCP_HOSTS",
        description="Comma-separated `Host` headers `/mcp` accepts (`name:*` for any port): a guard "
        "against DNS rebinding. Add the service's public name when serving beyond loopback.",
    )

    @property
    def universe_dir(self) -> Path:
        return self.data_dir / self.universe

    def wants_images(self, source: str) -> bool:
        """Whether a prefetch of `source` runs stage 2."""
        return self.fetch_images == "on" or (self.fetch_images == "auto" and is_wiki(source))

    @property
    def replica_url_list(self) -> list[str]:
        return [url.strip() for url in self.replica_urls.split(",") if url.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]


def is_wiki(source: str) -> bool:
    """A source spec naming a wiki's API rather than a dump."""
    return source.startswith(("http://", "https://"))


@lru_cache
def get_settings() -> Settings:
    return Settings()
