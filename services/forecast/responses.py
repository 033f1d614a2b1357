"""What forecast's routes answer (see shared/web/responses.py). The rules answer as their own
model (services/forecast/rules.py)."""

from __future__ import annotations

from datetime import date
from typing import Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from shared.web.responses import Instant, MoneyOut

GroupBy = Literal["owner", "team", "stage", "source", "forecast_category", "product_line"]


class Figures(TypedDict):
    """Count, total and weighted value per currency; with a rate table (`base_currency` and
    `rates` in the rules) also in the base currency, and what no rate converts."""

    count: int
    total: list[MoneyOut]
    weighted: list[MoneyOut]
    total_in_base: NotRequired[MoneyOut]
    weighted_in_base: NotRequired[MoneyOut]
    total_not_in_base: NotRequired[list[MoneyOut]]
    weighted_not_in_base: NotRequired[list[MoneyOut]]


class GroupFigures(Figures):
    """One group's figures; with a target for its owner or team, the attainment too."""

    key: str | None
    target: NotRequired[MoneyOut]
    attainment: NotRequired[float | None]
    gap: NotRequired[MoneyOut]
    coverage: NotRequired[float | None]
    categories: NotRequired[dict[str, Figures]]  # with by_category: the group's figures per category


class LearnedRate(BaseModel):
    closed: int
    won: int
    rate: int = Field(ge=0, le=100, description="won / closed among the deals that reached the stage, in percent")
    used: bool = Field(description="enough closed deals (learned_min_sample) to replace the stage's probability")


class Forecast(BaseModel):
    """The weighted forecast of a period, now or as it stood at `as_of`.

    Keys marked optional are absent, not null, when they do not apply."""

    model_config = ConfigDict(populate_by_name=True)

    period: str
    from_: date = Field(alias="from")
    to: date
    as_of: Instant | None
    probabilities: Literal["stage", "learned"]
    count: int
    total: list[MoneyOut]
    weighted: list[MoneyOut]
    total_in_base: MoneyOut | SkipJsonSchema[None] = None
    weighted_in_base: MoneyOut | SkipJsonSchema[None] = None
    total_not_in_base: list[MoneyOut] | SkipJsonSchema[None] = None
    weighted_not_in_base: list[MoneyOut] | SkipJsonSchema[None] = None
    categories: dict[str, Figures]
    learned_probabilities: dict[str, LearnedRate] | SkipJsonSchema[None] = None
    group_by: GroupBy | SkipJsonSchema[None] = None
    groups: list[GroupFigures] | SkipJsonSchema[None] = None


class Target(BaseModel):
    kind: Literal["owner", "team"]
    subject_id: str
    period: str
    amount: MoneyOut


# -- reports: each closed, so that an answer matches exactly one of them ----------------------


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WinRateGroup(Report):
    key: str
    won: int
    lost: int
    win_rate: float | None


class WinRate(Report):
    """win-rate: won / (won + lost) among the deals closed in the period."""

    period: str
    group_by: Literal["owner", "source", "period", "product_line"]
    groups: list[WinRateGroup]


class StageReach(Report):
    stage: str
    reached: int
    went_on: int
    conversion: float | None


class StageConversion(Report):
    """stage-conversion: how many deals reached each stage, and how many went on."""

    stages: list[StageReach]


class Spread(Report):
    count: int
    mean: float
    median: float
    p90: float


class StageDuration(Spread):
    stage: str


class TimeInStage(Report):
    """time-in-stage: days per completed stay in each stage."""

    unit: Literal["days"]
    stages: list[StageDuration]


class SalesCycle(Report):
    """sales-cycle: days from entering the pipeline to closing, for the deals closed in the
    period (`all`, `won` and `lost` are absent when no such deal closed)."""

    period: str
    unit: Literal["days"]
    all: Spread | SkipJsonSchema[None] = None
    won: Spread | SkipJsonSchema[None] = None
    lost: Spread | SkipJsonSchema[None] = None


