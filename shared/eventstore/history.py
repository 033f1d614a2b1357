"""A stream's history as auditors read it: each event with who, when and why, and the
aggregate as it stood at an instant. Used by `crm audit` and the history endpoints."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.errors import NotFound
from shared.eventstore.application import ServiceApplication

# What each event says besides who and when: the fields worth a column in an audit.
DETAIL_FIELDS = (
    "registration_status", "owner_id", "previous_owner_id", "from_stage", "to_stage", "probability", "outcome",
    "amount", "currency", "expected_close_date", "competitor", "kind", "subject", "changes", "note",
)


def stream_history(app: ServiceApplication, service: str, stream: UUID, as_of: datetime | None) -> tuple[list[dict[str, Any]], Any]:
    """(the events up to `as_of`, the aggregate as it stood then); NotFound if none."""
    rows, version = [], None
    for event in app.events.get(stream):
        if as_of is not None and event.timestamp > as_of:
            break
        rows.append(event_row(service, event))
        version = event.originator_version
    if version is None:
        raise NotFound("deal", stream)
    return rows, app.repository.get(stream, version=version)


def event_row(service: str, event: Any) -> dict[str, Any]:
    meta = getattr(event, "meta", {}) or {}
    details = {name: plain(getattr(event, name)) for name in DETAIL_FIELDS if getattr(event, name, None) is not None}
    return {
        "time": event.timestamp.isoformat(),
        "service": service,
        "event": type(event).__qualname__,
        "version": event.originator_version,
        "actor": meta.get("actor", "system"),
        "correlation_id": meta.get("correlation_id"),
        "reason": plain(getattr(event, "reason", None)),
        "details": details,
    }


def span(what: str, start: datetime, end: datetime | None, now: datetime, by: str | None, why: str | None) -> dict[str, Any]:
    return {"what": what, "from": start.isoformat(), "to": end.isoformat() if end else None,
            "days": round(((end or now) - start).total_seconds() / 86400, 3), "by": by, "why": why}


def stage_spans(deal: Any, now: datetime) -> list[dict[str, Any]]:
    return [span(h["stage"], h["entered_at"], h["left_at"], now, h.get("by"), h.get("reason")) for h in deal.history]


def owner_spans(deal: Any, now: datetime) -> list[dict[str, Any]]:
    ends = [entry["at"] for entry in deal.ownership[1:]] + [None]
    return [
        span(entry["owner_id"] or "(pool)", entry["at"], end, now, entry["by"], entry["reason"])
        for entry, end in zip(deal.ownership, ends, strict=True)
    ]


def plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value
