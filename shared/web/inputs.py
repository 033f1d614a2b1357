"""What the HTTP edge accepts, checked in one place for every route.

Text reaches event stores, read models, Kafka and other people's screens, so it may hold
no C0 control character but tab, newline and carriage return, and no lone UTF-16
surrogate (PostgreSQL refuses NUL in text, UTF-8 cannot encode a surrogate: either would
be accepted here and then stop a projection later). JSON numbers are finite: `NaN` and
`Infinity` are not JSON, though Python's parser reads them. Money is never negative and
is counted in an ISO 4217 currency.

`CheckedInput` is an ASGI middleware that applies the text and number rules to every JSON
body, query parameter and path before any route runs, answering 422 with the field's
location; `check_text` is the same rule for other inputs (import rows).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl

import pycountry
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.clock import in_utc
from shared.web.http import replayed

# C0 controls except tab, newline, carriage return; DEL; lone surrogates.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` may not be stored, or None when it may."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"contains a lone UTF-16 surrogate at position {found.start()}"
    return f"contains the control character U+{ord(char):04X} at position {found.start()}"


def check_text(value: str) -> str:
    """A pydantic-friendly check: the value, or ValueError saying what is wrong."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"text {problem}")
    return value


class _NotFinite:
    """Stands in for a NaN / Infinity literal while the body is searched for it."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def body_problems(
    value: Any, location: tuple[str | int, ...] = ("body",)
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(location, problem) for every string (keys too) and number a JSON body may not hold."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield location, f"text {problem}"
    elif isinstance(value, _NotFinite):
        yield location, f"{value.literal} is not a JSON number"
    elif isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as inf
        yield location, "the number is out of range"
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem:
                yield (*location, _printable(key)), f"field name {problem}"
            else:
                yield from body_problems(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from body_problems(item, (*location, index))


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unprocessable(problems: list[tuple[tuple[str | int, ...], str]]) -> tuple[int, dict[str, Any]]:
    return 422, {"detail": [{"loc": list(loc), "msg": msg, "type": "value_error"} for loc, msg in problems]}


def check_request(path: str, query: bytes, content_type: bytes, body: bytes) -> tuple[int, dict[str, Any]] | None:
    """The error answer for a request the services must not see, or None to go on."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    problem = text_problem(path)
    if problem:
        problems.append((("path",), f"the path {problem}"))
    # As Starlette reads it: percent escapes decoded as UTF-8.
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        for part, what in ((name, "parameter name"), (value, "text")):
            problem = text_problem(part)
            if problem:
                problems.append((("query", _printable(name)), f"{what} {problem}"))
    if body and content_type.split(b";")[0].strip().lower().endswith(b"json"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            return 400, {"detail": f"the body is not UTF-8 (byte {error.start}); send JSON encoded as UTF-8"}
        try:
            document = json.loads(text, parse_constant=_NotFinite)
        except ValueError:
            document = None  # not JSON at all: the route's own parser answers that
        problems.extend(body_problems(document))
    return _unprocessable(problems) if problems else None


Instant = Annotated[datetime, AfterValidator(in_utc)]
"""An instant as commands accept it: ISO 8601, read as UTC when it names no zone."""


# -- money ------------------------------------------------------------------------------------

# ISO 4217 as Debian's iso-codes keeps it; "no currency" and "testing" are codes but no money.
_NOT_MONEY = {"XXX", "XTS"}


def check_currency(code: str) -> str:
    if code in _NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (CNY, USD, EUR, …)")
    return code


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"]), AfterValidator(check_currency)]


class MoneyIn(BaseModel):
    """An amount of money as commands accept it: never negative, finite, at most two
    decimals, in an ISO 4217 currency, and nothing else in the object."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)
    currency: Currency = "CNY"


class CheckedInput:
    """ASGI middleware: every request's path, query and JSON body meet the rules above
    before a route runs. The body is read whole here (BodyLimit, outside, has already
    bounded it) and handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"")
        chunks = []
        message: Message = {"type": "http.request", "body": b"", "more_body": False}
        if scope["method"] in ("POST", "PUT", "PATCH") and content_type.split(b";")[0].strip().lower().endswith(
            b"json"
        ):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return await self.app(scope, replayed([message], receive), send)
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        body = b"".join(chunks)
        refused = check_request(scope["path"], scope.get("query_string", b""), content_type, body)
        if refused is not None:
            status, payload = refused
            return await _answer(send, status, payload)
        if chunks:
            receive = replayed([{"type": "http.request", "body": body, "more_body": False}], receive)
        return await self.app(scope, receive, send)


async def _answer(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=True).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- answering what the models refused ----------------------------------------------------------

_ECHO_LIMIT = 200  # characters of a refused value echoed back


def install_validation_handler(app: FastAPI) -> None:
    """FastAPI's own 422, made safe to serialise whatever was sent (bytes, NaN, a 10 MB
    string), and a 415 for a body that is not JSON on a route that takes JSON."""

    @app.exception_handler(RequestValidationError)
    async def _refused(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        if any(e.get("loc", ())[:1] == ("body",) and isinstance(e.get("input"), bytes | bytearray) for e in errors):
            return JSONResponse({"detail": "this route takes a JSON body: send content-type application/json"}, 415)
        return JSONResponse({"detail": [_safe_error(e) for e in errors]}, 422)


def _safe_error(error: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {
        "loc": [part if isinstance(part, int) else _printable(str(part)) for part in error.get("loc", ())],
        "msg": _printable(str(error.get("msg", ""))),
        "type": str(error.get("type", "value_error")),
    }
    if "input" in error:
        safe["input"] = _echo(error["input"])
    return safe


def _echo(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _printable(value[:_ECHO_LIMIT])
    if isinstance(value, dict):
        return {_printable(str(k))[:_ECHO_LIMIT]: _echo(v) for k, v in list(value.items())[:20]}
    if isinstance(value, list | tuple):
        return [_echo(v) for v in value[:20]]
    return _printable(str(value)[:_ECHO_LIMIT])
