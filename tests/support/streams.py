"""A live stream opened on an application a `TestClient` runs (its lifespan, its runtime).

`TestClient` (and httpx's ASGI transport) hand back a response only once the application has
finished it, and a live stream never finishes by itself. So this speaks ASGI to the
application directly, on the client's own event loop (its portal): what the application
sends arrives here as it is sent, and `close` is the client going away (`http.disconnect`).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

import anyio
from fastapi.testclient import TestClient

END = object()  # the application returned


class Stream:
    def __init__(self, client: TestClient, path: str, headers: dict[str, str]) -> None:
        self.messages: queue.Queue[Any] = queue.Queue()
        self._gone = threading.Event()
        assert client.portal is not None, "use the TestClient as a context manager (its lifespan runs)"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": dict(client.app_state),
        }
        self.finished: Future[None] = client.portal.start_task_soon(self._run, client.app, scope)
        start = self._next(10)
        assert start["type"] == "http.response.start", start
        self.status: int = start["status"]
        self.headers = {name.decode(): value.decode() for name, value in start["headers"]}
        self._buffer = ""

    async def _run(self, app: Any, scope: dict[str, Any]) -> None:
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            while not self._gone.is_set():
                await anyio.sleep(0.02)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            self.messages.put(message)

        try:
            await app(scope, receive, send)
        finally:
            self.messages.put(END)

    def _next(self, timeout: float) -> Any:
        return self.messages.get(timeout=timeout)

    def body(self, timeout: float = 10) -> bytes:
        """The whole body of an answer that ends (a refusal)."""
        chunks = []
        while (message := self._next(timeout)) is not END:
            chunks.append(message.get("body", b""))
        return b"".join(chunks)

    def next_block(self, timeout: float = 10) -> str:
        """The next block of the stream (an event, or a comment), up to its blank line; ""
        when the stream has ended."""
        while "\n\n" not in self._buffer:
            message = self._next(timeout)
            if message is END or not message.get("more_body", False) and not message.get("body"):
                return ""
            self._buffer += message["body"].decode()
        block, self._buffer = self._buffer.split("\n\n", 1)
        return block

    def next_event(self, timeout: float = 10) -> dict[str, str]:
        """The next event's fields (`event`, `id`, `data`, `retry`), skipping comments."""
        while True:
            block = self.next_block(timeout)
            assert block, "the stream ended"
            fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if fields:
                return fields

    def close(self, timeout: float = 10) -> None:
        """The client goes away; returns once the application has finished the response."""
        self._gone.set()
        self.finished.result(timeout)
