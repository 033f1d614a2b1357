"""Live updates: a server-sent-events stream that says "this service's read models moved on".

It carries no data, only that something changed and how far the read models have got
(`event: changed`, `data: {"service": …, "position": N}`, `id: N`); the client then asks the
ordinary, access-checked routes again. So any signed-in caller may subscribe.

Where the read models stand is read from their positions (`shared.readmodels.positions`),
the rows a projector advances in the transaction that changes its tables: once a position
is seen, what it stands for is committed. One poller per feed reads them while anyone
listens (none while no one does) every `poll_seconds`, and at once when a projector of this
process has just committed (`nudge`). Polling the rows works the same on SQLite (the
embedded process) and on PostgreSQL with several replicas, where the projector that moved
may run in another pod.

A stream opens with `event: ready` (the position now, as its id); a client that comes back
with `Last-Event-ID` at another position is told `changed` at once (it missed something).
An idle stream sends a comment every `heartbeat_seconds` so that proxies keep it open.
It ends when the client goes away, and when the server stops (`close_streams`, which the
server calls before its graceful shutdown waits for open responses).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import anyio
from fastapi import Header
from sqlalchemy import Engine
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from shared.readmodels.positions import read_position

log = logging.getLogger(__name__)

MEDIA_TYPE = "text/event-stream"
# The feed polls no faster than this, however quick the relays' poll (tests set 0.05 s): a
# projector of this process nudges it at once anyway; the poll is for the other replicas'.
MIN_POLL_SECONDS = 0.25
HEARTBEAT = b": keep-alive\n\n"

# How the stream is documented (OpenAPI): its success answer is a text stream, not JSON.
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A server-sent-events stream: `event: ready` first, then `event: changed` each time the "
        'service\'s read models move on (`data: {"service": "…", "position": N}`, `id: N`), and a comment '
        "line every 15 s while idle. It carries no data: refetch through the other routes.",
        "content": {
            MEDIA_TYPE: {
                "schema": {"type": "string"},
                "example": 'event: changed\nid: 42\ndata: {"service": "pipeline", "position": 42}\n\n',
            }
        },
    }
}

# The access table's note on the `changes subscribe` rows, one text for every service's row
# (so that the table joins them into one).
NOTE = "carries no data, only that the read model moved on: the client refetches through the routes above"

_feeds: weakref.WeakSet[LiveFeed] = weakref.WeakSet()


def close_streams() -> None:
    """End every open stream of this process (call it on the event loop, when the server
    begins to stop: an open stream would otherwise hold the graceful shutdown)."""
    for feed in list(_feeds):
        feed.close()


def message(event: str, service: str, position: int) -> bytes:
    data = json.dumps({"service": service, "position": position}, separators=(", ", ": "))
    return f"event: {event}\nid: {position}\ndata: {data}\n\n".encode()


class LiveFeed:
    """One service's feed: the positions it watches (`watch`), a poller while anyone listens,
    and a stream per subscriber (`events`)."""

    def __init__(
        self,
        service: str,
        engine: Engine,
        *,
        poll_seconds: float = 0.5,
        heartbeat_seconds: float = 15.0,
        retry_milliseconds: int = 2000,
    ) -> None:
        self.service = service
        self.engine = engine
        self.poll_seconds = max(poll_seconds, MIN_POLL_SECONDS)
        self.heartbeat_seconds = heartbeat_seconds
        self.retry_milliseconds = retry_milliseconds
        self.names: list[str] = []
        self.subscribers = 0
        self.position: int | None = None  # as the poller last read it; None before its first read
        self._closed = False
        self._poller: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._moved: asyncio.Event | None = None  # set (and replaced) each time the position moves
        self._poked: asyncio.Event | None = None
        _feeds.add(self)

    def watch(self, position_names: Sequence[str]) -> None:
        """Follow these positions too (a projector's `position_name`)."""
        self.names.extend(name for name in position_names if name not in self.names)

    def read(self) -> int:
        """The sum of the watched positions: it moves whenever any of them does."""
        with self.engine.connect() as connection:
            return sum(read_position(connection, name) for name in self.names)

    def nudge(self) -> None:
        """Thread-safe: a projector of this process has just committed; look now."""
        loop, poked = self._loop, self._poked
        if loop is not None and poked is not None:
            with contextlib.suppress(RuntimeError):  # the loop has gone: nobody is listening
                loop.call_soon_threadsafe(poked.set)

    def close(self) -> None:
        """End every stream of this feed and refuse new ones (the server is stopping)."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        moved, self._moved = self._moved, asyncio.Event() if self._moved is not None else None
        if moved is not None:
            moved.set()

    # -- the poller ------------------------------------------------------------------------------

    async def _started(self) -> None:
        """Start the poller with the first subscriber (on its loop); answer once it has read."""
        if self._poller is None or self._poller.done():
            self._loop = asyncio.get_running_loop()
            self._moved, self._poked = asyncio.Event(), asyncio.Event()
            self.position = None
            first = asyncio.Event()
            self._poller = asyncio.create_task(self._poll(first), name=f"{self.service} live feed")
            await first.wait()
        while self.position is None and not self._closed:  # a second subscriber during the first read
            await asyncio.sleep(0.01)

    def _stop_if_unheard(self) -> None:
        if self.subscribers == 0 and self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self, first: asyncio.Event) -> None:
        assert self._poked is not None
        failing = False
        while True:
            self._poked.clear()
            try:
                position = await asyncio.to_thread(self.read)
            except Exception as error:  # the store is away: streams stay open, the next poll tries again
                if not failing:
                    log.warning("live feed %s: cannot read positions (%s)", self.service, type(error).__name__)
                failing = True
                position = self.position if self.position is not None else 0
            else:
                failing = False
            if position != self.position:
                self.position = position
                self._wake()
            first.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), self.poll_seconds)

    # -- a subscriber's stream ----------------------------------------------------------------------

    async def events(self, last_event_id: int | None = None) -> AsyncIterator[bytes]:
        """The stream of one subscriber, as the bytes to send."""
        if self._closed:
            return
        self.subscribers += 1
        try:
            await self._started()
            seen = self.position or 0
            yield f"retry: {self.retry_milliseconds}\n".encode() + message("ready", self.service, seen)
            if last_event_id is not None and last_event_id != seen:
                yield message("changed", self.service, seen)
            while not self._closed:
                moved = self._moved
                if self.position is not None and self.position != seen:
                    seen = self.position
                    yield message("changed", self.service, seen)
                    continue
                assert moved is not None
                try:
                    await asyncio.wait_for(moved.wait(), self.heartbeat_seconds)
                except TimeoutError:
                    yield HEARTBEAT
        finally:
            self.subscribers -= 1
            self._stop_if_unheard()


class EventStream(StreamingResponse):
    """A `text/event-stream` answer that ends its stream as soon as the client goes away
    (whatever the ASGI server's version: it listens for the disconnect itself, rather than
    learn of it from the next heartbeat that fails to send)."""

    media_type = MEDIA_TYPE

    def __init__(self, events: AsyncIterator[bytes]) -> None:
        # no-cache: nothing between keeps a copy; X-Accel-Buffering: nginx (and ingress-nginx)
        # passes each event on at once rather than fill its buffer first.
        super().__init__(events, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with anyio.create_task_group() as group:

            async def stream() -> None:
                try:
                    async for chunk in self.events:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                except OSError:  # the client went away mid-send
                    pass
                finally:
                    group.cancel_scope.cancel()

            group.start_soon(stream)
            while True:
                received = await receive()
                if received["type"] == "http.disconnect":
                    group.cancel_scope.cancel()
                    break
        aclose = getattr(self.events, "aclose", None)
        if aclose is not None:
            await aclose()


# The header a reconnecting client sends back (EventSource does it by itself): the id of the
# last event it had. A different position now is answered `changed` at once.
LastEventId = Annotated[
    int | None,
    Header(alias="Last-Event-ID", ge=0, le=2**63 - 1, description="the id of the last event the client had"),
]
