"""Batches of work on every core, results in order, memory flat.

Both heavy stages (parsing pages, loading articles into PostgreSQL) are CPU-bound Python, so they run
in worker processes; at most two batches per worker are in flight, so a source of any size never
piles up in memory.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


PR_SET_PDEATHSIG = 1


def worker_count(requested: int = 0) -> int:
    return requested or os.cpu_count() or 1


def ordered_batches(
    work: Callable[[list[Item]], Result], items: Iterable[Item], batch_size: int, workers: int
) -> Iterator[Result]:
    """Apply `work` to consecutive batches of `items` in worker processes; yield results in order.

    When `items` fails mid-stream, the batch read so far and every batch in flight are still finished
    and yielded before the error propagates: nothing read before a fault is lost. A caller that stops
    early (a service stopping) waits only for the batches already running; the queued ones are dropped.
    `work` must be picklable (a module-level function or a functools.partial of one).
    """
    context = multiprocessing.get_context("spawn")  # fork is unsafe from the API's threaded process
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_follow_parent)
    try:
        pending: deque[Future[Result]] = deque()
        batch: list[Item] = []

        def submit() -> None:
            nonlocal batch
            if batch:
                pending.append(pool.submit(work, batch))
                batch = []

        try:
            for item in items:
                batch.append(item)
                if len(batch) == batch_size:
                    submit()
                    if len(pending) >= 2 * workers:
                        yield pending.popleft().result()
        except Exception:
            submit()
            while pending:
                yield pending.popleft().result()
            raise
        submit()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


def _follow_parent() -> None:
    """A worker stops when its parent says so, not on a terminal's Ctrl-C (sent to every process of
    the group), which would break its batch mid-way under a parent stopping cleanly. It ends when the
    process that started it dies, even killed outright: else it waits on its task queue forever,
    holding its memory (Linux's parent-death signal; elsewhere it outlives it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the signal was asked for
        os._exit(1)
