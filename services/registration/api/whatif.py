"""Registration's what-if route: its recorded history replayed under other recycling rules
(自动回收), beside the rules in force. Here, not in the forecast, because the recycling
rules and the events they read (activity, protection, close dates, owners) are
registration's own; it reads the store and writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.registration.api.declare import RouteSet, route
from services.registration.queries.whatif import recycling_whatif
from services.registration.requests import RecyclingWhatIf
from services.registration.rules import Recycling
from shared.web.http import CallerDep
from shared.web.responses import Instant, MoneyOut

# -- what the route answers -----------------------------------------------------------------------


class WouldRecycle(BaseModel):
    deal_id: str
    name: str
    reason: str = Field(description="stale, protection_expired or close_date_passed")
    at: Instant = Field(description="the first sweep that would have recycled it")
    owner_id: str | None = Field(description="who would have lost it")
    value: MoneyOut
    outcome: str | None = Field(description="how the deal ended as recorded: won, lost, or None (open)")
    later_won: bool = Field(description="won after the instant it would have gone back to the pool")
    won_at: Instant | None
    won_by: str | None


class Spared(BaseModel):
    deal_id: str
    name: str
    owner_id: str | None
    reason: str
    at: Instant = Field(description="when it was recycled as recorded")


class RecyclingScenario(BaseModel):
    rules: Recycling
    recycled: int
    later_won: int
    later_won_value: list[MoneyOut]
    deals: list[WouldRecycle]
    spared: list[Spared] = Field(description="recorded automatic recycles these rules would not yet have made")


class RecyclingWhatIfAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    replayed_events: int
    in_force: RecyclingScenario
    alternative: RecyclingScenario


class WhatIfRoutes(RouteSet):
    @route.post("/what-if/recycling", response_model=RecyclingWhatIfAnswer)
    def recycling(self, body: RecyclingWhatIf, who: CallerDep) -> dict[str, Any]:
        """Which deals would have gone back to the pool, when, and which of them were won
        later anyway, under the rules given and under those in force. Over the deals in
        reach (a manager: their teams'); nothing is recorded."""
        self.access.require(who.identity, "what-if", "run")
        owners = self.access.owners(who.identity, "what-if", "run")
        return recycling_whatif(self.app, body.rules(self.app.rules.recycling), body.from_, body.to, owners)
