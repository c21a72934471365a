"""An API process limits glibc's malloc arenas, for itself and the workers it starts."""

import os
import subprocess
import sys

LIMIT = (
    "from lorecache.api import memory; import os; "
    "print(memory.limit_arenas(), os.environ['MALLOC_ARENA_MAX'])"
)


def _limit(environment: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", LIMIT], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_process_and_its_workers_get_two_arenas() -> None:
    unset = {name: value for name, value in os.environ.items() if name != "MALLOC_ARENA_MAX"}
    assert _limit(unset) == ["True", "2"]


def test_an_operators_own_limit_is_kept() -> None:
    assert _limit({**os.environ, "MALLOC_ARENA_MAX": "4"}) == ["False", "4"]
