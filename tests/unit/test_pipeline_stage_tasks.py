"""A stage's required tasks, in memory: entering creates them for the deal's owner, leaving
forward needs them done, and a later change to the stage set leaves a deal's tasks as
they were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.stages import DEFAULT, RequiredTask, Stage
from services.pipeline.errors import ExitCriteriaNotMet
from services.pipeline.requests import DefinePipeline
from shared.clock import FixedClock
from tests.unit.test_pipeline import ADMIN, NOW, REP, new_deal, published

QUOTE = RequiredTask(key="send_quote", subject="Send the quotation", due_in_days=3)
PRICING = RequiredTask(key="pricing_approved", subject="Get the price approved", due_in_days=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(clock) -> PipelineApplication:
    return PipelineApplication(clock=clock)


def with_tasks(tasks: dict[str, tuple[RequiredTask, ...]]) -> list[Stage]:
    """The default stages, with `tasks` required by the stages they name."""
    return [s.model_copy(update={"required_tasks": tasks.get(s.key, ())}) for s in DEFAULT.stages]


def stage_tasks(deal, stage: str) -> dict[str, dict]:
    return {a["required_task"]: a for a in deal.activities.values() if a["required_by_stage"] == stage}


class TestEnteringAStage:
    def test_entering_a_stage_creates_its_tasks_for_the_deal_owner_due_from_the_entry(self, app, clock):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE, PRICING)}), ADMIN)
        deal_id = new_deal(app)
        clock.advance(days=2)
        deal = app.change_stage(deal_id, "proposal", None, REP)
        tasks = stage_tasks(deal, "proposal")
        assert set(tasks) == {"send_quote", "pricing_approved"}
        quote = tasks["send_quote"]
        assert (quote["kind"], quote["subject"], quote["done"]) == ("task", "Send the quotation", False)
        assert quote["due_at"] == NOW + timedelta(days=2 + 3)
        assert quote["owner_id"] == "rep-1"  # the deal's owner (registered by rep-1)
        logged = [p for p in published(app) if p.type == "crm.deal.activity_logged.v1"]
        assert sorted((p.data["required_by_stage"], p.data["required_task"]) for p in logged) == [
            ("proposal", "pricing_approved"),
            ("proposal", "send_quote"),
        ]

    def test_the_first_stage_s_tasks_are_created_when_the_registration_is_approved(self, app):
        app.define_pipeline("default", with_tasks({"prospecting": (QUOTE,)}), ADMIN)
        deal = app.get_deal(new_deal(app))
        assert list(stage_tasks(deal, "prospecting")) == ["send_quote"]

    def test_a_stage_without_tasks_creates_none(self, app):
        deal = app.change_stage(new_deal(app), "proposal", None, REP)
        assert deal.activities == {}


class TestLeavingForward:
    def test_leaving_forward_with_an_open_task_is_refused_naming_it(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        with pytest.raises(ExitCriteriaNotMet) as refused:
            app.change_stage(deal_id, "negotiation", None, REP)
        assert refused.value.field == "to_stage"
        assert refused.value.open_tasks == ["send_quote (Send the quotation)"]
        assert "send_quote (Send the quotation)" in str(refused.value)
        assert app.get_deal(deal_id).stage == "proposal"

    def test_completing_the_task_then_leaving_works(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        task_id = stage_tasks(app.change_stage(deal_id, "proposal", None, REP), "proposal")["send_quote"]["activity_id"]
        app.complete_task(deal_id, task_id, REP)
        assert app.change_stage(deal_id, "negotiation", None, REP).stage == "negotiation"

    def test_going_back_needs_no_task_done(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        assert app.change_stage(deal_id, "qualification", None, REP).stage == "qualification"

    def test_an_open_task_of_an_earlier_visit_holds_a_later_jump_past_its_stage(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        app.change_stage(deal_id, "qualification", None, REP)
        with pytest.raises(ExitCriteriaNotMet) as refused:
            app.change_stage(deal_id, "negotiation", None, REP)
        assert refused.value.open_tasks == ["send_quote (Send the quotation)"]

    def test_exit_criteria_and_open_tasks_are_named_together(self, app):
        proposal = {"proposal": (QUOTE,)}
        stages = [
            s.model_copy(update={"exit_criteria": ("competitors",)}) if s.key == "proposal" else s
            for s in with_tasks(proposal)
        ]
        app.define_pipeline("default", stages, ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        with pytest.raises(ExitCriteriaNotMet) as refused:
            app.change_stage(deal_id, "negotiation", None, REP)
        assert (refused.value.missing, refused.value.open_tasks) == (
            ["competitors"],
            ["send_quote (Send the quotation)"],
        )


class TestChangesAndReturns:
    def test_a_later_change_to_the_stage_s_tasks_leaves_a_deal_already_there_with_its_own(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        app.define_pipeline("default", with_tasks({"proposal": (PRICING,)}), ADMIN)  # quote dropped, pricing added
        deal = app.get_deal(deal_id)
        assert list(stage_tasks(deal, "proposal")) == ["send_quote"]
        with pytest.raises(ExitCriteriaNotMet) as refused:  # still its own task, not the new one
            app.change_stage(deal_id, "negotiation", None, REP)
        assert refused.value.open_tasks == ["send_quote (Send the quotation)"]
        app.complete_task(deal_id, stage_tasks(deal, "proposal")["send_quote"]["activity_id"], REP)
        assert app.change_stage(deal_id, "negotiation", None, REP).stage == "negotiation"

    def test_retiring_the_stage_leaves_its_deal_with_its_tasks(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        app.define_pipeline("default", [s for s in DEFAULT.stages if s.key != "proposal"], ADMIN)
        assert [(k, t["done"]) for k, t in stage_tasks(app.get_deal(deal_id), "proposal").items()] == [
            ("send_quote", False)
        ]
        # A retired stage has no place in the order any more (revised() keeps it last), so,
        # as for its exit criteria, nothing holds the deal there; the task stays its own.
        deal = app.change_stage(deal_id, "negotiation", None, REP)
        assert stage_tasks(deal, "proposal")["send_quote"]["done"] is False

    def test_back_then_forward_again_creates_no_duplicate_only_a_task_added_since(self, app):
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE,)}), ADMIN)
        deal_id = new_deal(app)
        deal = app.change_stage(deal_id, "proposal", None, REP)
        app.complete_task(deal_id, stage_tasks(deal, "proposal")["send_quote"]["activity_id"], REP)
        app.change_stage(deal_id, "qualification", None, REP)
        app.define_pipeline("default", with_tasks({"proposal": (QUOTE, PRICING)}), ADMIN)
        deal = app.change_stage(deal_id, "proposal", None, REP)
        tasks = [a for a in deal.activities.values() if a["required_by_stage"] == "proposal"]
        assert sorted((t["required_task"], t["done"]) for t in tasks) == [
            ("pricing_approved", False),
            ("send_quote", True),
        ]
        with pytest.raises(ExitCriteriaNotMet) as refused:
            app.change_stage(deal_id, "negotiation", None, REP)
        assert refused.value.open_tasks == ["pricing_approved (Get the price approved)"]


class TestDefiningTasks:
    def stage(self, **overrides) -> dict:
        return {
            "key": "quote",
            "labels": {"en": "Quote"},
            "probability": 60,
            "forecast_category": "best_case",
        } | overrides

    def refusal(self, tasks: list[dict]) -> list[str | int]:
        with pytest.raises(ValidationError) as refused:
            DefinePipeline.model_validate({"stages": [self.stage(required_tasks=tasks), self.stage(key="other")]})
        return list(refused.value.errors()[0]["loc"])

    @pytest.mark.parametrize(
        ("task", "field"),
        [
            ({"key": "q", "subject": "   ", "due_in_days": 1}, "subject"),
            ({"key": "q", "subject": "Quote", "due_in_days": -1}, "due_in_days"),
            ({"key": "q", "subject": "Quote", "due_in_days": 100000}, "due_in_days"),
            ({"key": "Bad Key", "subject": "Quote", "due_in_days": 1}, "key"),
        ],
    )
    def test_a_bad_task_is_refused_naming_its_field(self, task, field):
        assert self.refusal([task]) == ["stages", 0, "required_tasks", 0, field]

    def test_two_tasks_with_one_key_are_refused_naming_required_tasks(self):
        task = {"key": "q", "subject": "Quote", "due_in_days": 1}
        assert self.refusal([task, task | {"subject": "Again"}]) == ["stages", 0, "required_tasks"]

    def test_a_closing_stage_takes_no_tasks(self):
        with pytest.raises(ValidationError) as refused:
            Stage.model_validate(
                self.stage(state="won", required_tasks=[{"key": "q", "subject": "Quote", "due_in_days": 1}])
            )
        assert refused.value.errors()[0]["loc"] == ("required_tasks",)

    def test_a_stage_stored_before_stage_tasks_reads_with_none(self):
        assert Stage.model_validate(self.stage()).required_tasks == ()
