"""The base of every service's eventsourcing Application.

Adds what all three need: dates in events, a hook that wakes the outbox relay and the
projectors the moment something is committed (so they need not poll fast), the metadata
(actor, correlation id) every domain event carries into its public event, and the way
upstream events are applied: a service's `react` answers what it changed, and `handle`
(one event) or `handle_batch` (a poll's worth, one transaction) saves that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Notification, Recording, Transcoder, Transcoding

from shared.contracts import CloudEvent, EventData
from shared.errors import NotFound
from shared.eventstore.chain import GENESIS, Seals, chain_events
from shared.eventstore.receipts import AlreadyApplied, Pending, pending_receipt
from shared.eventstore.retries import retrying
from shared.eventstore.streams import aggregates_of, sealing, select_streams
from shared.eventstore.transcoder import OrjsonTranscoder

A = TypeVar("A")
_MISSING = object()  # a batch's note that a stream is not there


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def meta(actor: str, correlation_id: str, traceparent: str | None = None) -> dict[str, str]:
    """Who did it and which command it belongs to, stored with every domain event; with
    trace propagation on, the W3C trace context of the request that caused it."""
    stored = {"actor": actor, "correlation_id": correlation_id}
    if traceparent:
        stored["traceparent"] = traceparent
    return stored


def meta_from(envelope: CloudEvent) -> dict[str, str]:
    """The metadata of what a service does in reaction to an upstream event: same actor,
    same correlation, same trace."""
    return meta(envelope.actor, envelope.correlationid, envelope.traceparent)


def public_event(source: str, data: EventData | None, event: Any) -> CloudEvent | None:
    """Wrap a domain event's public `data` in its envelope: subject, sequence, time, actor
    and correlation id all come from the stored domain event."""
    if data is None:
        return None
    return CloudEvent.of(
        data,
        source=source,
        subject=str(event.originator_id),
        sequence=event.originator_version,
        time=event.timestamp,
        actor=event.meta["actor"],
        correlation_id=event.meta["correlation_id"],
        traceparent=event.meta.get("traceparent"),
    )


class ServiceApplication(Application[UUID]):
    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self._listeners: list[Callable[[], None]] = []
        self._chains = Seals()
        self._batch = threading.local()  # .loaded: the read cache of a batch (`handle_batch`)

    # -- upstream events: a reaction says what it changed, its caller saves it --------------

    def react(self, received: Any) -> Sequence[Any]:
        """What the service does when an upstream event arrives: the aggregates it created
        or changed, which the caller (`handle`, `handle_batch`) saves; it saves nothing."""
        raise NotImplementedError  # a service that consumes upstream events reacts here

    def handle(self, received: Any) -> None:
        """React to one upstream event and save what it changed, upstream position
        included, in one transaction; a lost race is tried again on the new state."""

        def apply() -> None:
            if changed := [aggregate for aggregate in self.react(received) if aggregate is not None]:
                self.save(*changed)

        retrying(apply)

    def handle_batch(self, events: Sequence[Any]) -> None:
        """React to a batch of upstream events and save everything they changed in one
        transaction, upstream positions included, or nothing. Each aggregate is read once:
        within the batch, `find` answers the object as the batch has left it so far. The
        caller falls back to one event at a time (`handle`) when a batch fails, so a poison
        event is isolated and a lost race retried alone."""
        changed: dict[UUID, Any] = {}
        with self._reading_once() as loaded:
            self._preload(events, loaded)
            for event in events:
                for aggregate in self.react(event):
                    if aggregate is not None:
                        changed[aggregate.id] = loaded[aggregate.id] = aggregate
        if changed:
            self.save(*changed.values())

    def _preload(self, events: Sequence[Any], loaded: dict[UUID, Any]) -> None:
        """The streams the batch's events are about (their subjects), read in one query, a
        stream not there remembered as missing: one round trip instead of one per event."""
        subjects = set()
        for event in events:
            try:
                subjects.add(UUID(str(event.envelope.subject)))
            except (AttributeError, ValueError):
                continue  # no subject, or not an aggregate's id
        self._load(subjects, loaded)

    def _load(self, streams: set[UUID], loaded: dict[UUID, Any]) -> None:
        if self.snapshots is not None or not streams:
            return  # a snapshot would be skipped here; let `find` read those one by one
        stored = select_streams(self.recorder, streams)
        if stored is None:
            return
        found = aggregates_of(self.mapper, stored, self._chains)
        for stream in streams:
            loaded[stream] = found.get(stream, _MISSING)

    @contextmanager
    def reading_together(self, *ids: UUID | str) -> Iterator[None]:
        """Within it, on this thread, `find` answers these streams from one query made on
        entry (a command that needs a deal and its stage set reads both in one round trip),
        and any other aggregate from the store as usual, each read once."""
        streams = set()
        for aggregate_id in ids:
            try:
                streams.add(UUID(str(aggregate_id)))
            except ValueError:
                continue  # not an id: `find` answers None for it as always
        outer: dict[UUID, Any] | None = getattr(self._batch, "loaded", None)
        if outer is not None:  # within a batch already: its cache (and its changes) stay in force
            self._load(streams - outer.keys(), outer)
            yield
            return
        with self._reading_once() as loaded:
            self._load(streams, loaded)
            yield

    @contextmanager
    def _reading_once(self) -> Iterator[dict[UUID, Any]]:
        """Within it, on this thread only (HTTP commands run beside a consumer), `find`
        answers from, and adds to, the cache it yields: the aggregates the batch has read
        or changed so far."""
        loaded: dict[UUID, Any] = {}
        self._batch.loaded = loaded
        try:
            yield loaded
        finally:
            self._batch.loaded = None

    def construct_transcoder(self) -> Transcoder:
        """eventsourcing's JSON format, read by orjson (shared.eventstore.transcoder), unless
        the environment names another transcoder (TRANSCODER_TOPIC)."""
        if self.env.get("TRANSCODER_TOPIC"):
            return super().construct_transcoder()
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def on_recorded(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from any thread) after each successful save."""
        self._listeners.append(listener)

    def _record(self, processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
        carried = self._carry_receipt(processing_event)
        chained = chain_events(processing_event.events, self._previous_chain)
        try:
            recordings = super()._record(processing_event)
        except IntegrityError:
            if carried is not None and self.recorder.select_events(carried.id, limit=1):
                raise AlreadyApplied(carried.id) from None  # a duplicate lost the race: no retry
            raise
        if carried is not None:
            carried.recorded = True
        for (stream, version), chain in chained.items():  # the next save of these streams needs no lookup
            self._chains.note(stream, version, chain)
        return recordings

    def _carry_receipt(self, processing_event: ProcessingEvent[Any]) -> Pending | None:
        """An HTTP command sent with an Idempotency-Key: its receipt goes with the request's
        first save that records something, in the same transaction (see `receipts`)."""
        pending = pending_receipt.get()
        if pending is None or pending.app is not self or pending.recorded or not processing_event.events:
            return None
        processing_event.collect_events(pending.receipt())
        return pending

    def _previous_chain(self, stream: UUID, version: int) -> str:
        cached = self._chains.of(stream, version)
        if cached is not None:
            return cached
        stored = self.recorder.select_events(stream, lte=version, desc=True, limit=1)
        if not stored:
            return GENESIS
        return getattr(self.mapper.to_domain_event(stored[0]), "chain", GENESIS) or GENESIS

    def sealed_events(self, batch: int = 1000, after: int = 0) -> Iterator[tuple[int, Any]]:
        """Every stored event (after notification `after`) in log order exactly as it was
        sealed: the stored fields, not upcast, so an old event read by newer code still
        matches its seal."""
        position = after
        while notifications := self.read_notifications(position, batch):
            for notification in notifications:
                yield notification.id, self._as_sealed(notification)
            position = notifications[-1].id

    def sealed_stream(self, stream: UUID) -> list[Any]:
        """One stream's stored events in version order, as sealed (see `sealed_events`)."""
        return [self._as_sealed(stored) for stored in self.recorder.select_events(stream)]

    def _as_sealed(self, stored: Any) -> Any:
        mapper = self.mapper
        state = stored.state
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        fields = mapper.transcoder.decode(state)
        fields.pop("class_version", None)
        fields["originator_id"] = UUID(str(stored.originator_id))
        fields["originator_version"] = stored.originator_version
        return SimpleNamespace(**fields)  # nothing else: its fields are what the seal covers

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        if recordings:
            for listener in self._listeners:
                listener()

    def read_notifications(self, after: int, limit: int) -> list[Notification]:
        return list(self.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False))

    def to_domain_event(self, notification: Notification) -> Any:
        return self.mapper.to_domain_event(notification)

    def find(self, kind: type[A], aggregate_id: UUID | str) -> A | None:
        """The aggregate of that kind, or None: ids arriving in events are strings. Within
        a batch, the same object each time (with what the batch did to it so far)."""
        try:
            key = UUID(str(aggregate_id))
        except ValueError:
            return None
        loaded: dict[UUID, Any] | None = getattr(self._batch, "loaded", None)
        aggregate = loaded.get(key) if loaded is not None else None
        if aggregate is None:
            try:
                aggregate = self.repository.get(key, projector_func=sealing(self._chains))
            except AggregateNotFoundError:
                aggregate = _MISSING  # within a batch, asked once (a stage set never defined)
            if loaded is not None:
                loaded[key] = aggregate
        return aggregate if isinstance(aggregate, kind) else None

    def get(self, kind: type[A], aggregate_id: UUID | str) -> A:
        """The aggregate of that kind, or NotFound (404 at the HTTP edge)."""
        aggregate = self.find(kind, aggregate_id)
        if aggregate is None:
            raise NotFound(kind.__name__.lower(), aggregate_id)
        return aggregate
