"""Idempotency keys for commands (the IETF draft "The Idempotency-Key HTTP Header Field").

A command (POST, PUT, PATCH, DELETE under a service's prefix) may carry `Idempotency-Key`:
printable ASCII, at most 200 characters. Its scope is the caller: (user id, key). The key
is bound when the command records something: its receipt (`shared.eventstore.receipts`)
goes into the same transaction as the command's events. Then:

- the same key and the same request (method, path and query, body) answers the first
  outcome again, status and body, with `Idempotent-Replayed: true`, recording nothing;
- the same key for another request: 422 naming the header;
- the same key while the first is still being answered (in this process): 409;
- the receipt is there but its answer is not (the answer was lost before it was kept: the
  store was cut while it committed, the process stopped): 409 saying that the command was
  applied, so the client reads the current state instead of sending it again.

A command refused before it recorded anything (403, 409, 422, 503 with nothing committed)
binds no key: the same key may be sent again, and the command is then tried again.
The answers are kept in the service's read-model database (`idempotent_replies`), after
the route has answered and before the client is told; keeping one is best effort (a
failure is logged, and the receipt still makes a retry a 409 rather than a second command).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, Integer, LargeBinary, MetaData, String, Table, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.receipts import Pending, pending_receipt, receipt_id, stored_fingerprint
from shared.eventstore.retries import STORE_UNAVAILABLE
from shared.observability import correlation_id
from shared.readmodels.projection import taking_turns
from shared.web.http import replayed, store_unavailable
from shared.web.identity import Authenticator

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 200
COMMANDS = ("POST", "PUT", "PATCH", "DELETE")
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")

metadata = MetaData()
replies = Table(
    "idempotent_replies",
    metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class Reply:
    fingerprint: str
    status: int
    content_type: str
    body: bytes


class Replies:
    """The first answer of each command whose key was bound, by receipt id."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.begin() as connection:
            taking_turns(connection, "crm:create-tables:idempotent_replies")  # replicas starting together
            metadata.create_all(connection)

    def find(self, receipt: str) -> Reply | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(replies).where(replies.c.receipt_id == receipt)).first()
        return None if row is None else Reply(row.fingerprint, row.status, row.content_type, bytes(row.body))

    def keep(self, receipt: str, reply: Reply) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                replies.insert().values(
                    receipt_id=receipt,
                    fingerprint=reply.fingerprint,
                    status=reply.status,
                    content_type=reply.content_type,
                    body=reply.body,
                )
            )


@dataclass(frozen=True)
class Keyed:
    """What the middleware needs of one service: its application (where receipts are) and
    where its answers are kept."""

    app: ServiceApplication
    replies: Replies


def key_problem(key: str) -> str | None:
    if not key or len(key) > MAX_KEY or not _PRINTABLE.match(key):
        return f"the {HEADER} header must be 1 to {MAX_KEY} printable ASCII characters"
    return None


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests the same request: method, path and query, and the body (a
    JSON body as its parsed content, so key order and spacing do not count)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except ValueError:
        canonical = body
    digest = hashlib.sha256(canonical).hexdigest()
    return hashlib.sha256(f"{method}\n{path}?{query.decode('latin-1')}\n{digest}".encode()).hexdigest()


