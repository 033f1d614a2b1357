"""Pipeline's rules, in memory: each rule a behaviour, with a clock the tests move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.stages import DEFAULT, Stage
from services.pipeline.domain.terms import EDITABLE
from services.pipeline.errors import (
    ClosingStageNeedsClose,
    DealIsClosed,
    DealIsOpen,
    DealNotInPipeline,
    ExitCriteriaNotMet,
    StageRetired,
    UnknownStage,
)
from services.pipeline.publishing import to_public
from services.pipeline.requests import EditDeal
from services.pipeline.rules import PipelineRules
from shared.clock import FixedClock
from shared.contracts import CloudEvent, Money, parse_event
from shared.contracts import events as public
from shared.errors import Invalid
from shared.eventstore.application import meta

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REP = meta("rep-1", "corr-1")
ADMIN = meta("admin-1", "corr-a")


def registered(deal_id: str, status: str = "approved", sequence: int = 1, closes: date = date(2026, 12, 20)):
    data = public.DealRegistered(
        deal_id=deal_id,
        name="ERP",
        account=public.AccountRef(id="a", name="ACME"),
        value=Money(amount=Decimal("200000"), currency="CNY"),
        expected_close_date=closes,
        source="web",
        owner_id="rep-1",
        registration_status=status,
    )
    return received(data, deal_id, sequence)


def received(data, deal_id, sequence, source="crm/registration"):
    event = CloudEvent.of(
        data, source=source, subject=deal_id, sequence=sequence, time=NOW, actor="rep-1", correlation_id="c"
    )
    return parse_event(event.to_bytes())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(clock) -> PipelineApplication:
    return PipelineApplication(clock=clock)


def new_deal(app, **kwargs) -> str:
    deal_id = str(uuid4())
    app.handle(registered(deal_id, **kwargs))
    return deal_id


def published(app) -> list:
    return [p for n in app.read_notifications(0, 1000) if (p := to_public(app.to_domain_event(n)))]


class TestEnteringThePipeline:
    def test_an_approved_registration_enters_the_first_stage(self, app):
        deal = app.get_deal(new_deal(app))
        assert (deal.stage, deal.probability, deal.forecast_category) == ("prospecting", 10, "pipeline")

    def test_a_pending_registration_waits_until_approved(self, app):
        deal_id = new_deal(app, status="pending")
        assert app.get_deal(deal_id).stage is None
        approved = public.DealRegistrationApproved(deal_id=deal_id, approved_by="m", protected_until=NOW)
        app.handle(received(approved, deal_id, 2))
        assert app.get_deal(deal_id).stage == "prospecting"

    def test_a_redelivered_upstream_event_changes_nothing(self, app):
        deal_id = new_deal(app)
        version = app.get_deal(deal_id).version
        app.handle(registered(deal_id))
        assert app.get_deal(deal_id).version == version

    def test_the_deal_follows_its_owner_into_the_pool_and_out(self, app):
        deal_id = new_deal(app)
        app.handle(
            received(public.DealRecycled(deal_id=deal_id, previous_owner_id="rep-1", reason="stale"), deal_id, 2)
        )
        assert app.get_deal(deal_id).owner_id is None
        app.handle(received(public.DealAssigned(deal_id=deal_id, owner_id="rep-2", reason="claim"), deal_id, 3))
        assert app.get_deal(deal_id).owner_id == "rep-2"
        assert published(app)[-1].data["changes"] == {"owner_id": {"before": None, "after": "rep-2"}}


class TestStageChanges:
    def test_moving_forward_records_reason_probability_and_the_time_spent(self, app, clock):
        deal_id = new_deal(app)
        clock.advance(days=3)
        deal = app.change_stage(deal_id, "proposal", "quote sent", REP)
        assert (deal.stage, deal.probability) == ("proposal", 65)
        assert [(h["stage"], h["direction"]) for h in deal.history] == [
            ("prospecting", "enter"),
            ("proposal", "forward"),
        ]
        assert deal.history[0]["left_at"] - deal.history[0]["entered_at"] == timedelta(days=3)
        last = published(app)[-1]
        assert (last.data["from_stage"], last.data["to_stage"], last.data["reason"]) == (
            "prospecting",
            "proposal",
            "quote sent",
        )
        assert last.data["regression"] is False

    def test_a_move_back_is_recorded_as_a_regression(self, app):
        deal_id = new_deal(app)
        app.change_stage(deal_id, "proposal", None, REP)
        deal = app.change_stage(deal_id, "qualification", "budget frozen", REP)
        assert deal.history[-1]["direction"] == "back"
        assert published(app)[-1].data["regression"] is True

    def test_an_unknown_stage_is_refused_naming_to_stage(self, app):
        with pytest.raises(UnknownStage) as refused:
            app.change_stage(new_deal(app), "teleported", None, REP)
        assert refused.value.field == "to_stage"

    def test_a_closing_stage_is_reached_only_by_closing(self, app):
        with pytest.raises(ClosingStageNeedsClose):
            app.change_stage(new_deal(app), "closed_won", None, REP)

    def test_a_deal_not_yet_approved_cannot_move(self, app):
        with pytest.raises(DealNotInPipeline):
            app.change_stage(new_deal(app, status="pending"), "proposal", None, REP)

    def test_a_closed_deal_moves_only_after_an_explicit_reopen(self, app):
        deal_id = new_deal(app)
        app.change_stage(deal_id, "negotiation", None, REP)
        app.close_deal(deal_id, "lost", "price", None, REP)
        with pytest.raises(DealIsClosed):
            app.change_stage(deal_id, "proposal", None, REP)
        deal = app.reopen(deal_id, None, "customer came back", REP)
        assert (deal.stage, deal.outcome, deal.history[-1]["direction"]) == ("negotiation", None, "reopen")
        assert published(app)[-1].data["reopened"] is True
        assert app.change_stage(deal_id, "proposal", None, REP).stage == "proposal"

    def test_only_a_closed_deal_reopens(self, app):
        with pytest.raises(DealIsOpen):
            app.reopen(new_deal(app), None, None, REP)


class TestStageSets:
    def custom(self, **overrides) -> list[Stage]:
        stages = [
            Stage(key="lead_in", labels={"en": "Lead in", "zh": "线索"}, probability=5, forecast_category="pipeline"),
            Stage(
                key="quote",
                labels={"en": "Quote", "zh": "报价"},
                probability=60,
                forecast_category="best_case",
                exit_criteria=("value", "expected_close_date", "decision_maker"),
            ),
            Stage(key="contract", labels={"en": "Contract", "zh": "合同"}, probability=90, forecast_category="commit"),
            Stage(key="won", labels={"en": "Won"}, probability=100, forecast_category="closed", state="won"),
            Stage(key="lost", labels={"en": "Lost"}, probability=0, forecast_category="omitted", state="lost"),
        ]
        return stages

    def test_a_company_replaces_the_default_stages_with_its_own(self, app):
        app.define_pipeline("default", self.custom(), ADMIN)
        deal = app.get_deal(new_deal(app))
        assert (deal.stage, deal.probability) == ("lead_in", 5)
        assert [s.key for s in app.stage_set("default").stages if not s.retired][:3] == ["lead_in", "quote", "contract"]

    def test_exit_criteria_refuse_a_move_naming_what_is_missing(self, app):
        app.define_pipeline("default", self.custom(), ADMIN)
        deal_id = new_deal(app)
        app.change_stage(deal_id, "quote", None, REP)
        with pytest.raises(ExitCriteriaNotMet) as refused:
            app.change_stage(deal_id, "contract", None, REP)
        assert refused.value.missing == ["decision_maker"]
        app.update(deal_id, {"contacts": [{"id": "c1", "name": "Wang", "role": "decision_maker"}]}, REP)
        assert app.change_stage(deal_id, "contract", None, REP).stage == "contract"

    def test_a_stage_left_out_of_a_redefinition_is_retired_and_its_deals_stay_readable(self, app):
        deal_id = new_deal(app)
        app.change_stage(deal_id, "perception_analysis", None, REP)
        kept = [s for s in DEFAULT.stages if s.key != "perception_analysis"]
        revised = app.define_pipeline("default", kept, ADMIN)
        assert revised.stage("perception_analysis").retired
        assert app.get_deal(deal_id).stage == "perception_analysis"
        with pytest.raises(StageRetired):
            app.change_stage(new_deal(app), "perception_analysis", None, REP)
        assert app.change_stage(deal_id, "proposal", None, REP).stage == "proposal"

    def test_renaming_and_reordering_are_events_that_rewrite_no_history(self, app):
        deal_id = new_deal(app)
        app.change_stage(deal_id, "qualification", None, REP)
        renamed = [
            s.model_copy(update={"labels": {"en": "Qualify", "zh": "资格"}}) if s.key == "qualification" else s
            for s in DEFAULT.stages
        ]
        app.define_pipeline("default", [renamed[1], renamed[0], *renamed[2:]], ADMIN)
        assert app.stage_set("default").stages[0].labels["en"] == "Qualify"
        assert [h["stage"] for h in app.get_deal(deal_id).history] == ["prospecting", "qualification"]

    def test_a_set_without_a_won_stage_is_refused(self, app):
        with pytest.raises(Invalid) as refused:
            app.define_pipeline("default", [s for s in DEFAULT.stages if s.state != "won"], ADMIN)
        assert refused.value.field == "stages"


class TestEdits:
    def test_moving_the_close_date_out_counts_a_slip(self, app):
        deal_id = new_deal(app)
        app.update(deal_id, {"expected_close_date": date(2027, 1, 31)}, REP)
        app.update(deal_id, {"expected_close_date": date(2027, 1, 10)}, REP)  # pulled in: no slip
        deal = app.update(deal_id, {"expected_close_date": date(2027, 2, 28)}, REP)
        assert deal.slip_count == 2
        assert published(app)[-1].data["changes"]["expected_close_date"] == {
            "before": "2027-01-10",
            "after": "2027-02-28",
        }

    def test_a_probability_override_holds_across_stages_until_removed(self, app):
        deal_id = new_deal(app)
        app.update(deal_id, {"probability": 35}, REP)
        assert app.change_stage(deal_id, "proposal", None, REP).probability == 35
        deal = app.update(deal_id, {"probability": None}, REP)
        assert deal.probability == 65
        assert published(app)[-1].data["changes"]["probability"] == {"before": 35, "after": 65}

    def test_value_name_priority_competitors_and_contacts_change_and_say_so(self, app):
        deal_id = new_deal(app)
        app.update(
            deal_id,
            {
                "value": {"amount": "250000.00", "currency": "CNY"},
                "name": "ERP phase 2",
                "priority": "high",
                "competitors": ["Kingdee"],
                "contacts": [{"id": "c1", "name": "Li", "role": "influencer"}],
            },
            REP,
        )
        deal = app.get_deal(deal_id)
        assert (deal.amount, deal.name, deal.priority, deal.competitors) == (
            Decimal("250000.00"),
            "ERP phase 2",
            "high",
            ["Kingdee"],
        )
        changes = published(app)[-1].data["changes"]
        assert changes["value"] == {
            "before": {"amount": "200000.00", "currency": "CNY"},
            "after": {"amount": "250000.00", "currency": "CNY"},
        }

    def test_an_edit_that_changes_nothing_records_nothing(self, app):
        deal_id = new_deal(app)
        version = app.get_deal(deal_id).version
        app.update(deal_id, {"priority": "normal"}, REP)
        assert app.get_deal(deal_id).version == version

    def test_a_field_that_is_not_editable_is_refused_by_name(self, app):
        with pytest.raises(Invalid) as refused:
            app.update(new_deal(app), {"owner_id": "me"}, REP)
        assert refused.value.field == "owner_id"

    def test_the_edit_body_has_a_field_for_each_editable_term_and_no_other(self):
        assert set(EditDeal.model_fields) == EDITABLE


class TestActivities:
    def test_each_activity_is_an_event_and_a_task_needs_a_due_date(self, app):
        deal_id = new_deal(app)
        _, call = app.log_activity(deal_id, "call", "first call", None, None, REP)
        with pytest.raises(Invalid) as refused:
            app.log_activity(deal_id, "task", "send quote", None, None, REP)
        assert refused.value.field == "due_at"
        deal, task = app.log_activity(deal_id, "task", "send quote", None, NOW + timedelta(days=2), REP)
        assert deal.activities[call]["done"] and not deal.activities[task]["done"]
        assert published(app)[-1].type == "crm.deal.activity_logged.v1"
        assert app.complete_task(deal_id, task, REP).activities[task]["done"]
        assert published(app)[-1].type == "crm.deal.task_completed.v1"


class TestClosing:
    def test_a_won_deal_closes_at_full_probability(self, app):
        deal = app.close_deal(new_deal(app), "won", "best price", None, REP)
        assert (deal.stage, deal.outcome, deal.probability) == ("closed_won", "won", 100)
        assert published(app)[-1].data["outcome"] == "won"

    def test_a_lost_reason_comes_from_the_configured_list(self, clock):
        app = PipelineApplication(clock=clock, rules=PipelineRules(lost_reasons=("price", "competitor")))
        with pytest.raises(Invalid) as refused:
            app.close_deal(new_deal(app), "lost", "bad luck", None, REP)
        assert refused.value.field == "reason"

    def test_a_deal_lost_to_a_competitor_names_the_competitor(self, app):
        deal_id = new_deal(app)
        with pytest.raises(Invalid) as refused:
            app.close_deal(deal_id, "lost", "competitor", None, REP)
        assert refused.value.field == "competitor"
        deal = app.close_deal(deal_id, "lost", "competitor", "Kingdee", REP)
        assert (deal.outcome, deal.competitor) == ("lost", "Kingdee")


class TestAlerts:
    def test_the_close_date_alert_fires_once_n_days_before(self, app, clock):
        deal_id = new_deal(app, closes=date(2026, 12, 20))
        clock.advance(days=20)  # 2026-12-12: 8 days left
        assert app.raise_alerts([deal_id])["close_date_approaching"] == 0
        clock.advance(days=1)  # 7 days left
        assert app.raise_alerts([deal_id])["close_date_approaching"] == 1
        clock.advance(days=1)
        assert app.raise_alerts([deal_id])["close_date_approaching"] == 0
        alert = published(app)[-1]
        assert (alert.type, alert.data["days_left"]) == ("crm.deal.close_date_approaching.v1", 7)

    def test_a_new_close_date_gets_its_own_alert(self, app, clock):
        deal_id = new_deal(app, closes=date(2026, 11, 25))
        assert app.raise_alerts([deal_id])["close_date_approaching"] == 1
        app.update(deal_id, {"expected_close_date": date(2026, 11, 28)}, REP)
        assert app.raise_alerts([deal_id])["close_date_approaching"] == 1

    def test_an_overdue_task_alerts_once_and_a_done_one_never(self, app, clock):
        deal_id = new_deal(app)
        _, late = app.log_activity(deal_id, "task", "call back", None, NOW + timedelta(hours=1), REP)
        _, done = app.log_activity(deal_id, "task", "send deck", None, NOW + timedelta(hours=1), REP)
        app.complete_task(deal_id, done, REP)
        clock.advance(hours=2)
        assert app.raise_alerts([deal_id])["task_overdue"] == 1
        assert app.raise_alerts([deal_id])["task_overdue"] == 0
        assert published(app)[-1].data["activity_id"] == late

    def test_a_closed_deal_raises_no_alert(self, app, clock):
        deal_id = new_deal(app, closes=date(2026, 11, 25))
        app.close_deal(deal_id, "won", None, None, REP)
        assert app.raise_alerts([deal_id]) == {"close_date_approaching": 0, "task_overdue": 0}
