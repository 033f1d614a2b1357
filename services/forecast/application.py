"""Forecast's service layer: its commands set targets and record snapshots; what it learns
from the pipeline's events, effectively once, is in services/forecast/reactions.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from services.forecast.domain import Deal, Snapshot, Target, target_id
from services.forecast.reactions import react
from services.forecast.rules import ForecastRules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
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

    def react(self, received: ReceivedEvent) -> tuple[Deal, ...]:
        """What the pipeline's event changes (services/forecast/reactions.py); the base
        class's `handle` / `handle_batch` save it, retrying a lost race."""
        return react(self, received)

    # -- targets ------------------------------------------------------------------------------

    def set_target(
        self, kind: str, subject_id: str, period: str, amount: Decimal, currency: str, meta: dict[str, str]
    ) -> Target:
        def set_() -> Target:
            target = self.find(Target, target_id(kind, subject_id, period))
            if target is None:
                target = Target(
                    kind=kind, subject_id=subject_id, period=period, amount=amount, currency=currency, meta=meta
                )
            elif (target.amount, target.currency) != (amount, currency):
                target.reset(amount, currency, meta)
            self.save(target)
            return target

        return retrying(set_)

    # -- snapshots ----------------------------------------------------------------------------

    def record_snapshot(self, period: str, as_of: datetime, figures: dict[str, Any], meta: dict[str, str]) -> None:
        if self.find(Snapshot, Snapshot.create_id(period, as_of)) is None:
            self.save(Snapshot(period=period, as_of=as_of, figures=figures, meta=meta))
