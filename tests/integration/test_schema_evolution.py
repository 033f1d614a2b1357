"""An event stored by an older version still reads, replays and publishes: the stored
domain event is upcast on read (eventsourcing's class_version), the public contract only
gained an optional field."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from services.pipeline.bootstrap import bootstrap
from services.pipeline.domain.deal import Deal
from services.pipeline.domain.stages import DEFAULT
from services.pipeline.publishing import to_public
from shared.contracts import parse_event
from shared.eventstore.application import meta
from shared.eventstore.chain import verify


def test_a_version_1_activity_stored_long_ago_still_reads_replays_and_publishes(settings):
    service = bootstrap(settings)
    app = service.app
    try:
        deal_id = uuid4()
        who = meta("rep-1", "c")
        deal = Deal(
            id=deal_id,
            name="Old",
            account_name="Old Co",
            owner_id="rep-1",
            amount=1000,
            currency="CNY",
            expected_close_date=datetime(2027, 1, 1).date(),
            source=None,
            upstream=None,
            meta=who,
        )
        deal.enter(DEFAULT, datetime.now(UTC), None, who)
        app.save(deal)
        # What the previous code stored: an ActivityLogged without duration, no class_version.
        v1_fields = {
            "activity_id": "a-old",
            "kind": "call",
            "subject": "the first call",
            "occurred_at": None,
            "due_at": None,
            "at": datetime(2026, 1, 5, tzinfo=UTC),
            "meta": who,
            "timestamp": datetime(2026, 1, 5, tzinfo=UTC),
        }
        app.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=deal_id,
                    originator_version=3,
                    topic="services.pipeline.domain:Deal.ActivityLogged",
                    state=app.mapper.transcoder.encode(v1_fields),
                )
            ]
        )
        read = app.get_deal(deal_id)
        assert read.activities["a-old"]["duration_minutes"] is None  # upcast on read
        _, new_id = app.log_activity(deal_id, "meeting", "demo", None, None, who, duration_minutes=45)
        assert app.get_deal(deal_id).activities[new_id]["duration_minutes"] == 45

        published = [to_public(app.to_domain_event(n)) for n in app.read_notifications(0, 100)]
        activities = [p for p in published if p and p.type == "crm.deal.activity_logged.v1"]
        assert [a.data["duration_minutes"] for a in activities] == [None, 45]
        assert all(parse_event(a.to_bytes()).data.subject for a in activities)

        service.projectors[0].create_tables(recreate=True)
        service.projectors[0].catch_up()  # the projection replays across both versions
        assert service.projectors[0].position() == app.recorder.max_notification_id()
        unsealed = [p.problem for p in verify(app.sealed_events())]
        assert unsealed == ["not sealed"]  # the hand-made old row; every recorded event is sealed
    finally:
        service.close()
