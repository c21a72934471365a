"""The public shape of an article in an answer: the same whichever store found it."""

from __future__ import annotations

from typing import Any

from lorecache.images.names import image_url

SUMMARY_FIELDS = ("title", "category", "kind", "is_canon", "summary", "url", "infobox", "image", "importance")


def listing(row: dict[str, Any], score: float | None = None) -> dict[str, Any]:
    """An article in a list: `name` is the seed's word for the title."""
    shaped = {"name": row["title"], **{field: row[field] for field in SUMMARY_FIELDS}}
    shaped["image_url"] = image_url(row["image"])
    if score is not None:
        shaped["score"] = score
    return shaped
