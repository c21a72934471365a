"""Does PostgreSQL hold exactly what the file cache holds? Counts per category, then every article."""

from __future__ import annotations

from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore, content_hash

MAX_LISTED = 20


def differences(files: FileCache, store: PostgresStore) -> list[str]:
    """Human-readable differences; empty when the two stores agree article for article."""
    problems = _category_differences(files, store)
    on_disk = {article.page_id: content_hash(article) for article in files.iter_articles()}
    in_db = {article.page_id: content_hash(article) for article in store.iter_articles()}
    missing = sorted(on_disk.keys() - in_db.keys())
    extra = sorted(in_db.keys() - on_disk.keys())
    changed = sorted(page for page in on_disk.keys() & in_db.keys() if on_disk[page] != in_db[page])
    for label, pages in (
        ("missing from PostgreSQL", missing),
        ("only in PostgreSQL", extra),
        ("differ", changed),
    ):
        if pages:
            shown = ", ".join(map(str, pages[:MAX_LISTED]))
            problems.append(
                f"{len(pages)} articles {label} (page ids {shown}{'…' if len(pages) > MAX_LISTED else ''})"
            )
    return problems


def _category_differences(files: FileCache, store: PostgresStore) -> list[str]:
    on_disk = files.stats()["by_category"]
    in_db = store.category_counts()
    return [
        f"category {category}: file cache {on_disk.get(category)}, PostgreSQL {in_db.get(category)}"
        for category in sorted(on_disk.keys() | in_db.keys())
        if on_disk.get(category) != in_db.get(category)
    ]
