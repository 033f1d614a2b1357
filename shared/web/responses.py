"""What the HTTP routes answer, as models the OpenAPI documents show and FastAPI checks.

One error body for every refusal but a field's (`ErrorBody`), the 422 body of refused
fields (`ValidationProblem`), and the pieces every service's answers share: money, instants,
a stream's history. Each service's own answers are in its `responses` module.

The routes build plain dicts; FastAPI validates them against these models on the way out,
so a model that drifts from what a route builds fails the route's tests, not a client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

# An instant as the routes have always written it (`datetime.isoformat()`), documented as
# an RFC 3339 date-time.
Instant = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class MoneyOut(BaseModel):
    """An amount of money as answers carry it: a decimal string with two places (negative
    only where it is a difference), in an ISO 4217 currency."""

    model_config = ConfigDict(title="Money")

    amount: str = Field(pattern=r"^-?\d+\.\d{2}$", examples=["12500.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every refusal but a refused field: what went wrong, in words. A 404 also names the
    kind and id of what was not found; a 409 may name what conflicts (ids, statuses) in
    further string fields."""

    model_config = ConfigDict(
        title="Error", extra="allow", json_schema_extra={"additionalProperties": {"type": "string"}}
    )

    detail: str
    kind: str | SkipJsonSchema[None] = Field(default=None, description="404: what kind of thing was not found")
    id: str | SkipJsonSchema[None] = Field(default=None, description="404: its id")


class FieldProblem(BaseModel):
    """One refused value: where (`body`, `query`, `path` or `header`, then the field's
    path), why, and a machine-readable type; `input` echoes (a prefix of) what was sent."""

    model_config = ConfigDict(title="FieldProblem")

    loc: list[str | int] = Field(examples=[["body", "value", "amount"]])
    msg: str
    type: str = Field(examples=["value_error", "missing", "string_too_long"])
    input: Any = Field(default=None, description="the refused value, cut short (not always given)")


class ValidationProblem(BaseModel):
    """422: the request was understood, but these values are refused."""

    model_config = ConfigDict(title="ValidationProblem")

    detail: list[FieldProblem]


# -- a stream's history (the audit endpoints) -------------------------------------------------


class HistoryEvent(BaseModel):
    time: Instant
    service: str
    event: str = Field(description="the event's name, e.g. Deal.StageChanged")
    version: int
    actor: str
    correlation_id: str | None
    reason: str | None
    details: dict[str, Any] = Field(description="what the event says besides who and when")


class Span(BaseModel):
    """A stretch of time in one state (a stage, an owner): from when to when, by whom, why."""

    model_config = ConfigDict(populate_by_name=True)

    what: str
    from_: Instant = Field(alias="from")
    to: Instant | None
    days: float
    by: str | None
    why: str | None


# What a route that names a thing (a deal, a lead, a pipeline) adds to the errors every
# route may answer (see shared/web/openapi.py).
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Not found: no such deal, lead, pipeline or task"}
}
