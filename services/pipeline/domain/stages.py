"""Stage sets: every company defines its own stages (a CRM that won't let it is
"unreasonable", say the seeds). The default is the SPEC's (SuiteCRM's list, with the
seeds' Chinese labels).

A stage's probability is a deal's default probability while it sits there; its forecast
category tells the forecast which bucket it fills; its exit criteria name what a deal must
have before it moves forward out of it, and its required tasks the work somebody must do there
("send the quotation"): entering the stage creates them on the deal, and leaving it forward
needs them done (domain/activities.py). A retired stage takes no new deals, but deals that
sit there (or passed through it) stay readable. A company's sets are `Pipeline` aggregates:
every redefinition is an event.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.pipeline.errors import UnknownStage

State = Literal["open", "won", "lost"]
Category = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
Criterion = Literal["value", "expected_close_date", "contacts", "decision_maker", "competitors"]


class RequiredTask(BaseModel):
    """A task a stage asks of every deal that enters it, due `due_in_days` after the entry."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="names the task within its stage")
    subject: str = Field(min_length=1, max_length=500, description="the task's subject on the deal")
    due_in_days: int = Field(ge=0, le=365, description="days from entering the stage to the task's due date")


class Stage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    labels: dict[str, str] = Field(min_length=1, description="label per language: en, zh, …")
    probability: int = Field(ge=0, le=100)
    forecast_category: Category
    state: State = "open"
    exit_criteria: tuple[Criterion, ...] = ()
    # Absent from the stage sets stored before stage tasks: the default reads them as none.
    required_tasks: tuple[RequiredTask, ...] = Field(default=(), max_length=20)
    retired: bool = False

    @field_validator("required_tasks")
    @classmethod
    def _tasks_of_an_open_stage(cls, tasks: tuple[RequiredTask, ...], info: ValidationInfo) -> tuple[RequiredTask, ...]:
        keys = [task.key for task in tasks]
        if len(keys) != len(set(keys)):
            raise ValueError("task keys must be unique within a stage")
        if keys and info.data.get("state", "open") != "open":
            raise ValueError("only an open stage has tasks: a closing stage is never left")
        return tasks


class StageSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pipeline_id: str
    stages: tuple[Stage, ...]

    @model_validator(mode="after")
    def _a_usable_set(self) -> StageSet:
        keys = [stage.key for stage in self.stages]
        if len(keys) != len(set(keys)):
            raise ValueError("stage keys must be unique")
        live = [stage for stage in self.stages if not stage.retired]
        for state in ("open", "won", "lost"):
            if not any(stage.state == state for stage in live):
                raise ValueError(f"a stage set needs at least one {state} stage that is not retired")
        return self

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise UnknownStage(self.pipeline_id, key)

    @property
    def first(self) -> Stage:
        return next(s for s in self.stages if s.state == "open" and not s.retired)

    def closing(self, outcome: str) -> Stage:
        return next(s for s in self.stages if s.state == outcome and not s.retired)

    def position(self, key: str) -> int:
        return [stage.key for stage in self.stages].index(key)

    def revised(self, stages: list[Stage]) -> StageSet:
        """The set as an admin redefines it: a stage left out is retired, never deleted,
        so the deals that sit on it or passed through it stay readable."""
        given = {stage.key for stage in stages}
        kept = [s.model_copy(update={"retired": True}) for s in self.stages if s.key not in given]
        return StageSet(pipeline_id=self.pipeline_id, stages=(*stages, *kept))


def _stage(key: str, en: str, zh: str, probability: int, category: Category, state: State = "open") -> Stage:
    return Stage(key=key, labels={"en": en, "zh": zh}, probability=probability, forecast_category=category, state=state)


DEFAULT = StageSet(
    pipeline_id="default",
    stages=(
        _stage("prospecting", "Prospecting", "初步接触", 10, "pipeline"),
        _stage("qualification", "Qualification", "资质审查", 20, "pipeline"),
        _stage("needs_analysis", "Needs Analysis", "需求分析", 25, "pipeline"),
        _stage("value_proposition", "Value Proposition", "价值建议", 30, "pipeline"),
        _stage("id_decision_makers", "Id. Decision Makers", "确定决策者", 40, "best_case"),
        _stage("perception_analysis", "Perception Analysis", "认知分析", 50, "best_case"),
        _stage("proposal", "Proposal/Price Quote", "提案/报价", 65, "best_case"),
        _stage("negotiation", "Negotiation/Review", "谈判/复审", 80, "commit"),
        _stage("closed_won", "Closed Won", "赢单关闭", 100, "closed", "won"),
        _stage("closed_lost", "Closed Lost", "丢失关闭", 0, "omitted", "lost"),
    ),
)


class Pipeline(Aggregate):
    """A company's stage set for one pipeline; every redefinition is an event."""

    TOPIC = "services.pipeline.domain:Pipeline"  # stored topics stay put when the code moves

    class Created(Aggregate.Created):
        TOPIC = "services.pipeline.domain:Pipeline.Created"  # never recorded (see `Defined`)

    @staticmethod
    def create_id(pipeline_id: str) -> UUID:
        return pipeline_uuid(pipeline_id)

    @event("Defined", topic="services.pipeline.domain:Pipeline.Defined")
    def __init__(self, pipeline_id: str, stages: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.pipeline_id = pipeline_id
        self.stages = stages

    @event("Redefined", topic="services.pipeline.domain:Pipeline.Redefined")
    def redefine(self, stages: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.stages = stages

    @property
    def stage_set(self) -> StageSet:
        return StageSet(pipeline_id=self.pipeline_id, stages=tuple(Stage(**s) for s in self.stages))


def pipeline_uuid(pipeline_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:pipeline:{pipeline_id}")
