"""Pipeline's rules: lost reasons and alerts. Read once from `CRM_PIPELINE_RULES` (JSON)
or the file named by `CRM_PIPELINE_RULES_FILE`; `GET /pipeline/rules` shows them."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import load_rules


class PipelineRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lost_reasons: tuple[str, ...] = (
        "price",
        "competitor",
        "no_budget",
        "no_decision",
        "timing",
        "product_fit",
        "relationship",
        "other",
    )
    competitor_reason: str = Field(default="competitor", description="a loss for this reason names the competitor")
    close_date_alert_days: int = Field(default=7, ge=0, description="warn this many days before the close date")
    alert_interval_seconds: float = Field(default=60.0, gt=0)


def load_pipeline_rules(environ: Mapping[str, str] | None = None) -> PipelineRules:
    return load_rules(PipelineRules, "CRM_PIPELINE_RULES", environ)
