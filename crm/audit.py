"""What auditors run: a deal's whole history across the services' event stores, and the
rebuild of a service's projections (to check them, or to see the world as of an instant).

Both read the event stores directly, configured by the same `CRM_*` variables as the
services, so they need no running service and change no stored event.
"""
from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, select, update

from services.pipeline import history as pipeline_history
from services.pipeline.application import PipelineApplication
from services.registration import history as registration_history
from services.registration.application import RegistrationApplication
from shared.errors import NotFound
from shared.eventstore.history import stream_history
from shared.eventstore.storage import open_storage
from shared.readmodels.positions import positions, read_position
from shared.readmodels.projection import Projector
from shared.service import Service
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


def verify_store(
    settings: Settings, service: str, published: list[bytes] | None = None
) -> tuple[int, list[Any], str]:
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
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
            auto_offset_reset="earliest", **kafka_security(settings),
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


# -- replay ---------------------------------------------------------------------------------


def replay(
    service: Service, *, as_of: datetime | None = None, restart: bool = False, replace: bool = False, out: Any = None
) -> dict[str, Any]:
    """Rebuild each projection of `service` from its event store into a shadow beside the
    live one, with progress. Interrupted, it resumes where it stopped (`restart` begins
    again) — unless the events it applied are no longer what the store holds (an event
    altered, removed or reordered since): then it starts again, and says why. Without
    `as_of`, it then checks that the rebuilt projection equals the live one."""
    out = out or sys.stderr
    shadow_name = "asof" if as_of else "rebuild"
    shadow_engine = service.storage.shadow(shadow_name)
    results = {}
    try:
        for live in service.projectors:
            shadow = Projector(service.app, shadow_engine, live.projection, live.batch_size)
            shadow.create_tables(recreate=restart or as_of is not None)
            result: dict[str, Any] = {"where": shadow_name}
            applied = _Applied(service.app, shadow_engine, shadow.position_name)
            if shadow.position() == 0:
                applied.reset()
            elif not applied.still_stored(shadow.position()):
                result["restarted"] = (
                    f"the event store no longer holds the events the earlier rebuild applied (up to notification "
                    f"{shadow.position()}): an event was altered, removed or reordered since; rebuilt from the first"
                )
                shadow.create_tables(recreate=True)
                applied.reset()
            target = service.app.recorder.max_notification_id() or 0
            while shadow.run_once(stop=target, until=as_of):
                applied.advance(shadow.position())
                _progress(out, live.projection.name, shadow.position(), target)
            applied.advance(shadow.position())
            _progress(out, live.projection.name, shadow.position(), target, done=True)
            result["position"] = shadow.position()
            if as_of is None:
                result["differences"] = _compare(service, live, shadow, shadow_engine)
                applied.advance(shadow.position())
                if result["differences"] and replace:
                    _replace(live, shadow, shadow_engine)
                    result["replaced"] = True
            results[live.projection.name] = result
    finally:
        shadow_engine.dispose()
    return results


_applied_table = Table(
    "rebuild_applied",
    MetaData(),
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
)


class _Applied:
    """What a shadow projection was built from: a running SHA-256 over every event it
    applied (notification id, seal, content), kept beside it. A resumed rebuild recomputes
    it from the store, so an event changed, removed or moved since cannot go unnoticed."""

    def __init__(self, app: Any, engine: Engine, name: str) -> None:
        self.app, self.engine, self.name = app, engine, name
        with engine.begin() as connection:
            _applied_table.create(connection, checkfirst=True)
            row = connection.execute(select(_applied_table).where(_applied_table.c.name == name)).first()
        self.position, self.digest = (row.position, row.digest) if row else (0, "")

    def still_stored(self, position: int) -> bool:
        """Whether the events up to `position` (where the shadow stands) are still the ones applied."""
        return self.position == position and self._digest(0, position, "") == self.digest

    def reset(self) -> None:
        self.position, self.digest = 0, ""
        self._save()

    def advance(self, position: int) -> None:
        if position != self.position:
            self.digest = self._digest(self.position, position, self.digest)
            self.position = position
            self._save()

    def _digest(self, after: int, upto: int, digest: str) -> str:
        from shared.eventstore.chain import content_of

        for notification_id, event in self.app.sealed_events(after=after):
            if notification_id > upto:
                break
            text = f"{digest}|{notification_id}|{getattr(event, 'chain', '')}|{content_of(event)}"
            digest = hashlib.sha256(text.encode()).hexdigest()
        return digest

    def _save(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(_applied_table.delete().where(_applied_table.c.name == self.name))
            connection.execute(_applied_table.insert().values(name=self.name, position=self.position, digest=self.digest))


def _compare(service: Service, live: Projector, shadow: Projector, shadow_engine: Engine) -> list[str]:
    """Bring both to the same position, then compare every table row by row."""
    for _ in range(50):
        live.catch_up()
        target = live.position()
        while shadow.run_once(stop=target):
            pass
        if live.position() == shadow.position():
            break
    differences = []
    for table in live.projection.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        with service.storage.engine.connect() as connection:
            live_rows = connection.execute(select(table).order_by(*order)).all()
        with shadow_engine.connect() as connection:
            rebuilt_rows = connection.execute(select(table).order_by(*order)).all()
        if [_normal(r) for r in live_rows] != [_normal(r) for r in rebuilt_rows]:
            differences.append(f"{table.name}: {len(live_rows)} live rows, {len(rebuilt_rows)} rebuilt, contents differ")
    return differences


def _replace(live: Projector, shadow: Projector, shadow_engine: Engine) -> None:
    """Put the rebuilt rows in place of the live ones, with the rebuilt position, in one
    transaction that holds the live position row: the live projector waits, then goes on
    from there."""
    with live.engine.begin() as connection:
        read_position(connection, live.position_name, lock=True)
        tables = live.projection.metadata.sorted_tables
        for table in reversed(tables):
            connection.execute(table.delete())
        with shadow_engine.connect() as source:
            for table in tables:
                rows = [dict(row) for row in source.execute(select(table)).mappings()]
                if rows:
                    connection.execute(table.insert(), rows)
        connection.execute(
            update(positions).where(positions.c.name == live.position_name).values(position=shadow.position())
        )


def _normal(row: Any) -> tuple[Any, ...]:
    return tuple(value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row)


def _progress(out: Any, name: str, position: int, target: int, done: bool = False) -> None:
    width = 30
    filled = width if not target else min(width, width * position // target)
    out.write(f"\r{name:<22} [{'#' * filled}{'.' * (width - filled)}] {position}/{target}" + ("\n" if done else ""))
    out.flush()
