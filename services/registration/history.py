"""A deal's registration history as auditors read it (`shared.eventstore.history`): the
fields of registration's events worth a column, and who owned the deal when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.registration.domain.deal import Deal
from shared.clock import in_utc
from shared.eventstore.history import span, stream_history

if TYPE_CHECKING:  # the application's type only: it does not import this module
    from services.registration.application import RegistrationApplication

DETAIL_FIELDS = (
    "registration_status",
    "owner_id",
    "previous_owner_id",
    "outcome",
    "amount",
    "currency",
    "expected_close_date",
    "note",
    "rule",  # an assignment by the rules: which rule decided, and why the others did not
    "reasons",
)


def owner_spans(deal: Deal, now: datetime) -> list[dict[str, Any]]:
    ends = [entry["at"] for entry in deal.ownership[1:]] + [None]
    return [
        span(entry["owner_id"] or "(pool)", entry["at"], end, now, entry["by"], entry["reason"])
        for entry, end in zip(deal.ownership, ends, strict=True)
    ]


LEAD_DETAILS = (
    "status",
    "source",
    "region",
    "industry",
    "deal_id",
    "score",
    "model_version",
    "model_sequence",
    "owner_id",
    "previous_owner_id",
    "rule",
    "reasons",
)


def lead_history(app: RegistrationApplication, lead_id: UUID, as_of: datetime | None) -> dict[str, Any]:
    """Every event of the lead: captured, each score with the model version that gave it
    (explained by that version's `Trained` record), and how it ended."""
    as_of = in_utc(as_of) if as_of else None
    events, _ = stream_history(app, "registration", lead_id, as_of, details=LEAD_DETAILS, kind="lead")
    return {"lead_id": str(lead_id), "as_of": as_of, "events": events}


def deal_history(app: RegistrationApplication, deal_id: UUID, as_of: datetime | None) -> dict[str, Any]:
    """Every registration event of the deal (who, when, why) and its owners' spans, as it
    stood at `as_of` if given (an instant without a zone is read as UTC)."""
    as_of = in_utc(as_of) if as_of else None
    events, deal = stream_history(app, "registration", deal_id, as_of, details=DETAIL_FIELDS, kind="deal")
    return {
        "deal_id": str(deal_id),
        "as_of": as_of,
        "events": events,
        "owner_spans": owner_spans(deal, as_of or app.clock.now()),
    }
