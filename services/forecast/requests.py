"""What forecast's routes accept as a body (the answers are in responses.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.web.inputs import MoneyIn


class SetTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyIn


class SetVisitPlan(BaseModel):
    """How many customer visits (拜访) a rep plans per working day in the period."""

    model_config = ConfigDict(extra="forbid")
    visits_per_day: int = Field(ge=0, le=50)
