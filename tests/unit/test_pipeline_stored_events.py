"""Pipeline's stored events keep their names and shapes: eventsourcing records each event
under its class's topic and rebuilds it from that topic, so a class that moved in the code
must still answer to the topic it was first stored under, and still be stored under it (an
older replica, or a rollback, reads what a newer one wrote)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.deal import Deal
from services.pipeline.domain.products import Product
from services.pipeline.domain.stages import DEFAULT, Pipeline
from shared.eventstore.application import meta

OLD = "services.pipeline.domain"
BASE = ["originator_id", "originator_version", "timestamp"]

# Every event either aggregate has ever recorded, and its stored fields in their stored order.
STORED: dict[str, list[str]] = {
    "Deal.Tracked": [
        *BASE,
        "originator_topic",
        "name",
        "account_name",
        "owner_id",
        "amount",
        "currency",
        "expected_close_date",
        "source",
        "upstream",
        "meta",
        "contacts",
        "requested_items",  # added with the import's line items: absent from the deals tracked before
    ],
    "Deal.StageChanged": [
        *BASE,
        "pipeline_id",
        "from_stage",
        "to_stage",
        "stage_probability",
        "probability",
        "forecast_category",
        "amount",
        "currency",
        "expected_close_date",
        "owner_id",
        "source",
        "reason",
        "direction",
        "at",
        "upstream",
        "meta",
    ],
    "Deal.Closed": [
        *BASE,
        "outcome",
        "stage",
        "probability",
        "forecast_category",
        "amount",
        "currency",
        "owner_id",
        "reason",
        "competitor",
        "at",
        "meta",
    ],
    "Deal.AttachmentAdded": [
        *BASE,
        "activity_id",
        "attachment_id",
        "sha256",
        "name",
        "media_type",
        "size",
        "thumbnail_sha256",
        "at",
        "meta",
    ],
    "Deal.Updated": [*BASE, "changes", "slipped", "probability_before", "probability_after", "meta"],
    "Deal.ActivityLogged": [
        *BASE,
        "activity_id",
        "kind",
        "subject",
        "occurred_at",
        "due_at",
        "duration_minutes",
        "required_by_stage",
        "required_task",
        "owner_id",
        "at",
        "meta",
    ],
    "Deal.TaskCompleted": [*BASE, "activity_id", "at", "meta"],
    "Deal.CloseDateApproaching": [*BASE, "key", "expected_close_date", "days_left", "owner_id", "meta"],
    "Deal.TaskOverdue": [*BASE, "key", "activity_id", "subject", "due_at", "owner_id", "meta"],
    "Deal.OwnerChanged": [*BASE, "owner_id", "previous_owner_id", "reason", "upstream", "meta"],
    "Deal.Withdrawn": [*BASE, "reason", "upstream", "meta"],
    "Pipeline.Defined": [*BASE, "originator_topic", "pipeline_id", "stages", "meta"],
    "Pipeline.Redefined": [*BASE, "stages", "meta"],
}
STORED |= {
    "Deal.LineItemsChanged": [*BASE, "items", "meta"],
    "Deal.LineItemsNotApplied": [*BASE, "items", "reason", "meta"],
    "Product.Added": [
        *BASE,
        "originator_topic",
        "code",
        "name_zh",
        "name_en",
        "product_line",
        "unit",
        "list_price",
        "currency",
        "meta",
    ],
    "Product.Changed": [*BASE, "code", "changes", "meta"],
    "Product.Retired": [*BASE, "code", "meta"],
}
AGGREGATES = {"Deal": Deal, "Pipeline": Pipeline, "Product": Product}


def current_class(name: str) -> type:
    aggregate, event = name.split(".")
    return getattr(AGGREGATES[aggregate], event)


@pytest.mark.parametrize("name", [*AGGREGATES, *STORED])
def test_each_class_resolves_from_the_topic_it_was_first_stored_under(name):
    cls = AGGREGATES[name] if name in AGGREGATES else current_class(name)
    assert resolve_topic(f"{OLD}:{name}") is cls


@pytest.mark.parametrize("name", [*AGGREGATES, *STORED])
def test_each_class_is_still_stored_under_that_topic(name):
    cls = AGGREGATES[name] if name in AGGREGATES else current_class(name)
    assert get_topic(cls) == f"{OLD}:{name}"


@pytest.mark.parametrize("name", STORED)
def test_each_event_keeps_its_stored_fields(name):
    assert [field.name for field in dataclasses.fields(current_class(name))] == STORED[name]


def test_the_activity_event_is_at_version_3_and_upcasts_versions_1_and_2():
    logged = current_class("Deal.ActivityLogged")
    assert logged.class_version == 3
    assert callable(logged.upcast_v1_v2) and callable(logged.upcast_v2_v3)


def test_a_version_2_task_stored_before_stage_tasks_reads_as_a_task_no_stage_required():
    app = PipelineApplication()
    who = meta("rep-1", "c")
    deal = Deal(
        id=uuid4(),
        name="D",
        account_name="A",
        owner_id="rep-1",
        amount=1,
        currency="CNY",
        expected_close_date=date(2027, 1, 1),
        source=None,
        upstream=None,
        meta=who,
    )
    deal.enter(DEFAULT, datetime(2026, 1, 1, tzinfo=UTC), None, who)
    app.save(deal)
    at = datetime(2026, 1, 2, tzinfo=UTC)
    # What the previous code stored: version 2, without the stage a task was required by.
    v2_fields = {
        "activity_id": "t-old",
        "kind": "task",
        "subject": "send the quote",
        "occurred_at": None,
        "due_at": at,
        "duration_minutes": None,
        "at": at,
        "meta": who,
        "timestamp": at,
        "class_version": 2,
    }
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=deal.id,
                originator_version=deal.version + 1,
                topic=f"{OLD}:Deal.ActivityLogged",
                state=app.mapper.transcoder.encode(v2_fields),
            )
        ]
    )
    task = app.get_deal(deal.id).activities["t-old"]
    assert (task["kind"], task["done"], task["required_by_stage"], task["required_task"]) == ("task", False, None, None)
    # An old open task is nobody's stage task: it does not hold the deal in its stage.
    assert app.change_stage(deal.id, "qualification", None, who).stage == "qualification"


def test_every_event_the_aggregates_define_is_one_they_have_stored():
    defined = {
        f"{name}.{attr}"
        for name, aggregate in AGGREGATES.items()
        for attr, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and attr not in ("Event", "Created")
    }
    assert defined == set(STORED)


def test_a_recorded_deal_is_stored_under_the_old_topics():
    app = PipelineApplication()
    who = meta("rep-1", "c")
    deal = Deal(
        id=uuid4(),
        name="D",
        account_name="A",
        owner_id="rep-1",
        amount=1,
        currency="CNY",
        expected_close_date=date(2027, 1, 1),
        source=None,
        upstream=None,
        meta=who,
    )
    deal.enter(DEFAULT, datetime(2026, 1, 1, tzinfo=UTC), None, who)
    app.save(deal)
    topics = [stored.topic for stored in app.recorder.select_events(deal.id)]
    assert topics == [f"{OLD}:Deal.Tracked", f"{OLD}:Deal.StageChanged"]


def test_an_old_topic_resolves_in_a_process_that_never_imported_the_pipeline():
    code = f"from eventsourcing.utils import resolve_topic; print(resolve_topic('{OLD}:Deal.StageChanged').TOPIC)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{OLD}:Deal.StageChanged"
