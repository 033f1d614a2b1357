"""The next batch of the notification log, read (and prepared) while this one is handled.

The outbox relay spends most of a batch waiting for the broker's acks, its event loop idle.
Meanwhile a thread of its own reads the notifications after the batch's last one and
translates them. (A projector gained nothing from it: its own work holds the interpreter,
and the thread only competed with it; measured in the README's benchmark notes.) The answer is used only if the
reader's position, read again under its lock, is where that batch begins: after a failed
batch, or another replica's turn, the position is elsewhere and the batch is dropped. The
log is append-only and its ids commit in order (shared.eventstore.storage), so a batch read
early is a prefix of what a later read would find, never a different one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

B = TypeVar("B", bound=tuple[Sized, ...])  # a batch: its first member, the notifications


class ReadAhead(Generic[B]):
    def __init__(self, name: str, read: Callable[[int], B]) -> None:
        self._read = read  # the batch after a notification id
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._ahead: tuple[int, Future[B]] | None = None

    def start(self, after: int) -> None:
        """Read the batch after notification `after` in the background."""
        self.drop()
        self._ahead = (after, self._reader.submit(self._read, after))

    def drop(self) -> None:
        if self._ahead is not None:
            self._ahead[1].cancel()  # not started yet; or its answer is never looked at
            self._ahead = None

    async def take(self, after: int) -> B:
        """The batch after `after`: the one read ahead if it begins there and found
        anything (an empty one may be stale by now), else one read now."""
        reading = self._matching(after)
        if reading is not None:
            try:
                batch = await asyncio.wrap_future(reading)
            except Exception:
                batch = None
            if batch is not None and len(batch[0]):
                return batch
        return await asyncio.to_thread(self._read, after)

    def _matching(self, after: int) -> Future[B] | None:
        if self._ahead is None:
            return None
        begins, reading = self._ahead
        self._ahead = None
        if begins != after:
            reading.cancel()
            return None
        return reading
