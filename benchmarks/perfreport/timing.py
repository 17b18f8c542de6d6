"""CPU time per call of Python callables, and the progress bar."""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
import time
import timeit
from typing import Callable, ContextManager


class Progress:
    """A bar on stderr: redrawn in place on a terminal, a line every 10 % in a log."""

    def __init__(self, label: str, total: int):
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.in_place = sys.stderr.isatty()
        self.last_tenth = -1
        self.start = time.monotonic()

    def advance(self, detail: str = "") -> None:
        self.done += 1
        fraction = min(self.done / self.total, 1.0)
        tenth = int(10 * fraction)
        if not self.in_place and tenth == self.last_tenth:
            return
        self.last_tenth = tenth
        bar = "#" * round(24 * fraction)
        line = (f"  {self.label} [{bar:<24}] {self.done}/{self.total} "
                f"{time.monotonic() - self.start:5.0f} s {detail}")
        if self.in_place:
            print(f"\r{line[:110]:<110}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.in_place:
            print(file=sys.stderr, flush=True)


def blas_one_thread() -> tuple[ContextManager, str]:
    """NumPy's BLAS on one thread, like every other contender: (the context
    that holds it there, what the report says about it)."""
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext(), "not limited (threadpoolctl not installed)"
    return threadpoolctl.threadpool_limits(1, user_api="blas"), "one thread (threadpoolctl)"


def cpu_seconds_per_call(calls: dict[str, Callable[[], object]], min_time: float, repeats: int,
                         budget: float, clock: Callable[[], float] = time.thread_time) -> dict[str, float]:
    """Best CPU time of the calling thread per call of each callable (or
    of another `clock`: wall time for calls that run several threads).

    CPU time rather than wall time: the machine may be shared, and a thread
    that waits for a core is not running the kernel. Every contender here is
    single-threaded on the calling thread (simdkit with threads=1, NumPy's
    BLAS held to one thread), so nothing it does is left out.

    The loop count grows 1, 2, 5, 10, 20, ... until one timing lasts
    `min_time` (timeit.Timer.autorange's rule with a shorter floor); then the
    callables are timed in turn, `repeats` times or until each has spent
    `budget` seconds (a call of seconds is timed once or twice), so that all
    of them see the same machine state. The best repeat counts.
    """
    timers = {name: timeit.Timer(call, timer=clock) for name, call in calls.items()}
    loops, best, spent = {}, {}, {}
    for name, timer in timers.items():
        for count in (step * 10**power for power in itertools.count() for step in (1, 2, 5)):
            seconds = timer.timeit(count)
            if seconds >= min_time:
                break
        loops[name], best[name], spent[name] = count, seconds / count, seconds
    for _ in range(repeats - 1):
        pending = [name for name in timers if spent[name] < budget]
        if not pending:
            break
        for name in pending:
            seconds = timers[name].timeit(loops[name])
            spent[name] += seconds
            best[name] = min(best[name], seconds / loops[name])
    return {name: value if value > 0 else math.nan for name, value in best.items()}
