"""Failing fast while the database is away.

Without it, every request during an outage waits out the connection pool and the event
store's own retries (tens of seconds) before it can answer 503. Once anything in the
process has met the store unavailable (a command, an outbox relay, a projector), the gate
closes: requests are answered 503 at once, and at most one probe a second, a fresh
connection with a short timeout, decides when to let them through again. Nothing is
decided from a guess: a probe that succeeds reopens the gate.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import psycopg


class StoreGate:
    def __init__(self, probe: Callable[[], None] | None, recheck_seconds: float = 1.0) -> None:
        self._probe = probe  # None: nothing to guard (SQLite lives in this process)
        self._recheck = recheck_seconds
        self._down = False
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def trip(self) -> None:
        """Something met the store unavailable."""
        if self._probe is not None:
            with self._lock:
                self._down, self._checked = True, time.monotonic()

    async def passable(self) -> bool:
        """True when a request may go to the store; while down, probes at most once per
        `recheck_seconds` (concurrent callers share the answer)."""
        if not self._down or self._probe is None:
            return True
        with self._lock:
            if time.monotonic() - self._checked < self._recheck:
                return False
            self._checked = time.monotonic()
        try:
            await asyncio.to_thread(self._probe)
        except Exception:  # still away
            return False
        self._down = False
        return True


def postgres_probe(url: str, timeout_seconds: int = 1) -> Callable[[], None]:
    def probe() -> None:
        with psycopg.connect(url, connect_timeout=timeout_seconds, autocommit=True) as connection:
            connection.execute("SELECT 1")

    return probe
