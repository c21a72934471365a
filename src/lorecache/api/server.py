"""`lorecache serve` in one process: SIGTERM (systemd, Docker, `kill`) stops it as Ctrl-C does.

uvicorn stops on either signal, then raises it again so that the process dies of it; SIGTERM's default
action ends the process before its exit handlers run, and one of them stops the embedded PostgreSQL.
Here the first signal stops the service (no new connections, the prefetch ends at its next batch
boundary, the embedded PostgreSQL stops) and the process exits 0; a second one exits at once.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class _StoppingServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Replaces uvicorn's handler, which records the signal to raise again once stopped."""
        name = signal.Signals(sig).name
        if self.should_exit:
            log.warning("%s again: exiting now, the prefetch's batch unfinished", name)
            _exit_now(sig)
        log.info("%s: stopping (the prefetch ends at its next batch; %s again exits at once)", name, name)
        self.should_exit = True


def _exit_now(sig: int) -> None:
    """Past the exit handlers, which would wait for the running batch: the embedded PostgreSQL is
    released here instead, and the exit status says which signal ended the process, as a shell's does."""
    from lorecache.store import embedded

    embedded.leave()
    os._exit(128 + sig)


def run(app: FastAPI, *, host: str, port: int, access_log: bool) -> None:
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log)
    _StoppingServer(config).run()
