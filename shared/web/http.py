"""HTTP plumbing every service shares: who is calling, and errors as the SPEC words them.

In the embedded default the caller names itself with `X-User-Id` / `X-User-Role`; the
actor of every event is that identity, never a field of a request body.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ConcurrentUpdate, Conflict, Forbidden, Invalid, NotFound
from shared.eventstore.application import meta
from shared.eventstore.receipts import AlreadyApplied
from shared.eventstore.retries import STORE_UNAVAILABLE
from shared.observability import correlation_id
from shared.web.identity import Authenticator, HeaderIdentity, Identity, Role


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: Role
    correlation_id: str
    traceparent: str | None = None
    teams: tuple[str, ...] = ()
    partner: str | None = None

    @property
    def identity(self) -> Identity:
        return Identity(self.user_id, self.role, self.teams, self.partner)

    @property
    def meta(self) -> dict[str, str]:
        return meta(self.user_id, self.correlation_id, self.traceparent)


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def caller(
    request: Request,
    x_correlation_id: Annotated[str | None, Header(max_length=200)] = None,
    traceparent: Annotated[str | None, Header(max_length=55)] = None,
) -> Caller:
    """The verified identity (bearer token where configured, else the X-User-* headers)."""
    authenticator: Authenticator = getattr(request.app.state, "authenticator", None) or HeaderIdentity()
    who = authenticator.identify(request)
    # The trace context is kept only where tracing is on, and only when well formed.
    trace_on = getattr(request.app.state, "trace_propagation", False)
    kept = traceparent if trace_on and traceparent and _TRACEPARENT.match(traceparent) else None
    cid = x_correlation_id or correlation_id.get() or str(uuid4())
    return Caller(who.user_id, who.role, cid, kept, who.teams, who.partner)


CallerDep = Annotated[Caller, Depends(caller)]


RETRY_AFTER_SECONDS = 2


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error), "kind": error.kind, "id": error.id}, 404)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, 403)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error), **error.details}, 409)

    @app.exception_handler(Invalid)
    async def _invalid(_: Request, error: Invalid) -> JSONResponse:
        location = [error.where, *error.field.split(".")]
        return JSONResponse({"detail": [{"loc": location, "msg": str(error), "type": "value_error"}]}, 422)

    @app.exception_handler(AlreadyApplied)
    async def _already_applied(_: Request, error: AlreadyApplied) -> JSONResponse:
        # Two requests with one Idempotency-Key raced; the other recorded the command first.
        detail = "a command with this Idempotency-Key was applied by another request; nothing more was recorded"
        return JSONResponse({"detail": detail, "idempotency": "applied"}, 409)

    @app.exception_handler(ConcurrentUpdate)
    async def _concurrent(_: Request, error: ConcurrentUpdate) -> JSONResponse:
        return JSONResponse({"detail": f"concurrent update, retry: {error}"}, 409)

    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        # The error's own text stays out of the answer and the log: it can carry a host
        # name or a connection string.
        logging.getLogger(__name__).warning("store unavailable: %s", type(error).__name__)
        gate = getattr(request.app.state, "store_gate", None)
        if gate is not None:
            gate.trip()
        return store_unavailable()

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)


def store_unavailable() -> JSONResponse:
    """503 with a retry hint. A command saves its events in one transaction or not at all, so
    nothing was recorded, unless the store went away as the commit reached it: a retry with
    the same Idempotency-Key then tells (shared.web.idempotency), and applies nothing twice."""
    return JSONResponse(
        {
            "detail": "the event store is unavailable; nothing was recorded unless it went away mid-commit:"
            " retry later with the same Idempotency-Key"
        },
        503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class FailFastWhileStoreIsAway:
    """ASGI middleware: while the gate is closed, the services' routes answer 503 at once
    (health, readiness and metrics still answer)."""

    def __init__(self, app: ASGIApp, gate: Any, prefixes: set[str]) -> None:
        self.app, self.gate, self.prefixes = app, gate, tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes) and not await self.gate.passable():
            return await store_unavailable()(scope, receive, send)
        return await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: a request body over its limit is answered 413 before the route
    reads it (by its Content-Length, or while it streams when it has none: the body is
    gathered here, so no route's parser can turn the overflow into another error).
    Uploads (multipart) get the larger limit."""

    def __init__(self, app: ASGIApp, max_json: int, max_upload: int) -> None:
        self.app, self.max_json, self.max_upload = app, max_json, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_upload if multipart else self.max_json
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit)
        if declared is not None or scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return await self.app(scope, _bounded(receive, limit), send)
        chunks, seen = [], 0
        while True:  # chunked: read it all (within the limit) before the route sees it
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, replayed([message], receive), send)
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                return await _too_large(send, limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        gathered = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await self.app(scope, replayed([gathered], receive), send)


def _bounded(receive: Receive, limit: int) -> Receive:
    """A declared length that lies is cut off at the limit (the server ends the request)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return counted


def replayed(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
