"""The public contract: envelope shape, the catalogue, and how consumers read messages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.contracts import (
    CATALOGUE,
    CloudEvent,
    MalformedEvent,
    Money,
    ReceivedEvent,
    UnknownEvent,
    parse_event,
)
from shared.contracts import events as public


def registered_event(**overrides) -> CloudEvent:
    data = public.DealRegistered(
        deal_id="d-1",
        name="ERP rollout",
        account=public.AccountRef(id="a-1", name="ACME"),
        value=Money(amount=Decimal("12500"), currency="CNY"),
        expected_close_date=date(2026, 12, 15),
        owner_id="rep-1",
        registration_status="approved",
    )
    fields = dict(
        source="crm/registration",
        subject="d-1",
        sequence=1,
        time=datetime(2026, 11, 22, 8, 15, 0, 123456, tzinfo=UTC),
        actor="rep-1",
        correlation_id="c-1",
    )
    fields.update(overrides)
    return CloudEvent.of(data, **fields)


def test_an_event_is_a_cloudevents_1_0_document_with_the_spec_attributes():
    document = json.loads(registered_event().to_bytes())
    assert document["specversion"] == "1.0"
    assert document["type"] == "crm.deal.registered.v1"
    assert document["source"] == "crm/registration"
    assert document["subject"] == "d-1"
    assert document["sequence"] == "1"
    assert document["time"] == "2026-11-22T08:15:00.123Z"
    assert document["datacontenttype"] == "application/json"
    assert document["actor"] == "rep-1"
    assert document["correlationid"] == "c-1"


def test_money_travels_as_a_decimal_string_with_two_places():
    document = json.loads(registered_event().to_bytes())
    assert document["data"]["value"] == {"amount": "12500.00", "currency": "CNY"}


def test_the_same_event_published_twice_carries_the_same_id():
    assert registered_event().id == registered_event().id
    assert registered_event().id != registered_event(sequence=2).id


def test_a_known_event_parses_into_its_typed_data():
    received = parse_event(registered_event().to_bytes())
    assert isinstance(received, ReceivedEvent)
    assert isinstance(received.data, public.DealRegistered)
    assert received.data.value.amount == Decimal("12500.00")
    assert received.sequence == 1


def test_an_unknown_type_is_recognised_as_unknown_not_a_crash():
    document = json.loads(registered_event().to_bytes())
    document["type"] = "crm.deal.teleported.v1"
    assert isinstance(parse_event(json.dumps(document)), UnknownEvent)


def test_a_consumer_ignores_fields_added_by_a_newer_producer():
    document = json.loads(registered_event().to_bytes())
    document["data"]["priority"] = "high"
    document["traceparent"] = "00-abc"
    received = parse_event(json.dumps(document))
    assert isinstance(received, ReceivedEvent)
    assert received.data.name == "ERP rollout"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "1.0"}', "invalid CloudEvents envelope"),
    ],
)
def test_a_message_that_is_no_cloudevent_is_malformed_with_a_reason(raw, reason):
    with pytest.raises(MalformedEvent, match=reason):
        parse_event(raw)


def test_a_known_type_with_bad_data_is_malformed_and_names_the_field():
    document = json.loads(registered_event().to_bytes())
    document["data"]["value"]["amount"] = "a lot"
    with pytest.raises(MalformedEvent, match="value.amount"):
        parse_event(json.dumps(document))


SPEC_TYPES = {
    "crm.lead.captured.v1",
    "crm.lead.converted.v1",
    "crm.deal.registered.v1",
    "crm.deal.registration_approved.v1",
    "crm.deal.registration_rejected.v1",
    "crm.deal.assigned.v1",
    "crm.deal.recycled.v1",
    "crm.deal.stage_changed.v1",
    "crm.deal.updated.v1",
    "crm.deal.activity_logged.v1",
    "crm.deal.closed.v1",
    "crm.deal.close_date_approaching.v1",
}
ADDED_TYPES = {
    "crm.deal.recycle_warned.v1",
    "crm.deal.task_completed.v1",
    "crm.deal.task_overdue.v1",
    "crm.forecast.snapshot_taken.v1",
    "crm.checkpoint.recorded.v1",  # on crm.checkpoints: what `crm audit verify` holds the stores to
    "crm.deal.line_items_changed.v1",  # issue 15: products and line items
    "crm.product.added.v1",
    "crm.product.changed.v1",
    "crm.product.retired.v1",
    "crm.partner.registered.v1",  # the second round's channel partners (SPEC: Additions)
    "crm.lead.disqualified.v1",  # issue 15: lead scoring and customer tiers
    "crm.lead.scored.v1",
    "crm.lead.score_model_trained.v1",
    "crm.account.tier_changed.v1",
    "crm.lead.assigned.v1",  # issue 15: assignment rules (线索分配)
}


def test_the_catalogue_holds_every_spec_event_type_and_names_each_addition():
    assert set(CATALOGUE) == SPEC_TYPES | ADDED_TYPES


def test_the_published_json_schemas_are_what_the_code_generates():
    from pathlib import Path

    from shared.contracts.schemas import rendered

    folder = Path(__file__).parents[2] / "docs" / "schemas"
    for name, text in rendered().items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run `python -m shared.contracts.schemas docs/schemas`"
        )


def test_a_schema_validates_the_documents_the_producer_writes():
    from shared.contracts.schemas import event_schema

    schema = event_schema("crm.deal.registered.v1")
    document = json.loads(registered_event().to_bytes())
    assert set(schema["required"]) <= set(document)
    assert set(schema["properties"]["data"]["required"]) <= set(document["data"])


def test_the_configuration_reference_is_what_the_settings_classes_generate():
    from pathlib import Path

    from crm.reference import render

    committed = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == render(), "stale: run `python -m crm.reference docs/configuration.md`"


def test_the_asyncapi_document_is_what_the_contracts_generate():
    from pathlib import Path

    from shared.contracts.asyncapi import rendered

    committed = (Path(__file__).parents[2] / "docs" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == rendered(), "stale: run `python -m shared.contracts.asyncapi docs/asyncapi.json`"


@pytest.mark.parametrize(
    ("source", "subject", "sequence"),
    [
        ("crm/pipeline", "1b0e6a3e-8d47-4c54-9f43-7b0b7b2e2f11", 1),
        ("crm/registration", "线索-7", 10**12),
        ("crm/x", "s", 0),
    ],
)
def test_an_event_id_is_the_uuid5_of_its_source_subject_and_sequence(source, subject, sequence):
    from uuid import UUID, uuid5

    from shared.contracts.envelope import event_id_for

    namespace = UUID("8f1d7a52-3c1b-4d5e-9a55-0c6d2f3b7e11")  # published ids depend on it: never changes
    assert event_id_for(source, subject, sequence) == str(uuid5(namespace, f"{source}|{subject}|{sequence}"))


def test_an_events_time_travels_in_utc_to_the_millisecond_truncated():
    from datetime import timedelta, timezone

    shanghai = timezone(timedelta(hours=8))
    event = registered_event(time=datetime(2026, 1, 1, 7, 59, 59, 999999, tzinfo=shanghai))
    assert json.loads(event.to_bytes())["time"] == "2025-12-31T23:59:59.999Z"
