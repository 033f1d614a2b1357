"""The loop every background part runs in: relays, projectors, jobs, measurements.

A worker repeats its step until stopped. It sleeps until the application records something
(`nudge`) or the poll interval passes, so nothing waits on a fast poll; a step that fails
is logged and retried after a growing pause, and readiness learns how often in a row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.eventstore.retries import STORE_UNAVAILABLE

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 5.0  # the longest a failing worker waits before trying again


class Worker:
    """Repeats `step` (which answers how much it did) until stopped; a failing step is
    logged and retried with a growing pause, never allowed to end the loop."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        full: int,
        poll_interval: float,
        on_store_unavailable: Callable[[], None] = lambda: None,
        linger: float = 0.0,
    ) -> None:
        self.name = name
        self.on_store_unavailable = on_store_unavailable
        self.linger = linger
        self.step = step
        self.full = full
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self.failures = 0  # consecutive failed steps; 0 after any step that succeeds
        self.last_error: str | None = None

    def stuck(self, after: int) -> str | None:
        """What readiness reports once `after` steps in a row have failed."""
        return f"stuck: {self.last_error}" if self.failures >= after else None

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        self.last_error = type(error).__name__

    def nudge(self) -> None:
        """Thread-safe: something was recorded, look now."""
        self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stopping: asyncio.Event) -> None:
        pause = self.poll_interval
        while not stopping.is_set():
            self._wake.clear()
            try:
                done = await self.step()
                pause = self.poll_interval
                self.failures = 0
            except STORE_UNAVAILABLE as error:
                # Expected during an outage: one line, no traceback, and the HTTP side
                # learns it at once. The pause stays short so recovery is quick.
                log.warning("%s: store unavailable (%s); retrying in %.1fs", self.name, type(error).__name__, pause)
                self.on_store_unavailable()
                self._failed(error)
                done = 0
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception as error:
                log.exception("%s failed; retrying in %.1fs", self.name, pause)
                self._failed(error)
                done = 0
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            if done >= self.full:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                continue
            if self.linger:
                await asyncio.sleep(self.linger)  # woken by a commit: let a few more join the batch


def in_thread(step: Callable[[], int]) -> Callable[[], Awaitable[int]]:
    """A blocking step (database work) as a worker's step, run in a thread."""

    async def run() -> int:
        return await asyncio.to_thread(step)

    return run


def counted(run: Callable[[], object]) -> Callable[[], int]:
    """A job never asks to run again at once: its interval is its pace."""

    def step() -> int:
        run()
        return 0

    return step
