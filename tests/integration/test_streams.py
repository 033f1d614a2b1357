"""A consumer's batch reads every stream it names in one query, on both stores, and gets the
same aggregates eventsourcing would rebuild one by one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.pipeline.bootstrap import bootstrap
from services.pipeline.domain.stages import Stage
from services.pipeline.errors import ExitCriteriaNotMet
from shared.contracts import CloudEvent, Money, parse_event
from shared.contracts import events as public
from shared.eventstore.application import meta
from shared.eventstore.streams import aggregates_of, select_streams


def registered_event(deal_id: str, n: int, closes: date | None = None):
    """Registration's public event for a new approved deal, as the pipeline receives it."""
    data = public.DealRegistered(
        deal_id=deal_id,
        name=f"deal {n}",
        account=public.AccountRef(id="a", name=f"A{n}"),
        value=Money(amount=Decimal("1000")),
        expected_close_date=closes or date.today() + timedelta(days=30),
        owner_id="rep-1",
        registration_status="approved",
    )
    envelope = CloudEvent.of(
        data,
        source="crm/registration",
        subject=deal_id,
        sequence=1,
        time=datetime.now(UTC),
        actor="t",
        correlation_id="t",
    )
    return parse_event(envelope.to_bytes())


def test_many_streams_read_at_once_rebuild_the_aggregates_one_by_one_reading_would(settings):
    service = bootstrap(settings)
    try:
        ids = [uuid.uuid4() for _ in range(3)]
        for n, deal_id in enumerate(ids):
            service.handle(registered_event(str(deal_id), n))
        absent = uuid.uuid4()
        stored = select_streams(service.app.recorder, [*ids[:2], absent])
        assert stored is not None
        assert {e.originator_id for e in stored} == set(ids[:2])  # the third was not asked for
        for stream in ids[:2]:
            versions = [e.originator_version for e in stored if e.originator_id == stream]
            assert versions == sorted(versions) and versions[0] == 1
        made = aggregates_of(service.app.mapper, stored)
        assert set(made) == set(ids[:2])
        for stream in ids[:2]:
            one_by_one = service.app.repository.get(stream)
            assert made[stream].version == one_by_one.version
            assert vars(made[stream]) == vars(one_by_one)
    finally:
        service.close()


def test_a_batch_redelivering_an_event_of_a_deal_already_tracked_changes_nothing(settings):
    service = bootstrap(settings)
    try:
        deal_id = str(uuid.uuid4())
        service.handle(registered_event(deal_id, 1))
        before = service.app.recorder.max_notification_id()
        fresh = str(uuid.uuid4())
        service.app.handle_batch([registered_event(deal_id, 1), registered_event(fresh, 2)])
        after = [n.originator_id for n in service.app.read_notifications(before or 0, 100)]
        assert {str(o) for o in after} == {fresh}  # the known deal was read, seen, left alone
    finally:
        service.close()


def test_a_stage_change_reads_its_deal_and_the_companys_stage_set_in_one_query(settings):
    """Both streams a command consults come back from one read, and the company's own stage
    set (not the default) is what it is judged by."""
    service = bootstrap(settings)
    try:
        stages = [
            Stage(key="lead_in", labels={"en": "Lead in"}, probability=5, forecast_category="pipeline"),
            Stage(
                key="quote",
                labels={"en": "Quote"},
                probability=60,
                forecast_category="best_case",
                exit_criteria=("decision_maker",),
            ),
            Stage(key="contract", labels={"en": "Contract"}, probability=90, forecast_category="commit"),
            Stage(key="won", labels={"en": "Won"}, probability=100, forecast_category="closed", state="won"),
            Stage(key="lost", labels={"en": "Lost"}, probability=0, forecast_category="omitted", state="lost"),
        ]
        service.app.define_pipeline("default", stages, meta("admin", "c0"))
        deal_id = str(uuid.uuid4())
        service.handle(registered_event(deal_id, 1))
        one_by_one: list[object] = []
        select_events = service.app.recorder.select_events
        service.app.recorder.select_events = lambda *a, **k: one_by_one.append(a) or select_events(*a, **k)
        assert service.app.change_stage(deal_id, "quote", None, meta("rep-1", "c1")).stage == "quote"
        with pytest.raises(ExitCriteriaNotMet) as refused:
            service.app.change_stage(deal_id, "contract", None, meta("rep-1", "c2"))
        assert refused.value.missing == ["decision_maker"]
        assert one_by_one == []
    finally:
        service.close()
