"""The plumbing against real stores: the same tests on SQLite files and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, select

from services.pipeline.bootstrap import bootstrap as pipeline_service
from services.pipeline.projections import board_totals, deals
from services.registration.bootstrap import bootstrap as registration_service
from services.registration.errors import DuplicateRegistration
from shared.contracts import CloudEvent, parse_event
from shared.contracts import events as public
from shared.errors import ConcurrentUpdate
from shared.eventstore.application import meta
from shared.messaging.bus import Record
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import OutboxRelay
from shared.readmodels.positions import shapes
from shared.readmodels.projection import Projector, shape_of
from tests.support.flow import TERMS


class RecordingPublisher:
    """A bus that keeps what it was given, and can be told to fail the next publish."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.fail_next = False

    async def publish(self, records):
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("broker unreachable")
        self.records.extend(records)


@pytest.fixture
def pipeline(settings):
    service = pipeline_service(settings)
    yield service
    service.close()


def register(service, n: int, who: str = "rep-1"):
    return service.app.register_deal(TERMS, account_name=f"Customer {n}", contacts=[], meta=meta(who, f"c{n}"))


def test_the_relay_publishes_committed_events_in_order_keyed_by_deal(registration):
    registered = [register(registration, n).deal_id for n in range(3)]
    publisher = RecordingPublisher()
    relay = OutboxRelay(
        registration.app, registration.storage.engine, "crm.registration", registration.translate, publisher
    )
    asyncio.run(relay.publish_once())
    assert [record.key for record in publisher.records] == [str(d) for d in registered]
    assert [parse_event(r.value).data.TYPE for r in publisher.records] == ["crm.deal.registered.v1"] * 3
    assert relay.backlog() == 0


def test_a_failed_publish_keeps_the_position_and_the_next_attempt_sends_everything(registration):
    register(registration, 1)
    publisher = RecordingPublisher()
    relay = OutboxRelay(
        registration.app, registration.storage.engine, "crm.registration", registration.translate, publisher
    )
    publisher.fail_next = True
    with pytest.raises(ConnectionError):
        asyncio.run(relay.publish_once())
    assert relay.backlog() > 0
    asyncio.run(relay.publish_once())
    assert len(publisher.records) == 1
    assert relay.backlog() == 0


def test_a_batch_read_ahead_is_sent_once_after_a_failed_send_and_never_after_a_replicas_turn(registration):
    for n in range(8):
        register(registration, n)
    total = registration.app.recorder.max_notification_id()
    assert total >= 8
    app, engine, translate = registration.app, registration.storage.engine, registration.translate
    publisher = RecordingPublisher()
    relay = OutboxRelay(app, engine, "t", translate, publisher, batch_size=2)
    replica = OutboxRelay(app, engine, "t", translate, publisher, batch_size=2)
    assert asyncio.run(relay.publish_once()) == 2  # and reads the next two ahead
    publisher.fail_next = True
    with pytest.raises(ConnectionError):
        asyncio.run(relay.publish_once())  # sends the read-ahead batch: it fails, the position stays
    assert asyncio.run(replica.publish_once()) == 2  # the replica's turn: it sends that batch,
    assert asyncio.run(replica.publish_once()) == 2  # and the one the relay read ahead meanwhile
    while asyncio.run(relay.publish_once()):  # the relay's read-ahead now begins elsewhere
        pass
    everything = RecordingPublisher()  # what one batch of them all sends, on a topic of its own
    asyncio.run(OutboxRelay(app, engine, "all", translate, everything, batch_size=total).publish_once())
    assert [r.value for r in publisher.records] == [r.value for r in everything.records]  # in order, once each
    assert relay.backlog() == 0


class AppliedOnce:
    """A projection that remembers what it was given, in order."""

    name = "test.applied"
    metadata = MetaData()

    def __init__(self) -> None:
        self.applied: list[tuple[str, int]] = []

    def apply(self, connection, event) -> None:
        self.applied.append((str(event.originator_id), event.originator_version))


def test_projector_replicas_taking_turns_apply_each_event_once_in_order(registration):
    for n in range(8):
        register(registration, n)
    total = registration.app.recorder.max_notification_id()
    assert total >= 8
    app, engine, projection = registration.app, registration.storage.engine, AppliedOnce()
    projector, replica = Projector(app, engine, projection, 2), Projector(app, engine, projection, 2)
    projector.create_tables()
    assert projector.run_once() == 2
    assert replica.run_once() == 2  # the replica applies those two,
    assert replica.run_once() == 2  # and the two after
    projector.catch_up()  # from where the replica left
    expected = [(str(n.originator_id), n.originator_version) for n in app.read_notifications(0, total)]
    assert projection.applied == expected


def test_a_restarted_relay_resumes_from_its_recorded_position(registration, settings):
    register(registration, 1)
    first = RecordingPublisher()
    asyncio.run(
        OutboxRelay(registration.app, registration.storage.engine, "t", registration.translate, first).publish_once()
    )
    register(registration, 2)
    restarted = registration_service(settings)  # a new process: same stores, fresh objects
    try:
        second = RecordingPublisher()
        relay = OutboxRelay(restarted.app, restarted.storage.engine, "t", restarted.translate, second)
        asyncio.run(relay.publish_once())
    finally:
        restarted.close()
    assert len(first.records) == 1
    assert len(second.records) == 1
    assert first.records[0].key != second.records[0].key


