"""The live progress of a prefetch or ingest: what `/prefetch/status` and the progress bars show."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_REPORTED_ERRORS = 100


@dataclass
class Progress:
    stage: str = "pending"
    source: str | None = None
    pages_read: int = 0
    articles_processed: int = 0
    articles_total: int = 0
    articles_created: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    articles_failed: int = 0
    redirects: int = 0
    images_total: int = 0
    images_fetched: int = 0
    images_failed: int = 0
    images_bytes: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    _stage_started: float = field(default=0.0, repr=False)

    @property
    def is_complete(self) -> bool:
        return self.stage in ("completed", "skipped")

    def begin(self, source: str) -> None:
        self.source = source
        self.started_at = time.time()

    def enter(self, stage: str, total: int = 0) -> None:
        """Start a stage; the per-article counters restart, the totals of the run stay."""
        self._close_stage()
        self.stage, self._stage_started = stage, time.monotonic()
        self.articles_processed, self.articles_total = 0, total

    def record_error(self, title: str | None, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"title": title, "reason": reason})

    def end(self, stage: str, error: str | None = None) -> None:
        self._close_stage()
        self.stage, self.error, self.finished_at = stage, error, time.time()

    def _close_stage(self) -> None:
        if self._stage_started:
            self.stage_seconds[self.stage] = round(time.monotonic() - self._stage_started, 3)
            self._stage_started = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_stage_started")
        return data
