"""The checkpoint job holds only the heads changed since its last checkpoint, counts the
store's streams right when replicas take turns, and carries on a store whose checkpoints
are of the older kind (a hash over every head) — and the audit holds the store to all of them."""

from __future__ import annotations

from crm.audit import verify_store
from shared.eventstore.application import meta
from shared.eventstore.checkpoints import Checkpoint, Checkpointer, checkpoint_stream, store_entries
from shared.eventstore.heads import fold, heads_hash
from tests.support.flow import TERMS


def register(service, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        service.app.register_deal(TERMS, account_name=f"Head {i}", contacts=[], meta=meta("rep-1", f"h{i}"))


def anchor(service):
    return fold(
        store_entries(service.app, "registration"), "the store's checkpoints", str(checkpoint_stream("registration"))
    )


def streams_in_store(service) -> int:
    return len({str(event.originator_id) for _, event in service.app.sealed_events()})


def audit(settings) -> list:
    _, found, _ = verify_store(settings, "registration")
    return [(p.stream, p.problem.split(":")[0]) for p in found]


def test_the_job_lets_go_of_every_head_it_has_checkpointed(registration, settings):
    job = Checkpointer(registration.app, "registration")
    register(registration, 12)
    assert job.run() and job.holding == 0
    register(registration, 3, start=12)
    job.run()
    assert job.holding == 0  # not the fifteen deals' heads: none changed since
    assert anchor(registration).problems == [] and audit(settings) == []


def test_replicas_taking_turns_count_every_stream_once(registration, settings):
    first, second = Checkpointer(registration.app, "registration"), Checkpointer(registration.app, "registration")
    assert not first.run() and not second.run()  # both start from the same (empty) store
    register(registration, 3)
    assert first.run()
    register(registration, 2, start=3)
    assert second.run()  # its window reaches back past the first's checkpoint
    register(registration, 1, start=5)
    assert first.run()
    held = anchor(registration)
    assert held.problems == [] and audit(settings) == []
    assert store_entries(registration.app, "registration")[-1].streams == len(held.heads)
    assert len(held.heads) == streams_in_store(registration)  # every stream, the checkpoints' own included


def test_a_store_with_checkpoints_of_the_older_kind_goes_on_chained(registration, settings):
    register(registration, 2)
    heads = {}
    for _, event in registration.app.sealed_events():
        heads[str(event.originator_id)] = [event.originator_version, event.chain]
    stream = checkpoint_stream("registration")
    system = meta("system", "before")
    older = Checkpoint.Recorded(  # type: ignore[call-arg]
        originator_id=stream,
        originator_version=2,
        timestamp=Checkpoint.Recorded.create_timestamp(),
        service="registration",
        position=registration.app.recorder.max_notification_id(),
        streams=len(heads),
        heads_hash=heads_hash({key: (v, c) for key, (v, c) in heads.items()}),
        heads=heads,
        part=1,
        parts=1,
        meta=system,
        previous_hash="",
    )
    object.__delattr__(older, "previous_hash")  # as recorded before checkpoints were chained
    registration.app.save(Checkpoint(id=stream, service="registration", meta=system), older)
    assert anchor(registration).problems == [] and audit(settings) == []
    register(registration, 2, start=2)
    assert Checkpointer(registration.app, "registration").run()
    entries = store_entries(registration.app, "registration")
    assert [e.previous_hash is None for e in entries] == [True, False]
    held = anchor(registration)
    assert held.problems == [] and audit(settings) == [] and len(held.heads) == streams_in_store(registration)
