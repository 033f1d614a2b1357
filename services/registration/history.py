"""A deal's registration history as auditors read it (`shared.eventstore.history`): the
fields of registration's events worth a column, and who owned the deal when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.registration.domain.deal import Deal
from shared.eventstore.history import span

DETAIL_FIELDS = (
    "registration_status",
    "owner_id",
    "previous_owner_id",
    "outcome",
    "amount",
    "currency",
    "expected_close_date",
    "note",
)


def owner_spans(deal: Deal, now: datetime) -> list[dict[str, Any]]:
    ends = [entry["at"] for entry in deal.ownership[1:]] + [None]
    return [
        span(entry["owner_id"] or "(pool)", entry["at"], end, now, entry["by"], entry["reason"])
        for entry, end in zip(deal.ownership, ends, strict=True)
    ]
