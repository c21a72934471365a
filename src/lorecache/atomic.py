"""Files replaced atomically, for every store on disk (articles, the index, images): readers see the
old file or the new one, never half of one, even across a crash; a killed writer leaves only a
temporary, which the next run sweeps."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def write_atomically(path: Path, payload: bytes) -> None:
    """The temporary name carries the writer's pid and thread, so concurrent writers never share one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        handle = temporary.open("wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = temporary.open("wb")
    try:
        with handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _writer_alive(temporary: Path) -> bool:
    """Whether the process named in a temporary's name (`.name.pid.thread.tmp`) still runs here."""
    try:
        os.kill(int(temporary.name.split(".")[-3]), 0)
    except PermissionError:
        return True
    except (ValueError, IndexError, ProcessLookupError):
        return False
    return True


def remove_stale_temporaries(root: Path, candidates: Iterable[Path]) -> int:
    """Delete the temporaries among `candidates` whose writer is gone; returns how many."""
    stale = [temporary for temporary in candidates if not _writer_alive(temporary)]
    for temporary in stale:
        temporary.unlink(missing_ok=True)
    if stale:
        log.warning("removed %d temporary files left by killed writers under %s", len(stale), root)
    return len(stale)
