"""Forecast's service layer: it learns from the pipeline's events, effectively once, and
keeps targets and snapshots."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.forecast.domain import Deal, Snapshot, Target, Terms, target_id
from services.forecast.rules import ForecastRules
from shared.clock import Clock, SystemClock
from shared.contracts import Money, ReceivedEvent
from shared.contracts import events as public
from shared.eventstore.application import ServiceApplication
from shared.eventstore.retries import retrying


class ForecastApplication(ServiceApplication):
    name = "forecast"  # names its tables: forecast_events

    def __init__(
        self, env: dict[str, str] | None = None, clock: Clock | None = None, rules: ForecastRules | None = None
    ) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or ForecastRules()

    # -- targets ------------------------------------------------------------------------------

    def set_target(
        self, kind: str, subject_id: str, period: str, amount: Decimal, currency: str, meta: dict[str, str]
    ) -> Target:
        def set_() -> Target:
            target = self.find(Target, target_id(kind, subject_id, period))
            if target is None:
                target = Target(kind=kind, subject_id=subject_id, period=period, amount=amount, currency=currency, meta=meta)
            elif (target.amount, target.currency) != (amount, currency):
                target.reset(amount, currency, meta)
            self.save(target)
            return target

        return retrying(set_)

    # -- snapshots ----------------------------------------------------------------------------

    def record_snapshot(self, period: str, as_of: datetime, figures: dict[str, Any], meta: dict[str, str]) -> None:
        if self.find(Snapshot, Snapshot.create_id(period, as_of)) is None:
            self.save(Snapshot(period=period, as_of=as_of, figures=figures, meta=meta))

    # -- reactions to the pipeline (effectively once) -----------------------------------------

    def react(self, received: ReceivedEvent) -> tuple[Deal, ...]:
        data = received.data
        upstream = (received.envelope.source, received.sequence)
        at = received.envelope.time
        if isinstance(data, public.DealStageChanged):
            terms = Terms(
                owner_id=data.owner_id,
                source=data.source,
                stage=data.to_stage,
                probability=data.probability,
                forecast_category=data.forecast_category,
                amount=data.value.amount,
                currency=data.value.currency,
                expected_close_date=data.expected_close_date,
            )
            deal = self.find(Deal, data.deal_id)
            if deal is None:
                deal = Deal(id=UUID(data.deal_id), terms=terms, at=at, upstream=upstream)
            elif deal.has_seen(*upstream):
                return ()
            else:
                deal.move(terms=terms, from_stage=data.from_stage, regression=data.regression, at=at, upstream=upstream)
            return (deal,)
        elif isinstance(data, public.DealUpdated):
            deal = self.find(Deal, data.deal_id)
            if deal is None or deal.has_seen(*upstream):
                return ()  # an update to a deal not yet in the forecast changes no figure
            changes = forecast_changes(data.changes)
            if changes:
                deal.change(changes=changes, at=at, upstream=upstream)
                return (deal,)
        elif isinstance(data, public.DealClosed):
            deal = self.find(Deal, data.deal_id)
            if deal is None:
                raise LookupError(f"deal {data.deal_id} closed before it entered the forecast")
            if deal.has_seen(*upstream):
                return ()
            deal.close(
                outcome=data.outcome,
                closed_on=data.closed_on or at.date(),
                amount=data.value.amount,
                currency=data.value.currency,
                at=at,
                upstream=upstream,
            )
            return (deal,)
        return ()


def forecast_changes(changes: dict[str, dict[str, object]]) -> dict[str, object]:
    """The terms the forecast keeps, from a `deal.updated` change set (`after` values)."""
    terms: dict[str, object] = {}
    if "owner_id" in changes:
        terms["owner_id"] = changes["owner_id"]["after"]
    if "probability" in changes and changes["probability"]["after"] is not None:
        terms["probability"] = int(str(changes["probability"]["after"]))
    if "expected_close_date" in changes:
        terms["expected_close_date"] = date.fromisoformat(str(changes["expected_close_date"]["after"]))
    if "value" in changes:
        value = Money.model_validate(changes["value"]["after"])
        terms["amount"], terms["currency"] = value.amount, value.currency
    return terms
