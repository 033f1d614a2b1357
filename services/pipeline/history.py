"""A deal's pipeline history as auditors read it (`shared.eventstore.history`): the fields
of the pipeline's events worth a column, how long the deal stood in each stage, and the
deal itself as it stood at the instant asked about."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.pipeline.domain import Deal
from services.pipeline.queries import detail
from shared.clock import in_utc
from shared.eventstore.history import span, stream_history

if TYPE_CHECKING:  # the application's type only: it does not import this module
    from services.pipeline.application import PipelineApplication

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
    "attachment_id",  # a file attached: which, and what it is (its name and bytes are on the deal)
    "sha256",
    "media_type",
    "size",
)


def stage_spans(deal: Deal, now: datetime) -> list[dict[str, Any]]:
    return [span(h["stage"], h["entered_at"], h["left_at"], now, h.get("by"), h.get("reason")) for h in deal.history]


def deal_history(app: PipelineApplication, deal_id: UUID, as_of: datetime | None) -> dict[str, Any]:
    """Every pipeline event of the deal (who, when, why), its stage spans and its fields
    (stage, value, owner, …), as it stood at `as_of` if given (an instant without a zone
    is read as UTC); NotFound if the deal had no event by then."""
    as_of = in_utc(as_of) if as_of else None
    events, deal = stream_history(app, "pipeline", deal_id, as_of, details=DETAIL_FIELDS, kind="deal")
    then = as_of or app.clock.now()
    return {
        "deal_id": str(deal_id),
        "as_of": as_of,
        "events": events,
        "stage_spans": stage_spans(deal, then),
        "deal": detail(deal, then),
    }
