"""Per-model work on every core: a map over forked worker processes.

The build's per-model steps (reading and validating a model's files, rendering its page) are
independent of each other. :func:`fork_map` runs one over forked workers, which inherit the
work (a closure over the build's state) without pickling it; only the indexes go out and the
results come back. The order of the results never depends on which worker finished first, and
the output is the same as in one process: below ``minimum`` items, with one core, where fork is
not available, or when a worker dies (memory), the work runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["available_cores", "can_fork", "fork_map"]

T = TypeVar("T")

# The work of the workers, set before they are forked (fork shares it without pickling).
_WORK: Callable[[int], Any] | None = None


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def fork_map(work: Callable[[int], T], count: int, jobs: int, *, minimum: int) -> list[T]:
    """``[work(0), ..., work(count - 1)]``, on ``jobs`` forked processes when ``count`` is at
    least ``minimum`` (fewer items do not pay for the processes)."""
    global _WORK
    if jobs <= 1 or count < max(minimum, 2) or not can_fork() or _WORK is not None:
        return [work(i) for i in range(count)]
    # Contiguous chunks, a few per worker so a slow one does not hold the others up.
    size = max(1, -(-count // (jobs * 4)))
    chunks = [range(i, min(i + size, count)) for i in range(0, count, size)]
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            parts = list(pool.map(_run_chunk, chunks))
    except (BrokenProcessPool, OSError):
        # A worker died (memory?) or no process could start: the work runs here.
        parts = [[work(i) for i in range(count)]]
    finally:
        _WORK = None
    return [result for part in parts for result in part]


def _run_chunk(indexes: range) -> list[Any]:
    assert _WORK is not None
    return [_WORK(i) for i in indexes]
