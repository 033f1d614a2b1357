"""Forecast's edge: its snapshots, published to `crm.forecast` for analytics consumers.
Its deal history is its own business and is not republished."""

from __future__ import annotations

from typing import Any

from services.forecast.domain import Snapshot
from shared.contracts import CloudEvent
from shared.contracts import events as public
from shared.eventstore.application import public_event
from shared.eventstore.checkpoints import checkpoint_data

SOURCE = "crm/forecast"


def to_public(event: Any) -> CloudEvent | None:
    checkpoint = checkpoint_data(event)  # routed by the relay to `crm.checkpoints`
    if checkpoint is not None:
        return public_event(SOURCE, checkpoint, event)
    if isinstance(event, Snapshot.Taken):
        figures = event.figures
        data = public.ForecastSnapshotTaken(
            period=event.period,
            as_of=event.as_of,
            count=figures["count"],
            total=figures["total"],
            weighted=figures["weighted"],
            categories=figures["categories"],
            groups=figures.get("groups", []),
        )
        return public_event(SOURCE, data, event)
    return None
