"""A stream's history as auditors read it: each event with who, when and why, and the
aggregate as it stood at an instant. Used by `crm audit` and the history endpoints; each
service names the fields of its own events worth a column (`details`) and what its streams
are (`kind`, for NotFound)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEvent

from shared.errors import NotFound
from shared.eventstore.application import ServiceApplication


def stream_history(
    app: ServiceApplication, service: str, stream: UUID, as_of: datetime | None, *, details: Sequence[str], kind: str
) -> tuple[list[dict[str, Any]], Any]:
    """(the events up to `as_of`, the aggregate as it stood then); NotFound(kind) if none."""
    rows, version = [], None
    # cast: the store's type promises only the event protocol, which has no `timestamp`;
    # every event this project records is an eventsourcing DomainEvent, which has one.
    for event in cast("Iterator[DomainEvent]", app.events.get(stream)):
        if as_of is not None and event.timestamp > as_of:
            break
        rows.append(event_row(service, event, details))
        version = event.originator_version
    if version is None:
        raise NotFound(kind, stream)
    return rows, app.repository.get(stream, version=version)


def event_row(service: str, event: Any, details: Sequence[str]) -> dict[str, Any]:
    """One event as an audit row: who, when, why, and those of `details` it carries."""
    meta = getattr(event, "meta", {}) or {}
    return {
        "time": event.timestamp.isoformat(),
        "service": service,
        "event": type(event).__qualname__,
        "version": event.originator_version,
        "actor": meta.get("actor", "system"),
        "correlation_id": meta.get("correlation_id"),
        "reason": plain(getattr(event, "reason", None)),
        "details": {name: plain(getattr(event, name)) for name in details if getattr(event, name, None) is not None},
    }


def span(
    what: str, start: datetime, end: datetime | None, now: datetime, by: str | None, why: str | None
) -> dict[str, Any]:
    """How long something lasted (`end` None: it still does, as of `now`), who began it and why."""
    return {
        "what": what,
        "from": start.isoformat(),
        "to": end.isoformat() if end else None,
        "days": round(((end or now) - start).total_seconds() / 86400, 3),
        "by": by,
        "why": why,
    }


def plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value
