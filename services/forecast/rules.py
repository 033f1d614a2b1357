"""Forecast's rules: teams, currency rates, learned probabilities, snapshots. Read once
from `CRM_FORECAST_RULES` (JSON) or the file named by `CRM_FORECAST_RULES_FILE`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import load_rules


class ForecastRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    teams: dict[str, tuple[str, ...]] = Field(default={}, description="team → its owners' ids")
    base_currency: str | None = Field(default=None, description="with `rates`, totals are also given in it")
    rates: dict[str, Decimal] = Field(default={}, description="currency → units of the base currency")
    learned_min_sample: int = Field(default=20, ge=1, description="closed deals a stage needs for a learned rate")
    snapshot_interval_seconds: float = Field(default=3600.0, gt=0)

    def team_of(self, owner_id: str | None) -> str | None:
        for team, owners in self.teams.items():
            if owner_id in owners:
                return team
        return None


def load_forecast_rules(environ: Mapping[str, str] | None = None) -> ForecastRules:
    return load_rules(ForecastRules, "CRM_FORECAST_RULES", environ)
