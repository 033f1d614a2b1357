"""Checkpoints: where each stream of a service's event store should end.

The hash chain (`shared.eventstore.chain`) proves that each event follows the one before it; nothing
in it says that a stream had more events, or existed at all. So each service records, every
CRM_CHECKPOINT_INTERVAL_SECONDS and only when its store changed, a checkpoint: the store's
last notification id, how many streams it holds, the heads (id, version, seal) that changed
since the previous checkpoint and a SHA-256 chaining them to the previous checkpoint's hash
(`shared.eventstore.heads.chained_hash`). So the job holds only what changed since the last
checkpoint, never every stream's head: its memory does not grow with the store. The checkpoint
is an event of the store's own checkpoint stream (sealed and chained like any other), and
the outbox publishes it on `crm.checkpoints`: a copy the store alone cannot rewrite.

`crm audit verify` folds the checkpoints (the store's, or the topic's copy) into the head
every stream had at the last one, and names each stream that disagrees: truncated (its
head is below the checkpointed version), missing (gone whole), altered (resealed since).
How is `shared.eventstore.heads`; this module records the checkpoints and reads them back.

A checkpoint only ever extends the previous one: a checkpointer that finds the store
behind its own last checkpoint records nothing and logs why, so it never anchors what
someone cut away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared.contracts import MalformedEvent, ReceivedEvent, parse_event
from shared.contracts import events as public
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.chain import Broken
from shared.eventstore.heads import GENESIS, Entry, Heads, chained_hash, fold

log = logging.getLogger(__name__)

_NAMESPACE = UUID("5b0c4f0e-6a43-4b9e-8f57-2d6c1e0a9c31")
MAX_HEADS_PER_EVENT = 2_000  # a checkpoint naming more changed heads comes in parts (~300 KB each)


def checkpoint_stream(service: str) -> UUID:
    """The id of a service's checkpoint stream: the same in every store of that service."""
    return uuid5(_NAMESPACE, f"crm/{service}/checkpoints")


class Checkpoint(Aggregate):
    """A service's checkpoint stream. Its events are appended without loading it. The
    topics are the ones stores already hold (the module was `shared.checkpoints`): moving
    the code must not make recorded checkpoints unreadable."""

    TOPIC = "shared.checkpoints:Checkpoint"

    class Created(Aggregate.Created):
        TOPIC = "shared.checkpoints:Checkpoint.Created"  # never recorded (see `Started`)

    @event("Started", topic="shared.checkpoints:Checkpoint.Started")
    def __init__(self, id: UUID, service: str, meta: dict[str, str]) -> None:  # noqa: A002
        self.service = service

    class Recorded(Aggregate.Event):
        TOPIC = "shared.checkpoints:Checkpoint.Recorded"

        service: str
        position: int  # the last notification id covered
        streams: int
        heads_hash: str
        heads: dict[str, list[Any]]  # stream id → [version, chain]: the heads changed since the previous checkpoint
        part: int
        parts: int
        meta: dict[str, str]
        previous_hash: str  # the checkpoint before's `heads_hash` (absent from those recorded before 2026-11-30)

        def apply(self, aggregate: Any) -> None:
            pass


def checkpoint_data(event: Any) -> public.CheckpointRecorded | None:
    """The public `data` of a checkpoint event (None for any other event)."""
    if not isinstance(event, Checkpoint.Recorded):
        return None
    return public.CheckpointRecorded(
        service=event.service,
        position=event.position,
        streams=event.streams,
        heads_hash=event.heads_hash,
        heads={
            stream: public.StreamHead(version=version, chain=chain) for stream, (version, chain) in event.heads.items()
        },
        part=event.part,
        parts=event.parts,
        previous_hash=getattr(event, "previous_hash", None),
    )


# -- the checkpoints, read back -------------------------------------------------------------------


def store_entries(app: ServiceApplication, service: str) -> list[Entry]:
    """The checkpoint events of the store's own checkpoint stream."""
    return [
        Entry(
            e.originator_version,
            e.position,
            e.streams,
            e.heads_hash,
            {key: (head[0], head[1]) for key, head in e.heads.items()},
            e.part,
            e.parts,
            getattr(e, "previous_hash", None),
        )
        for e in app.sealed_stream(checkpoint_stream(service))
        if hasattr(e, "heads_hash")
    ]


def published_entries(messages: Iterable[bytes | str], service: str) -> list[Entry]:
    """The service's checkpoints among the topic's messages (CloudEvents, one per item)."""
    wanted = str(checkpoint_stream(service))
    entries = []
    for message in messages:
        try:
            received = parse_event(message)
        except MalformedEvent:
            continue
        if not isinstance(received, ReceivedEvent) or not isinstance(received.data, public.CheckpointRecorded):
            continue
        data = received.data
        if data.service != service or received.envelope.subject != wanted:
            continue
        entries.append(
            Entry(
                received.sequence,
                data.position,
                data.streams,
                data.heads_hash,
                {key: (head.version, head.chain) for key, head in data.heads.items()},
                data.part,
                data.parts,
                data.previous_hash,
            )
        )
    return entries


# -- the job -------------------------------------------------------------------------------------