class SourceFigures(Report):
    source: str
    deals: int
    won: int
    lost: int
    won_value: list[MoneyOut]
    win_rate: float | None


class SourcePerformance(Report):
    """source-performance: per lead source, deals, won and lost, won value, win rate."""

    period: str | None
    sources: list[SourceFigures]


class Backtest(Report):
    forecast: list[MoneyOut]
    won: list[MoneyOut]
    error: list[MoneyOut] = Field(description="forecast - won, per currency")


class OwnerBacktest(Backtest):
    owner_id: str | None


class AccuracyPoint(Backtest):
    as_of: Instant
    owners: list[OwnerBacktest]


class Accuracy(Report):
    """accuracy: the weighted forecast as it stood at each date beside what was won."""

    period: str
    actual_won: list[MoneyOut]
    points: list[AccuracyPoint]


AnyReport = WinRate | StageConversion | TimeInStage | SalesCycle | SourcePerformance | Accuracy


class Pieces(BaseModel):
    new: list[MoneyOut]
    pulled_in: list[MoneyOut]
    slipped_out: list[MoneyOut]
    value_changes: list[MoneyOut]
    stage_moves: list[MoneyOut]
    won: list[MoneyOut]
    lost: list[MoneyOut]


class Changes(BaseModel):
    """Why the weighted forecast moved between two instants: the pieces add up to the
    difference, to the cent, per currency."""

    model_config = ConfigDict(populate_by_name=True)

    period: str
    from_: Instant = Field(alias="from")
    to: Instant
    weighted_before: list[MoneyOut]
    weighted_after: list[MoneyOut]
    difference: list[MoneyOut]
    pieces: Pieces


class WhatIfFigures(BaseModel):
    forecast: list[MoneyOut]
    error: list[MoneyOut] = Field(description="forecast - won, per currency")


class WhatIfPoint(BaseModel):
    as_of: Instant
    won: list[MoneyOut] = Field(description="what was won in the period, as it ended up")
    in_force: WhatIfFigures = Field(description="the forecast shown then")
    alternative: WhatIfFigures = Field(description="the forecast the other probabilities would have shown")


class MeanAbsoluteError(BaseModel):
    in_force: list[MoneyOut]
    alternative: list[MoneyOut]


class ProbabilitiesWhatIfAnswer(BaseModel):
    """Each date's forecast under the stage probabilities in force and under others."""

    period: str
    probabilities: dict[str, int]
    actual_won: list[MoneyOut]
    points: list[WhatIfPoint]
    mean_absolute_error: MeanAbsoluteError


# -- activity reports ----------------------------------------------------------------------------


class ActivityFigures(BaseModel):
    """What was done in a day or a week, against the plan of visits."""

    calls: int
    meetings: int
    visits: int = Field(description="meetings at the customer's (拜访)")
    planned_visits: int = Field(description="the visit plan's visits per working day, over the days")
    visits_of_plan: int | None = Field(description="visits as a percentage of the plan (none: nothing planned)")
    new_deals: int = Field(description="deals that entered a pipeline")
    moved_forward: int = Field(description="stage moves forward (regressions are not counted)")
    deals_won: int
    won: list[MoneyOut] = Field(description="the value won, per currency")


class ActivityDay(ActivityFigures):
    date: date


class ActivityRow(ActivityFigures):
    """One rep's (or everyone's) figures over the whole span, and day by day."""

    days: list[ActivityDay]


class RepActivity(ActivityRow):
    owner_id: str


class ActivityReport(BaseModel):
    """Per rep and for them all, by the company's calendar (`CRM_TIMEZONE`, weeks from
    Monday). A week's report is the weekly progress view (周进度控制): each rep's week
    against the plan."""

    period: Literal["day", "week"]
    first: date
    last: date
    timezone: str
    reps: list[RepActivity]
    total: ActivityRow


class VisitPlan(BaseModel):
    owner_id: str
    period: str
    visits_per_day: int
