"""Registration's rules: every default a sales organisation may want to change.

Rules are read once at start-up from `CRM_REGISTRATION_RULES` (a JSON document) or from
the file named by `CRM_REGISTRATION_RULES_FILE`; whatever they leave out keeps the default
below. `GET /registration/rules` shows the rules in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import load_rules

Action = Literal["refuse", "review", "off"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DuplicateRules(Strict):
    """What a match on each key does: refuse (409), send to review (pending), or nothing."""

    account_name: Action = "refuse"
    phone: Action = "review"
    email: Action = "review"
    email_domain: Action = "off"
    per_product_line: bool = Field(
        default=False, description="the same customer may be registered once per product line"
    )
    free_email_domains: tuple[str, ...] = (
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "foxmail.com",
        "aliyun.com",
    )


class AutoApproval(Strict):
    """A registration meeting both thresholds (and matching nothing) is approved at once."""

    min_value: Decimal = Decimal("0")
    max_months_to_close: int = Field(default=12, ge=0)


class RecyclingPolicy(Strict):
    stale_days: int | None = Field(default=30, ge=1, description="no stage change or activity for N days")
    recycle_when_protection_expires: bool = True
    close_date_grace_days: int | None = Field(default=30, ge=0, description="expected close date passed by M days")
    warning_days: int = Field(default=3, ge=0, description="warn the owner this many days before")


class PolicyOverride(Strict):
    stale_days: int | None = None
    recycle_when_protection_expires: bool | None = None
    close_date_grace_days: int | None = None
    warning_days: int | None = None


class Recycling(Strict):
    default: RecyclingPolicy = RecyclingPolicy()
    by_deal_type: dict[str, PolicyOverride] = {}
    by_customer_level: dict[str, PolicyOverride] = {}

    def policy_for(self, deal_type: str, customer_level: str | None) -> RecyclingPolicy:
        """Customer level overrides deal type, which overrides the default."""
        policy = self.default.model_dump()
        for override in (self.by_deal_type.get(deal_type), self.by_customer_level.get(customer_level or "")):
            if override is not None:
                policy.update({k: v for k, v in override.model_dump(exclude_unset=True).items()})
        return RecyclingPolicy(**policy)


class LeadScoring(Strict):
    """The conversion model (智能评分): what it needs to learn, how it is checked, how often."""

    algorithm: Literal["logistic_regression", "gradient_boosting"] = "logistic_regression"
    min_sample: int = Field(default=30, ge=4, description="ended leads (converted + disqualified) to train on")
    min_per_class: int = Field(default=5, ge=2, description="of each: converted and disqualified")
    held_out_fraction: float = Field(default=0.25, gt=0, lt=1, description="of the sample, for the ROC AUC")
    max_training_rows: int = Field(
        default=20000, ge=10, description="the most recent ended leads trained on (training runs synchronously)"
    )
    interval_seconds: float = Field(default=3600.0, gt=0, description="retrain and rescore every N seconds")


class Tiers(Strict):
    """Customer tiers (客户分级) from the account's won deals (RFM): recency, frequency and
    value each score 1, 2 or 3 against fixed thresholds; the sum decides the tier."""

    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$", description="the value counted (others are not)")
    recency_days: tuple[int, int] = Field(default=(180, 365), description="won within: 3 points, 2 points")
    frequency: tuple[int, int] = Field(default=(5, 2), description="won deals at least: 3 points, 2 points")
    monetary: tuple[Decimal, Decimal] = Field(
        default=(Decimal("1000000"), Decimal("200000")), description="won value at least: 3 points, 2 points"
    )
    a_from: int = Field(default=8, ge=3, le=9, description="points for tier A")
    b_from: int = Field(default=6, ge=3, le=9, description="points for tier B; fewer: C")
    interval_seconds: float = Field(default=86400.0, gt=0, description="re-tier (recency ages) every N seconds")


class Rules(Strict):
    lead_sources: tuple[str, ...] = (
        "trade_fair",
        "website",
        "referral",
        "cold_call",
        "partner",
        "advertising",
        "social_media",
        "tender",
        "event",
        "other",
    )
    duplicates: DuplicateRules = DuplicateRules()
    auto_approval: AutoApproval = AutoApproval()
    protection_days: int = Field(default=90, ge=1)
    holding_limit: int = Field(default=50, ge=1, description="open deals a rep may own (保有量)")
    holding_limits: dict[str, int] = Field(default={}, description="per-rep exceptions")
    reclaim_cooldown_days: int = Field(default=7, ge=0, description="before a previous owner may reclaim")
    recycling: Recycling = Recycling()
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    lead_scoring: LeadScoring = LeadScoring()
    tiers: Tiers = Tiers()

    def limit_for(self, owner_id: str) -> int:
        return self.holding_limits.get(owner_id, self.holding_limit)


def load_registration_rules(environ: Mapping[str, str] | None = None) -> Rules:
    return load_rules(Rules, "CRM_REGISTRATION_RULES", environ)