class Checkpointer:
    """The checkpoint job of one service: `run` records a checkpoint when the store changed
    since the last one. Its first run reads the whole store (every stream's head, held
    against the store's last checkpoint, then let go); later runs read only what was
    recorded since, and it holds only the heads changed since its last checkpoint."""

    def __init__(self, app: ServiceApplication, service: str) -> None:
        self.app = app
        self.service = service
        self.stream = checkpoint_stream(service)
        self._position: int | None = None  # the last notification read; None: not started
        self._changed: dict[str, tuple[int, str]] = {}  # stream → head, moved since this job's base checkpoint
        self._born: dict[str, int] = {}  # stream → notification of its first event, if read since the base
        self.refused: list[Broken] = []

    @property
    def holding(self) -> int:
        """How many stream heads the job holds: those changed since its last checkpoint."""
        return len(self._changed)

    def scheduled(self) -> bool:
        """The job's step. The first, at start-up, only reads the store (beside the other
        start-up work); the first checkpoint comes one interval later."""
        if self._position is None:
            self._start()
            return False
        return self.run()

    def run(self) -> bool:
        """Record a checkpoint now if anything but the checkpoint stream changed since the
        last one; answer whether one was recorded."""
        if self._position is None:
            self._start()
        # The last checkpoint first, then the log: whatever another replica's checkpoint
        # covers is then below the position this one reads to.
        last = self._last()
        self._read(self.app.sealed_events(after=self._position or 0))
        if self.refused:
            log.error(
                "%s: no checkpoint recorded: %d streams disagree with the last one (first: stream %s: %s); "
                "run `crm audit verify %s`",
                self.service,
                len(self.refused),
                self.refused[0].stream,
                self.refused[0].problem,
                self.service,
            )
            return False
        if not self._changed.keys() - {str(self.stream)}:
            return False
        return self._record(last)

    def _start(self) -> None:
        anchor = fold(store_entries(self.app, self.service), "the store's checkpoints", str(self.stream))
        heads = Heads(anchor)  # every stream's head, for this check only
        base = anchor.position if anchor is not None else 0
        self._position = base

        def walking() -> Iterable[tuple[int, Any]]:
            for notification_id, stored in self.app.sealed_events():
                heads.see(notification_id, stored)
                if notification_id > base:
                    yield notification_id, stored

        self._read(walking())
        self.refused = heads.problems()

    def _read(self, events: Iterable[tuple[int, Any]]) -> None:
        for notification_id, stored in events:
            stream, version = str(stored.originator_id), stored.originator_version
            head = self._changed.get(stream)
            if head is None or version > head[0]:
                self._changed[stream] = (version, getattr(stored, "chain", None) or "")
            if version == 1:
                self._born[stream] = notification_id
            self._position = max(self._position or 0, notification_id)

    def _last(self) -> Any:
        """The checkpoint stream's newest stored event (None: none yet), not decoded: most
        runs find nothing to record and never need it."""
        stored = self.app.recorder.select_events(self.stream, desc=True, limit=1)
        return stored[0] if stored else None

    def _record(self, last: Any) -> bool:
        version = last.originator_version if last is not None else 0
        newest: Any = self.app.mapper.to_domain_event(last) if last is not None else None
        if not hasattr(newest, "heads_hash"):
            newest = None  # only the stream's start: no checkpoint yet
        position = self._position or 0
        before = newest.position if newest is not None else 0
        if before > position:  # not seen to happen; a checkpoint must never move a head back
            log.info("%s: the last checkpoint is ahead of this job; the next run catches up", self.service)
            return False
        streams = (newest.streams if newest is not None else 0) + sum(1 for n in self._born.values() if n > before)
        previous = newest.heads_hash if newest is not None else GENESIS
        changed = sorted(self._changed)
        chunks = [changed[i : i + MAX_HEADS_PER_EVENT] for i in range(0, len(changed), MAX_HEADS_PER_EVENT)]
        system = meta("system", f"checkpoint-{self.service}-{position}")
        objects: list[Any] = []
        if version == 0:
            objects.append(Checkpoint(id=self.stream, service=self.service, meta=system))
            version = 1
        timestamp = Checkpoint.Recorded.create_timestamp()
        for part, chunk in enumerate(chunks, 1):
            heads = {key: self._changed[key] for key in chunk}
            digest = chained_hash(previous, heads)
            # ignore: eventsourcing makes each event class a dataclass when the class is made, so
            # mypy sees only the base event's fields in this constructor.
            objects.append(
                Checkpoint.Recorded(  # type: ignore[call-arg]
                    originator_id=self.stream,
                    originator_version=version + part,
                    timestamp=timestamp,
                    service=self.service,
                    position=position,
                    streams=streams,
                    heads_hash=digest,
                    heads={key: list(head) for key, head in heads.items()},
                    part=part,
                    parts=len(chunks),
                    meta=system,
                    previous_hash=previous,
                )
            )
            previous = digest
        try:
            self.app.save(*objects)
        except IntegrityError:
            log.info("%s: another replica recorded a checkpoint first", self.service)
            return False  # the heads changed since ours stay in the next one's
        self._changed, self._born = {}, {}
        log.info("%s: checkpoint at notification %d (%d streams)", self.service, position, streams)
        return True
