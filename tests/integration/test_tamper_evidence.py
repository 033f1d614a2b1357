"""Every stored event is sealed into its stream's hash chain; a changed, removed or
reordered row is found and named — on SQLite and on PostgreSQL. The checkpoints say where
each stream ended: a stream cut short or deleted whole is named too."""

from __future__ import annotations

import json
import sqlite3
import uuid
from types import SimpleNamespace

import psycopg
import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from crm.audit import published_checkpoints, read_topic, verify_store
from services.registration.bootstrap import bootstrap
from shared.eventstore.application import meta
from shared.eventstore.chain import link, verify
from shared.eventstore.checkpoints import Checkpointer, checkpoint_stream, published_entries
from shared.eventstore.heads import fold
from tests.support.flow import TERMS, eventually


def register_two(service):
    first = service.app.register_deal(TERMS, account_name="Seal One", contacts=[], meta=meta("rep-1", "c1"))
    second = service.app.register_deal(TERMS, account_name="Seal Two", contacts=[], meta=meta("rep-2", "c2"))
    service.app.recycle(first.deal_id, "manual", "test", meta("mgr", "c3"))
    return first.deal_id, second.deal_id


def execute(service, settings, sql: str, params: tuple = ()) -> list:
    """Straight at the stored rows, as a tamperer would, bypassing the application."""
    if settings.database_url:
        with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as connection:
            sql = sql.replace("stored_events", f'"{settings.schema_prefix}registration".registration_events').replace(
                "?", "%s"
            )
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(settings.data_dir / "registration" / "events.sqlite") as connection:
        return connection.execute(sql, params).fetchall()


def stream_key(deal_id, settings):
    """How each store keeps a stream's id: a uuid column, or hex text in SQLite."""
    return deal_id if settings.database_url else deal_id.hex


def problems(service) -> list:
    return list(verify(service.app.sealed_events()))


def test_an_untouched_store_verifies_clean(registration):
    register_two(registration)
    assert problems(registration) == []


def test_an_altered_event_is_named(registration, settings):
    deal_id, _ = register_two(registration)
    key = stream_key(deal_id, settings)
    ((state,),) = execute(
        registration,
        settings,
        "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 1",
        (key,),
    )
    document = json.loads(bytes(state))
    document["amount"] = {"_type_": "decimal_str", "_data_": "999999"}
    execute(
        registration,
        settings,
        "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 1",
        (json.dumps(document).encode(), key),
    )
    found = problems(registration)
    assert [(p.stream, p.version, p.problem.split(":")[0]) for p in found] == [(str(deal_id), 1, "altered")]


def test_a_removed_event_is_named(registration, settings):
    deal_id, _ = register_two(registration)
    key = stream_key(deal_id, settings)
    execute(
        registration, settings, "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 1", (key,)
    )
    found = problems(registration)
    assert (str(deal_id), 2) in {(p.stream, p.version) for p in found}
    assert any("removed or reordered" in p.problem for p in found)


# -- where a stream should end: the checkpoints ---------------------------------------------------


def checkpoint(service) -> bool:
    """What the service's checkpoint job does on its schedule (a fresh one: as after a restart)."""
    return Checkpointer(service.app, "registration").run()


def audit(settings, published=None) -> list:
    """What `crm audit verify registration` finds: the chains, and the heads against the checkpoint."""
    _, found, _ = verify_store(settings, "registration", published)
    return [(p.stream, p.problem.split(":")[0]) for p in found]


def last_version(service, settings, deal_id) -> int:
    ((version,),) = execute(
        service,
        settings,
        "SELECT max(originator_version) FROM stored_events WHERE originator_id = ?",
        (stream_key(deal_id, settings),),
    )
    return version


def test_a_checkpoint_is_recorded_only_when_the_store_changed_and_verifies_clean(registration, settings):
    register_two(registration)
    job = Checkpointer(registration.app, "registration")
    assert job.run() is True
    assert job.run() is False  # only its own checkpoint is new
    registration.app.register_deal(TERMS, account_name="Seal Three", contacts=[], meta=meta("rep-1", "c4"))
    assert job.run() is True
    assert checkpoint(registration) is False  # after a restart too: nothing new since the last one
    assert audit(settings) == []