def test_a_rebuilt_projection_equals_the_live_one(registration, pipeline, settings):
    publisher = RecordingPublisher()
    relay = OutboxRelay(registration.app, registration.storage.engine, "t", registration.translate, publisher)
    for n in range(5):
        register(registration, n)
    asyncio.run(relay.publish_once())
    for record in publisher.records:
        pipeline.handle(parse_event(record.value))
    first_deal = parse_event(publisher.records[0].value).data.deal_id
    pipeline.app.change_stage(first_deal, "proposal", "quote", meta("rep-1", "c"))
    projector = pipeline.projectors[0]
    projector.catch_up()
    with pipeline.storage.engine.connect() as connection:
        live = connection.execute(select(deals).order_by(deals.c.deal_id)).all()

    projector.create_tables(recreate=True)
    projector.catch_up()
    with pipeline.storage.engine.connect() as connection:
        rebuilt = connection.execute(select(deals).order_by(deals.c.deal_id)).all()
    assert len(live) == 5
    assert rebuilt == live


def test_a_read_model_of_another_shape_is_rebuilt_from_the_store_at_start(registration, pipeline):
    publisher = RecordingPublisher()
    register(registration, 1)
    asyncio.run(
        OutboxRelay(
            registration.app, registration.storage.engine, "t", registration.translate, publisher
        ).publish_once()
    )
    pipeline.handle(parse_event(publisher.records[0].value))
    projector = pipeline.projectors[0]
    projector.catch_up()
    with pipeline.storage.engine.begin() as connection:  # as left by an older release
        connection.execute(shapes.update().values(shape="an older shape"))
        connection.execute(board_totals.delete())

    Projector(pipeline.app, pipeline.storage.engine, projector.projection).create_tables()
    assert projector.position() == 0  # dropped: it starts again from the first event
    projector.catch_up()
    with pipeline.storage.engine.connect() as connection:
        assert len(connection.execute(select(deals)).all()) == 1
        assert connection.execute(select(board_totals.c.deals)).scalars().all() == [1]
        assert connection.execute(select(shapes.c.shape)).scalars().all() == [shape_of(deals.metadata)]


def test_a_batch_is_applied_together_and_a_poison_message_in_it_is_parked_alone(registration, pipeline):
    upstream = RecordingPublisher()
    for n in range(4):
        register(registration, n)
    asyncio.run(
        OutboxRelay(registration.app, registration.storage.engine, "t", registration.translate, upstream).publish_once()
    )
    good = [r for r in upstream.records if b"deal.registered" in r.value]
    assert len(good) == 4
    stranger = str(uuid.uuid4())  # a well-formed approval of a deal the pipeline never heard of
    approval = public.DealRegistrationApproved(deal_id=stranger, approved_by="mgr-1", protected_until=datetime.now(UTC))
    poison = Record(
        "t",
        stranger,
        CloudEvent.of(
            approval,
            source="crm/registration",
            subject=stranger,
            sequence=2,
            time=datetime.now(UTC),
            actor="mgr-1",
            correlation_id="p",
        ).to_bytes(),
        (),
    )
    deadletters = RecordingPublisher()
    inbox = Inbox("pipeline", pipeline.handle, deadletters, handle_batch=pipeline.app.handle_batch, retry_delay=0)
    before = pipeline.app.recorder.max_notification_id() or 0

    asyncio.run(inbox.receive_batch([good[0], poison, good[1], b_malformed := Record("t", "y", b"{not json", ())]))
    asyncio.run(inbox.receive_batch([good[2], good[3], good[0]]))  # good[0] again: a redelivery

    assert [r.value for r in deadletters.records] == [b_malformed.value, poison.value]  # parsed first, then applied
    assert b"UnknownDeal" in dict(deadletters.records[1].headers)["deadletter-reason"]
    pipeline.projectors[0].catch_up()
    with pipeline.storage.engine.connect() as connection:
        assert len(connection.execute(select(deals)).all()) == 4
    per_deal = {}
    for notification in pipeline.app.read_notifications(before, 100):
        per_deal[notification.originator_id] = per_deal.get(notification.originator_id, 0) + 1
    assert sorted(per_deal.values()) == [2, 2, 2, 2]  # tracked and entered, once each


def test_two_projectors_sharing_a_read_model_never_apply_an_event_twice(pipeline, registration):
    publisher = RecordingPublisher()
    register(registration, 1)
    asyncio.run(
        OutboxRelay(
            registration.app, registration.storage.engine, "t", registration.translate, publisher
        ).publish_once()
    )
    pipeline.handle(parse_event(publisher.records[0].value))
    twin = Projector(pipeline.app, pipeline.storage.engine, pipeline.projectors[0].projection)
    applied = [pipeline.projectors[0].run_once(), twin.run_once()]
    assert sorted(applied) == [0, 2]  # one applied both events, the other found nothing left
    with pipeline.storage.engine.connect() as connection:
        assert connection.execute(select(deals)).all().__len__() == 1


def test_two_reps_registering_one_customer_at_the_same_moment_exactly_one_wins(registration):
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(rep: int) -> None:
        barrier.wait()
        try:
            registration.app.register_deal(
                TERMS, account_name="同一个客户有限公司", contacts=[], meta=meta(f"rep-{rep}", f"c{rep}")
            )
            outcomes.append("won")
        except (DuplicateRegistration, ConcurrentUpdate):
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(rep,)) for rep in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["won"]
