"""What auditors run: a deal's whole history across the services' event stores, and the
check of every store against its hash chains and checkpoints (`crm.replay` rebuilds the
projections).

Both read the event stores directly, configured by the same `CRM_*` variables as the
services, so they need no running service and change no stored event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.pipeline import history as pipeline_history
from services.pipeline.application import PipelineApplication
from services.registration import history as registration_history
from services.registration.application import RegistrationApplication
from shared.errors import NotFound
from shared.eventstore.history import stream_history
from shared.eventstore.storage import open_storage
from shared.settings import Settings


def deal_history(settings: Settings, deal_id: UUID, as_of: datetime | None = None) -> dict[str, Any]:
    """Every event of the deal in time order, with its actor and reason, and the spans of
    each stage and each owner — as the deal stood at `as_of` if given."""
    stores = {
        "registration": RegistrationApplication(env=open_storage(settings, "registration").eventstore_env),
        "pipeline": PipelineApplication(env=open_storage(settings, "pipeline").eventstore_env),
    }
    details = {"registration": registration_history.DETAIL_FIELDS, "pipeline": pipeline_history.DETAIL_FIELDS}
    now = as_of or datetime.now(UTC)
    events: list[dict[str, Any]] = []
    spans: dict[str, list[dict[str, Any]]] = {"stage_spans": [], "owner_spans": []}
    try:
        for service, app in stores.items():
            try:
                rows, deal = stream_history(app, service, deal_id, as_of, details=details[service], kind="deal")
            except NotFound:
                continue
            events += rows
            if service == "pipeline":
                spans["stage_spans"] = pipeline_history.stage_spans(deal, now)
            else:
                spans["owner_spans"] = registration_history.owner_spans(deal, now)
    finally:
        for app in stores.values():
            app.close()
    if not events:
        raise LookupError(f"no deal {deal_id} in the event stores" + (f" as of {as_of.isoformat()}" if as_of else ""))
    events.sort(key=lambda e: (e["time"], e["service"], e["version"]))
    return {"deal_id": str(deal_id), "as_of": as_of.isoformat() if as_of else None, "events": events, **spans}


def verify_store(settings: Settings, service: str, published: list[bytes] | None = None) -> tuple[int, list[Any], str]:
    """(events checked, what is broken, what the check was held to) for one service's store.

    Every event is checked against its stream's hash chain (altered, removed, reordered),
    and every stream's head against the last checkpoint (truncated, missing, resealed): the
    store's own checkpoints, or with `published` (the messages of `crm.checkpoints`) the
    copy the store cannot rewrite — then the store's checkpoints are held to it as well."""
    from shared.eventstore.application import ServiceApplication
    from shared.eventstore.chain import verify
    from shared.eventstore.checkpoints import checkpoint_stream, published_entries, store_entries
    from shared.eventstore.heads import Heads, fold

    class Store(ServiceApplication):
        name = service  # the same tables the service writes

    app = Store(env=open_storage(settings, service).eventstore_env)
    try:
        stream = str(checkpoint_stream(service))
        own = store_entries(app, service)
        anchors = [fold(own, "the store's checkpoints", stream)]
        differing: list[Any] = []
        if published is not None:
            copy = published_entries(published, service)
            anchors.insert(0, fold(copy, "the published checkpoints", stream))
            differing = _differing_checkpoints(own, copy, stream)
        held = [Heads(anchor) for anchor in anchors if anchor is not None]
        counted = 0

        def walking() -> Any:
            nonlocal counted
            for item in app.sealed_events():
                counted += 1
                for heads in held:
                    heads.see(*item)
                yield item

        problems = list(verify(walking(), reread=app.sealed_events)) + differing
        named: set[tuple[str, str]] = set()
        for heads in held:  # the published copy first; the store's own (maybe newer) for what it adds
            for problem in heads.problems():
                if (problem.stream, problem.problem.split(":")[0]) not in named:
                    named.add((problem.stream, problem.problem.split(":")[0]))
                    problems.append(problem)
    finally:
        app.close()
    note = " and ".join(f"at notification {h.anchor.position} ({h.anchor.where})" for h in held if h.anchor)
    if note:
        note = "held to the checkpoint " + note
    else:
        note = "no checkpoint yet: deleted streams or deleted last events cannot be told"
    if published is not None and (not anchors[0]):
        note += "; no published checkpoint of this service"
    return counted, problems, note


def _differing_checkpoints(own: list[Any], copy: list[Any], stream: str) -> list[Any]:
    """The store's checkpoint events that are not what was published under their version."""
    from shared.eventstore.chain import Broken

    published = {entry.version: entry for entry in copy}
    return [
        Broken(stream, entry.version, 0, "altered: this checkpoint is not the one published under its version")
        for entry in own
        if entry.version in published and published[entry.version] != entry
    ]


def published_checkpoints(settings: Settings, timeout: float = 60.0) -> list[bytes]:
    """Every message of the checkpoint topic, from its beginning to its end now."""
    from shared.contracts import CHECKPOINTS

    return read_topic(settings, settings.kafka_topic_prefix + CHECKPOINTS, timeout)


def read_topic(settings: Settings, topic: str, timeout: float = 60.0) -> list[bytes]:
    """Every message of `topic` from its beginning to its end now (no consumer group:
    nothing is committed, every partition is read)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.errors import KafkaError

    from shared.settings import kafka_security

    if not settings.kafka_bootstrap_servers:
        raise LookupError("CRM_KAFKA_BOOTSTRAP_SERVERS is not set: no topic to read")

    async def read() -> list[bytes]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **kafka_security(settings),
        )
        await consumer.start()
        try:
            await consumer.topics()  # fresh metadata
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not partitions:
                raise LookupError(f"no topic {topic}")
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            values: list[bytes] = []
            deadline = asyncio.get_running_loop().time() + timeout
            while any([await consumer.position(p) < ends[p] for p in partitions]):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{topic} was not read to its end in {timeout:.0f}s")
                for records in (await consumer.getmany(*partitions, timeout_ms=500)).values():
                    values += [record.value for record in records if record.value]
            return values
        finally:
            await consumer.stop()

    try:
        return asyncio.run(read())
    except KafkaError as error:
        raise LookupError(f"{topic}: {type(error).__name__}: {error}") from error
