"""A deal's pipeline history as auditors read it (`shared.eventstore.history`): the fields
of the pipeline's events worth a column, and how long the deal stood in each stage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.pipeline.domain import Deal
from shared.eventstore.history import span

DETAIL_FIELDS = (
    "owner_id",
    "previous_owner_id",
    "from_stage",
    "to_stage",
    "probability",
    "outcome",
    "amount",
    "currency",
    "expected_close_date",
    "competitor",
    "kind",
    "subject",
    "changes",
)


def stage_spans(deal: Deal, now: datetime) -> list[dict[str, Any]]:
    return [span(h["stage"], h["entered_at"], h["left_at"], now, h.get("by"), h.get("reason")) for h in deal.history]
