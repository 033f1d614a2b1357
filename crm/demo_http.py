"""How `crm demo` reaches the services: through their public HTTP APIs, either in the serving
process itself (the embedded POST /demo: an ASGI call, no socket) or over the network (the
command line, against a running `crm serve`). Both speak as the identity headers say, which
is why the demo is for the header (embedded, development) mode only.

Neither needs a client library the image does not have: ASGI is a few messages, and the
standard library's urllib reaches a server (in a worker thread, so waiting never blocks the loop).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from starlette.types import ASGIApp, Message


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"{self.status} {self.body[:300]!r}"


class Caller(Protocol):
    async def __call__(
        self, method: str, path: str, headers: Mapping[str, str], body: Any = None, query: Mapping[str, str] = {}
    ) -> Answer: ...


def _encode(headers: Mapping[str, str], body: Any) -> tuple[dict[str, str], bytes]:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return {**headers, **({"content-type": "application/json"} if body is not None else {})}, data


class InProcess:
    """Calls the application it is given, as an ASGI server would, in the running event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, headers: Mapping[str, str], body: Any = None, query: Mapping[str, str] = {}
    ) -> Answer:
        sent, data = _encode(headers, body)
        raw = [(name.lower().encode(), value.encode()) for name, value in sent.items()]
        raw.append((b"content-length", str(len(data)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urllib.parse.urlencode(query).encode(),
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 0),
            "server": ("demo", 80),
            "state": {},
        }
        requested = False
        status, chunks = 500, []

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": data, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects first
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Answer(status, b"".join(chunks))


class OverTheNetwork:
    """Calls a running server at `base` (http://host:port)."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    async def __call__(
        self, method: str, path: str, headers: Mapping[str, str], body: Any = None, query: Mapping[str, str] = {}
    ) -> Answer:
        sent, data = _encode(headers, body)
        url = f"{self.base}{urllib.parse.quote(path)}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        request = urllib.request.Request(url, data=data if body is not None else None, headers=sent, method=method)
        return await asyncio.to_thread(self._send, request)

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) only: --url)
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())
