"""What forecast's routes accept as a body (the answers are in responses.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.web.inputs import MoneyIn


class SetTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyIn


StageKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Percent = Annotated[int, Field(ge=0, le=100)]


class ProbabilitiesWhatIf(BaseModel):
    """The forecast of `period` as it would have stood at each date (default: its first
    day, then weekly, up to now, and now while the period is not over) had the open deals on these stages been weighed by these
    probabilities; the stages left out keep the probabilities recorded."""

    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", description="2026, 2026-Q4 or 2026-11")
    probabilities: dict[StageKey, Percent] = Field(min_length=1, max_length=100, description="stage key → percent")
    dates: list[datetime] | None = Field(default=None, min_length=1, max_length=400)


class SetVisitPlan(BaseModel):
    """How many customer visits (拜访) a rep plans per working day in the period."""

    model_config = ConfigDict(extra="forbid")
    visits_per_day: int = Field(ge=0, le=50)