class Idempotency:
    """ASGI middleware: the rules of the module docstring for every service's commands.
    `services` maps a path's first segment to its service's `Keyed`."""

    def __init__(self, app: ASGIApp, services: dict[str, Keyed], authenticator: Authenticator) -> None:
        self.app, self.services, self.authenticator = app, services, authenticator
        self._in_flight: set[str] = set()  # receipt ids being answered here (touched on the loop only)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in COMMANDS:
            return await self.app(scope, receive, send)
        raw = next((v for k, v in scope.get("headers") or [] if k == HEADER.lower().encode()), None)
        service = self.services.get(scope["path"].strip("/").split("/")[0])
        if raw is None or service is None:
            return await self.app(scope, receive, send)
        key = raw.decode("latin-1")
        problem = key_problem(key)
        if problem is not None:
            detail = [{"loc": ["header", HEADER], "msg": problem, "type": "value_error"}]
            return await _answer(send, 422, {"detail": detail})
        body, receive = await _gathered(receive)
        user = await run_in_threadpool(self._user, scope)
        if user is None:  # no identity: the route answers 401 as it would without a key
            return await self.app(scope, receive, send)
        receipt = receipt_id(user, key)
        if str(receipt) in self._in_flight:
            return await _answer(send, 409, IN_FLIGHT, {"retry-after": "1"})
        self._in_flight.add(str(receipt))
        try:
            pending = Pending(
                service.app,
                receipt,
                key,
                fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body),
                meta(user, correlation_id.get() or ""),
            )
            await self._once(service, pending, scope, receive, send)
        finally:
            self._in_flight.discard(str(receipt))

    def _user(self, scope: Scope) -> str | None:
        try:
            return self.authenticator.identify(Request(scope)).user_id
        except Exception:  # noqa: BLE001 - any refusal of the identity is the route's to answer
            return None

    async def _once(self, service: Keyed, pending: Pending, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            earlier = await run_in_threadpool(self._earlier, service, pending)
        except STORE_UNAVAILABLE:  # outside the routes' error handlers: answered here, as they would
            gate = getattr(getattr(scope.get("app"), "state", None), "store_gate", None)
            if gate is not None:
                gate.trip()
            return await store_unavailable()(scope, receive, send)
        if earlier is not None:
            status, payload, headers = earlier
            if isinstance(payload, Reply):
                return await _send(send, status, payload.content_type, payload.body, headers)
            return await _answer(send, status, payload, headers)
        answered: list[Message] = []

        async def keeping(message: Message) -> None:
            answered.append(message)  # held back: the answer is kept before the client sees it

        token = pending_receipt.set(pending)
        try:
            await self.app(scope, receive, keeping)
        finally:
            pending_receipt.reset(token)
        if pending.recorded and answered:
            await run_in_threadpool(self._keep, service, pending, answered)
        for message in answered:
            await send(message)

    def _earlier(self, service: Keyed, pending: Pending) -> tuple[int, Any, dict[str, str]] | None:
        """The answer to a key already bound, or None when it is not."""
        reply = service.replies.find(str(pending.id))
        if reply is not None:
            if reply.fingerprint != pending.fingerprint:
                return 422, REUSED, {}
            return reply.status, reply, {REPLAYED.lower(): "true"}
        seen = stored_fingerprint(service.app, pending.id)
        if seen is None:
            return None
        if seen != pending.fingerprint:
            return 422, REUSED, {}
        return 409, APPLIED, {}

    def _keep(self, service: Keyed, pending: Pending, answered: list[Message]) -> None:
        start = answered[0]
        headers = dict(start.get("headers") or [])
        body = b"".join(m.get("body", b"") for m in answered[1:])
        reply = Reply(pending.fingerprint, start["status"], headers.get(b"content-type", b"").decode("latin-1"), body)
        try:
            service.replies.keep(str(pending.id), reply)
        except Exception:  # best effort: the receipt alone still stops a second command
            log.warning("the answer to idempotency receipt %s was not kept", pending.id, exc_info=True)


IN_FLIGHT = {
    "detail": f"a request with this {HEADER} is still being answered; send it again in a moment",
    "idempotency": "in-flight",
}
APPLIED = {
    "detail": f"a command with this {HEADER} was already applied, but its answer was not kept: "
    "read the current state rather than sending the command again",
    "idempotency": "applied",
}
REUSED = {
    "detail": [
        {
            "loc": ["header", HEADER],
            "msg": "this key was used for a different request (method, path or body): use a new key",
            "type": "value_error",
        }
    ]
}


async def _gathered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (CheckedInput and BodyLimit, outside, have bounded it), and a receive
    that hands it on unchanged."""
    messages, chunks = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), replayed(messages, receive)


async def _answer(send: Send, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    await _send(send, status, "application/json", json.dumps(payload).encode(), headers or {})


async def _send(send: Send, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
    listed = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
    listed += [(name.encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": listed})
    await send({"type": "http.response.body", "body": body})