def test_a_checkpoint_of_many_changed_heads_comes_in_parts_that_fold_back_together(registration, settings, monkeypatch):
    monkeypatch.setattr("shared.eventstore.checkpoints.MAX_HEADS_PER_EVENT", 2)
    deal_id, _ = register_two(registration)
    assert checkpoint(registration)
    parts = [e for e in registration.app.sealed_stream(checkpoint_stream("registration")) if hasattr(e, "parts")]
    assert len(parts) > 2 and [e.part for e in parts] == list(range(1, parts[0].parts + 1))
    assert audit(settings) == []
    execute(
        registration, settings, "DELETE FROM stored_events WHERE originator_id = ?", (stream_key(deal_id, settings),)
    )
    assert audit(settings) == [(str(deal_id), "missing")]


def test_deleting_a_streams_last_event_is_named_truncated(registration, settings):
    deal_id, _ = register_two(registration)
    checkpoint(registration)
    last = last_version(registration, settings, deal_id)
    execute(
        registration,
        settings,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (stream_key(deal_id, settings), last),
    )
    assert problems(registration) == []  # the chain alone cannot tell: nothing says where the stream ended
    assert audit(settings) == [(str(deal_id), "truncated")]


def test_deleting_a_whole_stream_is_named_missing(registration, settings):
    _, second = register_two(registration)
    checkpoint(registration)
    execute(
        registration, settings, "DELETE FROM stored_events WHERE originator_id = ?", (stream_key(second, settings),)
    )
    assert problems(registration) == []
    assert audit(settings) == [(str(second), "missing")]


def test_a_rewritten_and_resealed_last_event_is_named_altered(registration, settings):
    deal_id, _ = register_two(registration)
    checkpoint(registration)
    events = registration.app.sealed_stream(deal_id)
    forged = SimpleNamespace(**{k: v for k, v in events[-1].__dict__.items() if k != "chain"})
    forged.note = "nobody asked"
    forged.chain = link(events[-2].chain, forged)  # a tamperer who knows the scheme reseals it
    state = registration.app.mapper.transcoder.encode(
        {k: v for k, v in forged.__dict__.items() if k not in ("originator_id", "originator_version")}
    )
    execute(
        registration,
        settings,
        "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (state, stream_key(deal_id, settings), forged.originator_version),
    )
    assert problems(registration) == []
    assert audit(settings) == [(str(deal_id), "altered")]


@pytest.mark.parametrize("swap", ["contents", "versions"])
def test_a_swap_of_two_events_is_named_reordered(registration, settings, swap):
    deal_id, _ = register_two(registration)
    key = stream_key(deal_id, settings)
    if swap == "contents":  # each row keeps its place; the two events trade what they say
        rows = dict(
            execute(
                registration,
                settings,
                "SELECT originator_version, state FROM stored_events WHERE originator_id = ?",
                (key,),
            )
        )
        for version, other in ((1, 2), (2, 1)):
            execute(
                registration,
                settings,
                "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                (bytes(rows[other]), key, version),
            )
    else:  # the rows trade their version numbers: the later event now comes first
        for old, new in ((1, 1000), (2, 1), (1000, 2)):
            execute(
                registration,
                settings,
                "UPDATE stored_events SET originator_version = ? WHERE originator_id = ? AND originator_version = ?",
                (new, key, old),
            )
    found = list(verify(registration.app.sealed_events(), reread=registration.app.sealed_events))
    assert {(p.stream, p.problem.split(":")[0]) for p in found} == {(str(deal_id), "reordered")}
    assert sorted(p.version for p in found) == [1, 2]


def test_a_checkpointer_never_anchors_a_store_cut_behind_its_last_checkpoint(registration, settings):
    deal_id, _ = register_two(registration)
    checkpoint(registration)
    execute(
        registration,
        settings,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (stream_key(deal_id, settings), last_version(registration, settings, deal_id)),
    )
    registration.app.register_deal(TERMS, account_name="Seal Four", contacts=[], meta=meta("rep-1", "c5"))
    restarted = Checkpointer(registration.app, "registration")
    assert restarted.run() is False
    assert [(p.stream, p.problem.split(":")[0]) for p in restarted.refused] == [(str(deal_id), "truncated")]
    assert audit(settings) == [(str(deal_id), "truncated")]


