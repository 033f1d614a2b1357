"""What forecast's routes accept as a body (the answers are in responses.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.web.inputs import MoneyIn


class SetTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyIn
