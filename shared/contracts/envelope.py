"""The CloudEvents 1.0 envelope (structured content mode) and its (de)serialisation.

`parse_event` is the single door through which every consumer lets a Kafka message in:
it answers with a typed event, an `UnknownEvent` (a well-formed envelope of a type this
build does not know: consumers skip it) or raises `MalformedEvent` (the message goes to
the dead-letter topic with the reason).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha1
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

from shared.contracts.events import CATALOGUE, EventData

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"

# Event ids are derived from (source, stream, version), so an event published twice by
# an at-least-once relay carries the same id both times and consumers can dedupe on it.
_EVENT_ID_NAMESPACE = UUID("8f1d7a52-3c1b-4d5e-9a55-0c6d2f3b7e11")
_NAMESPACE_BYTES = _EVENT_ID_NAMESPACE.bytes


def event_id_for(source: str, subject: str, sequence: int) -> str:
    """`str(uuid5(namespace, "source|subject|sequence"))`, spelled out: the relay computes
    one per event, and building a UUID object to print it was a tenth of the relay's work."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + f"{source}|{subject}|{sequence}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    hexa = digest.hex()
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"


class CloudEvent(BaseModel):
    """One event as it travels on Kafka. Extension attributes other than ours are kept."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(pattern=r"^crm/[a-z]+$")
    type: str = Field(pattern=r"^crm\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
    subject: str = Field(min_length=1)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    sequence: str = Field(pattern=r"^[0-9]+$")
    actor: str = Field(min_length=1)
    correlationid: str = Field(min_length=1)
    data: dict[str, Any]

    @field_serializer("time")
    def _time_rfc3339(self, time: datetime) -> str:
        # Milliseconds, truncated, and "Z": isoformat's "+00:00" spelled the RFC 3339 way.
        return time.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"

    @classmethod
    def of(
        cls,
        data: EventData,
        *,
        source: str,
        subject: str,
        sequence: int,
        time: datetime,
        actor: str,
        correlation_id: str,
        traceparent: str | None = None,
    ) -> CloudEvent:
        # `traceparent` is the CloudEvents distributed-tracing extension (W3C trace context).
        extensions = {"traceparent": traceparent} if traceparent else {}
        return cls(
            id=event_id_for(source, subject, sequence),
            source=source,
            type=data.TYPE,
            subject=subject,
            time=time,
            sequence=str(sequence),
            actor=actor,
            correlationid=correlation_id,
            data=data.model_dump(mode="json"),
            **extensions,
        )

    @property
    def traceparent(self) -> str | None:
        return (self.model_extra or {}).get("traceparent")

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class MalformedEvent(ValueError):
    """The message is not a valid CloudEvent of a known shape; the reason says why."""


@dataclass(frozen=True)
class UnknownEvent:
    """A well-formed envelope whose type this build does not know (a newer producer)."""

    envelope: CloudEvent


@dataclass(frozen=True)
class ReceivedEvent:
    envelope: CloudEvent
    data: EventData

    @property
    def sequence(self) -> int:
        return int(self.envelope.sequence)


def parse_event(raw: bytes | str) -> ReceivedEvent | UnknownEvent:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedEvent("not a JSON object")
    try:
        envelope = CloudEvent.model_validate(document)
    except ValidationError as error:
        raise MalformedEvent(f"invalid CloudEvents envelope: {_summary(error)}") from None
    model = CATALOGUE.get(envelope.type)
    if model is None:
        return UnknownEvent(envelope)
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as error:
        raise MalformedEvent(f"invalid data for {envelope.type}: {_summary(error)}") from None
    return ReceivedEvent(envelope, data)


def _summary(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors())