def test_the_published_copy_catches_a_store_whose_checkpoints_were_cut_too(registration, settings):
    deal_id, _ = register_two(registration)
    checkpoint(registration)
    published = [
        public.to_bytes()
        for n in registration.app.read_notifications(0, 100)
        if (public := registration.translate(registration.app.to_domain_event(n)))
        and public.type == "crm.checkpoint.recorded.v1"
    ]
    assert len(published) == 1
    execute(
        registration,
        settings,
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (stream_key(deal_id, settings), last_version(registration, settings, deal_id)),
    )
    execute(
        registration,
        settings,
        "DELETE FROM stored_events WHERE originator_id = ?",
        (stream_key(checkpoint_stream("registration"), settings),),
    )
    assert audit(settings) == []  # the store alone: no checkpoint left to hold it to
    assert sorted(audit(settings, published)) == sorted(
        [(str(deal_id), "truncated"), (str(checkpoint_stream("registration")), "missing")]
    )


@pytest.mark.slow
def test_the_checkpoint_is_published_on_the_checkpoint_topic_and_holds_the_store_to_it(kafka, sqlite_settings):
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    settings = sqlite_settings.model_copy(
        update={
            "kafka_bootstrap_servers": kafka,
            "kafka_topic_prefix": prefix,
            "kafka_group_prefix": prefix,
            "checkpoint_interval_seconds": 0.2,
        }
    )
    stream = str(checkpoint_stream("registration"))
    with TestClient(create_app(settings, names=["registration"])) as client:
        deal_id, _ = register_two(client.app.state.services["registration"])

        def covered() -> list[bytes] | None:
            """The published checkpoints, once one has the deal's last event."""
            try:
                copy = published_checkpoints(settings, timeout=10)
            except LookupError:
                return None  # the topics are made as the runtime connects
            anchor = fold(published_entries(copy, "registration"), "the published checkpoints", stream)
            return copy if anchor is not None and anchor.heads.get(str(deal_id), (0,))[0] == 2 else None

        published = eventually(covered, timeout=60, interval=0.3)
    assert {json.loads(m)["source"] for m in published} == {"crm/registration"}
    service_topic = read_topic(settings, prefix + "crm.registration", timeout=10)
    assert service_topic and not [m for m in service_topic if b"crm.checkpoint." in m]  # the story's topic has none

    with sqlite3.connect(settings.data_dir / "registration" / "events.sqlite") as connection:
        connection.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 2", (deal_id.hex,)
        )
        connection.execute(
            "DELETE FROM stored_events WHERE originator_id = ?", (checkpoint_stream("registration").hex,)
        )
    assert audit(settings) == []  # the store's own checkpoints went with it
    found = audit(settings, published_checkpoints(settings, timeout=10))
    assert sorted(found) == sorted([(str(deal_id), "truncated"), (stream, "missing")])


@pytest.mark.parametrize(
    "topic",
    [
        "shared.checkpoints:Checkpoint",
        "shared.checkpoints:Checkpoint.Started",
        "shared.checkpoints:Checkpoint.Recorded",
    ],
)
def test_checkpoints_are_read_and_written_under_the_topics_stores_already_hold(topic):
    from eventsourcing.utils import get_topic, resolve_topic

    cls = resolve_topic(topic)
    assert get_topic(cls) == topic


def test_a_stream_read_by_a_fresh_process_is_sealed_over_its_last_event_without_a_second_read(settings):
    """The seal of a stream's next event is taken from the event the command's read already
    brought back: a service started afresh (nothing cached) changes a deal with one read of
    its stream, and the store still verifies clean."""
    first = bootstrap(settings)
    _, deal_id = register_two(first)
    first.close()
    fresh = bootstrap(settings)
    try:
        reads: list[uuid.UUID] = []
        select_events = fresh.app.recorder.select_events

        def counted(originator_id, *args, **kwargs):
            reads.append(originator_id)
            return select_events(originator_id, *args, **kwargs)

        fresh.app.recorder.select_events = counted
        fresh.app.recycle(deal_id, "manual", "test", meta("mgr", "c4"))
        assert reads.count(uuid.UUID(str(deal_id))) == 1
        assert problems(fresh) == []
    finally:
        fresh.close()
