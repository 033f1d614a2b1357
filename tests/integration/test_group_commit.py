"""Group commit on PostgreSQL: concurrent saves share transactions, yet each save is
recorded whole or not at all, gets its own notification ids or its own error, the log stays
gapless and in order, and each stream's hash chain continues unbroken."""

from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from crm.audit import verify_store
from services.registration.bootstrap import bootstrap as registration_service
from services.registration.domain.terms import DealTerms
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.groupcommit import Append, GroupCommitRecorder
from shared.eventstore.retries import retrying
from shared.eventstore.storage import open_storage
from tests.support.flow import CLOSE_DATE

THREADS = 8
SAVES = 25


class Counter(Aggregate):
    def __init__(self) -> None:
        self.total = 0

    @event("Counted")
    def count(self, by: int) -> None:
        self.total += by


class Counting(ServiceApplication):
    name = "counting"


@pytest.fixture
def app(postgres_settings):
    counting = Counting(env=open_storage(postgres_settings, "counting").eventstore_env)
    yield counting
    counting.close()


def groups_of(app: Counting) -> list[int]:
    """Record the size of each group written, holding each a moment so that saves queue."""
    recorder = app.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    sizes: list[int] = []
    write = recorder._write_group

    def held(group: list[Append]) -> None:
        sizes.append(len(group))
        time.sleep(0.002)
        write(group)

    recorder.group_commit._write = held
    return sizes


def in_threads(work, count: int = THREADS) -> None:
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures


def test_concurrent_saves_share_commits_and_each_caller_gets_its_own_gapless_notification_ids(app) -> None:
    sizes = groups_of(app)
    answered: list[dict[tuple[uuid.UUID, int], int]] = []

    def work(_: int) -> None:
        for _ in range(SAVES):
            counter = Counter()
            counter.count(1)
            recordings = app.save(counter)
            answered.append(
                {
                    (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                    for r in recordings
                }
            )

    in_threads(work)

    stored = app.recorder.select_notifications(start=None, limit=10_000)
    ids = [n.id for n in stored]
    assert len(ids) == THREADS * SAVES * 2
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # gapless, in order
    where = {(n.originator_id, n.originator_version): n.id for n in stored}
    assert len(answered) == THREADS * SAVES
    for own in answered:
        assert own == {key: where[key] for key in own}
        assert sorted(own.values()) == list(range(min(own.values()), min(own.values()) + 2))  # one save, adjacent
    assert max(sizes) > 1
    assert len(sizes) < THREADS * SAVES


def test_two_saves_racing_on_one_aggregate_one_wins_and_the_other_succeeds_on_retry(app) -> None:
    groups_of(app)
    counter = Counter()
    app.save(counter)
    both_loaded = threading.Barrier(2)
    attempts: list[int] = []

    def work(n: int) -> None:
        first = True

        def change() -> None:
            nonlocal first
            mine = app.repository.get(counter.id)
            attempts.append(n)
            if first:
                first = False
                both_loaded.wait(5)  # both changed the same version: one of the saves must lose
            mine.count(10**n)
            app.save(mine)

        retrying(change)

    in_threads(work, 2)
    final = app.repository.get(counter.id)
    assert final.total == 11
    assert final.version == 3
    assert len(attempts) == 3  # exactly one retried, once


def stored_events_of(app: Counting, *aggregates: Counter) -> list:
    return [app.mapper.to_stored_event(e) for aggregate in aggregates for e in aggregate.collect_events()]


def test_a_member_whose_insert_fails_fails_alone_and_the_rest_of_its_group_commits(app) -> None:
    recorder = app.recorder
    existing = Counter()
    app.save(existing)
    before = app.recorder.max_notification_id()
    first, second = Counter(), Counter()
    conflicting = app.recorder.select_events(existing.id)  # its first version again: the store refuses it

    def member(stored) -> Append:
        rows = [
            recorder.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state) for e in stored
        ]
        return Append(rows, {e.originator_id for e in stored})

    group = [member(stored_events_of(app, first)), member(conflicting), member(stored_events_of(app, second))]
    recorder._write_group(group)

    assert isinstance(group[1].error, IntegrityError)
    assert group[0].error is None and group[2].error is None
    assert group[0].ids is not None and len(group[0].ids) == 1
    stored = app.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
    assert [n.originator_id for n in stored] == [first.id, second.id]
    assert [n.id for n in stored] == [*group[0].ids, *group[2].ids]
    assert [n.id for n in stored] == sorted(n.id for n in stored)


def test_after_concurrent_registrations_every_stream_s_hash_chain_verifies(postgres_settings) -> None:
    service = registration_service(postgres_settings)
    terms = DealTerms(name="ERP", amount=Decimal("1000"), currency="CNY", expected_close_date=CLOSE_DATE)
    try:
        assert isinstance(service.app.recorder, GroupCommitRecorder)

        def work(n: int) -> None:
            for k in range(6):
                retrying(
                    lambda n=n, k=k: service.app.register_deal(
                        terms, account_name=f"Chain {n}-{k}", contacts=[], meta=meta(f"rep-{n % 3}", f"c{n}-{k}")
                    )
                )

        in_threads(work)
        checked, broken, _ = verify_store(postgres_settings, "registration")
    finally:
        service.close()
    assert checked >= THREADS * 6
    assert broken == []


def test_with_group_commit_off_saves_use_eventsourcing_s_own_recorder(postgres_settings) -> None:
    settings = postgres_settings.model_copy(update={"group_commit": False})
    counting = Counting(env=open_storage(settings, "counting").eventstore_env)
    try:
        assert not isinstance(counting.recorder, GroupCommitRecorder)
        counter = Counter()
        assert len(counting.save(counter)) == 1
    finally:
        counting.close()


def test_a_save_waits_for_an_earlier_uncommitted_insert_so_readers_never_pass_over_an_id(app) -> None:
    """The table lock: ids become visible in the order they were issued."""
    recorder = app.recorder
    earlier = stored_events_of(app, Counter())
    rows = [
        recorder.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state) for e in earlier
    ]
    saved: list[int] = []
    with recorder.datastore.get_connection() as conn, conn.transaction():
        (held,) = [row["notification"] for row in conn.execute(recorder.sql_append, (rows,)).fetchall()]
        later = threading.Thread(target=lambda: saved.extend(r.notification.id for r in app.save(Counter())))
        later.start()
        later.join(0.5)
        assert later.is_alive()  # waiting for the lock, not committed beside the uncommitted id
        assert saved == []
    later.join(10)
    assert saved == [held + 1]
