"""Notifications' edge: it publishes no event of its own (its messages go to people, not to
other services), only the checkpoints of its store for `crm audit verify`."""

from __future__ import annotations

from typing import Any

from shared.contracts import CloudEvent
from shared.eventstore.application import public_event
from shared.eventstore.checkpoints import checkpoint_data

SOURCE = "crm/notifications"


def to_public(event: Any) -> CloudEvent | None:
    checkpoint = checkpoint_data(event)  # routed by the relay to `crm.checkpoints`
    if checkpoint is not None:
        return public_event(SOURCE, checkpoint, event)
    return None
